package analytics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/stats"
)

// Unit is the counting unit of a figure: what one row of its n is.
type Unit string

// The counting units. Each definition has exactly one (unitOf), named in the schema and
// in docs/INDICATORS.md.
const (
	// UnitExit is one exited enrolment (avslut): a person who leaves twice counts twice.
	UnitExit Unit = "EXIT"
	// UnitPeriodOfParticipation is one WIOA period of participation: a person's
	// enrolments joined while less than 90 days without service lie between them, so two
	// exits 47 days apart are one period and two exits 121 days apart are two.
	UnitPeriodOfParticipation Unit = "PERIOD_OF_PARTICIPATION"
	// UnitParticipation is one ESF participation record: one person in one operation
	// (measure), however many spells.
	UnitParticipation Unit = "PARTICIPATION"
	// UnitPerson is one person per cohort (the per-person WIOA variant).
	UnitPerson Unit = "PERSON"
)

// Official is an official indicator's share as its publisher computes it.
type Official struct {
	Share float64 // Count / N
	// Denominator says what the publisher divides by, e.g. "everyone who left (n)".
	Denominator string
}

// Difference is a difference of shares, this cohort's minus the reference cohort's.
type Difference struct {
	From string // the reference cohort's label
	stats.Difference
}

// Standardised is a cohort's share reweighted to the reference cohort's composition
// over the strata dimensions (direct standardisation). Descriptive, not causal: it
// removes the difference in composition over these characteristics, nothing else.
type Standardised struct {
	To         string      // the reference cohort's label (the first cohort)
	By         []Dimension // the strata dimensions
	Share      float64
	Interval   stats.Interval // Wilson at Share and EffectiveN
	EffectiveN float64
	// RefCovered is the share of the reference's known rows in strata this cohort also
	// has: 1 when every stratum matched.
	RefCovered float64
	// Difference is Share minus the reference's share, with its 95 % interval.
	Difference *Difference
	// Unmatched are the strata with no counterpart (reported, never dropped silently).
	Unmatched []UnmatchedStratum
}

// UnmatchedStratum is a stratum only one of the two cohorts has known rows in.
type UnmatchedStratum struct {
	Group    []GroupValue
	RefKnown int // the reference cohort's known rows in it
	Known    int // this cohort's known rows in it
}

// StrataDimensions are the characteristics a cohort can be standardised over.
var StrataDimensions = []Dimension{DimGender, DimAgeBand, DimEducationLevel, DimDistanceCategory, DimNewlyArrived, DimBirthRegion}

// StandardiseBy asks Figures (and Oracle.Figures) to reweight every cohort after the
// first to the first cohort's composition over the given dimensions (any of
// StrataDimensions; at least one, each once). The strata are the combinations of their
// values among the known rows; ESF records with missing data, which never appear in a
// group, are not stratified either.
func StandardiseBy(dims ...Dimension) Option {
	return func(s *settings) { s.strata = slices.Clone(dims) }
}

func validateStrata(dims []Dimension) error {
	for i, d := range dims {
		if !slices.Contains(StrataDimensions, d) {
			return apperr.Invalidf(fmt.Sprintf("standardiseBy[%d]", i), "cannot standardise over %q: use %v", string(d), StrataDimensions)
		}
		if slices.Contains(dims[:i], d) {
			return apperr.Invalidf(fmt.Sprintf("standardiseBy[%d]", i), "dimension %s given twice", d)
		}
	}
	return nil
}

// unit is the counting unit of a definition's rows.
func (c compiled) unit() Unit {
	if c.perPerson {
		return UnitPerson
	}
	switch c.source {
	case sourceWIOA:
		return UnitPeriodOfParticipation
	case sourceESF:
		return UnitParticipation
	}
	return UnitExit
}

// officialDenominator is what the publisher of an official indicator divides by; ""
// for our own definitions, whose share is over the known.
func (c compiled) officialDenominator() string {
	switch c.def.Kind {
	case KindKoladaResultAtExit:
		return "everyone who left a municipal labour-market measure (n); an unknown result counts as not work or studies"
	case KindWIOAQ2, KindWIOAQ4:
		return "every exit (period of participation) in the cohort (n); no record of unsubsidised work in the quarter counts as not employed"
	case KindWIOAQ2PerPerson, KindWIOAQ4PerPerson:
		return "" // our own variant: no publisher's share
	case KindESFImmediate, KindESFSixMonth:
		return "every participation that left (n); a missing result counts as not achieved"
	}
	return ""
}

// assemble turns the tallies into figures with their uncertainty: Wilson intervals,
// missing-data bounds, official shares, differences from the first cohort, and, with
// strata, the standardised shares. Both Figures and Oracle.Figures end here.
func assemble(cohorts []Cohort, c compiled, by []Dimension, t *tally, strataBy []Dimension, strata *tally) []Figure {
	figs := t.figures(cohorts, by, c.version)
	denominator := c.officialDenominator()
	for i := range figs {
		f := &figs[i]
		f.Unit = c.unit()
		if iv, ok := stats.Wilson(f.Count, f.Known); ok {
			f.Interval = &iv
		}
		if b, ok := stats.MissingBounds(f.Count, f.Known, f.N); ok {
			f.Bounds = &b
			if denominator != "" {
				f.Official = &Official{Share: b.IfNoneMet, Denominator: denominator}
			}
		}
	}
	// The first cohort's figures by group key, for the differences.
	ref := map[string]Figure{}
	for _, f := range figs {
		if f.Cohort == cohorts[0].Label {
			ref[groupKey(f.Group)] = f
		}
	}
	for i := range figs {
		f := &figs[i]
		if f.Cohort == cohorts[0].Label {
			continue
		}
		if r, ok := ref[groupKey(f.Group)]; ok {
			if d, ok := stats.DifferenceOf(f.Count, f.Known, r.Count, r.Known); ok {
				f.Difference = &Difference{From: r.Cohort, Difference: d}
			}
		}
		if strata != nil && f.Group == nil {
			f.Standardised = standardise(cohorts, cohortIndex(cohorts, f.Cohort), strataBy, strata, ref[""])
		}
	}
	return figs
}

func cohortIndex(cohorts []Cohort, label string) int {
	for i, c := range cohorts {
		if c.Label == label {
			return i
		}
	}
	return -1
}

func groupKey(g []GroupValue) string {
	values := make([]string, len(g))
	for i, v := range g {
		values[i] = v.Value
	}
	return strings.Join(values, groupSep)
}

// standardise reweights cohort ci to cohort 0's composition over the strata tally; nil
// when no stratum matches.
func standardise(cohorts []Cohort, ci int, by []Dimension, strata *tally, ref Figure) *Standardised {
	keys := map[string]bool{}
	for k := range strata.groups[0] {
		keys[k] = true
	}
	for k := range strata.groups[ci] {
		keys[k] = true
	}
	var ss []stats.Stratum
	for k := range keys {
		s := stats.Stratum{Key: k}
		if r := strata.groups[0][k]; r != nil {
			s.RefKnown = r.known
		}
		if g := strata.groups[ci][k]; g != nil {
			s.Known, s.Count = g.known, g.count
		}
		ss = append(ss, s)
	}
	st, ok := stats.Standardise(ss)
	if !ok {
		return nil
	}
	out := &Standardised{To: cohorts[0].Label, By: slices.Clone(by), Share: st.Share, Interval: st.Interval,
		EffectiveN: st.EffectiveN, RefCovered: st.RefCovered, Unmatched: []UnmatchedStratum{}}
	for _, u := range st.Unmatched {
		out.Unmatched = append(out.Unmatched, UnmatchedStratum{Group: groupOf(by, u.Key), RefKnown: u.RefKnown, Known: u.Known})
	}
	if ref.Share != nil && ref.Interval != nil {
		d := stats.Newcombe(st.Share, st.Interval, *ref.Share, *ref.Interval)
		out.Difference = &Difference{From: ref.Cohort, Difference: d}
	}
	return out
}
