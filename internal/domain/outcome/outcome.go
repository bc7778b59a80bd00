// Package outcome holds the status codes used for exits and later outcomes, and the
// outcome observations (uppföljning) recorded after an exit.
package outcome

import (
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Status is an exit destination or an observed labour-market status in a month. The
// codes are warehouse/outcomes' (the one list the outcome definitions read); these are
// their names in the casework.
type Status string

const (
	UnsubsidisedFull Status = outcomes.StatusUnsubsidisedFull // osubventionerat arbete, heltid
	UnsubsidisedPart Status = outcomes.StatusUnsubsidisedPart // osubventionerat arbete, deltid
	Subsidised       Status = outcomes.StatusSubsidised       // subventionerad anställning
	Studies          Status = outcomes.StatusStudies          // reguljära studier
	OtherMeasure     Status = outcomes.StatusOtherMeasure     // annan insats
	JobSeeking       Status = outcomes.StatusJobSeeking       // åter till AF, arbetssökande
	SickLeave        Status = outcomes.StatusSickLeave        // sjukskriven / aktivitetsersättning
	ParentalLeave    Status = outcomes.StatusParentalLeave    // föräldraledig
	MovedAway        Status = outcomes.StatusMovedAway        // flyttat
	DroppedOut       Status = outcomes.StatusDroppedOut       // avbrott
	OtherStatus      Status = outcomes.StatusOther            // annat
	Unknown          Status = outcomes.StatusUnknown          // okänt: a value, never a guess
)

// Statuses lists every status in a stable order (outcomes.Statuses).
var Statuses = func() []Status {
	out := make([]Status, len(outcomes.Statuses))
	for i, s := range outcomes.Statuses {
		out[i] = Status(s)
	}
	return out
}()

// Valid reports whether s is a known status code.
func (s Status) Valid() bool { return outcomes.ValidStatus(string(s)) }

// StatusNames are the Swedish names of the statuses: the steering report prints an exit
// reason by them, and an import file may write a status so.
var StatusNames = map[Status]string{
	UnsubsidisedFull: "Osubventionerat arbete, heltid",
	UnsubsidisedPart: "Osubventionerat arbete, deltid",
	Subsidised:       "Subventionerad anställning",
	Studies:          "Studier",
	OtherMeasure:     "Annan insats",
	JobSeeking:       "Åter till Arbetsförmedlingen",
	SickLeave:        "Sjukskrivning eller aktivitetsersättning",
	ParentalLeave:    "Föräldraledighet",
	MovedAway:        "Flyttat",
	DroppedOut:       "Avbrutit",
	OtherStatus:      "Övrigt",
	Unknown:          "Okänt",
}

// ParseStatus reads a status written as its code or its Swedish name, in any case.
func ParseStatus(s string) (Status, bool) { return parseNamed(s, Statuses, StatusNames) }

// InWorkOrStudies is the definition "in unsubsidised employment or regular studies":
// the one status set, outcomes.WorkOrStudiesSet.
func (s Status) InWorkOrStudies() bool { return outcomes.WorkOrStudiesSet.Has(string(s)) }

// Source says where an observation came from.
type Source string

const (
	PhoneFollowUp            Source = "phone_follow_up"
	ParticipantSurvey        Source = "participant_survey"
	SocialAssistanceRegister Source = "social_assistance_register"
	AFData                   Source = "af_data"
	SUS                      Source = "sus"
	Employer                 Source = "employer"
	Caseworker               Source = "caseworker"
)

// Sources lists every source.
var Sources = []Source{PhoneFollowUp, ParticipantSurvey, SocialAssistanceRegister, AFData, SUS, Employer, Caseworker}

// SourceNames are the Swedish names of the sources, as an import file may write one.
var SourceNames = map[Source]string{
	PhoneFollowUp:            "Telefonuppföljning",
	ParticipantSurvey:        "Deltagarenkät",
	SocialAssistanceRegister: "Utbetalningsregistret för försörjningsstöd",
	AFData:                   "Arbetsförmedlingen",
	SUS:                      "SUS",
	Employer:                 "Arbetsgivare",
	Caseworker:               "Handläggare",
}

// ParseSource reads a source written as its code or its Swedish name, in any case.
func ParseSource(s string) (Source, bool) { return parseNamed(s, Sources, SourceNames) }

// parseNamed finds the code s is, or names in Swedish, ignoring case and the spaces
// around it.
func parseNamed[C ~string](s string, codes []C, names map[C]string) (C, bool) {
	s = strings.TrimSpace(s)
	for _, c := range codes {
		if strings.EqualFold(s, string(c)) || strings.EqualFold(s, names[c]) {
			return c, true
		}
	}
	return "", false
}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, v := range Sources {
		if s == v {
			return true
		}
	}
	return false
}

// Observation is a participant's observed status in one calendar month.
type Observation struct {
	ID               string
	OrganisationID   string
	ParticipantID    string
	Month            time.Time // first day of the month, UTC
	Status           Status
	SocialAssistance *bool
	EmploymentRate   *float64
	Source           Source
	CreatedAt        time.Time
}

// RecordInput records one observation.
type RecordInput struct {
	ParticipantID    string
	Month            time.Time
	Status           Status
	SocialAssistance *bool
	EmploymentRate   *float64
	Source           Source
}

// Validate checks the input against the rules and reports every bad field.
func (in *RecordInput) Validate(now time.Time) error {
	var errs apperr.List
	if in.ParticipantID == "" {
		errs.Add(apperr.Invalidf("input.participantId", "participant is required"))
	}
	in.Month = MonthOf(in.Month)
	if in.Month.IsZero() {
		errs.Add(apperr.Invalidf("input.month", "month is required"))
	} else if in.Month.After(MonthOf(calendar.Today(now))) {
		errs.Add(apperr.Invalidf("input.month", "month is in the future: an observation records what happened"))
	} else if e := bounds.CheckRecordDate("input.month", "month", in.Month); e != nil {
		errs.Add(e)
	}
	if !in.Status.Valid() {
		errs.Add(apperr.Invalidf("input.status", "unknown status"))
	}
	if !in.Source.Valid() {
		errs.Add(apperr.Invalidf("input.source", "unknown source"))
	}
	if in.EmploymentRate != nil {
		if err := bounds.CheckObservationRate("input.employmentRate", *in.EmploymentRate); err != nil {
			errs.Add(err)
		}
	}
	return errs.Err()
}

// MonthOf returns the first day of t's month at UTC midnight (zero stays zero).
func MonthOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
