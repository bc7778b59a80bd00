package cohort_test

import (
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

func share(ws, known int) *float64 {
	if known == 0 {
		return nil
	}
	s := float64(ws) / float64(known)
	return &s
}

func TestShowSuppressesSmallCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		n, known, ws     int
		want             cohort.Display
		wantSuppressed   bool
		wantShareVisible bool
	}{
		{"LargeCountsShown", 59, 48, 9, cohort.Display{N: "59", Known: "48", Unknown: "11", InWorkOrStudies: "9", Share: "18.8 %"}, false, true},
		{"SmallN", 3, 3, 1, cohort.Display{N: "< 5", Known: "< 5", Unknown: "< 5", InWorkOrStudies: "< 5", Share: "–"}, true, false},
		{"SmallWorkCount", 40, 30, 2, cohort.Display{N: "40", Known: "30", Unknown: "10", InWorkOrStudies: "< 5", Share: "–"}, true, false},
		{"SmallComplementOfWork", 40, 30, 27, cohort.Display{N: "40", Known: "30", Unknown: "10", InWorkOrStudies: "< 5", Share: "–"}, true, false},
		{"SmallUnknownHidesKnown", 40, 38, 10, cohort.Display{N: "40", Known: "< 5", Unknown: "< 5", InWorkOrStudies: "< 5", Share: "–"}, true, false},
		{"ZeroIsNotSmall", 10, 10, 0, cohort.Display{N: "10", Known: "10", Unknown: "0", InWorkOrStudies: "0", Share: "0.0 %"}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := cohort.Figure{MonthsAfterExit: 6, N: tc.n, Known: tc.known, Unknown: tc.n - tc.known, InWorkOrStudies: tc.ws, Share: share(tc.ws, tc.known)}
			got := cohort.Show(f, true)
			if got.Display != tc.want {
				t.Errorf("display = %+v, want %+v", got.Display, tc.want)
			}
			if got.Suppressed != tc.wantSuppressed || (got.Share != nil) != tc.wantShareVisible {
				t.Errorf("suppressed = %v, share = %v", got.Suppressed, got.Share)
			}
			if got.Display.N == cohort.SmallCountText && got.N != nil {
				t.Error("hidden n still has a value")
			}
			open := cohort.Show(f, false)
			if open.Suppressed || open.N == nil || *open.N != tc.n || *open.InWorkOrStudies != tc.ws {
				t.Errorf("without suppression: %+v", open)
			}
		})
	}
}

// The interval goes with the share and the bounds with the counts: a steering reader
// who may not see a count sees neither.
func TestShowHidesUncertaintyWithItsCounts(t *testing.T) {
	t.Parallel()
	iv, b := &stats.Interval{Lower: 0.1, Upper: 0.3}, &stats.Bounds{IfNoneMet: 0.15, IfAllMet: 0.34}
	shown := cohort.Figure{N: 59, Known: 48, Unknown: 11, InWorkOrStudies: 9, Share: share(9, 48), Interval: iv, Bounds: b}
	if s := cohort.Show(shown, true); s.Interval != iv || s.Bounds != b {
		t.Errorf("large counts: interval %v bounds %v, want both shown", s.Interval, s.Bounds)
	}
	small := cohort.Figure{N: 40, Known: 30, Unknown: 10, InWorkOrStudies: 2, Share: share(2, 30), Interval: iv, Bounds: b}
	if s := cohort.Show(small, true); s.Interval != nil || s.Bounds != nil {
		t.Errorf("2 in work or studies: interval %v bounds %v, want both hidden", s.Interval, s.Bounds)
	}
	if s := cohort.Show(small, false); s.Interval != iv || s.Bounds != b {
		t.Errorf("a caseworker sees interval %v bounds %v, want both", s.Interval, s.Bounds)
	}
}
