package analytics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// Kind names a definition.
type Kind string

// The definitions (DOMAIN.md, "Definitions used in reports" and "Official indicators").
const (
	// KindStatusAt: the status in calendar month exit + K is one of Statuses. Counts
	// only exits whose month exit + K has begun by the query's day (Today), as do
	// KindInWorkOrStudies and KindSelfSufficient (outcomes.Due).
	KindStatusAt Kind = "STATUS_AT"
	// KindInWorkOrStudies: outcomes.InWorkOrStudies at +K.
	KindInWorkOrStudies Kind = "IN_WORK_OR_STUDIES"
	// KindSelfSufficient: outcomes.SelfSufficient at +K.
	KindSelfSufficient Kind = "SELF_SUFFICIENT"
	// KindLasting: outcomes.Lasting with Definition.Lasting (nil: the default). Counts
	// only exits whose month exit + (largest horizon) has begun by the query's day.
	KindLasting Kind = "LASTING"
	// KindReturnedToSA12: outcomes.ReturnedToSocialAssistance.
	KindReturnedToSA12 Kind = "RETURNED_TO_SA_12"
	// KindReentry12: outcomes.ReEntryAsOf as of the month the warehouse was loaded in.
	KindReentry12 Kind = "REENTRY_12"
	// KindRepeatedEntry: outcomes.EntryNumber >= outcomes.RepeatedEntryWarning (always known).
	KindRepeatedEntry Kind = "REPEATED_ENTRY"
	// KindKoladaResultAtExit: outcomes.KoladaResultAtExit over the exits that are a
	// leaving; the others are not counted at all (not in n).
	KindKoladaResultAtExit Kind = "KOLADA_RESULT_AT_EXIT"
	// KindWIOAQ2 / KindWIOAQ4: employment in the 2nd / 4th quarter after the exit quarter,
	// per WIOA period of participation (UnitPeriodOfParticipation: spells joined across
	// gaps under 90 days, so one person may have several), cohort on the WIOA exit date; only exits
	// established by the query's day (outcomes.WIOAExit.EstablishedBy).
	KindWIOAQ2 Kind = "WIOA_Q2"
	KindWIOAQ4 Kind = "WIOA_Q4"
	// KindWIOAQ2PerPerson / KindWIOAQ4PerPerson: the per-person variant of our own (not
	// the publisher's): each person once per cohort (UnitPerson), with their latest
	// established WIOA exit whose exit date lies in the cohort period.
	KindWIOAQ2PerPerson Kind = "WIOA_Q2_PER_PERSON"
	KindWIOAQ4PerPerson Kind = "WIOA_Q4_PER_PERSON"
	// KindESFImmediate / KindESFSixMonth: the share of ESF records (UnitParticipation:
	// one person per operation, not enrolments) whose result within 4 weeks / at 6 months after leaving
	// is one of Results. Records with missing data count in the total only.
	KindESFImmediate Kind = "ESF_IMMEDIATE"
	KindESFSixMonth  Kind = "ESF_SIX_MONTH"
)

// Kinds lists every kind in a stable order.
var Kinds = []Kind{KindStatusAt, KindInWorkOrStudies, KindSelfSufficient, KindLasting, KindReturnedToSA12,
	KindReentry12, KindRepeatedEntry, KindKoladaResultAtExit, KindWIOAQ2, KindWIOAQ4, KindWIOAQ2PerPerson, KindWIOAQ4PerPerson,
	KindESFImmediate, KindESFSixMonth}

// DefaultESFImmediateResults are the immediate results that count by default: every
// positive one ESF defines that our data can produce (employed, in education or
// training, job searching).
var DefaultESFImmediateResults = []string{outcomes.ESFResultEmployed, outcomes.ESFInEducation, outcomes.ESFJobSearching}

// DefaultESFSixMonthResults are the 6-month results that count by default.
var DefaultESFSixMonthResults = []string{outcomes.ESFResultEmployed, outcomes.ESFImprovedSituation}

var esfImmediateValues = []string{outcomes.ESFResultEmployed, outcomes.ESFInEducation, outcomes.ESFJobSearching, outcomes.ESFNone}
var esfSixMonthValues = []string{outcomes.ESFResultEmployed, outcomes.ESFImprovedSituation, outcomes.ESFNone}

// Definition chooses what a figure counts.
//
// A parameter given to a kind that does not use it is refused (INVALID), never ignored.
type Definition struct {
	Kind Kind
	// K is the month after the exit month (0..snapshot.MonthsAfterExit) of STATUS_AT,
	// IN_WORK_OR_STUDIES and SELF_SUFFICIENT; part of their versions ("?k=6").
	K int
	// Statuses are the status codes that count for STATUS_AT (at least one; never
	// "unknown").
	Statuses []string
	// Lasting parameterises LASTING; nil is outcomes.DefaultLastingParams.
	Lasting *outcomes.LastingParams
	// Results are the ESF result values that count for ESF_IMMEDIATE / ESF_SIX_MONTH;
	// empty is DefaultESFImmediateResults / DefaultESFSixMonthResults.
	Results []string
}

// StatusAt is the STATUS_AT definition.
func StatusAt(k int, statuses ...string) Definition {
	return Definition{Kind: KindStatusAt, K: k, Statuses: statuses}
}

// InWorkOrStudiesAt is the IN_WORK_OR_STUDIES definition at +k.
func InWorkOrStudiesAt(k int) Definition { return Definition{Kind: KindInWorkOrStudies, K: k} }

// SelfSufficientAt is the SELF_SUFFICIENT definition at +k.
func SelfSufficientAt(k int) Definition { return Definition{Kind: KindSelfSufficient, K: k} }

// LastingAttachment is the LASTING definition; nil params are the default.
func LastingAttachment(p *outcomes.LastingParams) Definition {
	return Definition{Kind: KindLasting, Lasting: p}
}

// DueHorizon is the month after exit that must have begun for an exit to be in n of d
// (K for STATUS_AT, IN_WORK_OR_STUDIES and SELF_SUFFICIENT, the largest horizon for
// LASTING); ok is false for the kinds whose n does not wait for a month after exit.
func (d Definition) DueHorizon() (k int, ok bool) {
	switch d.Kind {
	case KindStatusAt, KindInWorkOrStudies, KindSelfSufficient:
		return d.K, true
	case KindLasting:
		p := outcomes.DefaultLastingParams()
		if d.Lasting != nil {
			p = *d.Lasting
		}
		if len(p.Horizons) == 0 {
			return 0, false // refused by compile
		}
		return slices.Max(p.Horizons), true
	}
	return 0, false
}

// EveryExitDue reports whether, on the day today, n of d is every exit of a cohort
// whose period ends before exitTo (outcomes.AllDue at d's DueHorizon). A reader who
// knows the calendar then knows a figure's n is the cohort's exits (the 2018 exits at
// +12 in 2020), so small-count protection must treat the two as one count.
func EveryExitDue(d Definition, exitTo, today time.Time) bool {
	k, ok := d.DueHorizon()
	return ok && outcomes.AllDue(exitTo, k, today)
}

// source says which rows a definition counts and which date its cohort is on.
type source int

const (
	sourceEnrolments source = iota // exited enrolments, cohort on exit_date
	sourceWIOA                     // wioa_exit = 1 rows, cohort on wioa_exit_date
	sourceESF                      // esf_last_spell = 1 rows of left records, cohort on exit_date
)

// compiled is a validated definition with what both the SQL and the oracle need.
type compiled struct {
	def      Definition
	version  string
	source   source
	statuses []string         // STATUS_AT, IN_WORK_OR_STUDIES: statuses that count
	lasting  outcomes.Lasting // LASTING
	results  []string         // ESF
	// perPerson keeps one row per person and cohort: the latest by the cohort's date.
	perPerson bool
}

// Version returns the definition's version string, or an error when it is invalid.
func (d Definition) Version() (string, error) {
	c, err := compile(d)
	return c.version, err
}

func validK(k int) error {
	if k < 0 || k > snapshot.MonthsAfterExit {
		return apperr.Invalidf("definition.monthsAfterExit", "months after exit must be 0..%d, got %d", snapshot.MonthsAfterExit, k)
	}
	return nil
}

// sortedUnique returns the distinct values of xs in order.
func sortedUnique(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// usesK, usesStatuses, usesLasting and usesResults say which parameters a kind reads.
func usesK(k Kind) bool {
	return k == KindStatusAt || k == KindInWorkOrStudies || k == KindSelfSufficient
}

func usesStatuses(k Kind) bool { return k == KindStatusAt }

func usesLasting(k Kind) bool { return k == KindLasting }

func usesResults(k Kind) bool { return k == KindESFImmediate || k == KindESFSixMonth }

// unusedParameters refuses a parameter given to a kind that does not read it.
func unusedParameters(d Definition) error {
	switch {
	case d.K != 0 && !usesK(d.Kind):
		return apperr.Invalidf("definition.monthsAfterExit", "%s has no months after exit", d.Kind)
	case len(d.Statuses) > 0 && !usesStatuses(d.Kind):
		return apperr.Invalidf("definition.statuses", "%s takes no statuses", d.Kind)
	case d.Lasting != nil && !usesLasting(d.Kind):
		return apperr.Invalidf("definition.horizons", "%s takes no lasting-attachment parameters", d.Kind)
	case len(d.Results) > 0 && !usesResults(d.Kind):
		return apperr.Invalidf("definition.esfResult", "%s takes no ESF results", d.Kind)
	}
	return nil
}

// withK is a version with the month after exit as its first parameter.
func withK(version string, k int) string { return version + "?k=" + strconv.Itoa(k) }

func compile(d Definition) (compiled, error) {
	c := compiled{def: d}
	if slices.Contains(Kinds, d.Kind) {
		if err := unusedParameters(d); err != nil {
			return c, err
		}
	}
	switch d.Kind {
	case KindStatusAt:
		if err := validK(d.K); err != nil {
			return c, err
		}
		if len(d.Statuses) == 0 {
			return c, apperr.Invalidf("definition.statuses", "STATUS_AT needs at least one status")
		}
		for _, s := range d.Statuses {
			if !outcomes.ValidStatus(s) || s == outcomes.StatusUnknown {
				return c, apperr.Invalidf("definition.statuses", "%q is not a status that can count", s)
			}
		}
		c.statuses = sortedUnique(d.Statuses)
		// The month and the status list are part of what the figure means, so they are
		// part of its label.
		c.version = withK(outcomes.StatusAfterExitVersion, d.K) + "&s=" + strings.Join(c.statuses, ",")
	case KindInWorkOrStudies:
		if err := validK(d.K); err != nil {
			return c, err
		}
		c.statuses = sortedUnique(outcomes.WorkOrStudiesSet.Statuses())
		c.version = withK(outcomes.InWorkOrStudiesVersion, d.K)
	case KindSelfSufficient:
		if err := validK(d.K); err != nil {
			return c, err
		}
		c.version = withK(outcomes.SelfSufficientVersion, d.K)
	case KindLasting:
		lp := outcomes.DefaultLastingParams()
		if d.Lasting != nil {
			lp = *d.Lasting
		}
		for _, k := range lp.Horizons {
			if k < 0 || k > snapshot.MonthsAfterExit {
				return c, apperr.Invalidf("definition.horizons", "horizon %d is not 0..%d, the months after exit the warehouse keeps", k, snapshot.MonthsAfterExit)
			}
		}
		l, err := outcomes.NewLasting(lp) // the horizons are checked above: what is left is a status
		if err != nil {
			return c, apperr.Invalidf("definition.statuses", "%s", err.Error())
		}
		c.lasting, c.version = l, l.Version()
	case KindReturnedToSA12:
		c.version = outcomes.ReturnedToSocialAssistanceVersion
	case KindReentry12:
		c.version = outcomes.ReEntryVersion
	case KindRepeatedEntry:
		c.version = outcomes.EntryNumberVersion + "?min=" + strconv.Itoa(outcomes.RepeatedEntryWarning)
	case KindKoladaResultAtExit:
		c.version = outcomes.KoladaVersion
	case KindWIOAQ2, KindWIOAQ4:
		c.source, c.version = sourceWIOA, outcomes.WIOAVersion
	case KindWIOAQ2PerPerson, KindWIOAQ4PerPerson:
		c.source, c.version, c.perPerson = sourceWIOA, outcomes.WIOAVersion+"?per=person", true
	case KindESFImmediate, KindESFSixMonth:
		c.source = sourceESF
		allowed, def, name := esfImmediateValues, DefaultESFImmediateResults, "immediate"
		if d.Kind == KindESFSixMonth {
			allowed, def, name = esfSixMonthValues, DefaultESFSixMonthResults, "six_month"
		}
		results := d.Results
		if len(results) == 0 {
			results = def
		}
		for _, r := range results {
			if !slices.Contains(allowed, r) {
				return c, apperr.Invalidf("definition.esfResult", "%q is not an ESF %s result", r, name)
			}
		}
		c.results = sortedUnique(results)
		c.version = outcomes.ESFVersion + "?" + name + "=" + strings.Join(c.results, ",")
	default:
		return c, apperr.Invalidf("definition.kind", "unknown definition %q", string(d.Kind))
	}
	// The warehouse stores statuses as codes; a status without one could never match.
	for _, s := range append(slices.Clone(c.statuses), c.lasting.Params().Statuses...) {
		if snapshot.StatusCode(s) == 0 {
			return c, fmt.Errorf("analytics: status %q has no code in snapshot.StatusCodes", s)
		}
	}
	return c, nil
}

// Params are a definition's parameters as a request gives them: nil (or a nil list)
// is "not given", which the struct Definition cannot tell from a zero. The API reads
// its OutcomeDefinitionInput into these and NewDefinition applies the parameter rules.
type Params struct {
	MonthsAfterExit           *int
	Statuses                  []string
	Horizons                  []int
	RequireNoSocialAssistance *bool
	Results                   []string
}

// NewDefinition builds the definition of kind from the parameters a request gave. It
// refuses what Definition cannot carry: a missing monthsAfterExit for the kinds at +k
// (0 is a month, so it is never assumed), and any parameter given to a kind that does
// not read it (it would otherwise be ignored silently). The errors name the request's
// fields (definition.monthsAfterExit, ...); the values are checked by compile, as for
// every Definition.
func NewDefinition(kind Kind, p Params) (Definition, error) {
	if !slices.Contains(Kinds, kind) {
		return Definition{}, apperr.Invalidf("definition.kind", "unknown definition %q", string(kind))
	}
	for _, q := range []struct {
		name       string
		given, use bool
	}{
		{"monthsAfterExit", p.MonthsAfterExit != nil, usesK(kind)},
		{"statuses", p.Statuses != nil, usesStatuses(kind) || usesLasting(kind)},
		{"horizons", p.Horizons != nil, usesLasting(kind)},
		{"requireNoSocialAssistance", p.RequireNoSocialAssistance != nil, usesLasting(kind)},
		{"esfResult", p.Results != nil, usesResults(kind)},
	} {
		if q.given && !q.use {
			return Definition{}, apperr.Invalidf("definition."+q.name, "%s does not take %s", kind, q.name)
		}
	}
	if usesK(kind) && p.MonthsAfterExit == nil {
		return Definition{}, apperr.Invalidf("definition.monthsAfterExit", "%s needs monthsAfterExit (0-%d)", kind, snapshot.MonthsAfterExit)
	}
	d := Definition{Kind: kind, Statuses: p.Statuses, Results: p.Results}
	if p.MonthsAfterExit != nil {
		d.K = *p.MonthsAfterExit
	}
	if usesLasting(kind) && (p.Horizons != nil || p.Statuses != nil || p.RequireNoSocialAssistance != nil) {
		lp := outcomes.DefaultLastingParams()
		if p.Horizons != nil {
			lp.Horizons = p.Horizons
		}
		if p.Statuses != nil {
			lp.Statuses = p.Statuses
		}
		if p.RequireNoSocialAssistance != nil {
			lp.RequireNoSocialAssistance = *p.RequireNoSocialAssistance
		}
		d.Lasting, d.Statuses = &lp, nil
	}
	return d, nil
}
