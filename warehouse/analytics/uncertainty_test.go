package analytics

import (
	"math"
	"testing"

	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// An official indicator keeps its publisher's denominator beside the share over the
// known, worked by hand: 8 people left (n), one with an unknown exit reason (known 7),
// 4 went on to work or studies. Kolada divides by everyone who left: 4/8 = 0.5; the
// share over the known is 4/7; the bounds are 4/8 and (4 + 1)/8. Our own definitions
// carry no official share. The second cohort (3 of 6 known, n 6) gets its difference
// from the first: 0.5 − 4/7 with Newcombe's interval.
func TestOfficialShareKeepsItsDenominator(t *testing.T) {
	cohorts := []Cohort{{Label: "2018"}, {Label: "2019"}}
	tl := newTally(2)
	tl.add(0, nil, true, counts{n: 8, known: 7, count: 4})
	tl.add(1, nil, true, counts{n: 6, known: 6, count: 3})
	kolada, err := compile(Definition{Kind: KindKoladaResultAtExit})
	if err != nil {
		t.Fatal(err)
	}
	figs := assemble(cohorts, kolada, nil, tl, nil, nil)
	a := figs[0]
	if a.Unit != UnitExit || a.Official == nil || a.Official.Share != 0.5 || a.Official.Denominator == "" ||
		*a.Share != 4.0/7 || a.Bounds.IfNoneMet != 0.5 || a.Bounds.IfAllMet != 5.0/8 {
		t.Errorf("kolada: unit %s official %+v share %v bounds %+v", a.Unit, a.Official, *a.Share, a.Bounds)
	}
	if iv, _ := stats.Wilson(4, 7); a.Interval == nil || *a.Interval != iv {
		t.Errorf("kolada interval %+v, want Wilson(4, 7) %+v", a.Interval, iv)
	}
	want, _ := stats.DifferenceOf(3, 6, 4, 7)
	if d := figs[1].Difference; d == nil || d.From != "2018" || d.Difference != want || math.Abs(d.Estimate-(0.5-4.0/7)) > 1e-15 {
		t.Errorf("difference of 2019 = %+v, want %+v from 2018", d, want)
	}
	if figs[0].Difference != nil {
		t.Error("the first cohort has a difference from itself")
	}
	for kind, unit := range map[Kind]Unit{KindWIOAQ2: UnitPeriodOfParticipation, KindESFSixMonth: UnitParticipation, KindInWorkOrStudies: UnitExit} {
		def := Definition{Kind: kind}
		if kind == KindInWorkOrStudies {
			def.K = 6
		}
		c, err := compile(def)
		if err != nil {
			t.Fatal(err)
		}
		f := assemble(cohorts, c, nil, tl, nil, nil)[0]
		if f.Unit != unit || (f.Official != nil) != (kind != KindInWorkOrStudies) {
			t.Errorf("%s: unit %s, official %+v", kind, f.Unit, f.Official)
		}
	}
	// Nothing known: no share, no interval; bounds 0 and 1.
	empty := newTally(1)
	empty.add(0, nil, true, counts{n: 3})
	f := assemble(cohorts[:1], kolada, nil, empty, nil, nil)[0]
	if f.Share != nil || f.Interval != nil || f.Bounds == nil || f.Bounds.IfNoneMet != 0 || f.Bounds.IfAllMet != 1 || f.Official.Share != 0 {
		t.Errorf("nothing known: %+v", f)
	}
}
