// Package eligibility evaluates the rules a measure decision must meet (DOMAIN.md):
// the extra-job rule, the age rules of supported employment and Ung intro, and the
// summer-job guarantee for year 9 and SPRINT pupils. It is pure: the caller supplies
// the participant's facts as they stood on the decision date.
package eligibility

import "time"

// Rule names, as stored on measure_type.eligibility_rule.
const (
	None                = "none"
	ExtraJob            = "extra_job"
	SupportedEmployment = "supported_employment"
	UngIntro            = "ung_intro"
	SummerJob           = "summer_job"
)

// Result is the outcome of checking one decision.
type Result struct {
	Rule     string
	Eligible bool
	Basis    []string // conditions met, e.g. GUARANTEE_450_DAYS
	Reasons  []string // unmet conditions, in words, when not eligible
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
