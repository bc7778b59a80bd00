package report

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readerRange is what a reader takes a count's text to say about its value: a number is
// itself; "< N" is a count from 1 to N−1 (as the report's rule says such a count is
// shown); any other text (a hidden cell's mark) says only that it is a count.
func readerRange(display string) (lo, hi int) {
	if v, err := strconv.Atoi(strings.ReplaceAll(display, "\u00a0", "")); err == nil {
		return v, v
	}
	if rest, ok := strings.CutPrefix(display, "< "); ok {
		if n, err := strconv.Atoi(rest); err == nil {
			return 1, n - 1
		}
	}
	return 0, math.MaxInt32
}

// A hidden cell's text must be true of the cell: a complement hidden to protect a small
// count is often large (17, 30 here), and a text that calls it "fewer than five" tells a
// steering group something false.
func TestHiddenCellTextIsTrueOfItsValue(t *testing.T) {
	t.Parallel()
	r := smallReport()
	hidden := 0
	for _, row := range r.Sections[0].Tables[0].Rows {
		for _, c := range row.Cells {
			if !c.Suppressed || c.Kind != KindCount {
				continue
			}
			hidden++
			if lo, hi := readerRange(c.Display); c.raw < lo || c.raw > hi {
				t.Errorf("%s: hidden %d shows %q, which says %d–%d", c.ID, c.raw, c.Display, lo, hi)
			}
		}
	}
	if hidden < 2 {
		t.Fatalf("%d hidden counts: the test needs a small count and its complement", hidden)
	}
}

// The reader also knows the bounds the texts give: two hidden counts of a row whose total
// is 8 are both 4 if each text says "1–4". The linear rule (disclosure.Protect) does not
// see bounds, so no hidden text may state one: every hidden count keeps a range.
func TestHiddenCountsCannotBePinnedByTheirText(t *testing.T) {
	t.Parallel()
	b := newBuilder()
	r := &Report{OrganisationName: "Testkommun", OrganisationCode: "test", Month: time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)}
	tb := tableOf("starts", "Påbörjade insatser", Column{"women", "Kvinnor"}, Column{"men", "Män"}, Column{"other", "Övriga/ej angivet"}, Column{"total", "Totalt"})
	for i, g := range []byGender{{4, 4, 0}, {4, 4, 4}} {
		parts := []*Cell{b.count(g[0], FlowsVersion), b.count(g[1], FlowsVersion), b.count(g[2], FlowsVersion)}
		total := b.count(g.total(), FlowsVersion)
		b.sum(total, parts...)
		tb.row(strconv.Itoa(i), monthLabel(r.Month.AddDate(0, i, 0)), false, append(parts, total)...)
	}
	r.Sections = []*Section{{Key: "flows", Title: "Månadens flöden", Tables: []*Table{tb}}}
	b.finish(r)
	for _, row := range tb.Rows {
		cells := row.Cells
		total, parts := cells[3], cells[:3]
		tlo, thi := readerRange(total.Display)
		for i, c := range parts {
			if !c.Suppressed {
				continue
			}
			// c = total − the others: its range follows from theirs and its own text.
			lo, hi := readerRange(c.Display)
			olo, ohi := 0, 0
			for j, o := range parts {
				if j != i {
					l, h := readerRange(o.Display)
					olo, ohi = olo+l, ohi+h
				}
			}
			lo, hi = max(lo, tlo-ohi), min(hi, thi-olo)
			if lo == hi {
				t.Errorf("%s: hidden count %d is pinned to %d by the texts %q of row %q", c.ID, c.raw, lo, displays(cells), row.Label)
			}
		}
	}
}

func displays(cs []*Cell) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Display
	}
	return out
}

// A figure is marked as changed since the latest edition only when what the reader sees
// changed: a cell hidden then and now is not, whatever text hid it (an edition frozen
// under disclosure/2 shows "< 5" where the report now shows ".."), nor is an amount
// hidden as "–" then.
func TestHiddenThenAndNowIsNoChange(t *testing.T) {
	t.Parallel()
	frozenAt := time.Date(2019, 1, 5, 6, 0, 0, 0, time.UTC)
	prev := smallReport()
	prev.Edition = &Edition{FrozenAt: frozenAt}
	old := map[string]string{}
	for _, c := range prev.Cells() {
		if c.Suppressed { // as disclosure/2 wrote them
			c.Display = "< 5"
		}
		old[c.ID] = c.Display
	}
	r := smallReport()
	markChanges(r, prev)
	for _, c := range r.Cells() {
		if c.ChangedSince != nil {
			t.Errorf("%s marked as changed: %q then, %q now", c.ID, old[c.ID], c.Display)
		}
	}
	// What the reader sees change is marked: a shown count now hidden, or another number.
	prev.Sections[0].Tables[0].Rows[2].Cells[1].Display = "29"
	prev.Sections[0].Tables[0].Rows[0].Cells[1].Suppressed, prev.Sections[0].Tables[0].Rows[0].Cells[1].Display = false, "7"
	r = smallReport()
	markChanges(r, prev)
	for _, row := range []int{0, 2} {
		if c := r.Sections[0].Tables[0].Rows[row].Cells[1]; c.ChangedSince == nil || !c.ChangedSince.Equal(frozenAt) {
			t.Errorf("%s not marked: %q now", c.ID, c.Display)
		}
	}
}
