// Package recruitment records recruitment meetings and fairs: places offered per
// department, invited job seekers, interviews, offers and the acceptances that lead to
// enrolments.
package recruitment

import "time"

// Kind of event.
type Kind string

const (
	Meeting Kind = "meeting"
	Fair    Kind = "fair"
)

// Event is a recruitment meeting or fair.
type Event struct {
	ID             string
	OrganisationID string
	Kind           Kind
	Name           string
	HeldOn         time.Time
	Place          string
	MeasureTypeID  *string
	Version        int
}

// Place is what one employer offers at an event, with how it went.
type Place struct {
	EventID    string
	EmployerID string
	Places     int
	Interviews int
	Offers     int
	Filled     int
}

// Invitation of a job seeker to an event.
type Invitation struct {
	EventID       string
	ParticipantID string
	Attended      *bool
}

// Summary totals an event.
type Summary struct {
	PlacesOffered      int
	Invited            int
	Interviews         int
	Offers             int
	Acceptances        int
	PlacesFilled       int
	InterviewsPerPlace *float64
}

// Interview of one candidate by one employer, with the offer and answer.
type Interview struct {
	ID             string
	OrganisationID string
	EventID        string
	ParticipantID  string
	EmployerID     string
	Notes          string
	Offered        bool
	OfferDate      *time.Time
	Accepted       *bool
	EnrolmentID    *string
	Version        int
}
