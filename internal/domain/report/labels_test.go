package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// Every section names a measure as the organisation's catalogue does (its Swedish name):
// the outcomes and the costs of the previous year's exits as the flows do, for the
// default catalogue's measures and for a municipality's own.
func TestMeasureLabelsAreTheCatalogues(t *testing.T) {
	t.Parallel()
	r, names, codes := labelsReport(t)
	catalogue := map[string]bool{}
	for _, n := range names {
		catalogue[n] = true
	}
	seen := map[string]int{}
	for _, sec := range r.Sections {
		if sec.Key != "outcomes" && sec.Key != "costs" {
			continue
		}
		for _, tb := range sec.Tables {
			if !strings.HasSuffix(tb.Key, "-measure") {
				continue
			}
			for _, row := range tb.Rows {
				if row.Total {
					continue
				}
				seen[row.Label]++
				if !catalogue[row.Label] {
					t.Errorf("%s: the measure row %q is not a name of the catalogue", tb.Key, row.Label)
				}
			}
		}
	}
	for _, code := range codes {
		if seen[names[code]] == 0 {
			t.Errorf("no outcome or cost row names %s as the catalogue does (%q); rows %v", code, names[code], seen)
		}
	}
}

// labelsReport builds the report of December 2018 of a municipality whose 2017 exits are
// in four measures, one of its own, and returns it with the catalogue's names by code
// and the codes of those measures.
func labelsReport(t *testing.T) (*Report, map[string]string, []string) {
	t.Helper()
	ctx := auth.With(context.Background(), auth.Principal{Subject: "report-labels", System: true})
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	org := domaintest.OrganisationWith(t, pg, organisation.CreateInput{Code: "labels", Name: "Etikettkommun", Kind: organisation.Municipality})
	if _, err := pg.Exec(ctx, `INSERT INTO measure_type (organisation_id, code, name, swedish_name, category)
		VALUES ($1, 'reuse_workshop', 'Reuse workshop', 'Återbruket', 'practice')`, org.ID); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	rows, err := pg.Query(ctx, `SELECT code, swedish_name FROM measure_type WHERE organisation_id = $1`, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			t.Fatal(err)
		}
		names[code] = name
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	// Exits in 2017 in three measures, two of which the report once named by a list of
	// its own (ung_intro as its code, supported_employment unlike the catalogue).
	codes := []string{"ung_intro", "supported_employment", "reuse_workshop", "extra_job"}
	for i := range 24 {
		code := codes[i%len(codes)]
		var pid string
		if err := pg.QueryRow(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, $3, '1980-01-01') RETURNING id`, org.ID, fmt.Sprintf("19800101-%04d", i), []string{"woman", "man"}[i%2]).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := pg.Exec(ctx, `INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, decision_date, start_date, end_date, exit_reason)
			SELECT $1, $2, id, '2016-12-01', '2017-01-02', '2017-03-31', 'studies' FROM measure_type WHERE organisation_id = $1 AND code = $3`,
			org.ID, pid, code); err != nil {
			t.Fatal(err)
		}
		if _, err := pg.Exec(ctx, `INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
			VALUES ($1, $2, '2017-09-01', 'studies', false, 'caseworker'), ($1, $2, '2018-03-01', 'studies', false, 'caseworker')`, org.ID, pid); err != nil {
			t.Fatal(err)
		}
	}
	loadDay := time.Date(2019, 1, 15, 10, 0, 0, 0, time.UTC)
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("report-labels-test-key-0123456789")),
		Log: zerolog.Nop(), Now: func() time.Time { return loadDay }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{Fresh: true}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	svc := NewService(pg, ch)
	svc.now = func() time.Time { return loadDay }
	sc, err := svc.ResolveScope(ctx, org.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Build(ctx, sc, time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return r, names, codes
}

// A workbook's sheet is named after its section, never its title cut at Excel's 31
// characters: "Försenad återkoppling och up" ends in half a word, and "Utfall för insatser
// som avsl" lost the year the section is about.
func TestSheetNamesAreNotTitlesCutShort(t *testing.T) {
	t.Parallel()
	r, _, _ := labelsReport(t)
	f := workbookOf(t, r)
	sheets := f.GetSheetList()
	if len(sheets) != len(r.Sections)+1 {
		t.Fatalf("sheets %q for %d sections and the definitions", sheets, len(r.Sections))
	}
	long := 0
	for i, sec := range r.Sections {
		name := sheets[i]
		if utf8.RuneCountInString(sec.Title) > 31 {
			long++
		}
		if utf8.RuneCountInString(name) > 31 {
			t.Errorf("sheet %q is longer than Excel allows", name)
		}
		if name != sec.Title && strings.HasPrefix(sec.Title, name) {
			t.Errorf("sheet %q is the title %q cut short", name, sec.Title)
		}
		for _, w := range strings.Fields(sec.Title) {
			if strings.ContainsAny(w, "0123456789") && !strings.Contains(name, w) {
				t.Errorf("sheet %q of section %q lacks %q", name, sec.Title, w)
			}
		}
	}
	if long < 3 {
		t.Errorf("only %d section titles longer than a sheet name: the test needs the overdue, outcomes and costs sections", long)
	}
}

// The targets table shows the month's outcome beside the target period's so far: every
// column that counts the period so far says so, and the month's column says it is the
// month's, so that "Kvinnor" beside "Utfall i månaden" is not read as the month's women.
func TestTargetsColumnsSayWhichPeriodTheyCount(t *testing.T) {
	t.Parallel()
	none := &future[[]targetFigures]{done: make(chan struct{})}
	close(none.done)
	sec, err := targetsSection(newBuilder(), Scope{}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), none)
	if err != nil {
		t.Fatal(err)
	}
	soFar := map[string]bool{"women": true, "men": true, "other": true, "total": true, "womenShare": true}
	for _, c := range sec.Tables[0].Columns {
		switch {
		case soFar[c.Key] && !strings.Contains(c.Label, "hittills"):
			t.Errorf("column %q (%q) counts the target period so far but does not say so", c.Key, c.Label)
		case c.Key == "month" && !strings.Contains(c.Label, "i månaden"):
			t.Errorf("column %q (%q) counts the month but does not say so", c.Key, c.Label)
		}
	}
}
