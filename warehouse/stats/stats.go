// Package stats holds the uncertainty arithmetic of every share the system serves,
// written once so that the evaluators' figures, exitCohortOutcome and the steering
// report compute it the same way (DOMAIN.md, "Disclosure control and uncertainty"):
//
//   - Wilson: the 95 % Wilson score interval of a share (z = 1.96), which behaves well
//     for small n and for shares near 0 or 1, where the textbook interval does not;
//   - MissingBounds: what the unknowns could do to a share (the share of all n if no
//     unknown met the definition, and if every unknown did);
//   - Newcombe: the difference of two independent shares with its 95 % interval, from
//     the two Wilson intervals (Newcombe's hybrid score method, his method 10);
//   - Standardise: direct standardisation of one cohort's share to another cohort's
//     composition over strata, with its effective n and an interval.
//
// Everything here is descriptive. A standardised comparison removes the difference in
// composition over the strata chosen and nothing else: it is not a causal effect.
// Pure functions of integer counts: no database, no clock, no randomness, so ClickHouse's
// figures and the PostgreSQL oracle's, computed from equal counts, are bit for bit equal.
package stats

import (
	"math"
	"sort"
)

// Z is the standard normal quantile of the 95 % intervals: 1.96, as DOMAIN.md and
// official statistics state it (the exact 1.959964 would differ only in the 5th decimal).
const Z = 1.96

// Interval is a 95 % confidence interval of a share, 0 <= Lower <= Upper <= 1 (or of a
// difference of shares, -1 <= Lower <= Upper <= 1).
type Interval struct {
	Lower, Upper float64
}

// Wilson is the 95 % Wilson score interval of count successes out of n:
//
//	centre = (p + z²/2n) / (1 + z²/n)
//	half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
//
// with p = count/n. ok is false when n is 0 (no share, no interval). The bounds are
// clamped to [0, 1] against rounding: at count = n the upper bound is 1 exactly.
func Wilson(count, n int) (Interval, bool) {
	if n <= 0 || count < 0 || count > n {
		return Interval{}, false
	}
	return WilsonShare(float64(count)/float64(n), float64(n))
}

// WilsonShare is the Wilson interval of a share p estimated from n observations, n
// real: the effective n of a weighted share (Standardise) is not a whole number. ok is
// false unless n > 0 and 0 <= p <= 1.
func WilsonShare(p, n float64) (Interval, bool) {
	if !(n > 0) || p < 0 || p > 1 || math.IsNaN(p) {
		return Interval{}, false
	}
	z2 := Z * Z
	d := 1 + z2/n
	centre := (p + z2/(2*n)) / d
	half := Z / d * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return Interval{Lower: clamp(centre-half, 0, 1), Upper: clamp(centre+half, 0, 1)}, true
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// Bounds are the missing-data bounds of a share over all n of a figure: IfNoneMet is
// count / n (no unknown met the definition), IfAllMet is (count + unknown) / n (every
// unknown did). The true share of the n lies between them whatever the unknowns were;
// the share over the known lies between them too.
type Bounds struct {
	IfNoneMet, IfAllMet float64
}

// MissingBounds returns the bounds of a figure with n rows, known of them known and
// count of those meeting the definition; ok is false when n is 0.
func MissingBounds(count, known, n int) (Bounds, bool) {
	if n <= 0 || known < 0 || known > n || count < 0 || count > known {
		return Bounds{}, false
	}
	unknown := n - known
	return Bounds{IfNoneMet: float64(count) / float64(n), IfAllMet: float64(count+unknown) / float64(n)}, true
}

// Difference is a difference of two shares, A − B, with its 95 % interval.
type Difference struct {
	Estimate float64
	Interval
}

// Newcombe is the difference pA − pB of two independent shares with the 95 % interval of
// Newcombe's hybrid score method from their Wilson intervals iA and iB:
//
//	lower = d − sqrt((pA − lA)² + (uB − pB)²)
//	upper = d + sqrt((uA − pA)² + (pB − lB)²)
//
// It inherits the Wilson interval's good behaviour for small n and shares near 0 or 1.
func Newcombe(pA float64, iA Interval, pB float64, iB Interval) Difference {
	d := pA - pB
	lo := d - math.Sqrt(sq(pA-iA.Lower)+sq(iB.Upper-pB))
	hi := d + math.Sqrt(sq(iA.Upper-pA)+sq(pB-iB.Lower))
	return Difference{Estimate: d, Interval: Interval{Lower: clamp(lo, -1, 1), Upper: clamp(hi, -1, 1)}}
}

// DifferenceOf is Newcombe over counts: (countA/nA) − (countB/nB); ok is false when
// either n is 0.
func DifferenceOf(countA, nA, countB, nB int) (Difference, bool) {
	iA, okA := Wilson(countA, nA)
	iB, okB := Wilson(countB, nB)
	if !okA || !okB {
		return Difference{}, false
	}
	return Newcombe(float64(countA)/float64(nA), iA, float64(countB)/float64(nB), iB), true
}

func sq(x float64) float64 { return x * x }

// Stratum is one stratum (one combination of characteristics) of a standardisation:
// the reference cohort's count in it, which gives the weight, and the reweighted
// cohort's known rows and those of them meeting the definition.
type Stratum struct {
	Key      string // the stratum's values, for reporting
	RefKnown int    // reference cohort: rows with a known fact (the share's denominator)
	Known    int    // reweighted cohort: rows with a known fact
	Count    int    // reweighted cohort: of Known, meeting the definition
}

// Standardised is a share reweighted to a reference cohort's composition.
type Standardised struct {
	Share      float64  // Σ w_s · Count_s/Known_s over the matched strata
	Interval   Interval // Wilson at (Share, EffectiveN)
	EffectiveN float64  // Kish: 1 / Σ (w_s² / Known_s)
	// RefCovered is the share of the reference cohort's known rows that lie in matched
	// strata: 1 when every stratum of the reference has a counterpart.
	RefCovered float64
	// Unmatched are the strata with no counterpart, in key order: the reference has
	// known rows there and the reweighted cohort none (the reference's rows there carry
	// no weight), or the reverse (the reweighted cohort's rows there are not used).
	Unmatched []Stratum
}

// Standardise is direct standardisation: the reweighted cohort's share had its known
// rows been distributed over the strata as the reference cohort's known rows are.
// Strata where both have known rows are matched; the weights w_s = RefKnown_s / Σ
// RefKnown over the matched strata (so they sum to 1); the share Σ w_s·p_s; the
// effective n is Kish's for a weighted sample in which each known row of stratum s
// weighs w_s / Known_s, which is 1 / Σ w_s²/Known_s; the interval is Wilson's at that
// share and effective n. Unmatched strata are reported, never silently dropped. ok is
// false when no stratum is matched.
func Standardise(strata []Stratum) (Standardised, bool) {
	var out Standardised
	refTotal, refMatched := 0, 0
	for _, s := range strata {
		refTotal += s.RefKnown
		switch {
		case s.RefKnown > 0 && s.Known > 0:
			refMatched += s.RefKnown
		case s.RefKnown > 0 || s.Known > 0:
			out.Unmatched = append(out.Unmatched, s)
		}
	}
	sort.Slice(out.Unmatched, func(i, j int) bool { return out.Unmatched[i].Key < out.Unmatched[j].Key })
	if refMatched == 0 {
		return out, false
	}
	// Sum in key order, so that the floating-point result does not depend on the order
	// the strata came in.
	matched := make([]Stratum, 0, len(strata))
	for _, s := range strata {
		if s.RefKnown > 0 && s.Known > 0 {
			matched = append(matched, s)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Key < matched[j].Key })
	var share, invN float64
	for _, s := range matched {
		w := float64(s.RefKnown) / float64(refMatched)
		share += w * float64(s.Count) / float64(s.Known)
		invN += w * w / float64(s.Known)
	}
	out.Share = clamp(share, 0, 1)
	out.EffectiveN = 1 / invN
	out.RefCovered = float64(refMatched) / float64(refTotal)
	out.Interval, _ = WilsonShare(out.Share, out.EffectiveN)
	return out, true
}

// KMStep is one time of a Kaplan–Meier curve: the subjects at risk, the events, and the
// survival estimate after them.
type KMStep struct {
	AtRisk, Events int
	Survival       float64
}

// Greenwood returns, for each step of a Kaplan–Meier curve, the 95 % interval of the
// share who have had the event by then (1 − S), the counterpart of Wilson's for a curve
// with censoring: Greenwood's variance V = Σ d/(n(n−d)) over the steps so far, on the
// log(−log S) scale (Kalbfleisch and Prentice), which keeps the interval inside [0, 1]:
//
//	se = sqrt(V) / |log S|;  S from S^exp(z·se) to S^exp(−z·se);  1 − S the other way round.
//
// nil where it is undefined: before the first event (S = 1) and once S = 0.
func Greenwood(steps []KMStep) []*Interval {
	out := make([]*Interval, len(steps))
	v := 0.0
	for i, s := range steps {
		if s.AtRisk > s.Events && s.Events > 0 {
			v += float64(s.Events) / (float64(s.AtRisk) * float64(s.AtRisk-s.Events))
		}
		if !(s.Survival > 0 && s.Survival < 1) {
			continue
		}
		logS := math.Log(s.Survival)
		se := math.Sqrt(v) / math.Abs(logS)
		lowS, highS := math.Pow(s.Survival, math.Exp(Z*se)), math.Pow(s.Survival, math.Exp(-Z*se))
		out[i] = &Interval{Lower: clamp(1-highS, 0, 1), Upper: clamp(1-lowS, 0, 1)}
	}
	return out
}
