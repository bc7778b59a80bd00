// Package participant holds job seekers (deltagare) and the rules for registering them.
package participant

import (
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/personnummer"
)

// Gender (kön). All statistics are split by it.
type Gender string

const (
	Woman     Gender = "woman"
	Man       Gender = "man"
	Other     Gender = "other"
	NotStated Gender = "not_stated"
)

// Valid reports whether g is one of the four genders.
func (g Gender) Valid() bool {
	switch g {
	case Woman, Man, Other, NotStated:
		return true
	}
	return false
}

// Participant is a job seeker registered with one organisation.
type Participant struct {
	ID                     string
	OrganisationID         string
	PersonalIdentityNumber string // canonical YYYYMMDD-NNNN
	GivenName              string
	FamilyName             string
	Gender                 Gender
	BirthDate              time.Time
	CaseStatus             CaseStatus
	CaseworkerID           *string
	Phone                  string
	Email                  string
	Version                int
	CreatedAt              time.Time
}

// CaseStatus is where the participant's case stands.
type CaseStatus string

const (
	Active CaseStatus = "active"
	Paused CaseStatus = "paused"
	Closed CaseStatus = "closed"
)

// Attributes are what is known about a participant from a date (uppgifter från och
// med). Nil means not recorded. Analysis uses the set in force at a measure's start.
type Attributes struct {
	ID                  string
	ParticipantID       string
	ValidFrom           time.Time
	District            *string
	BirthRegion         *string // sweden, europe, outside_europe
	NewlyArrived        *bool
	ResidencePermitDate *time.Time
	ResidencePermitKind *string // refugee, family_member, family_member_eu_eea, work, studies, other
	IntroductionPlan    *bool
	RegisteredAtAf      *bool
	GuaranteeDays       *int
	SocialAssistance    *bool
	Disability          *bool
	EducationLevel      *string
	SwedishLevel        *string
	DistanceCategory    *string // green, yellow, red
	SchoolProgramme     *string // year_9, sprint, other
	RecordedBy          string
	RecordedAt          time.Time
}

// CreateInput registers a participant.
type CreateInput struct {
	OrganisationID         string
	PersonalIdentityNumber string
	GivenName              string
	FamilyName             string
	Gender                 Gender
	// BirthDate is optional: it follows from the personal identity number, and when
	// given it must agree with it.
	BirthDate *time.Time
}

// Validate normalises the input and reports every bad field. The birth date is set from
// the personal identity number.
func (in *CreateInput) Validate(now time.Time) (time.Time, error) {
	var errs apperr.List
	var birth time.Time
	in.GivenName = strings.TrimSpace(in.GivenName)
	in.FamilyName = strings.TrimSpace(in.FamilyName)
	if in.OrganisationID == "" {
		errs.Add(apperr.Invalidf("input.organisationId", "organisation is required"))
	}
	n, err := personnummer.Parse(in.PersonalIdentityNumber, now)
	if err != nil {
		// The message never repeats the number: it is personal data.
		errs.Add(apperr.Invalidf("input.personalIdentityNumber", "%s", err.Error()))
	} else {
		in.PersonalIdentityNumber = n.String()
		birth = n.BirthDate()
		if in.BirthDate != nil && !sameDay(*in.BirthDate, birth) {
			errs.Add(apperr.Invalidf("input.birthDate", "birth date does not match the personal identity number"))
		}
	}
	if len(in.GivenName) > 100 {
		errs.Add(apperr.Invalidf("input.givenName", "given name is longer than 100 characters"))
	}
	if len(in.FamilyName) > 100 {
		errs.Add(apperr.Invalidf("input.familyName", "family name is longer than 100 characters"))
	}
	if !in.Gender.Valid() {
		errs.Add(apperr.Invalidf("input.gender", "gender must be woman, man, other or not_stated"))
	}
	return birth, errs.Err()
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
