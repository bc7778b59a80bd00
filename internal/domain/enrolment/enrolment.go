// Package enrolment places a participant in a measure (insats) and records the exit
// (avslut) with its destination.
package enrolment

import (
	"slices"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// Enrolment puts one participant in one measure.
type Enrolment struct {
	ID             string
	OrganisationID string
	ParticipantID  string
	MeasureTypeID  string
	MeasureCode    string
	DecisionDate   *time.Time
	StartDate      time.Time
	PlannedEndDate *time.Time
	EndDate        *time.Time
	ExitReason     *outcome.Status
	// SocialAssistanceAtExit is whether the person received social assistance at exit.
	SocialAssistanceAtExit *bool
	UnitID                 *string
	HostEmployerID         *string
	ProjectID              *string
	Occupation             string
	WagePayer              *string // municipality, host_employer, af, other
	Subsidised             bool
	Eligibility            EligibilityRecord
	Version                int
}

// EligibilityRecord is what the decision's eligibility check found, or the override
// that replaced a failed check.
type EligibilityRecord struct {
	Rule           string
	Basis          []string
	OverrideReason *string
	OverrideBy     *string
	OverrideAt     *time.Time
}

// Overridden reports whether the rule was overridden.
func (e EligibilityRecord) Overridden() bool { return e.OverrideReason != nil }

// Rate is an employment rate from a date (sysselsättningsgrad).
type Rate struct {
	EnrolmentID string
	ValidFrom   time.Time
	Rate        int
}

// CreateInput decides and starts an enrolment. The measure is named by its code in the
// participant's organisation's catalogue. An exit may be given at once (a historical
// record) or later with ExitInput.
type CreateInput struct {
	ParticipantID   string
	MeasureTypeCode string
	DecisionDate    *time.Time
	StartDate       time.Time
	PlannedEndDate  *time.Time
	EndDate         *time.Time
	ExitReason      *outcome.Status
	// SocialAssistanceAtExit goes with a historical record's exit.
	SocialAssistanceAtExit *bool
	UnitID                 *string
	HostEmployerID         *string
	ProjectID              *string
	Occupation             string
	WagePayer              *string
	// Subsidised defaults to the measure's setting.
	Subsidised *bool
	// EmploymentRate is the rate from the start date, in percent.
	EmploymentRate *int
	// OverrideReason lets a decision that fails its eligibility rule through; it is
	// recorded with OverrideBy and listed among overrides.
	OverrideReason *string
	OverrideBy     string
	IdempotencyKey string
}

// Validate checks the input's own rules (those that need no database).
func (in *CreateInput) Validate(now time.Time) error {
	var errs apperr.List
	in.MeasureTypeCode = strings.TrimSpace(in.MeasureTypeCode)
	if in.ParticipantID == "" {
		errs.Add(apperr.Invalidf("input.participantId", "participant is required"))
	}
	if in.MeasureTypeCode == "" {
		errs.Add(apperr.Invalidf("input.measureTypeCode", "measure type is required"))
	}
	if in.StartDate.IsZero() {
		errs.Add(apperr.Invalidf("input.startDate", "start date is required"))
	} else if e := bounds.CheckRecordDate("input.startDate", "start date", in.StartDate); e != nil {
		errs.Add(e)
	} else {
		if in.DecisionDate != nil && in.DecisionDate.After(in.StartDate.AddDate(1, 0, 0)) {
			errs.Add(apperr.Invalidf("input.decisionDate", "decision date is more than a year after the start"))
		} else if in.DecisionDate != nil {
			errs.Add(bounds.CheckRecordDate("input.decisionDate", "decision date", *in.DecisionDate))
		}
		if in.PlannedEndDate != nil && in.PlannedEndDate.Before(in.StartDate) {
			errs.Add(apperr.Invalidf("input.plannedEndDate", "planned end is before the start"))
		}
		if in.EndDate != nil && in.EndDate.Before(in.StartDate) {
			errs.Add(apperr.Invalidf("input.endDate", "end is before the start"))
		}
	}
	if err := checkExit(in.EndDate, in.ExitReason, now, "input."); err != nil {
		errs = append(errs, apperr.All(err)...)
	}
	if in.SocialAssistanceAtExit != nil && in.EndDate == nil {
		errs.Add(apperr.Invalidf("input.socialAssistanceAtExit", "social assistance at exit goes with an exit: give endDate and exitReason"))
	}
	in.Occupation = strings.TrimSpace(in.Occupation)
	errs.Add(bounds.Text("input.occupation", in.Occupation, MaxOccupation))
	if in.WagePayer != nil && !slices.Contains(WagePayers, *in.WagePayer) {
		errs.Add(apperr.Invalidf("input.wagePayer", "unknown wage payer"))
	}
	if in.EmploymentRate != nil {
		if err := bounds.CheckEnrolmentRate("input.employmentRate", *in.EmploymentRate); err != nil {
			errs.Add(err)
		}
	}
	if in.OverrideReason != nil {
		r := strings.TrimSpace(*in.OverrideReason)
		in.OverrideReason = &r
		if len([]rune(r)) < 10 || len(r) > bounds.MaxLongText {
			errs.Add(apperr.Invalidf("input.eligibilityOverride.reason", "an override needs a reason of 10-%d characters", bounds.MaxLongText))
		}
	}
	return errs.Err()
}

// MaxOccupation is the longest occupation (yrke) accepted, in characters.
const MaxOccupation = 200

// WagePayers lists who may pay an employment's wage (enrolment.wage_payer's CHECK list).
var WagePayers = []string{"municipality", "host_employer", "af", "other"}

// DecisionDay is the date eligibility is judged on: the decision date, or the start.
func (in *CreateInput) DecisionDay() time.Time {
	if in.DecisionDate != nil {
		return *in.DecisionDate
	}
	return in.StartDate
}

// RateInput changes the employment rate from a date.
type RateInput struct {
	EnrolmentID string
	Version     int
	ValidFrom   time.Time
	Rate        int
}

// ExitInput ends an enrolment.
type ExitInput struct {
	EnrolmentID string
	EndDate     time.Time
	ExitReason  outcome.Status
	// SocialAssistanceAtExit is the social assistance status at exit, when known.
	SocialAssistanceAtExit *bool
	// Version, when given, must equal the stored version (optimistic locking).
	Version *int
}

// Validate checks the exit's own rules.
func (in *ExitInput) Validate(now time.Time) error {
	var errs apperr.List
	if in.EnrolmentID == "" {
		errs.Add(apperr.Invalidf("input.enrolmentId", "enrolment is required"))
	}
	end, reason := in.EndDate, in.ExitReason
	if end.IsZero() {
		errs.Add(apperr.Invalidf("input.endDate", "end date is required"))
		return errs.Err()
	}
	if err := checkExit(&end, &reason, now, "input."); err != nil {
		errs = append(errs, apperr.All(err)...)
	}
	return errs.Err()
}

func checkExit(end *time.Time, reason *outcome.Status, now time.Time, prefix string) error {
	var errs apperr.List
	switch {
	case end == nil && reason != nil:
		errs.Add(apperr.Invalidf(prefix+"endDate", "an exit reason needs an end date"))
	case end != nil && reason == nil:
		errs.Add(apperr.Invalidf(prefix+"exitReason", "an end date needs an exit reason"))
	}
	if end != nil {
		errs.Add(bounds.CheckPast(prefix+"endDate", "the end date", *end, now))
	}
	if reason != nil && !reason.Valid() {
		errs.Add(apperr.Invalidf(prefix+"exitReason", "unknown exit reason"))
	}
	return errs.Err()
}
