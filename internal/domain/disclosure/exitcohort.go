package disclosure

import (
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// ShownCohort is an exit cohort's outcome (exitCohortOutcome) as one reader may see it.
type ShownCohort struct {
	Total    ShownBreakdown
	ByGender []ShownBreakdown
}

// ShownBreakdown is one group of it: hidden counts are nil and shown as HiddenAs says.
type ShownBreakdown struct {
	Gender       string
	Exits        *int
	ExitsDisplay string
	Figures      []ShownFigure
}

// ShownFigure is one outcome figure of a group as the reader may see it.
type ShownFigure struct {
	MonthsAfterExit                    int
	N, Known, Unknown, InWorkOrStudies *int
	Share                              *float64
	Interval                           *stats.Interval // hidden with Share
	Bounds                             *stats.Bounds   // hidden when any count is
	Suppressed                         bool
	Display                            FigureDisplay
}

// FigureDisplay is a figure's counts and share as text.
type FigureDisplay struct {
	N, Known, Unknown, InWorkOrStudies, Share string
}

// ExitCohort protects the asked result of fam for a reader who sees aggregates only
// (suppress), by the one rule of this package: every count of every result of the
// family is a cell, with the relations a reader knows (exits = n + exits not yet due at
// +k, n = known + unknown, known = in work or studies + not, the total = the sum of the
// genders, and for a regional family the sum = the sum of the members, group by group),
// the other genders merged (cohort.GenderRow: a row of the steering report, a count not
// printed here), and what the calendar tells: once every exit of the year is due at +k
// (Figure.AllDue), none is not yet due, so n at +k is the exits (a 2018 cohort's n at +6
// and at +12 in 2020 are both its exits, and a gender's exits hidden in one place are
// shown in another), so that no count of 1–4 is shown or can be worked out, within one
// answer or across the answers of the family. Without suppress every count is shown.
func ExitCohort(fam cohort.Family, suppress bool) ShownCohort {
	var s System
	type figCells struct{ n, known, unknown, in, not, notDue Cell }
	type groupCells struct {
		exits Cell
		figs  []figCells
	}
	// add adds a group's cells; kind is Count for a shown group, Implicit for one the
	// answer does not print.
	add := func(b cohort.Breakdown, kind Kind) groupCells {
		g := groupCells{exits: s.Add(b.Exits, kind)}
		for _, f := range b.Figures {
			notDue := Implicit
			if f.AllDue {
				notDue = Fixed // 0, and the reader knows it
			}
			c := figCells{n: s.Add(f.N, kind), known: s.Add(f.Known, kind), unknown: s.Add(f.Unknown, kind),
				in: s.Add(f.InWorkOrStudies, kind), not: s.Add(f.Known-f.InWorkOrStudies, Implicit), notDue: s.Add(b.Exits-f.N, notDue)}
			s.Sum(c.n, c.known, c.unknown)
			s.Sum(c.known, c.in, c.not)
			s.Sum(g.exits, c.n, c.notDue)
			g.figs = append(g.figs, c)
		}
		return g
	}
	// sum records total = Σ parts cell by cell.
	sum := func(total groupCells, parts []groupCells) {
		if len(parts) == 0 {
			return
		}
		pick := func(f func(groupCells) Cell) {
			cs := make([]Cell, len(parts))
			for i, p := range parts {
				cs[i] = f(p)
			}
			s.Sum(f(total), cs...)
		}
		pick(func(g groupCells) Cell { return g.exits })
		for j := range total.figs {
			for _, f := range []func(figCells) Cell{
				func(c figCells) Cell { return c.n }, func(c figCells) Cell { return c.known },
				func(c figCells) Cell { return c.unknown }, func(c figCells) Cell { return c.in },
				func(c figCells) Cell { return c.not }, func(c figCells) Cell { return c.notDue },
			} {
				pick(func(g groupCells) Cell { return f(g.figs[j]) })
			}
		}
	}
	type resultCells struct {
		total    groupCells
		byGender map[string]groupCells
	}
	cells := make([]resultCells, len(fam.Results))
	for i, r := range fam.Results {
		rc := resultCells{total: add(r.Total, Count), byGender: map[string]groupCells{}}
		var parts, others []groupCells
		var merged []cohort.Breakdown
		for _, b := range r.ByGender {
			rc.byGender[b.Gender] = add(b, Count)
			if cohort.GenderRow(b.Gender) == cohort.GenderRowOthers {
				others, merged = append(others, rc.byGender[b.Gender]), append(merged, b)
			} else {
				parts = append(parts, rc.byGender[b.Gender])
			}
		}
		if len(others) > 1 {
			// The steering report's row of the other genders merged: a count of its own
			// there, so not one to be worked out here as the total less women and men.
			// It stands in the total's relation (total = women + men + merged), where the
			// shown cells that would give it away are.
			m := add(mergedBreakdown(merged), Implicit)
			sum(m, others)
			others = []groupCells{m}
		}
		sum(rc.total, append(parts, others...))
		cells[i] = rc
	}
	if fam.Summed && len(cells) > 1 {
		whole, members := cells[0], cells[1:]
		var totals []groupCells
		for _, m := range members {
			totals = append(totals, m.total)
		}
		sum(whole.total, totals)
		for _, b := range fam.Results[0].ByGender {
			g, gc := b.Gender, whole.byGender[b.Gender]
			var parts []groupCells
			for _, m := range members {
				if mc, ok := m.byGender[g]; ok {
					parts = append(parts, mc)
				}
			}
			sum(gc, parts)
		}
	}
	hidden := make([]bool, s.Len())
	if suppress {
		hidden = s.Protect()
	}
	count := func(c Cell) (*int, string) {
		if hidden[c] {
			return nil, HiddenAs(s.Value(c))
		}
		v := s.Value(c)
		return &v, FormatCount(v)
	}
	show := func(b cohort.Breakdown, g groupCells) ShownBreakdown {
		out := ShownBreakdown{Gender: b.Gender}
		out.Exits, out.ExitsDisplay = count(g.exits)
		for j, f := range b.Figures {
			c := g.figs[j]
			sf := ShownFigure{MonthsAfterExit: f.MonthsAfterExit, Suppressed: hidden[c.n] || hidden[c.known] || hidden[c.unknown] || hidden[c.in]}
			sf.N, sf.Display.N = count(c.n)
			sf.Known, sf.Display.Known = count(c.known)
			sf.Unknown, sf.Display.Unknown = count(c.unknown)
			sf.InWorkOrStudies, sf.Display.InWorkOrStudies = count(c.in)
			sf.Display.Share = "–" // no known status: nothing to divide
			if hidden[c.known] || hidden[c.in] {
				sf.Display.Share = HiddenText
			} else if f.Share != nil {
				v := *f.Share
				sf.Share, sf.Interval = &v, f.Interval
				sf.Display.Share = FormatShare(v)
			}
			if !sf.Suppressed {
				sf.Bounds = f.Bounds
			}
			out.Figures = append(out.Figures, sf)
		}
		return out
	}
	r, rc := fam.Results[fam.Asked], cells[fam.Asked]
	out := ShownCohort{Total: show(r.Total, rc.total)}
	for _, b := range r.ByGender {
		out.ByGender = append(out.ByGender, show(b, rc.byGender[b.Gender]))
	}
	return out
}

// mergedBreakdown is the sum of groups: their exits and, horizon by horizon, their counts.
func mergedBreakdown(bs []cohort.Breakdown) cohort.Breakdown {
	out := cohort.Breakdown{Figures: make([]cohort.Figure, len(bs[0].Figures))}
	for _, b := range bs {
		out.Exits += b.Exits
		for j, f := range b.Figures {
			m := &out.Figures[j]
			m.MonthsAfterExit, m.AllDue = f.MonthsAfterExit, f.AllDue
			m.N, m.Known, m.Unknown, m.InWorkOrStudies = m.N+f.N, m.Known+f.Known, m.Unknown+f.Unknown, m.InWorkOrStudies+f.InWorkOrStudies
		}
	}
	return out
}
