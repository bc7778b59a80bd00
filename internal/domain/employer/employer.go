// Package employer is the register of employers and host workplaces (arbetsgivarregister):
// municipal departments with their headcount, municipal and private companies,
// associations and the unit's own workshops, with contact people and notes.
package employer

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// Kind of employer.
type Kind string

const (
	MunicipalDepartment Kind = "municipal_department"
	MunicipalCompany    Kind = "municipal_company"
	PrivateCompany      Kind = "private_company"
	Association         Kind = "association"
	OwnWorkshop         Kind = "own_workshop"
)

// Employer is one entry of the register.
type Employer struct {
	ID             string
	OrganisationID string
	Kind           Kind
	Name           string
	OrgNumber      string
	Headcount      *int
	Notes          string
	Version        int
}

// Contact is a contact person at an employer.
type Contact struct {
	ID         string
	EmployerID string
	Name       string
	Role       string
	Phone      string
	Email      string
}

// Note is a dated note about an employer.
type Note struct {
	ID         string
	EmployerID string
	Author     string
	Body       string
	At         time.Time
}

// Kinds lists every kind, in the order the register presents them.
var Kinds = []Kind{MunicipalDepartment, MunicipalCompany, PrivateCompany, Association, OwnWorkshop}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Field limits. Names and note bodies match the table's CHECK constraints, so a bad
// value is refused with its field named instead of as a bare constraint violation.
const (
	maxName  = bounds.MaxRecordName
	maxText  = 200
	maxPhone = bounds.MaxPhone
	maxNote  = bounds.MaxNotes
	maxNotes = 10000
)

// CreateInput is what registering an employer needs.
type CreateInput struct {
	OrganisationID string
	Kind           Kind
	Name           string
	OrgNumber      string
	Headcount      *int
	Notes          string
	// IdempotencyKey makes a retried create return the first employer.
	IdempotencyKey string
}

// Validate normalises the input and reports every bad field.
func (in *CreateInput) Validate() error {
	var errs apperr.List
	in.Name, in.Notes = strings.TrimSpace(in.Name), strings.TrimSpace(in.Notes)
	if !in.Kind.Valid() {
		errs.Add(apperr.Invalidf("input.kind", "unknown employer kind"))
	}
	checkName(&errs, in.Name)
	if n, ok := NormaliseOrgNumber(in.OrgNumber); ok {
		in.OrgNumber = n
	} else {
		errs.Add(badOrgNumber())
	}
	checkHeadcount(&errs, in.Headcount)
	checkLen(&errs, "input.notes", in.Notes, maxNotes)
	return errs.Err()
}

// UpdateInput changes the fields given (nil leaves a field as it is), provided Version is
// still current.
type UpdateInput struct {
	ID        string
	Version   int
	Kind      *Kind
	Name      *string
	OrgNumber *string
	Headcount *int
	Notes     *string
	// ClearHeadcount removes the headcount (unknown); not with Headcount.
	ClearHeadcount bool
}

// Validate normalises the given fields and reports every bad one.
func (in *UpdateInput) Validate() error {
	var errs apperr.List
	if in.ClearHeadcount && in.Headcount != nil {
		errs.Add(apperr.Invalidf("input.clearHeadcount", "give a headcount or clear it, not both"))
	}
	if in.Kind != nil && !in.Kind.Valid() {
		errs.Add(apperr.Invalidf("input.kind", "unknown employer kind"))
	}
	if in.Name != nil {
		v := strings.TrimSpace(*in.Name)
		in.Name = &v
		checkName(&errs, v)
	}
	if in.OrgNumber != nil {
		if n, ok := NormaliseOrgNumber(*in.OrgNumber); ok {
			in.OrgNumber = &n
		} else {
			errs.Add(badOrgNumber())
		}
	}
	checkHeadcount(&errs, in.Headcount)
	if in.Notes != nil {
		v := strings.TrimSpace(*in.Notes)
		in.Notes = &v
		checkLen(&errs, "input.notes", v, maxNotes)
	}
	return errs.Err()
}

// ContactInput adds a contact person to an employer.
type ContactInput struct {
	EmployerID string
	Name       string
	Role       string
	Phone      string
	Email      string
	// IdempotencyKey makes a retried add write nothing new.
	IdempotencyKey string
}

// Validate normalises the input and reports every bad field.
func (in *ContactInput) Validate() error {
	var errs apperr.List
	in.Name, in.Role = strings.TrimSpace(in.Name), strings.TrimSpace(in.Role)
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	checkName(&errs, in.Name)
	checkLen(&errs, "input.role", in.Role, maxText)
	checkLen(&errs, "input.phone", in.Phone, maxPhone)
	errs.Add(bounds.Email("input.email", in.Email))
	return errs.Err()
}

// ValidateNote normalises a note body and checks it.
func ValidateNote(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > maxNote {
		return body, apperr.Invalidf("input.body", "a note must be 1-%d characters", maxNote)
	}
	return body, nil
}

// Filter narrows the register.
type Filter struct {
	Kind *Kind
	// Search matches part of the name, case-insensitively.
	Search string
}

func checkName(errs *apperr.List, name string) {
	errs.Add(bounds.Name("input.name", name, maxName))
}

func checkLen(errs *apperr.List, field, v string, max int) {
	errs.Add(bounds.Text(field, v, max))
}

func checkHeadcount(errs *apperr.List, n *int) {
	if n != nil && *n < 0 {
		errs.Add(apperr.Invalidf("input.headcount", "headcount cannot be negative"))
	}
}

func badOrgNumber() *apperr.Error {
	return apperr.Invalidf("input.orgNumber", "an organisation number is ten digits, NNNNNN-NNNN, with a valid check digit")
}

// NormaliseOrgNumber returns an organisation number (organisationsnummer) in the form
// NNNNNN-NNNN, "" for none, and false when it is malformed. It accepts the ten digits with or without the hyphen and
// the twelve-digit forms (a 16 prefix, or a sole trader's personnummer with century),
// and checks the Luhn check digit so that typing errors are caught at entry.
func NormaliseOrgNumber(s string) (string, bool) {
	digits := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if digits == "" {
		return "", true
	}
	if len(digits) == 12 && (strings.HasPrefix(digits, "16") || strings.HasPrefix(digits, "19") || strings.HasPrefix(digits, "20")) {
		digits = digits[2:]
	}
	if len(digits) != 10 || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 ||
		personnummer.CheckDigit(digits[:9]) != int(digits[9]-'0') {
		return "", false
	}
	return digits[:6] + "-" + digits[6:], true
}
