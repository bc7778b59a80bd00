// Package organisation holds tenants (municipalities and the regional bodies that group
// them), their units and their measure catalogue.
package organisation

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// Kind of organisation.
type Kind string

const (
	Municipality Kind = "municipality"  // kommun: owns its data
	RegionalBody Kind = "regional_body" // samordningsförbund: aggregates across members
)

// Kinds lists every kind of organisation (organisation.kind's CHECK list).
var Kinds = []Kind{Municipality, RegionalBody}

// Organisation is a tenant.
type Organisation struct {
	ID   string
	Code string
	Name string
	Kind Kind
}

// MeasureType is one entry of an organisation's measure catalogue (insats).
type MeasureType struct {
	ID             string
	OrganisationID string
	Code           string
	Name           string
	SwedishName    string
	Category       string
	Subsidised     bool
	// MunicipalEmployment marks the municipality's own labour-market employments, which
	// the Kolada "result at exit" indicator does not count as work.
	MunicipalEmployment bool
	// EligibilityRule names the rule a decision is checked against (internal/domain/eligibility).
	EligibilityRule string
	// Active measures take new enrolments; inactive ones stay in history.
	Active bool
}

// Unit is a unit (enhet) of the labour-market department.
type Unit struct {
	ID             string
	OrganisationID string
	Name           string
}

// StaffUser is a member of staff and their unit.
type StaffUser struct {
	ID             string
	OrganisationID string
	UnitID         *string
	Name           string
	Email          string
	Title          string
	Version        int
}

// CreateInput is what creating an organisation needs.
type CreateInput struct {
	Code string
	Name string
	Kind Kind
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// Validate normalises and checks the input, reporting every bad field.
func (in *CreateInput) Validate() error {
	var errs apperr.List
	in.Code = strings.TrimSpace(strings.ToLower(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	if !codePattern.MatchString(in.Code) {
		errs.Add(apperr.Invalidf("input.code", "code must be 2-63 lower-case letters, digits or hyphens"))
	}
	errs.Add(bounds.Name("input.name", in.Name, bounds.MaxRecordName))
	if !slices.Contains(Kinds, in.Kind) {
		errs.Add(apperr.Invalidf("input.kind", "kind must be municipality or regional_body"))
	}
	return errs.Err()
}

// DefaultCatalogue is the measure list DOMAIN.md names; each new municipality starts
// with it and may extend it.
var DefaultCatalogue = []MeasureType{
	{Code: "extra_job", Name: "Extra job", SwedishName: "Extratjänst", Category: "employment", Subsidised: true, MunicipalEmployment: true, EligibilityRule: eligibility.ExtraJob},
	{Code: "labour_market_employment", Name: "Labour-market employment", SwedishName: "Arbetsmarknadsanställning", Category: "employment", Subsidised: true, MunicipalEmployment: true},
	{Code: "secure_employment", Name: "Secure employment", SwedishName: "Trygghetsanställning", Category: "employment", Subsidised: true},
	{Code: "sheltered_public_employment", Name: "Sheltered public employment", SwedishName: "Offentligt skyddat arbete (OSA)", Category: "employment", Subsidised: true, MunicipalEmployment: true},
	{Code: "development_employment", Name: "Development employment", SwedishName: "Utvecklingsanställning", Category: "employment", Subsidised: true},
	{Code: "wage_subsidy", Name: "Wage subsidy employment", SwedishName: "Lönebidragsanställning", Category: "employment", Subsidised: true},
	{Code: "work_practice", Name: "Work practice", SwedishName: "Praktik", Category: "practice"},
	{Code: "work_training", Name: "Work training", SwedishName: "Arbetsträning", Category: "practice"},
	{Code: "work_capacity_assessment", Name: "Work-capacity assessment", SwedishName: "Arbetsförmågebedömning", Category: "assessment"},
	{Code: "supported_employment", Name: "Supported employment", SwedishName: "Supported employment (IPS)", Category: "guidance", EligibilityRule: eligibility.SupportedEmployment},
	{Code: "ung_intro", Name: "Case management for young people with a mental disability", SwedishName: "Ung intro", Category: "guidance", EligibilityRule: eligibility.UngIntro},
	{Code: "act_course", Name: "ACT course", SwedishName: "ACT-kurs", Category: "guidance"},
	{Code: "supported_education", Name: "Supported Education", SwedishName: "Supported Education", Category: "education"},
	{Code: "summer_job", Name: "Summer job for pupils", SwedishName: "Feriejobb", Category: "summer_job", MunicipalEmployment: true, EligibilityRule: eligibility.SummerJob},
	{Code: "subsidised_summer_job", Name: "Subsidised summer job", SwedishName: "Subventionerat sommarjobb (SUSO)", Category: "summer_job", Subsidised: true},
	{Code: "orientation_course", Name: "Orientation course", SwedishName: "Orienteringskurs", Category: "education"},
	{Code: "language_development", Name: "Language-developing measure", SwedishName: "Språkutvecklande insats", Category: "education"},
	{Code: "vocational_sfi", Name: "Vocational SFI with practice", SwedishName: "Yrkessfi med praktik", Category: "education"},
	{Code: "traffic_course", Name: "Preparatory traffic course", SwedishName: "Ratta rätt", Category: "education"},
	{Code: "adult_education", Name: "Adult education", SwedishName: "Vuxenutbildning", Category: "education"},
}

// Categories are the measure categories the catalogue allows (the table's CHECK list).
var Categories = []string{"employment", "practice", "assessment", "guidance", "education", "summer_job", "other"}

// EligibilityRules are the rules a measure's decisions may be checked against: the
// rules the eligibility package evaluates, not a list of this package's own.
var EligibilityRules = eligibility.Rules

// UnitInput adds a unit.
type UnitInput struct {
	OrganisationID string
	Name           string
	IdempotencyKey string
}

// Validate normalises the input and reports every bad field.
func (in *UnitInput) Validate() error {
	var errs apperr.List
	in.Name = strings.TrimSpace(in.Name)
	checkName(&errs, "input.name", in.Name)
	return errs.Err()
}

// StaffInput adds a staff user, optionally to a unit of the same organisation.
type StaffInput struct {
	OrganisationID string
	UnitID         *string
	Name           string
	Email          string
	Title          string
	IdempotencyKey string
}

// Validate normalises the input and reports every bad field.
func (in *StaffInput) Validate() error {
	var errs apperr.List
	in.Name, in.Email, in.Title = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Title)
	checkName(&errs, "input.name", in.Name)
	errs.Add(bounds.Email("input.email", in.Email))
	if utf8.RuneCountInString(in.Title) > 200 {
		errs.Add(apperr.Invalidf("input.title", "at most 200 characters"))
	}
	return errs.Err()
}

// MeasureTypeInput extends an organisation's catalogue.
type MeasureTypeInput struct {
	OrganisationID      string
	Code                string
	Name                string
	SwedishName         string
	Category            string
	Subsidised          bool
	MunicipalEmployment bool
	// EligibilityRule is one of EligibilityRules; "" means none.
	EligibilityRule string
}

var measureCodePattern = regexp.MustCompile(`^[a-z0-9_]{2,64}$`)

// Validate normalises the input and reports every bad field.
func (in *MeasureTypeInput) Validate() error {
	var errs apperr.List
	in.Code = strings.TrimSpace(in.Code)
	in.Name, in.SwedishName = strings.TrimSpace(in.Name), strings.TrimSpace(in.SwedishName)
	if in.EligibilityRule == "" {
		in.EligibilityRule = eligibility.None
	}
	if !measureCodePattern.MatchString(in.Code) {
		errs.Add(apperr.Invalidf("input.code", "code must be 2-64 lower-case letters, digits or underscores"))
	}
	checkName(&errs, "input.name", in.Name)
	checkName(&errs, "input.swedishName", in.SwedishName)
	if !slices.Contains(Categories, in.Category) {
		errs.Add(apperr.Invalidf("input.category", "category must be one of %s", strings.Join(Categories, ", ")))
	}
	if !slices.Contains(EligibilityRules, in.EligibilityRule) {
		errs.Add(apperr.Invalidf("input.eligibilityRule", "unknown eligibility rule"))
	}
	return errs.Err()
}

func checkName(errs *apperr.List, field, name string) {
	errs.Add(bounds.Name(field, name, bounds.MaxRecordName))
}
