// Package eligibility evaluates the rules a measure decision must meet (DOMAIN.md):
// the extra-job rule, the age rules of supported employment and Ung intro, and the
// summer-job guarantee for year 9 and SPRINT pupils. It is pure: the caller supplies
// the participant's facts as they stood on the decision date.
package eligibility

import (
	"fmt"
	"time"
)

// Rule names, as stored on measure_type.eligibility_rule.
const (
	None                = "none"
	ExtraJob            = "extra_job"
	SupportedEmployment = "supported_employment"
	UngIntro            = "ung_intro"
	SummerJob           = "summer_job"
)

// Rules lists every rule Evaluate knows, the one list a measure's rule is checked
// against (organisation.MeasureTypeInput) and that the database's CHECK on
// measure_type.eligibility_rule and the GraphQL enum EligibilityRule must equal
// (graph TestEveryStoredEnumIsOneList).
var Rules = []string{None, ExtraJob, SupportedEmployment, UngIntro, SummerJob}

// Result is the outcome of checking one decision.
type Result struct {
	// ParticipantID is whose decision was checked (set by the store that read their
	// facts; Evaluate leaves it empty).
	ParticipantID string
	Rule          string
	Eligible      bool
	Basis         []string // conditions met, e.g. GUARANTEE_450_DAYS
	Reasons       []string // unmet conditions, in words, when not eligible
}

// Facts are what the rules look at, as they stood on the decision date. Nil means not
// recorded, which never satisfies a condition.
type Facts struct {
	BirthDate           time.Time
	RegisteredAtAf      *bool
	GuaranteeDays       *int
	NewlyArrived        *bool
	IntroductionPlan    *bool
	ResidencePermitDate *time.Time
	ResidencePermitKind *string
	SchoolProgramme     *string
}

// Basis codes: the conditions a decision met.
const (
	RegisteredAtAfBasis    = "REGISTERED_AT_AF"
	Guarantee450DaysBasis  = "GUARANTEE_450_DAYS"
	IntroductionPlanBasis  = "NEWLY_ARRIVED_INTRODUCTION_PLAN"
	EuEeaFamilyPermitBasis = "EU_EEA_FAMILY_PERMIT_36_MONTHS"
	Age20To29Basis         = "AGE_20_29"
	AgeUpTo29Basis         = "AGE_UP_TO_29"
	Year9Basis             = "YEAR_9"
	SprintBasis            = "SPRINT"
)

// The thresholds and codes of the rules (DOMAIN.md, "Measures").
const (
	guaranteeDaysRequired     = 450
	permitMonths              = 36
	supportedEmploymentMinAge = 20
	ungIntroMinAge            = 16
	youngMaxAge               = 29
)

// The participant attribute values the rules read. participant's lists of accepted
// values name these constants, so a value a rule waits for is always one a caseworker
// can record.
const (
	EUEEAFamilyMemberPermit = "family_member_eu_eea" // residence_permit_kind
	SchoolProgrammeYear9    = "year_9"               // school_programme
	SchoolProgrammeSprint   = "sprint"               // school_programme
)

// Evaluate checks a decision taken on the decision date against rule. Only the calendar
// dates of decision and of the facts count, not the time of day.
func Evaluate(rule string, f Facts, decision time.Time) Result {
	res := Result{Rule: rule, Basis: []string{}, Reasons: []string{}}
	switch rule {
	case None, "":
		res.Rule = None
		res.Eligible = true
	case ExtraJob:
		extraJob(&res, f, day(decision))
	case SupportedEmployment:
		ageRule(&res, f, day(decision), supportedEmploymentMinAge, Age20To29Basis, "supported employment is for ages 20-29")
	case UngIntro:
		ageRule(&res, f, day(decision), ungIntroMinAge, AgeUpTo29Basis, "Ung intro is for ages 16-29")
	case SummerJob:
		summerJob(&res, f)
	default:
		res.Reasons = append(res.Reasons, "unknown eligibility rule")
	}
	return res
}

// extraJob: unemployed and registered at AF, and at least one of (a) 450 guarantee days,
// (b) newly arrived with a current or past introduction plan, (c) newly arrived with a
// residence permit or card as a family member of an EU/EEA citizen got within the 36
// months before the decision.
func extraJob(res *Result, f Facts, decision time.Time) {
	registered := isTrue(f.RegisteredAtAf)
	if registered {
		res.Basis = append(res.Basis, RegisteredAtAfBasis)
	}
	a, aWhy := guaranteeDays(f)
	b, bWhy := introductionPlan(f)
	c, cWhy := euEeaFamilyPermit(f, decision)
	for _, met := range []struct {
		ok    bool
		basis string
	}{{a, Guarantee450DaysBasis}, {b, IntroductionPlanBasis}, {c, EuEeaFamilyPermitBasis}} {
		if met.ok {
			res.Basis = append(res.Basis, met.basis)
		}
	}
	res.Eligible = registered && (a || b || c)
	if res.Eligible {
		return
	}
	if !registered {
		res.Reasons = append(res.Reasons, registrationReason(f.RegisteredAtAf))
	}
	if !a && !b && !c {
		res.Reasons = append(res.Reasons, aWhy, bWhy, cWhy)
	}
}

func registrationReason(v *bool) string {
	if v == nil {
		return "registration as unemployed at Arbetsförmedlingen not recorded"
	}
	return "not registered as unemployed at Arbetsförmedlingen"
}

func guaranteeDays(f Facts) (bool, string) {
	switch {
	case f.GuaranteeDays == nil:
		return false, "days in the job and development guarantee not recorded"
	case *f.GuaranteeDays < guaranteeDaysRequired:
		return false, fmt.Sprintf("fewer than %d days in the job and development guarantee (has %d)", guaranteeDaysRequired, *f.GuaranteeDays)
	}
	return true, ""
}

func introductionPlan(f Facts) (bool, string) {
	const unmet = "not newly arrived with a current or past introduction plan"
	switch {
	case f.NewlyArrived == nil:
		return false, unmet + " (newly arrived not recorded)"
	case !*f.NewlyArrived:
		return false, unmet + " (not newly arrived)"
	case f.IntroductionPlan == nil:
		return false, unmet + " (introduction plan not recorded)"
	case !*f.IntroductionPlan:
		return false, unmet + " (no introduction plan)"
	}
	return true, ""
}

func euEeaFamilyPermit(f Facts, decision time.Time) (bool, string) {
	const unmet = "not newly arrived with a residence permit or card as a family member of an EU/EEA citizen from the 36 months before the decision"
	switch {
	case f.NewlyArrived == nil:
		return false, unmet + " (newly arrived not recorded)"
	case !*f.NewlyArrived:
		return false, unmet + " (not newly arrived)"
	case f.ResidencePermitKind == nil:
		return false, unmet + " (residence permit kind not recorded)"
	case *f.ResidencePermitKind != EUEEAFamilyMemberPermit:
		return false, unmet + " (the residence permit is of another kind)"
	case f.ResidencePermitDate == nil:
		return false, unmet + " (residence permit date not recorded)"
	}
	permit := day(*f.ResidencePermitDate)
	switch {
	case permit.After(decision):
		return false, unmet + " (the permit is dated after the decision)"
	case permit.Before(monthsBefore(decision, permitMonths)):
		return false, unmet + " (the permit is older than 36 months)"
	}
	return true, ""
}

// ageRule: age at the decision date between minAge and 29 inclusive.
func ageRule(res *Result, f Facts, decision time.Time, minAge int, basis, rule string) {
	if f.BirthDate.IsZero() {
		res.Reasons = append(res.Reasons, "birth date not recorded")
		return
	}
	age := Age(f.BirthDate, decision)
	if age < minAge || age > youngMaxAge {
		res.Reasons = append(res.Reasons, fmt.Sprintf("aged %d at the decision date; %s", age, rule))
		return
	}
	res.Eligible = true
	res.Basis = append(res.Basis, basis)
}

// summerJob: pupils in year 9 and in the language-introduction programme SPRINT are
// guaranteed a summer job; others may get one only by override.
func summerJob(res *Result, f Facts) {
	switch {
	case f.SchoolProgramme == nil:
		res.Reasons = append(res.Reasons, "school programme not recorded")
	case *f.SchoolProgramme == SchoolProgrammeYear9:
		res.Eligible, res.Basis = true, append(res.Basis, Year9Basis)
	case *f.SchoolProgramme == SchoolProgrammeSprint:
		res.Eligible, res.Basis = true, append(res.Basis, SprintBasis)
	default:
		res.Reasons = append(res.Reasons, "not in year 9 or SPRINT, the pupils guaranteed a summer job")
	}
}

// Age is the age in whole years on day. Someone born on 29 February becomes a year
// older on 1 March in common years: the birthday has passed only once the calendar is
// beyond 28 February.
func Age(birth, on time.Time) int {
	by, bm, bd := birth.Date()
	y, m, d := on.Date()
	age := y - by
	if m < bm || (m == bm && d < bd) {
		age--
	}
	return age
}

func isTrue(v *bool) bool { return v != nil && *v }

// day is t's calendar date at midnight UTC, so that comparisons ignore the time of day.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// monthsBefore is the same day n months earlier, clamped to the month's last day
// (29 February 2020 less 36 months is 28 February 2017, where AddDate would roll over to
// 1 March and wrongly shut out a permit of 28 February).
func monthsBefore(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}
