package stats_test

import (
	"math"
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

const eps = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) < eps }

// Wilson intervals worked by hand, z = 1.96 (z² = 3.8416):
//
//	n = 0:            no share, no interval.
//	n = 1, count 1:   p = 1; 1 + z²/n = 4.8416; centre = (1 + 1.9208)/4.8416 = 0.6032716457;
//	                  half = 1.96/4.8416 · sqrt(0 + 3.8416/4) = 0.4048248513 · 0.98 = 0.3967283543;
//	                  [0.2065432915, 1].
//	n = 1, count 0:   p = 0; centre = 1.9208/4.8416 = 0.3967283543, half the same: [0, 0.7934567085].
//	n = 20, count 5:  p = 0.25; 1 + z²/n = 1.19208; centre = (0.25 + 0.09604)/1.19208 = 0.2902825314;
//	                  half = 1.96/1.19208 · sqrt(0.1875/20 + 3.8416/1600)
//	                       = 1.6441849540 · sqrt(0.009375 + 0.002401) = 1.6441849540 · 0.1085172797
//	                       = 0.1784224786; [0.1118600528, 0.4687050100].
//	n = 200, count 50: p = 0.25; 1 + z²/n = 1.019208; centre = (0.25 + 0.009604)/1.019208 = 0.2547115015;
//	                  half = 1.96/1.019208 · sqrt(0.1875/200 + 3.8416/160000)
//	                       = 1.9230618285 · sqrt(0.0009375 + 0.00002401) = 1.9230618285 · 0.0310082 = 0.0596307333;
//	                  [0.1950807682, 0.3143422348]: ten times the n, about a third of the width.
func TestWilsonByHand(t *testing.T) {
	t.Parallel()
	if _, ok := stats.Wilson(0, 0); ok {
		t.Error("n = 0 gave an interval")
	}
	for _, c := range []struct {
		count, n     int
		lower, upper float64
	}{
		{1, 1, 0.2065432915, 1},
		{0, 1, 0, 0.7934567085},
		{5, 20, 0.1118600528, 0.4687050100},
		{50, 200, 0.1950807682, 0.3143422348},
		{20, 20, 0.8388698745, 1},
	} {
		got, ok := stats.Wilson(c.count, c.n)
		if !ok || math.Abs(got.Lower-c.lower) > 1e-10 || math.Abs(got.Upper-c.upper) > 1e-10 {
			t.Errorf("Wilson(%d, %d) = %+v %v, want [%.10f, %.10f]", c.count, c.n, got, ok, c.lower, c.upper)
		}
	}
	if _, ok := stats.Wilson(3, 2); ok {
		t.Error("count > n gave an interval")
	}
}

// Missing-data bounds: n = 20, known 12, count 3 (8 unknown). If no unknown met the
// definition: 3/20 = 0.15; if all did: (3 + 8)/20 = 0.55. The share over the known,
// 3/12 = 0.25, lies between.
func TestMissingBoundsByHand(t *testing.T) {
	t.Parallel()
	b, ok := stats.MissingBounds(3, 12, 20)
	if !ok || !near(b.IfNoneMet, 0.15) || !near(b.IfAllMet, 0.55) {
		t.Errorf("MissingBounds(3, 12, 20) = %+v %v, want 0.15 and 0.55", b, ok)
	}
	if b, ok := stats.MissingBounds(0, 0, 4); !ok || b.IfNoneMet != 0 || b.IfAllMet != 1 {
		t.Errorf("all unknown = %+v %v, want 0 and 1", b, ok)
	}
	if _, ok := stats.MissingBounds(0, 0, 0); ok {
		t.Error("n = 0 gave bounds")
	}
}

// Newcombe by hand: A 12/20 = 0.6, Wilson [0.3865779423, 0.7811960326]; B 50/200 = 0.25,
// Wilson [0.1950807682, 0.3143422348] (above). d = 0.35;
//
//	lower = 0.35 − sqrt((0.6 − 0.3865779423)² + (0.3143422348 − 0.25)²)
//	      = 0.35 − sqrt(0.0455489 + 0.0041399) = 0.35 − 0.2229100668 = 0.1270899332
//	upper = 0.35 + sqrt((0.7811960326 − 0.6)² + (0.25 − 0.1950807682)²)
//	      = 0.35 + sqrt(0.0328320 + 0.0030161) = 0.35 + 0.1893360089 = 0.5393360089
func TestNewcombeByHand(t *testing.T) {
	t.Parallel()
	d, ok := stats.DifferenceOf(12, 20, 50, 200)
	if !ok || !near(d.Estimate, 0.35) || math.Abs(d.Lower-0.1270899332) > 1e-9 || math.Abs(d.Upper-0.5393360089) > 1e-9 {
		t.Errorf("DifferenceOf(12/20, 50/200) = %+v %v", d, ok)
	}
	// Reversed, the interval mirrors.
	r, _ := stats.DifferenceOf(50, 200, 12, 20)
	if !near(r.Estimate, -d.Estimate) || !near(r.Lower, -d.Upper) || !near(r.Upper, -d.Lower) {
		t.Errorf("reversed = %+v, want the mirror of %+v", r, d)
	}
	if _, ok := stats.DifferenceOf(1, 2, 0, 0); ok {
		t.Error("a difference with an empty cohort")
	}
}

// Two strata reweighted by hand. Reference cohort A: 30 known women, 10 known men
// (weights 30/40 = 0.75 and 10/40 = 0.25). Cohort B: women 6 of 10 known (0.6), men 9 of
// 30 (0.3); B's raw share is 15/40 = 0.375, low because B has mostly men.
//
//	adjusted  = 0.75 · 0.6 + 0.25 · 0.3 = 0.45 + 0.075 = 0.525
//	eff. n    = 1 / (0.75²/10 + 0.25²/30) = 1 / (0.05625 + 0.0020833) = 1 / 0.0583333 = 17.1428571
//	interval  = Wilson(0.525, 17.1428571): 1 + z²/n = 1.2240933; centre = (0.525 + 0.11204667)/1.2240933
//	          = 0.5204232793; half = 1.96/1.2240933 · sqrt(0.249375/17.1428571 + 3.8416/1175.5102)
//	          = 1.6011852 · sqrt(0.0145469 + 0.0032681) = 0.2137141448; [0.3067091346, 0.7341374240]
//
// A third stratum ("other") in which A has 5 known and B none is unmatched: it is
// reported, A's weights are taken over the 40 matched rows, and RefCovered is 40/45.
func TestStandardiseTwoStrataByHand(t *testing.T) {
	t.Parallel()
	s, ok := stats.Standardise([]stats.Stratum{
		{Key: "woman", RefKnown: 30, Known: 10, Count: 6},
		{Key: "other", RefKnown: 5},
		{Key: "man", RefKnown: 10, Known: 30, Count: 9},
	})
	if !ok {
		t.Fatal("no standardised share")
	}
	if !near(s.Share, 0.525) || !near(s.EffectiveN, 120.0/7) || !near(s.RefCovered, 40.0/45) {
		t.Errorf("share %v, effective n %v, covered %v; want 0.525, 17.142857, 0.888889", s.Share, s.EffectiveN, s.RefCovered)
	}
	if math.Abs(s.Interval.Lower-0.3067091346) > 1e-9 || math.Abs(s.Interval.Upper-0.7341374240) > 1e-9 {
		t.Errorf("interval %+v, want [0.3067091346, 0.7341374240]", s.Interval)
	}
	if len(s.Unmatched) != 1 || s.Unmatched[0].Key != "other" {
		t.Errorf("unmatched = %+v, want the stratum other", s.Unmatched)
	}
	// The same composition gives the raw share back: reweighting B to B changes nothing.
	same, _ := stats.Standardise([]stats.Stratum{{Key: "woman", RefKnown: 10, Known: 10, Count: 6}, {Key: "man", RefKnown: 30, Known: 30, Count: 9}})
	if !near(same.Share, 0.375) || !near(same.EffectiveN, 40) {
		t.Errorf("B to its own composition = %v (n %v), want the raw 0.375 (n 40)", same.Share, same.EffectiveN)
	}
	if _, ok := stats.Standardise([]stats.Stratum{{Key: "x", RefKnown: 3}, {Key: "y", Known: 2, Count: 1}}); ok {
		t.Error("no matched stratum gave a share")
	}
}

// Greenwood on the curve of outcomes' TestKaplanMeierByHand (durations 2, 3+, 3, 5, 5+,
// 8), z = 1.96, worked by hand:
//
//	t  n  d  S     V = Σ d/(n(n−d))          se = √V/|ln S|   employed 1 − S, 95 %
//	2  6  1  5/6   1/30       = 0.0333333    1.0013856        [0.0252866729, 0.7268899340]
//	3  5  1  2/3   + 1/20     = 0.0833333    0.7119605        [0.0955635063, 0.8053915308]
//	5  3  1  4/9   + 1/6      = 0.25         0.6165759        [0.2150874116, 0.9338172376]
//	8  1  1  0     (n = d: no term)                           undefined
//
// e.g. at t = 2: S^exp(1.96·1.0013856) = (5/6)^7.1174 = 0.2731100660 and
// (5/6)^(1/7.1174) = 0.9747133271, so 1 − S lies in [0.0252866729, 0.7268899340].
func TestGreenwoodByHand(t *testing.T) {
	t.Parallel()
	got := stats.Greenwood([]stats.KMStep{
		{AtRisk: 6, Events: 1, Survival: 5.0 / 6}, {AtRisk: 5, Events: 1, Survival: 2.0 / 3},
		{AtRisk: 3, Events: 1, Survival: 4.0 / 9}, {AtRisk: 1, Events: 1, Survival: 0},
	})
	want := []*stats.Interval{{Lower: 0.0252866729, Upper: 0.7268899340}, {Lower: 0.0955635063, Upper: 0.8053915308},
		{Lower: 0.2150874116, Upper: 0.9338172376}, nil}
	for i := range want {
		switch {
		case want[i] == nil && got[i] != nil:
			t.Errorf("step %d: %+v, want none", i, got[i])
		case want[i] != nil && (got[i] == nil || math.Abs(got[i].Lower-want[i].Lower) > 1e-9 || math.Abs(got[i].Upper-want[i].Upper) > 1e-9):
			t.Errorf("step %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Censoring only: S stays 1, no interval.
	if got := stats.Greenwood([]stats.KMStep{{AtRisk: 4, Survival: 1}}); got[0] != nil {
		t.Errorf("no event: %+v", got[0])
	}
}
