package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

const steeringReportQuery = `query($o: ID!, $m: Month!) { steeringReport(organisationId: $o, month: $m) {
  organisationName month definitionVersions warehousePending
  sections { key title tables { key title columns { key label } rows { key label total
    cells { id kind value display n suppressed definitionVersion lower upper boundLow boundHigh } } }
    series { key lines { label points { label cell { id display } } } } } } }`

type gqlCell struct {
	ID                string
	Kind              string
	Value             *float64
	Display           string
	N                 *int
	Suppressed        bool
	DefinitionVersion *string
	Lower, Upper      *float64
	BoundLow          *float64
	BoundHigh         *float64
}

type gqlReport struct {
	SteeringReport struct {
		OrganisationName   string
		Month              string
		DefinitionVersions []string
		Sections           []struct {
			Key, Title string
			Tables     []struct {
				Key, Title string
				Columns    []struct{ Key, Label string }
				Rows       []struct {
					Key, Label string
					Total      bool
					Cells      []gqlCell
				}
			}
		}
	}
}

// TestSteeringReportEndToEnd: the demo municipality's report for December 2018 is read
// by a steering reader through GraphQL, opened by its signed link in real headless
// Chromium (no request to another host; the text holds the figures; a screenshot and a
// PDF with a page per section at least), downloaded as XLSX (every number equals the
// GraphQL answer) and as PDF; the link opens once. The same report built in-process
// agrees with the flows counted from the raw rows and passes the differencing audit.
// Other roles reach it; nothing personal is in it.
func TestSteeringReportEndToEnd(t *testing.T) {
	chromium, err := report.ChromiumPath(os.Getenv)
	if err != nil {
		t.Fatalf("the report's PDF and this test need headless Chromium: %v", err)
	}
	s := start(t)
	ctx := context.Background()
	pool, err := db.Connect(ctx, s.env["OUTCOMES_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	seeded, err := demo.Seed(ctx, pool, 60)
	if err != nil {
		t.Fatal(err)
	}
	org := seeded.OrganisationID
	eventually(t, "warehouse caught up", func() (bool, string) {
		var pending int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending); err != nil {
			return false, err.Error()
		}
		return pending == 0, fmt.Sprint(pending, " pending")
	})
	steering := s.client(t, auth.Principal{Subject: "e2e-styrgrupp", Role: auth.Steering, OrgID: org})
	vars := map[string]any{"o": org, "m": "2018-12"}
	var g gqlReport
	steering.MustData(t, steeringReportQuery, vars, &g)
	rep := g.SteeringReport
	if rep.OrganisationName != "Uppsala kommun" || rep.Month != "2018-12" || len(rep.Sections) < 5 {
		t.Fatalf("report: %s %s with %d sections", rep.OrganisationName, rep.Month, len(rep.Sections))
	}
	// Every figure names its definition, hides its value exactly when it is suppressed,
	// and shows disclosure.SmallText (a small count) or disclosure.HiddenText (any other) then.
	var shownCounts int
	for _, sec := range rep.Sections {
		for _, tb := range sec.Tables {
			for _, row := range tb.Rows {
				for _, c := range row.Cells {
					if c.Kind == report.KindEmpty {
						continue
					}
					if c.DefinitionVersion == nil || *c.DefinitionVersion == "" {
						t.Errorf("%s has no definition version", c.ID)
					}
					if c.Suppressed != (c.Value == nil && (c.Display == disclosure.SmallText || c.Display == disclosure.HiddenText)) {
						t.Errorf("%s: suppressed %v, value %v, display %q", c.ID, c.Suppressed, c.Value, c.Display)
					}
					if c.Kind == report.KindCount && c.Value != nil {
						shownCounts++
						if v := int(*c.Value); v >= 1 && v <= 4 {
							t.Errorf("%s shows the small count %d", c.ID, v)
						}
					}
				}
			}
		}
	}
	if shownCounts < 50 {
		t.Fatalf("only %d counts shown: the demo report is nearly empty", shownCounts)
	}

	t.Run("InProcessAgreesWithRowsAndPassesAudit", func(t *testing.T) {
		ch, err := chstore.Open(ctx, chstore.Options{Addr: s.env["OUTCOMES_CLICKHOUSE_ADDR"], Database: s.env["OUTCOMES_CLICKHOUSE_DATABASE"]})
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		sys := auth.With(ctx, auth.Principal{Subject: "e2e", System: true})
		svc := report.NewService(pool, ch)
		sc, err := svc.ResolveScope(sys, org, nil)
		if err != nil {
			t.Fatal(err)
		}
		built, err := svc.Build(sys, sc, time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		pairs, exact := built.Audit()
		if len(pairs) > 0 || len(exact) > 0 {
			t.Errorf("hidden small counts can be worked out: by one relation %v, by several %v", pairs, exact)
		}
		// Every figure against an oracle over random histories: internal/domain/report's
		// TestReportEqualsOracleOnRandomHistories. Here the flows of the demo, counted again
		// from the raw rows in Go.
		counts := map[string]int{}
		rows, err := pool.Query(sys, `SELECT p.gender, e.decision_date, e.start_date, e.end_date FROM enrolment e
			JOIN participant p ON p.id = e.participant_id WHERE e.organisation_id = $1`, org)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var gender string
			var dec, start, end *time.Time
			if err := rows.Scan(&gender, &dec, &start, &end); err != nil {
				t.Fatal(err)
			}
			col := map[string]string{"woman": "women", "man": "men"}[gender]
			if col == "" {
				col = "other"
			}
			for f, d := range map[string]*time.Time{"decisions": dec, "starts": start, "exits": end} {
				if d != nil && d.Year() == 2018 {
					counts[f+"/"+d.Format("2006-01")+"/"+col]++
					counts[f+"/"+d.Format("2006-01")+"/total"]++
					counts[f+"/ytd/"+col]++
					counts[f+"/ytd/total"]++
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		flows := 0
		for _, c := range built.Cells() {
			if c.Value == nil || c.Kind != report.KindCount {
				continue
			}
			if want, ok := counts[c.ID]; ok || strings.HasPrefix(c.ID, "decisions/") || strings.HasPrefix(c.ID, "starts/") || strings.HasPrefix(c.ID, "exits/") {
				if int(*c.Value) != want {
					t.Errorf("%s = %v, counted from the rows %d", c.ID, *c.Value, want)
				}
				flows++
			}
		}
		if flows < 40 {
			t.Fatalf("compared %d flow counts with the rows", flows)
		}
	})

	link := func(t *testing.T, format string) string {
		var out struct {
			SteeringReportLink struct{ URL, ExpiresAt string }
		}
		steering.MustData(t, `mutation($o: ID!, $m: Month!, $f: ReportFormat!) { steeringReportLink(organisationId: $o, month: $m, format: $f) { url expiresAt } }`,
			map[string]any{"o": org, "m": "2018-12", "f": format}, &out)
		if !strings.HasPrefix(out.SteeringReportLink.URL, report.LinkPath+"?token=") {
			t.Fatalf("link %q", out.SteeringReportLink.URL)
		}
		return "http://" + s.apiAddr + out.SteeringReportLink.URL
	}

	t.Run("BrowserOpensLinkOnce", func(t *testing.T) {
		u := link(t, "HTML")
		profile := t.TempDir()
		actx, cancelAlloc := chromedp.NewExecAllocator(ctx, report.BrowserOptions(chromium, profile)...)
		defer cancelAlloc()
		bctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		var mu sync.Mutex
		var requested []string
		if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
			return err
		})); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Listen(bctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				requested = append(requested, e.Request.URL)
				mu.Unlock()
			}
		}); err != nil {
			t.Fatal(err)
		}
		tctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
		defer cancelT()
		if err := chromedp.Do(tctx, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		for _, r := range requested {
			pu, err := url.Parse(r)
			if err != nil || (pu.Scheme != "data" && pu.Host != s.apiAddr) {
				t.Errorf("the page asked another host: %s", r)
			}
		}
		mu.Unlock()
		if len(requested) == 0 {
			t.Error("no request seen: the listener saw nothing")
		}
		for _, want := range []string{"Månadsuppföljning december 2018", "Uppsala kommun", "Definitionsversioner"} {
			if !strings.Contains(text, want) {
				t.Errorf("page text lacks %q", want)
			}
		}
		// Every figure of the targets table and the decisions table is on the page.
		for _, sec := range rep.Sections {
			for _, tb := range sec.Tables {
				if tb.Key != "targets" && tb.Key != "decisions" {
					continue
				}
				for _, row := range tb.Rows {
					for _, c := range row.Cells {
						if !strings.Contains(text, c.Display) {
							t.Errorf("page lacks %s = %q", c.ID, c.Display)
						}
					}
				}
			}
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil || img.Bounds().Dx() < 300 || img.Bounds().Dy() < 1000 {
			t.Errorf("screenshot: %v, %v", err, img.Bounds())
		}
		if pages := pdfPages(pdf); pages < len(rep.Sections)+1 || pages > 40 {
			t.Errorf("printed PDF has %d pages, want one per section and the definitions at least (%d)", pages, len(rep.Sections)+1)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone {
			t.Errorf("second opening: %d, want 410", resp.StatusCode)
		}
		if strings.Contains(s.logs.String(), "token=") {
			t.Error("a report link's token reached the log")
		}
	})

	t.Run("XLSXEqualsGraphQL", func(t *testing.T) {
		body := get(t, link(t, "XLSX"), report.FormatXLSX.ContentType())
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sheets := f.GetSheetList()
		if len(sheets) != len(rep.Sections)+1 || !strings.HasPrefix(sheets[len(sheets)-1], "Definitioner") {
			t.Fatalf("sheets %v for %d sections", sheets, len(rep.Sections))
		}
		for i, sec := range rep.Sections {
			var want []string
			for _, tb := range sec.Tables {
				intervals := false
				for _, row := range tb.Rows {
					for _, c := range row.Cells {
						intervals = intervals || c.Lower != nil || c.BoundLow != nil
					}
				}
				for _, row := range tb.Rows {
					var share *gqlCell
					for j, c := range row.Cells {
						if c.Value != nil {
							want = append(want, num(*c.Value))
						} else if c.Display != "" {
							want = append(want, c.Display)
						}
						if c.Kind == report.KindShare {
							share = &row.Cells[j]
						}
					}
					if intervals && share != nil {
						for _, v := range []*float64{share.Lower, share.Upper, share.BoundLow, share.BoundHigh} {
							if v != nil {
								want = append(want, num(*v))
							}
						}
					}
				}
			}
			got := sheetValues(t, f, sheets[i])
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("sheet %s:\n got  %v\n want %v", sheets[i], got, want)
			}
		}
	})

	t.Run("PDFDownload", func(t *testing.T) {
		body := get(t, link(t, "PDF"), "application/pdf")
		if !bytes.HasPrefix(body, []byte("%PDF-")) || pdfPages(body) < len(rep.Sections)+1 {
			t.Errorf("pdf: %d bytes, %d pages", len(body), pdfPages(body))
		}
	})

	t.Run("RegionalBodySumsItsMembers", func(t *testing.T) {
		regionID := apitest.OrganisationOfKind(t, s.api, "forbundet", "Samordningsförbundet", "REGIONAL_BODY")
		s.api.MustData(t, `mutation($r: ID!, $m: ID!) { addRegionalMember(regionalId: $r, memberId: $m) { id } }`,
			map[string]any{"r": regionID, "m": org}, nil)
		var out gqlReport
		s.client(t, auth.Principal{Subject: "forbund", Role: auth.Regional, OrgID: regionID, Orgs: []string{org}}).
			MustData(t, steeringReportQuery, map[string]any{"o": regionID, "m": "2018-12"}, &out)
		cells := map[string]gqlCell{}
		for _, sec := range out.SteeringReport.Sections {
			for _, tb := range sec.Tables {
				for _, row := range tb.Rows {
					for _, c := range row.Cells {
						cells[c.ID] = c
					}
				}
			}
		}
		sum, member, ytd := cells["members/total/decisions"], cells["members/uppsala/decisions"], cells["decisions/ytd/total"]
		if sum.Display == "" || sum.Display != ytd.Display || member.Display != ytd.Display {
			t.Errorf("regional decisions: sum %q, Uppsala %q, year to date %q", sum.Display, member.Display, ytd.Display)
		}
		for _, sec := range rep.Sections { // the one member's figures, summed, are the municipality's
			for _, tb := range sec.Tables {
				for _, row := range tb.Rows {
					for _, c := range row.Cells {
						if got, ok := cells[c.ID]; ok && got.Display != c.Display && !strings.HasPrefix(c.ID, "targets") {
							t.Errorf("%s: region %q, member %q", c.ID, got.Display, c.Display)
						}
					}
				}
			}
		}
	})

	t.Run("RoleMatrix", func(t *testing.T) {
		for _, p := range []auth.Principal{
			{Subject: "a", Role: auth.Admin},
			{Subject: "c", Role: auth.Caseworker, OrgID: org},
			{Subject: "e", Role: auth.Evaluator, OrgID: org},
			{Subject: "r", Role: auth.Regional, OrgID: org},
		} {
			var other gqlReport
			s.client(t, p).MustData(t, steeringReportQuery, vars, &other)
			if len(other.SteeringReport.Sections) != len(rep.Sections) {
				t.Errorf("%s: %d sections", p.Role, len(other.SteeringReport.Sections))
			}
		}
		stranger := s.createOrg(t, "annan")
		errs := s.client(t, auth.Principal{Subject: "x", Role: auth.Steering, OrgID: stranger}).MustFail(t, steeringReportQuery, vars)
		if errs[0].Code() != "FORBIDDEN" {
			t.Errorf("another municipality's steering group: %+v", errs)
		}
		bad := steering.MustFail(t, steeringReportQuery, map[string]any{"o": org, "m": "2018-13"})
		if bad[0].Code() == "INTERNAL" || bad[0].Code() == "" {
			t.Errorf("a bad month: %+v", bad)
		}
		// Nothing personal: no identity number, no demo name, no participant id.
		resp, err := steering.Do(ctx, steeringReportQuery, vars)
		if err != nil {
			t.Fatal(err)
		}
		raw := fmt.Sprint(resp.Data)
		if regexp.MustCompile(`\d{8}-\d{4}`).MatchString(raw) {
			t.Error("an identity number in the report")
		}
		var pid string
		if err := pool.QueryRow(ctx, `SELECT id::text FROM participant WHERE organisation_id = $1 LIMIT 1`, org).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{pid, "Andersson", "Hassan", "Fatima"} {
			if strings.Contains(raw, bad) {
				t.Errorf("the report holds %q", bad)
			}
		}
	})

	t.Run("EditionsFreezeAndMarkChanges", func(t *testing.T) { // last: it changes the data
		var fr struct {
			FreezeSteeringReport struct{ ID, FrozenAt, Trigger string }
		}
		steering.MustData(t, `mutation($o: ID!, $m: Month!) { freezeSteeringReport(organisationId: $o, month: $m) { id frozenAt trigger } }`, vars, &fr)
		if fr.FreezeSteeringReport.ID == "" || fr.FreezeSteeringReport.Trigger != "on_demand" {
			t.Fatalf("freeze: %+v", fr)
		}
		var eds struct{ SteeringReportEditions []struct{ ID string } }
		steering.MustData(t, `query($o: ID!, $m: Month) { steeringReportEditions(organisationId: $o, month: $m) { id } }`, vars, &eds)
		if len(eds.SteeringReportEditions) != 1 || eds.SteeringReportEditions[0].ID != fr.FreezeSteeringReport.ID {
			t.Fatalf("editions: %+v", eds)
		}
		// A late registration: five more decisions in December 2018.
		for i := 0; i < 5; i++ {
			var p struct{ CreateParticipant struct{ ID string } }
			s.api.MustData(t, createPerson, map[string]any{"org": org, "pnr": demo.Personnummer(time.Date(1950, 1, 1+i, 0, 0, 0, 0, time.UTC), 990+2*i), "gender": "WOMAN"}, &p)
			s.api.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
				decisionDate: "2018-12-10", startDate: "2018-12-17", eligibilityOverride: {reason: "late registration in the e2e test"}}) { id } }`,
				map[string]any{"p": p.CreateParticipant.ID}, nil)
		}
		q := `query($o: ID!, $m: Month!, $e: ID) { steeringReport(organisationId: $o, month: $m, editionId: $e) {
			edition { id } comparedTo { id frozenAt } sections { tables { rows { cells { id display changedSince } } } } } }`
		type out struct {
			SteeringReport struct {
				Edition    *struct{ ID string }
				ComparedTo *struct{ ID, FrozenAt string }
				Sections   []struct {
					Tables []struct {
						Rows []struct {
							Cells []struct {
								ID, Display  string
								ChangedSince *string
							}
						}
					}
				}
			}
		}
		find := func(o out, id string) (string, *string) {
			for _, sec := range o.SteeringReport.Sections {
				for _, tb := range sec.Tables {
					for _, row := range tb.Rows {
						for _, c := range row.Cells {
							if c.ID == id {
								return c.Display, c.ChangedSince
							}
						}
					}
				}
			}
			t.Fatalf("no cell %s", id)
			return "", nil
		}
		var now, frozen out
		steering.MustData(t, q, map[string]any{"o": org, "m": "2018-12"}, &now)
		steering.MustData(t, q, map[string]any{"o": org, "m": "2018-12", "e": fr.FreezeSteeringReport.ID}, &frozen)
		if now.SteeringReport.ComparedTo == nil || now.SteeringReport.ComparedTo.ID != fr.FreezeSteeringReport.ID {
			t.Fatalf("current report compared to %+v", now.SteeringReport.ComparedTo)
		}
		if frozen.SteeringReport.Edition == nil || frozen.SteeringReport.Edition.ID != fr.FreezeSteeringReport.ID {
			t.Fatalf("reopened edition: %+v", frozen.SteeringReport.Edition)
		}
		const cell = "decisions/2018-12/women"
		before, _ := find(frozen, cell)
		after, changed := find(now, cell)
		var was string
		for _, sec := range rep.Sections {
			for _, tb := range sec.Tables {
				for _, row := range tb.Rows {
					for _, c := range row.Cells {
						if c.ID == cell {
							was = c.Display
						}
					}
				}
			}
		}
		if before != was || after == before || changed == nil || *changed != now.SteeringReport.ComparedTo.FrozenAt {
			t.Errorf("%s: first shown %q, edition %q, now %q changed since %v", cell, was, before, after, changed)
		}
	})
}

// get fetches a report link and checks the content type.
func get(t *testing.T, u, contentType string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentType {
		t.Fatalf("%d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return body
}

// num writes a number as excelize reads it back raw.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.10g", v)
}

// sheetValues are a sheet's values from column B on (column A holds labels), row by
// row, skipping the heading rows (text only in column A or the column labels).
func sheetValues(t *testing.T, f *excelize.File, sheet string) []string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, row := range rows {
		if len(row) < 2 || i < 5 {
			continue
		}
		label, _ := f.GetCellValue(sheet, fmt.Sprintf("A%d", i+1))
		if label == "" { // the column label row of a table
			continue
		}
		for j, v := range row[1:] {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+2, i+1)
			typ, _ := f.GetCellType(sheet, cell)
			if typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset {
				fv := 0.0
				if _, err := fmt.Sscan(v, &fv); err == nil {
					out = append(out, num(fv))
					continue
				}
			}
			out = append(out, v)
		}
	}
	return out
}

var pageObject = regexp.MustCompile(`/Type\s*/Page[^s]`)

// pdfPages counts the page objects of a PDF.
func pdfPages(b []byte) int { return len(pageObject.FindAll(b, -1)) }
