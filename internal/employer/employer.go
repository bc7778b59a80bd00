// Package employer is the register of employers and host workplaces (arbetsgivarregister):
// municipal departments with their headcount, municipal and private companies,
// associations and the unit's own workshops, with contact people and notes.
package employer

import "time"

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
