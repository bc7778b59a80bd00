package outcomes_test

import (
	"math"
	"testing"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Durations 2, 3+, 3, 5, 5+, 8 (+ censored), worked by hand. The one censored at 3 is
// still at risk at 3, so the risk set at 3 is five, not four:
//
//	t  at risk  events  censored  S(t)
//	2     6       1        0      5/6
//	3     5       1        1      5/6 · 4/5 = 2/3
//	5     3       1        1      2/3 · 2/3 = 4/9
//	8     1       1        0      0
func TestKaplanMeierByHand(t *testing.T) {
	t.Parallel()
	got := o.KaplanMeier([]o.Duration{{2, true}, {3, false}, {3, true}, {5, true}, {5, false}, {8, true}})
	want := []o.KMPoint{
		{Month: 2, AtRisk: 6, Events: 1, Censored: 0, Survival: 5.0 / 6},
		{Month: 3, AtRisk: 5, Events: 1, Censored: 1, Survival: 2.0 / 3},
		{Month: 5, AtRisk: 3, Events: 1, Censored: 1, Survival: 4.0 / 9},
		{Month: 8, AtRisk: 1, Events: 1, Censored: 0, Survival: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Month != w.Month || g.AtRisk != w.AtRisk || g.Events != w.Events || g.Censored != w.Censored ||
			math.Abs(g.Survival-w.Survival) > 1e-12 || math.Abs(g.Employed-(1-w.Survival)) > 1e-12 {
			t.Errorf("point %d = %+v, want %+v", i, g, w)
		}
	}
}

// Censoring only: the curve stays at 1; empty input gives no curve.
func TestKaplanMeierEdges(t *testing.T) {
	t.Parallel()
	got := o.KaplanMeier([]o.Duration{{0, false}, {4, false}})
	if len(got) != 2 || got[0].Survival != 1 || got[1].Survival != 1 || got[1].AtRisk != 1 {
		t.Errorf("censored only = %+v", got)
	}
	if got := o.KaplanMeier(nil); len(got) != 0 {
		t.Errorf("empty = %+v", got)
	}
}

// The cohort of the hand-worked cases, from exit: Anna finds work at +10 (event),
// Cecilia is part-time employed at +6 (first observed month) and Bertil's exits have no
// later observations (censored at 0). The running enrolment b4 has no exit and is not
// applicable.
func TestTimeToFirstJobCohort(t *testing.T) {
	t.Parallel()
	var ds []o.Duration
	notApplicable := 0
	for _, p := range []o.Person{personExitUnknownThenWork(), personPartTimeOnAssistance(), personComingBack()} {
		for _, e := range p.Enrolments {
			m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit)
			if !ok {
				notApplicable++
				continue
			}
			ds = append(ds, o.Duration{Months: m, Event: ev})
		}
	}
	if notApplicable != 1 || len(ds) != 5 {
		t.Fatalf("applicable %d, not applicable %d", len(ds), notApplicable)
	}
	km := o.KaplanMeier(ds)
	// 0: three censored (Bertil); 6: Cecilia, 1 of 2 at risk; 10: Anna, 1 of 1.
	want := []o.KMPoint{
		{Month: 0, AtRisk: 5, Censored: 3, Survival: 1},
		{Month: 6, AtRisk: 2, Events: 1, Survival: 0.5, Employed: 0.5},
		{Month: 10, AtRisk: 1, Events: 1, Survival: 0, Employed: 1},
	}
	if len(km) != len(want) {
		t.Fatalf("curve = %+v", km)
	}
	for i := range want {
		if km[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, km[i], want[i])
		}
	}
}
