// Package participant holds job seekers (deltagare) and the rules for registering them.
package participant

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Gender (kön). All statistics are split by it.
type Gender string

const (
	Woman     Gender = outcomes.GenderWoman // the warehouse's genders, which every figure splits by
	Man       Gender = outcomes.GenderMan
	Other     Gender = outcomes.GenderOther
	NotStated Gender = outcomes.GenderNotStated
)

// OneOf writes a list of accepted values for a message: "woman, man, other or
// not_stated".
func OneOf[T ~string](vs []T) string {
	var b strings.Builder
	for i, v := range vs {
		switch {
		case i == 0:
		case i == len(vs)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(v))
	}
	return b.String()
}

// Genders lists the four genders (participant.gender's CHECK list).
var Genders = []Gender{Woman, Man, Other, NotStated}

// Valid reports whether g is one of the four genders.
func (g Gender) Valid() bool { return slices.Contains(Genders, g) }

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
	// ProtectedIdentity marks protected personal data (skyddade personuppgifter): number,
	// names and contact details are shown only to roles that need them (Reveal).
	ProtectedIdentity bool
	// Anonymous marks a participant taking part without identifying themselves: no
	// number, names or contact details are kept, only what figures need.
	Anonymous bool
	// IdentityHidden is set on a copy whose identifying fields Reveal withheld.
	IdentityHidden bool
	Version        int
	CreatedAt      time.Time
}

// CaseStatus is where the participant's case stands.
type CaseStatus string

const (
	Active CaseStatus = "active"
	Paused CaseStatus = "paused"
	Closed CaseStatus = "closed"
)

// CaseStatuses lists every case status (participant.case_status's CHECK list).
var CaseStatuses = []CaseStatus{Active, Paused, Closed}

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
	// LabourMarketStatus and SupportSource are the situation at entry (situation vid
	// inskrivning): LabourMarketStatuses and SupportSources.
	LabourMarketStatus *string
	SupportSource      *string
	RecordedBy         string
	RecordedAt         time.Time
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
	// ProtectedIdentity: protected personal data (skyddade personuppgifter).
	ProtectedIdentity bool
	// Anonymous: taking part without identifying themselves; then PersonalIdentityNumber,
	// names, phone and e-mail must be empty and BirthDate is required.
	Anonymous bool
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
	if in.Phone != nil {
		*in.Phone = strings.TrimSpace(*in.Phone)
		errs.Add(bounds.Text("input.phone", *in.Phone, bounds.MaxPhone))
	}
	for _, f := range []struct {
		v     *string
		field string
	}{{in.GivenName, "input.givenName"}, {in.FamilyName, "input.familyName"}} {
		if f.v != nil {
			*f.v = strings.TrimSpace(*f.v)
			errs.Add(bounds.Name(f.field, *f.v, MaxName))
		}
	}
	if in.Email != nil {
		*in.Email = strings.TrimSpace(*in.Email)
		errs.Add(bounds.Email("input.email", *in.Email))
	}
	if in.CaseStatus != nil && !slices.Contains(CaseStatuses, *in.CaseStatus) {
		errs.Add(apperr.Invalidf("input.caseStatus", "case status must be %s", OneOf(CaseStatuses)))
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
	LabourMarketStatus  *string
	SupportSource       *string
}

// MaxGuaranteeDays is the most days in the job and development guarantee recorded
// (participant_attributes.guarantee_days's CHECK).
const MaxGuaranteeDays = 10000

// MaxName is the longest given or family name accepted.
const MaxName = 100

// The situation at entry (situation vid inskrivning).
var (
	// LabourMarketStatuses are the labour-market statuses at entry: employed (i arbete),
	// studying (studerar), unemployed (arbetslös), long-term unemployed (långtidsarbetslös,
	// 12 months or more), inactive (utanför arbetskraften).
	LabourMarketStatuses = []string{"employed", "studying", "unemployed", "long_term_unemployed", "inactive"}
	// SupportSources are the main sources of support (huvudsaklig försörjning): social
	// assistance (försörjningsstöd), activity support (aktivitetsstöd), sickness benefit
	// (sjukpenning, aktivitetsersättning), wage (lön), none (ingen), other (annan).
	SupportSources = []string{"social_assistance", "activity_support", "sickness_benefit", "wage", "none", "other"}
)

// ISCEDBand is the ISCED 2011 band of an education level (utbildningsnivå): isced_0_2
// (pre-upper-secondary), isced_3_4 (upper secondary), isced_5_8 (post-secondary); ""
// when not recorded. It is the warehouse's mapping (outcomes.ISCEDBand), which ESF's
// entry data reads too.
func ISCEDBand(level *string) string {
	if level == nil {
		return ""
	}
	return outcomes.ISCEDBand(*level)
}

// The values each coded attribute accepts, the one list per attribute: Validate checks
// against them, and the database's CHECK lists on participant_attributes and the GraphQL
// enums must equal them (graph TestEveryStoredEnumIsOneList). The values the eligibility
// rules wait for are the rules' own constants.
var (
	BirthRegions         = []string{"sweden", "europe", "outside_europe"}
	ResidencePermitKinds = []string{"refugee", "family_member", eligibility.EUEEAFamilyMemberPermit, "work", "studies", "other"}
	EducationLevels      = []string{"pre_upper_secondary_short", "pre_upper_secondary", "upper_secondary", "post_secondary_short", "post_secondary_long"}
	DistanceCategories   = []string{"green", "yellow", "red"}
	SchoolProgrammes     = []string{eligibility.SchoolProgrammeYear9, eligibility.SchoolProgrammeSprint, "other"}
)

// Validate reports every bad field under prefix (e.g. "input.attributes.").
func (a *AttributesInput) Validate(now time.Time, prefix string) error {
	var errs apperr.List
	if a.ValidFrom != nil {
		if bounds.BeforeRecords(*a.ValidFrom) {
			errs.Add(bounds.CheckRecordDate(prefix+"validFrom", "valid-from date", *a.ValidFrom))
		} else if a.ValidFrom.After(calendar.Today(now).AddDate(1, 0, 0)) {
			errs.Add(apperr.Invalidf(prefix+"validFrom", "valid-from date is more than a year ahead"))
		}
	}
	for _, c := range []struct {
		v     *string
		ok    []string
		field string
	}{{a.BirthRegion, BirthRegions, "birthRegion"}, {a.ResidencePermitKind, ResidencePermitKinds, "residencePermitKind"},
		{a.EducationLevel, EducationLevels, "educationLevel"}, {a.DistanceCategory, DistanceCategories, "distanceCategory"},
		{a.SchoolProgramme, SchoolProgrammes, "schoolProgramme"},
		{a.LabourMarketStatus, LabourMarketStatuses, "labourMarketStatus"}, {a.SupportSource, SupportSources, "supportSource"}} {
		if c.v != nil && !slices.Contains(c.ok, *c.v) {
			errs.Add(apperr.Invalidf(prefix+c.field, "unknown value"))
		}
	}
	// Free text of an attribute: a district, a Swedish level (an SFI course). The level
	// had no limit: a 20,000-character value was stored as it was.
	for _, c := range []struct {
		v     *string
		field string
	}{{a.District, "district"}, {a.SwedishLevel, "swedishLevel"}} {
		if c.v == nil {
			continue
		}
		*c.v = strings.TrimSpace(*c.v)
		if utf8.RuneCountInString(*c.v) > 100 {
			errs.Add(apperr.Invalidf(prefix+c.field, "at most 100 characters"))
		}
	}
	if a.GuaranteeDays != nil && (*a.GuaranteeDays < 0 || *a.GuaranteeDays > MaxGuaranteeDays) {
		errs.Add(apperr.Invalidf(prefix+"guaranteeDays", "guarantee days must be 0-%d", MaxGuaranteeDays))
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
	pick(&out.LabourMarketStatus, a.LabourMarketStatus)
	pick(&out.SupportSource, a.SupportSource)
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
	if in.Anonymous {
		birth = in.validateAnonymous(&errs, now)
	} else {
		birth = in.validateIdentified(&errs, now)
	}
	if !in.Gender.Valid() {
		errs.Add(apperr.Invalidf("input.gender", "gender must be %s", OneOf(Genders)))
	}
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	errs.Add(bounds.Text("input.phone", in.Phone, bounds.MaxPhone))
	errs.Add(bounds.Email("input.email", in.Email))
	if in.Attributes != nil {
		if err := in.Attributes.Validate(now, "input.attributes."); err != nil {
			errs = append(errs, apperr.All(err)...)
		}
	}
	return birth, errs.Err()
}

// validateIdentified checks a participant who identifies themselves: a valid number and
// both names, not blank.
func (in *CreateInput) validateIdentified(errs *apperr.List, now time.Time) time.Time {
	var birth time.Time
	n, err := personnummer.Parse(in.PersonalIdentityNumber, now)
	if err != nil {
		// The message never repeats the number: it is personal data.
		errs.Add(apperr.Invalidf("input.personalIdentityNumber", "%s", err.Error()))
	} else {
		in.PersonalIdentityNumber = n.String()
		birth = n.BirthDate()
		errs.Add(checkBirthDate("input.personalIdentityNumber", "the birth date in the number", birth, now))
		if in.BirthDate != nil && !sameDay(*in.BirthDate, birth) {
			errs.Add(apperr.Invalidf("input.birthDate", "birth date does not match the personal identity number"))
		}
	}
	errs.Add(bounds.Name("input.givenName", in.GivenName, MaxName))
	errs.Add(bounds.Name("input.familyName", in.FamilyName, MaxName))
	return birth
}

// validateAnonymous checks an anonymous participant: the least data needed, so no
// number, names or contact details; the birth date (for age bands) is required.
func (in *CreateInput) validateAnonymous(errs *apperr.List, now time.Time) time.Time {
	for _, f := range []struct{ v, field string }{{in.PersonalIdentityNumber, "input.personalIdentityNumber"},
		{in.GivenName, "input.givenName"}, {in.FamilyName, "input.familyName"},
		{strings.TrimSpace(in.Phone), "input.phone"}, {strings.TrimSpace(in.Email), "input.email"}} {
		if strings.TrimSpace(f.v) != "" {
			errs.Add(apperr.Invalidf(f.field, "an anonymous participant is kept without it: leave it out"))
		}
	}
	in.PersonalIdentityNumber, in.Phone, in.Email = "", "", ""
	if in.BirthDate == nil {
		errs.Add(apperr.Invalidf("input.birthDate", "an anonymous participant needs a birth date (figures count age bands)"))
		return time.Time{}
	}
	errs.Add(checkBirthDate("input.birthDate", "the birth date", *in.BirthDate, now))
	return *in.BirthDate
}

// checkBirthDate is the one rule of a birth date, whether a personal identity number
// gives it or an anonymous participant's is given: inside the stored dates' range and
// not after today (the Swedish date). what names it in the message.
func checkBirthDate(field, what string, birth, now time.Time) *apperr.Error {
	switch {
	case !bounds.DateOK(birth):
		return apperr.Invalidf(field, "%s must be %s", what, bounds.DateRange())
	case birth.After(calendar.Today(now)):
		return apperr.Invalidf(field, "%s is in the future", what)
	}
	return nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
