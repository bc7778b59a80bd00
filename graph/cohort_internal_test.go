package graph

import (
	"math/rand"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
)

// figure is a cohort figure of n exits, known of them observed, ws of those in work or
// studies.
func figure(k, n, known, ws int) cohort.Figure {
	return cohort.Figure{MonthsAfterExit: k, N: n, Known: known, Unknown: n - known, InWorkOrStudies: ws}
}

// readerLearns is what a reader of toBreakdowns' answer can work out: every count of the
// answer is a cell, hidden when the answer leaves it out, with the relations a reader
// knows (written here independently of protectCohort): within a figure n = known +
// unknown and known = in work or studies + the rest; exits = n when both are shown equal
// or the cohort is complete; the total is the sum of the groups. It returns the small
// counts (1–4) the shown cells determine.
func readerLearns(t *testing.T, all []cohort.Breakdown, shown []*model.OutcomeBreakdown) []string {
	t.Helper()
	var sys disclosure.System
	var hidden []bool
	var names []string
	add := func(v int, shownAs *int, name string) disclosure.Cell {
		c := sys.Add(v, disclosure.Count)
		hidden = append(hidden, shownAs == nil)
		names = append(names, name)
		if shownAs != nil && *shownAs != v {
			t.Fatalf("%s shown as %d, is %d", name, *shownAs, v)
		}
		return c
	}
	type cells struct{ exits, n, known, unknown, ws, not []disclosure.Cell }
	cs := make([]cells, len(all))
	for i, b := range all {
		g := b.Gender
		if g == "" {
			g = "total"
		}
		cs[i].exits = []disclosure.Cell{add(b.Exits, shown[i].Exits, g+" exits")}
		for j, f := range b.Figures {
			s := shown[i].Figures[j]
			n := add(f.N, s.N, g+" n")
			known := add(f.Known, s.Known, g+" known")
			unknown := add(f.Unknown, s.Unknown, g+" unknown")
			ws := add(f.InWorkOrStudies, s.InWorkOrStudies, g+" in work or studies")
			not := sys.Add(f.Known-f.InWorkOrStudies, disclosure.Implicit)
			hidden, names = append(hidden, true), append(names, g+" not in work or studies")
			sys.Sum(n, known, unknown)
			sys.Sum(known, ws, not)
			if f.N == b.Exits {
				sys.Equal(cs[i].exits[0], n)
			}
			cs[i].n, cs[i].known, cs[i].unknown = append(cs[i].n, n), append(cs[i].known, known), append(cs[i].unknown, unknown)
			cs[i].ws, cs[i].not = append(cs[i].ws, ws), append(cs[i].not, not)
		}
	}
	for _, of := range []func(c cells) []disclosure.Cell{
		func(c cells) []disclosure.Cell { return c.exits }, func(c cells) []disclosure.Cell { return c.n },
		func(c cells) []disclosure.Cell { return c.known }, func(c cells) []disclosure.Cell { return c.unknown },
		func(c cells) []disclosure.Cell { return c.ws }, func(c cells) []disclosure.Cell { return c.not },
	} {
		for j := range of(cs[0]) {
			var parts []disclosure.Cell
			for i := 1; i < len(all); i++ {
				parts = append(parts, of(cs[i])[j])
			}
			sys.Sum(of(cs[0])[j], parts...)
		}
	}
	var out []string
	for _, c := range sys.AuditExact(hidden) {
		out = append(out, names[c])
	}
	return out
}

// TestExitCohortGroupsGiveNoSmallCountAway: a steering reader of exitCohortOutcome sees
// the total and each gender with small counts hidden, and cannot work a hidden count out
// of the rest: the demo's one exit of gender OTHER was hidden while the total (59) and
// both other genders (29, 29) were shown, giving it away as 59 − 29 − 29.
func TestExitCohortGroupsGiveNoSmallCountAway(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, total cohort.Breakdown, groups []cohort.Breakdown) {
		t.Helper()
		all := append([]cohort.Breakdown{total}, groups...)
		tot, byGender := toBreakdowns(total, groups, true)
		if got := readerLearns(t, all, append([]*model.OutcomeBreakdown{tot}, byGender...)); len(got) > 0 {
			t.Errorf("a steering reader works out %v from %+v", got, all)
		}
		open, openGroups := toBreakdowns(total, groups, false)
		for _, b := range append([]*model.OutcomeBreakdown{open}, openGroups...) {
			if b.Exits == nil || b.Figures[0].N == nil || b.Figures[0].Suppressed {
				t.Fatalf("a caseworker's figures are hidden: %+v", b)
			}
		}
	}
	t.Run("Demo2018", func(t *testing.T) {
		total := cohort.Breakdown{Exits: 59, Figures: []cohort.Figure{figure(6, 59, 27, 9), figure(12, 59, 25, 14)}}
		groups := []cohort.Breakdown{
			{Gender: "man", Exits: 29, Figures: []cohort.Figure{figure(6, 29, 9, 2), figure(12, 29, 13, 7)}},
			{Gender: "other", Exits: 1, Figures: []cohort.Figure{figure(6, 1, 0, 0), figure(12, 1, 0, 0)}},
			{Gender: "woman", Exits: 29, Figures: []cohort.Figure{figure(6, 29, 18, 7), figure(12, 29, 12, 7)}},
		}
		check(t, total, groups)
		tot, _ := toBreakdowns(total, groups, true)
		if tot.Exits == nil || *tot.Exits != 59 {
			t.Errorf("the total of 59 exits is hidden: %v", tot.ExitsDisplay)
		}
	})
	t.Run("Random", func(t *testing.T) {
		rng := rand.New(rand.NewSource(16))
		for range 300 {
			total := cohort.Breakdown{}
			var groups []cohort.Breakdown
			for _, g := range []string{"man", "other", "woman"}[:2+rng.Intn(2)] {
				b := cohort.Breakdown{Gender: g, Exits: rng.Intn(35)}
				for _, k := range cohort.Horizons {
					n := b.Exits
					if rng.Intn(4) == 0 {
						n = rng.Intn(b.Exits + 1) // months not yet begun for some
					}
					known := rng.Intn(n + 1)
					b.Figures = append(b.Figures, figure(k, n, known, rng.Intn(known+1)))
				}
				groups = append(groups, b)
			}
			total.Exits = 0
			for j, k := range cohort.Horizons {
				f := figure(k, 0, 0, 0)
				for _, b := range groups {
					f.N, f.Known, f.InWorkOrStudies = f.N+b.Figures[j].N, f.Known+b.Figures[j].Known, f.InWorkOrStudies+b.Figures[j].InWorkOrStudies
				}
				f.Unknown = f.N - f.Known
				total.Figures = append(total.Figures, f)
			}
			for _, b := range groups {
				total.Exits += b.Exits
			}
			check(t, total, groups)
			if t.Failed() {
				return
			}
		}
	})
}
