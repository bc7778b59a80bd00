package outcomes

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// LastingVersionBase is the rule version of lasting attachment; the full version of a
// definition adds its parameters (Lasting.Version), because the same rule with other
// horizons or statuses gives a different figure and must be labelled as such.
const LastingVersionBase = "lasting/1"

// DefaultLastingVersion is the version of DefaultLastingParams, the definition DOMAIN.md
// names as the default (fast förankring).
const DefaultLastingVersion = "lasting/1?h=6,12&s=studies,unsubsidised_employment_full,unsubsidised_employment_part&sa=1"

// LastingParams parameterise lasting attachment (fast förankring).
type LastingParams struct {
	Horizons                  []int    // months after the exit month; default 6, 12
	Statuses                  []string // statuses that count; default unsubsidised employment and studies
	RequireNoSocialAssistance bool     // also require sa == 0 at every horizon; default true
}

// DefaultLastingParams is DOMAIN.md's default: in unsubsidised employment or studies and
// not on social assistance at both +6 and +12.
func DefaultLastingParams() LastingParams {
	return LastingParams{
		Horizons:                  []int{6, 12},
		Statuses:                  []string{StatusUnsubsidisedFull, StatusUnsubsidisedPart, StatusStudies},
		RequireNoSocialAssistance: true,
	}
}

// Lasting is a validated, normalised lasting-attachment definition. Build it once with
// NewLasting and evaluate it per enrolment; its Version goes on every figure.
//
// lasting/1: an exited enrolment has lasting attachment when, at every horizon k, the
// status at +k is in Statuses and (if RequireNoSocialAssistance) sa at +k is 0.
// Known/unknown, the one rule: the result is known false as soon as any one condition
// at any one horizon is known to fail (a known status outside Statuses, or sa == 1 when
// required), whatever is unknown elsewhere, since nothing unknown can make it true; it
// is known true only when every condition at every horizon is known to hold; otherwise
// it is unknown. So "unknown at +6, employed at +12" is unknown, and "on social
// assistance at +6, unknown at +12" is known false. Running enrolments are unknown.
type Lasting struct {
	params  LastingParams
	version string
	set     map[string]bool
}

// DefaultLasting is the default definition (DefaultLastingVersion).
var DefaultLasting = mustLasting(DefaultLastingParams())

func mustLasting(lp LastingParams) Lasting {
	l, err := NewLasting(lp)
	if err != nil {
		panic(err)
	}
	return l
}

// NewLasting validates and normalises lp: empty Horizons or Statuses take the defaults;
// horizons are sorted ascending and statuses by name, duplicates dropped, so that equal
// definitions get equal versions. RequireNoSocialAssistance is taken as given (its zero
// value is false, which is a legitimate choice, not "default"). Horizons must be >= 0,
// statuses valid codes other than "unknown".
func NewLasting(lp LastingParams) (Lasting, error) {
	def := DefaultLastingParams()
	if len(lp.Horizons) == 0 {
		lp.Horizons = def.Horizons
	}
	if len(lp.Statuses) == 0 {
		lp.Statuses = def.Statuses
	}
	hs := map[int]bool{}
	var horizons []int
	for _, k := range lp.Horizons {
		if k < 0 {
			return Lasting{}, fmt.Errorf("lasting: horizon %d is before the exit month", k)
		}
		if !hs[k] {
			hs[k] = true
			horizons = append(horizons, k)
		}
	}
	sort.Ints(horizons)
	set := map[string]bool{}
	var statuses []string
	for _, s := range lp.Statuses {
		if !ValidStatus(s) || s == StatusUnknown {
			return Lasting{}, fmt.Errorf("lasting: %q is not a status that can count", s)
		}
		if !set[s] {
			set[s] = true
			statuses = append(statuses, s)
		}
	}
	sort.Strings(statuses)
	norm := LastingParams{Horizons: horizons, Statuses: statuses, RequireNoSocialAssistance: lp.RequireNoSocialAssistance}
	return Lasting{params: norm, version: lastingVersion(norm), set: set}, nil
}

func lastingVersion(lp LastingParams) string {
	hs := make([]string, len(lp.Horizons))
	for i, k := range lp.Horizons {
		hs[i] = strconv.Itoa(k)
	}
	sa := "0"
	if lp.RequireNoSocialAssistance {
		sa = "1"
	}
	// Written by hand rather than with url.Values.Encode so that the commas stay
	// readable on a dashboard.
	return LastingVersionBase + "?h=" + strings.Join(hs, ",") + "&s=" + strings.Join(lp.Statuses, ",") + "&sa=" + sa
}

// ParseLastingVersion reads a Lasting back from its version string, so that a figure's
// label is enough to recompute it.
func ParseLastingVersion(v string) (Lasting, error) {
	base, query, _ := strings.Cut(v, "?")
	if base != LastingVersionBase {
		return Lasting{}, fmt.Errorf("lasting: unsupported version %q", base)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Lasting{}, fmt.Errorf("lasting: %w", err)
	}
	var lp LastingParams
	for _, h := range strings.Split(q.Get("h"), ",") {
		k, err := strconv.Atoi(h)
		if err != nil {
			return Lasting{}, fmt.Errorf("lasting: horizon %q: %w", h, err)
		}
		lp.Horizons = append(lp.Horizons, k)
	}
	lp.Statuses = strings.Split(q.Get("s"), ",")
	switch q.Get("sa") {
	case "1":
		lp.RequireNoSocialAssistance = true
	case "0":
	default:
		return Lasting{}, fmt.Errorf("lasting: sa=%q", q.Get("sa"))
	}
	l, err := NewLasting(lp)
	if err == nil && l.version != v {
		err = fmt.Errorf("lasting: %q is not in normal form (%q)", v, l.version)
	}
	return l, err
}

// Version is the definition's full version, parameters included.
func (l Lasting) Version() string { return l.version }

// Params returns the normalised parameters.
func (l Lasting) Params() LastingParams {
	return LastingParams{
		Horizons:                  append([]int(nil), l.params.Horizons...),
		Statuses:                  append([]string(nil), l.params.Statuses...),
		RequireNoSocialAssistance: l.params.RequireNoSocialAssistance,
	}
}

// Eval computes lasting attachment for one enrolment (rules on Lasting).
func (l Lasting) Eval(p Person, e Enrolment) Fact {
	exit, ok := ExitMonth(e)
	if !ok {
		return Fact{}
	}
	h := historyOf(p)
	allKnown := true
	for _, k := range l.params.Horizons {
		st, sa := h.at(exit.AddDate(0, k, 0))
		stKnown, saKnown := st != StatusUnknown, sa != -1
		if stKnown && !l.set[st] {
			return Fact{Known: true}
		}
		if l.params.RequireNoSocialAssistance {
			if sa == 1 {
				return Fact{Known: true}
			}
			allKnown = allKnown && saKnown
		}
		allKnown = allKnown && stKnown
	}
	return Fact{Value: allKnown, Known: allKnown}
}
