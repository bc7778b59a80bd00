// Package participant holds job seekers (deltagare) and the rules for registering them.
package participant

import (
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
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
	BirthDate    *time.Time
	Phone        string
	Email        string
	CaseworkerID *string
	// Attributes, when given, is the first attribute set.
	Attributes     *AttributesInput
	RecordedBy     string
	IdempotencyKey string
}

// UpdateInput changes contact details, case status or caseworker; nil leaves a field.
type UpdateInput struct {
	ID           string
	Version      int
	GivenName    *string
	FamilyName   *string
	Phone        *string
	Email        *string
	CaseStatus   *CaseStatus
	CaseworkerID *string
	// ClearCaseworker leaves the participant without a caseworker; not with CaseworkerID.
	ClearCaseworker bool
}

// Validate normalises the input and reports every bad field.
func (in *UpdateInput) Validate() error {
	var errs apperr.List
	if in.ClearCaseworker && in.CaseworkerID != nil {
		errs.Add(apperr.Invalidf("input.clearCaseworker", "give a caseworker or clear it, not both"))
	}
	for _, f := range []struct {
		v     *string
		field string
		max   int
	}{{in.GivenName, "input.givenName", 100}, {in.FamilyName, "input.familyName", 100}, {in.Phone, "input.phone", 40}, {in.Email, "input.email", 200}} {
		if f.v != nil {
			*f.v = strings.TrimSpace(*f.v)
			if len(*f.v) > f.max {
				errs.Add(apperr.Invalidf(f.field, "at most %d characters", f.max))
			}
		}
	}
	if in.CaseStatus != nil && *in.CaseStatus != Active && *in.CaseStatus != Paused && *in.CaseStatus != Closed {
		errs.Add(apperr.Invalidf("input.caseStatus", "case status must be active, paused or closed"))
	}
	return errs.Err()
}

// AttributesInput records attributes from a date; nil fields carry over from the set in
// force on that date.
type AttributesInput struct {
	ValidFrom           *time.Time
	District            *string
	BirthRegion         *string
	NewlyArrived        *bool
	ResidencePermitDate *time.Time
	ResidencePermitKind *string
	IntroductionPlan    *bool
	RegisteredAtAf      *bool
	GuaranteeDays       *int
	SocialAssistance    *bool
	Disability          *bool
	EducationLevel      *string
	SwedishLevel        *string
	DistanceCategory    *string
	SchoolProgramme     *string
}

var (
	birthRegions     = set("sweden", "europe", "outside_europe")
	permitKinds      = set("refugee", "family_member", "family_member_eu_eea", "work", "studies", "other")
	educationLevels  = set("pre_upper_secondary_short", "pre_upper_secondary", "upper_secondary", "post_secondary_short", "post_secondary_long")
	distances        = set("green", "yellow", "red")
	schoolProgrammes = set("year_9", "sprint", "other")
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// Validate reports every bad field under prefix (e.g. "input.attributes.").
func (a *AttributesInput) Validate(now time.Time, prefix string) error {
	var errs apperr.List
	if a.ValidFrom != nil && (a.ValidFrom.Year() < 1990 || a.ValidFrom.After(now.AddDate(1, 0, 0))) {
		errs.Add(apperr.Invalidf(prefix+"validFrom", "valid-from date must be after 1990 and at most a year ahead"))
	}
	for _, c := range []struct {
		v     *string
		ok    map[string]bool
		field string
	}{{a.BirthRegion, birthRegions, "birthRegion"}, {a.ResidencePermitKind, permitKinds, "residencePermitKind"},
		{a.EducationLevel, educationLevels, "educationLevel"}, {a.DistanceCategory, distances, "distanceCategory"},
		{a.SchoolProgramme, schoolProgrammes, "schoolProgramme"}} {
		if c.v != nil && !c.ok[*c.v] {
			errs.Add(apperr.Invalidf(prefix+c.field, "unknown value"))
		}
	}
	if a.District != nil {
		*a.District = strings.TrimSpace(*a.District)
		if len(*a.District) > 100 {
			errs.Add(apperr.Invalidf(prefix+"district", "at most 100 characters"))
		}
	}
	if a.GuaranteeDays != nil && (*a.GuaranteeDays < 0 || *a.GuaranteeDays > 10000) {
		errs.Add(apperr.Invalidf(prefix+"guaranteeDays", "guarantee days must be 0-10000"))
	}
	if a.ResidencePermitDate != nil && a.ResidencePermitDate.After(calendar.Today(now)) {
		errs.Add(apperr.Invalidf(prefix+"residencePermitDate", "the permit date is in the future"))
	}
	return errs.Err()
}

// Merge returns the set that holds from the input's date: given values, else prev's.
func (a AttributesInput) Merge(prev *Attributes, validFrom time.Time) Attributes {
	out := Attributes{ValidFrom: validFrom}
	if prev != nil {
		out = *prev
		out.ValidFrom = validFrom
	}
	pick(&out.District, a.District)
	pick(&out.BirthRegion, a.BirthRegion)
	pick(&out.NewlyArrived, a.NewlyArrived)
	pick(&out.ResidencePermitDate, a.ResidencePermitDate)
	pick(&out.ResidencePermitKind, a.ResidencePermitKind)
	pick(&out.IntroductionPlan, a.IntroductionPlan)
	pick(&out.RegisteredAtAf, a.RegisteredAtAf)
	pick(&out.GuaranteeDays, a.GuaranteeDays)
	pick(&out.SocialAssistance, a.SocialAssistance)
	pick(&out.Disability, a.Disability)
	pick(&out.EducationLevel, a.EducationLevel)
	pick(&out.SwedishLevel, a.SwedishLevel)
	pick(&out.DistanceCategory, a.DistanceCategory)
	pick(&out.SchoolProgramme, a.SchoolProgramme)
	return out
}

func pick[T any](dst **T, v *T) {
	if v != nil {
		c := *v
		*dst = &c
	}
}

// InForce returns the set in force on day from a history sorted by date, or nil.
func InForce(history []*Attributes, day time.Time) *Attributes {
	var cur *Attributes
	for _, a := range history {
		if !a.ValidFrom.After(day) {
			cur = a
		}
	}
	return cur
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
		if err := bounds.CheckDate("input.personalIdentityNumber", birth); err != nil {
			errs.Add(apperr.Invalidf("input.personalIdentityNumber", "the birth date in the number must be %s", bounds.DateRange()))
		}
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
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	if len(in.Phone) > 40 {
		errs.Add(apperr.Invalidf("input.phone", "at most 40 characters"))
	}
	if len(in.Email) > 200 {
		errs.Add(apperr.Invalidf("input.email", "at most 200 characters"))
	}
	if in.Attributes != nil {
		if err := in.Attributes.Validate(now, "input.attributes."); err != nil {
			errs = append(errs, apperr.All(err)...)
		}
	}
	return birth, errs.Err()
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
