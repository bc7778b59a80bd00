package disclosure_test

import (
	"fmt"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

func figure(k, n, known, in int) cohort.Figure {
	f := cohort.Figure{MonthsAfterExit: k, N: n, Known: known, Unknown: n - known, InWorkOrStudies: in}
	if known > 0 {
		s := float64(in) / float64(known)
		f.Share = &s
		iv, _ := stats.Wilson(in, known)
		f.Interval = &iv
	}
	if b, ok := stats.MissingBounds(in, known, n); ok {
		f.Bounds = &b
	}
	return f
}

func one(exits, n, known, in int) cohort.Family {
	return cohort.Family{Results: []cohort.Result{{Total: cohort.Breakdown{Exits: exits, Figures: []cohort.Figure{figure(6, n, known, in)}}}}}
}

// TestExitCohortFigureByHand: one figure's counts under the one rule, worked by hand.
func TestExitCohortFigureByHand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fam       cohort.Family
		exits     string
		want      disclosure.FigureDisplay
		suppr     bool
		shareSeen bool
	}{
		{"LargeCountsShown", one(59, 59, 48, 9), "59", disclosure.FigureDisplay{N: "59", Known: "48", Unknown: "11", InWorkOrStudies: "9", Share: "18,8 %"}, false, true},
		// 2 in work: the 28 not in work are never printed, so known = 30 may stay.
		{"SmallWorkCount", one(40, 40, 30, 2), "40", disclosure.FigureDisplay{N: "40", Known: "30", Unknown: "10", InWorkOrStudies: "< 5", Share: ".."}, true, false},
		// 2 unknown: n − known would give them away; the smaller of the two is hidden.
		{"SmallUnknownHidesKnown", one(40, 40, 38, 10), "40", disclosure.FigureDisplay{N: "40", Known: "..", Unknown: "< 5", InWorkOrStudies: "10", Share: ".."}, true, false},
		// 3 exits whose +6 has not come: exits − n would give them away.
		{"SmallNotYetDue", one(43, 40, 40, 20), "..", disclosure.FigureDisplay{N: "40", Known: "40", Unknown: "0", InWorkOrStudies: "20", Share: "50,0 %"}, false, true},
		// As the steering report writes them: thousands spaced, a decimal comma.
		{"SwedishNumbers", one(1234, 1234, 1000, 500), "1 234", disclosure.FigureDisplay{N: "1 234", Known: "1 000", Unknown: "234", InWorkOrStudies: "500", Share: "50,0 %"}, false, true},
		{"ZeroIsNotSmall", one(10, 10, 10, 0), "10", disclosure.FigureDisplay{N: "10", Known: "10", Unknown: "0", InWorkOrStudies: "0", Share: "0,0 %"}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := disclosure.ExitCohort(tc.fam, true).Total
			f := got.Figures[0]
			if f.Display != tc.want || got.ExitsDisplay != tc.exits {
				t.Errorf("exits %q, display %+v; want %q, %+v", got.ExitsDisplay, f.Display, tc.exits, tc.want)
			}
			if f.Suppressed != tc.suppr || (f.Share != nil) != tc.shareSeen || (f.Interval != nil) != tc.shareSeen ||
				(f.Bounds != nil) != !tc.suppr {
				t.Errorf("suppressed %v share %v interval %v bounds %v", f.Suppressed, f.Share, f.Interval, f.Bounds)
			}
			if f.Display.N == disclosure.HiddenText && f.N != nil {
				t.Error("a hidden n still has a value")
			}
			open := disclosure.ExitCohort(tc.fam, false).Total
			if o := open.Figures[0]; o.Suppressed || o.N == nil || o.InWorkOrStudies == nil || open.Exits == nil || o.Bounds == nil {
				t.Errorf("without suppression: %+v", open)
			}
		})
	}
}

// TestExitCohortGendersAndMembersCannotBeSubtracted: the total and the genders of one
// answer, and a regional family's members and sum, are one system.
func TestExitCohortGendersAndMembersCannotBeSubtracted(t *testing.T) {
	t.Parallel()
	res := func(women, men int) cohort.Result {
		return cohort.Result{Total: cohort.Breakdown{Exits: women + men, Figures: []cohort.Figure{figure(6, women+men, women+men, women+men)}},
			ByGender: []cohort.Breakdown{
				{Gender: "man", Exits: men, Figures: []cohort.Figure{figure(6, men, men, men)}},
				{Gender: "woman", Exits: women, Figures: []cohort.Figure{figure(6, women, women, women)}}}}
	}
	got := disclosure.ExitCohort(cohort.Family{Results: []cohort.Result{res(10, 3)}}, true)
	if got.ByGender[0].Exits != nil || (got.Total.Exits != nil && got.ByGender[1].Exits != nil) {
		t.Errorf("13 exits, women 10, men 3: shown %v, %v, %v", got.Total.Exits, got.ByGender[1].Exits, got.ByGender[0].Exits)
	}
	// A regional family: Tranemo 3 (2 + 1), Mark 10 (6 + 4), the sum 13 (8 + 5).
	fam := cohort.Family{Summed: true, Results: []cohort.Result{res(8, 5), res(2, 1), res(6, 4)}}
	var exits [3]*int
	for i := range fam.Results {
		fam.Asked = i
		exits[i] = disclosure.ExitCohort(fam, true).Total.Exits
	}
	if exits[1] != nil || (exits[0] != nil && exits[2] != nil) {
		t.Errorf("the sum %v, Tranemo's 3 %v, Mark's %v: Tranemo's is the sum minus Mark's", exits[0], exits[1], exits[2])
	}
}

// dueFigure is a figure at +k of a year whose every exit is due at +k.
func dueFigure(k, n, known, in int) cohort.Figure {
	f := figure(k, n, known, in)
	f.AllDue = true
	return f
}

// dueGroup is a gender's figures at +6 and +12.
func dueGroup(g string, exits int, f6, f12 cohort.Figure) cohort.Breakdown {
	return cohort.Breakdown{Gender: g, Exits: exits, Figures: []cohort.Figure{f6, f12}}
}

// exitsOf is what a reader can count of a group's exits when every exit is due: shown,
// or any n shown, or an n's known and unknown both shown.
func exitsOf(b disclosure.ShownBreakdown) *int {
	if b.Exits != nil {
		return b.Exits
	}
	for _, f := range b.Figures {
		if f.N != nil {
			return f.N
		}
		if f.Known != nil && f.Unknown != nil {
			v := *f.Known + *f.Unknown
			return &v
		}
	}
	return nil
}

// TestExitCohortNIsTheExitsOnceEveryExitIsDue: the demo's 2018 cohort asked for after
// 2019 (29 women, 29 men, 1 other; every exit due at +6 and +12). A reader who knows the
// calendar knows that n at +6 and at +12 are then each group's exits, so a gender whose
// exits are hidden is counted wherever one of its n is shown; with the total shown too,
// the one other person's exit is the total less the women's and the men's.
func TestExitCohortNIsTheExitsOnceEveryExitIsDue(t *testing.T) {
	t.Parallel()
	res := cohort.Result{
		Total: dueGroup("", 59, dueFigure(6, 59, 27, 9), dueFigure(12, 59, 25, 14)),
		ByGender: []cohort.Breakdown{
			dueGroup("man", 29, dueFigure(6, 29, 9, 2), dueFigure(12, 29, 13, 7)),
			dueGroup("other", 1, dueFigure(6, 1, 0, 0), dueFigure(12, 1, 0, 0)),
			dueGroup("woman", 29, dueFigure(6, 29, 18, 7), dueFigure(12, 29, 12, 7)),
		}}
	got := disclosure.ExitCohort(cohort.Family{Results: []cohort.Result{res}}, true)
	total, sum, unknown := exitsOf(got.Total), 0, []string{}
	for _, b := range got.ByGender {
		if e := exitsOf(b); e != nil {
			sum += *e
		} else {
			unknown = append(unknown, b.Gender)
		}
	}
	if total != nil && len(unknown) == 1 {
		t.Errorf("the %s exits are %d − %d = %d: every exit is due, so n is the exits (total %+v)",
			unknown[0], *total, sum, *total-sum, got.Total.Figures[0].Display)
	}
	if len(unknown) == 0 {
		t.Errorf("every gender's exits can be counted, the other's 1 among them")
	}
}

// TestExitCohortProtectsTheOtherGendersMerged: the demo's 2019 cohort (538 exits: 312
// men, 222 women, 2 other, 2 not stated). The steering report shows the other genders as
// one row, "< 5"; exitCohortOutcome shows them apart, and with the total, the men and the
// women shown, the row is 538 − 312 − 222 = 4 to the same reader.
func TestExitCohortProtectsTheOtherGendersMerged(t *testing.T) {
	t.Parallel()
	res := cohort.Result{
		Total: dueGroup("", 538, dueFigure(6, 538, 410, 208), dueFigure(12, 538, 422, 202)),
		ByGender: []cohort.Breakdown{
			dueGroup("man", 312, dueFigure(6, 312, 244, 132), dueFigure(12, 312, 249, 125)),
			dueGroup("not_stated", 2, dueFigure(6, 2, 2, 1), dueFigure(12, 2, 2, 1)),
			dueGroup("other", 2, dueFigure(6, 2, 1, 1), dueFigure(12, 2, 0, 0)),
			dueGroup("woman", 222, dueFigure(6, 222, 163, 74), dueFigure(12, 222, 171, 76)),
		}}
	got := disclosure.ExitCohort(cohort.Family{Results: []cohort.Result{res}}, true)
	// Each count of the merged row: the total's less the women's and the men's, when all
	// three are shown.
	byGender := map[string]disclosure.ShownBreakdown{}
	for _, b := range got.ByGender {
		byGender[b.Gender] = b
	}
	merged := func(what string, of func(disclosure.ShownBreakdown) *int) {
		tot, m, w := of(got.Total), of(byGender["man"]), of(byGender["woman"])
		if tot != nil && m != nil && w != nil {
			t.Errorf("%s of the other genders merged: %d − %d − %d = %d", what, *tot, *m, *w, *tot-*m-*w)
		}
	}
	merged("exits", exitsOf)
	for j, k := range []int{6, 12} {
		merged(fmt.Sprintf("n at +%d", k), func(b disclosure.ShownBreakdown) *int { return b.Figures[j].N })
		merged(fmt.Sprintf("known at +%d", k), func(b disclosure.ShownBreakdown) *int { return b.Figures[j].Known })
		merged(fmt.Sprintf("unknown at +%d", k), func(b disclosure.ShownBreakdown) *int { return b.Figures[j].Unknown })
		merged(fmt.Sprintf("in work or studies at +%d", k), func(b disclosure.ShownBreakdown) *int { return b.Figures[j].InWorkOrStudies })
	}
}
