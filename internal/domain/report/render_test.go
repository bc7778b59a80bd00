package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
)

// smallReport is a report of one quota table whose department names are hostile text,
// with a small delivered count that must be hidden with its complement.
func smallReport() *Report {
	b := newBuilder()
	r := &Report{OrganisationName: "Testkommun", OrganisationCode: "test", Month: time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)}
	t := tableOf("q1", "Kvot", Column{"quota", "Kvot"}, Column{"delivered", "Levererat"}, Column{"share", "Andel"})
	var quotas, delivered []*Cell
	for i, d := range []struct {
		name     string
		q, deliv int
	}{{`=HYPERLINK("http://evil","x")`, 10, 3}, {"<script>alert(1)</script>", 20, 17}, {"Vanlig förvaltning", 30, 30}} {
		qc, dc := b.target(d.q, "quota/1"), b.count(d.deliv, "quota/1")
		quotas, delivered = append(quotas, qc), append(delivered, dc)
		t.row(string(rune('a'+i)), d.name, false, qc, dc, b.share(dc, qc, "quota/1"))
	}
	tq, td := b.target(60, "quota/1"), b.count(50, "quota/1")
	b.sum(tq, quotas...)
	b.sum(td, delivered...)
	t.row("total", "Totalt", true, tq, td, b.share(td, tq, "quota/1"))
	r.Sections = []*Section{{Key: "quotas", Title: "Kvotering", Tables: []*Table{t}}}
	b.finish(r)
	r.Definitions = definitions(r)
	return r
}

func TestSmallCountAndItsComplementAreHiddenEverywhere(t *testing.T) {
	t.Parallel()
	r := smallReport()
	rows := r.Sections[0].Tables[0].Rows
	if !rows[0].Cells[1].Suppressed || rows[0].Cells[1].Value != nil || rows[0].Cells[1].Display != disclosure.SmallText {
		t.Fatalf("delivered 3 shown: %+v", rows[0].Cells[1])
	}
	hidden := 0
	for _, row := range rows {
		if row.Cells[1].Suppressed {
			hidden++
		}
	}
	if hidden < 2 {
		t.Fatalf("only %d delivered counts hidden: the 3 is the total minus the others", hidden)
	}
	if !rows[0].Cells[2].Suppressed {
		t.Error("the share of a hidden count is shown")
	}
	if p, e := r.Audit(); len(p)+len(e) > 0 {
		t.Errorf("audit: %v %v", p, e)
	}
	var html bytes.Buffer
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<script") {
		t.Error("a label reached the page unescaped")
	}
	// A small count shows "< 5" (escaped on the page), its complement "..".
	shownHidden := strings.Count(page, ">"+strings.ReplaceAll(disclosure.SmallText, "<", "&lt;")+"<") +
		strings.Count(page, ">"+disclosure.HiddenText+"<")
	if shownHidden < hidden {
		t.Errorf("the page shows %d hidden cells, want %d", shownHidden, hidden)
	}
	f := workbookOf(t, r)
	sheet := f.GetSheetList()[0]
	found := false
	rowsX, _ := f.GetRows(sheet)
	for _, row := range rowsX {
		if len(row) > 0 && strings.Contains(row[0], "HYPERLINK") {
			found = true
			if !strings.HasPrefix(row[0], "'=") {
				t.Errorf("formula text not neutralised: %q", row[0])
			}
			if len(row) < 3 || row[2] != disclosure.SmallText {
				t.Errorf("hidden count in XLSX: %q", row)
			}
		}
		for _, c := range row {
			if c == "3" {
				t.Errorf("the small count 3 is in the workbook: %q", row)
			}
		}
	}
	if !found {
		t.Error("the department row is missing from the workbook")
	}
}

func TestLinkSignature(t *testing.T) {
	t.Parallel()
	s := Signer{Key: []byte("a-key-of-sixteen-chars")}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tok, _, err := s.Sign(Link{Subject: "x", Role: "steering", ReportOrg: "o", Month: "2018-12", Format: FormatHTML}, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s.Verify(tok, now.Add(30*time.Second)); err != nil || l.Month != "2018-12" || l.ID == "" {
		t.Fatalf("fresh link: %+v %v", l, err)
	}
	if _, err := s.Verify(tok, now.Add(2*time.Minute)); err == nil {
		t.Error("an expired link verifies")
	}
	if _, err := (Signer{Key: []byte("another-key-sixteen")}).Verify(tok, now); err == nil {
		t.Error("a link verifies under another key")
	}
	body, sig, _ := strings.Cut(tok, ".")
	if _, err := s.Verify(body+"x."+sig, now); err == nil {
		t.Error("a changed link verifies")
	}
}

// TestCountChartsHaveRoundGridlines: a count chart's gridlines are whole multiples of a
// step of 1, 2 or 5 times a power of ten, the top is the first of them at or above the
// largest value, and at most five steps reach it (a chart topped at 50 was labelled
// 13, 25 and 38).
func TestCountChartsHaveRoundGridlines(t *testing.T) {
	for _, v := range []float64{0, 0.4, 1, 3, 5, 6, 7, 13, 43, 99, 100, 101, 2500, 1234567} {
		top, steps := countAxis(v)
		step := top / float64(steps)
		mantissa := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		round := math.Abs(mantissa-1) < 1e-9 || math.Abs(mantissa-2) < 1e-9 || math.Abs(mantissa-5) < 1e-9
		if !round || step < 1 || steps < 1 || steps > 5 || top < v || (v > 0 && top-step >= v) {
			t.Errorf("countAxis(%v) = top %v in %d steps of %v: want round steps of at least 1, at most 5, the first top at or above it", v, top, steps, step)
		}
	}
	value := 43.0
	svg := SVG(&Series{Title: "Deltagare", Unit: "COUNT", Lines: []*Line{{Label: "Kvinnor", Style: "BAR",
		Points: []*Point{{Label: "2018-03", Cell: &Cell{Value: &value, Display: "43"}}}}}})
	for _, want := range []string{">0<", ">10<", ">20<", ">30<", ">40<", ">50<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart of 43 lacks the gridline label %s", want)
		}
	}
	for _, odd := range []string{">13<", ">38<", ">60<"} {
		if strings.Contains(svg, odd) {
			t.Errorf("the chart of 43 has the gridline label %s", odd)
		}
	}
}

// workbookOf writes r as XLSX and opens the workbook again, as a spreadsheet program
// would read it.
func workbookOf(t *testing.T, r *Report) *excelize.File {
	t.Helper()
	var x bytes.Buffer
	if err := XLSX(&x, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// An amount (kronor) is AMOUNT, not TARGET, and every rendering shows it as it shows any
// other whole figure: the same text on the page and the same number in the workbook as
// a target of the same value, and hidden ("..") with a small count it would give away.
func TestAmountsAreTheirOwnKindAndRenderAsBefore(t *testing.T) {
	t.Parallel()
	b := newBuilder()
	r := &Report{OrganisationName: "Testkommun", OrganisationCode: "test", Month: time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)}
	tb := tableOf("amounts", "Belopp", Column{"target", "Mål"}, Column{"net", "Nettokostnad, kr"}, Column{"people", "Deltagare"})
	many, few := b.count(12, "costs/1"), b.count(3, "costs/1")
	tb.row("shown", "Visas", false, b.target(123456, "costs/1"), b.amount(123456, "costs/1", many), many)
	tb.row("hidden", "Döljs", false, b.target(654321, "costs/1"), b.amount(654321, "costs/1", few), few)
	r.Sections = []*Section{{Key: "costs", Title: "Kostnader", Tables: []*Table{tb}}}
	b.finish(r)
	r.Definitions = definitions(r)
	shown, hidden := tb.Rows[0].Cells, tb.Rows[1].Cells
	if shown[0].Kind != KindTarget || shown[1].Kind != KindAmount || hidden[1].Kind != KindAmount {
		t.Fatalf("kinds: target %s, amounts %s and %s", shown[0].Kind, shown[1].Kind, hidden[1].Kind)
	}
	if shown[1].Value == nil || *shown[1].Value != 123456 || shown[1].Display != shown[0].Display {
		t.Errorf("shown amount %v %q, the target of the same value %q", shown[1].Value, shown[1].Display, shown[0].Display)
	}
	if !hidden[1].Suppressed || hidden[1].Value != nil || hidden[1].Display != disclosure.HiddenText {
		t.Errorf("the amount of 3 people: %+v", hidden[1])
	}
	var page bytes.Buffer
	if err := HTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page.String(), ">"+shown[0].Display+"<"); n != 2 {
		t.Errorf("the page shows %q %d times, want twice (target and amount)", shown[0].Display, n)
	}
	f := workbookOf(t, r)
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows {
		if len(row) >= 4 && row[0] == "Visas" {
			found = true
			if row[1] != "123456" || row[2] != "123456" {
				t.Errorf("workbook row %q: target and amount differ or are not numbers", row)
			}
		}
		if len(row) >= 4 && row[0] == "Döljs" && row[2] != disclosure.HiddenText {
			t.Errorf("workbook row %q: the amount of 3 people is not hidden", row)
		}
	}
	if !found {
		t.Errorf("no amount row in the workbook: %q", rows)
	}
}
