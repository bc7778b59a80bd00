// Package recruitment records recruitment meetings and fairs: places offered per
// department, invited job seekers, interviews, offers and the acceptances that lead to
// enrolments.
package recruitment

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

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
	EventID            string
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

// Kinds lists every kind of event (recruitment_event.kind's CHECK list).
var Kinds = []Kind{Meeting, Fair}

// Valid reports whether k is a known kind of event.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// PlaceInput is what one employer offers at an event.
type PlaceInput struct {
	EmployerID string
	Places     int
}

// CreateEventInput creates an event with the places each employer offers. The measure
// is named by its code in the organisation's catalogue.
type CreateEventInput struct {
	OrganisationID  string
	Kind            Kind
	Name            string
	HeldOn          time.Time
	Place           string
	MeasureTypeCode *string
	Places          []PlaceInput
	IdempotencyKey  string
}

// Validate checks the input's own rules and trims its text.
func (in *CreateEventInput) Validate() error {
	var errs apperr.List
	in.Name = strings.TrimSpace(in.Name)
	in.Place = strings.TrimSpace(in.Place)
	if !in.Kind.Valid() {
		errs.Add(apperr.Invalidf("input.kind", "unknown kind of event"))
	}
	errs.Add(bounds.Name("input.name", in.Name, bounds.MaxRecordName))
	if in.HeldOn.IsZero() {
		errs.Add(apperr.Invalidf("input.heldOn", "date is required"))
	} else {
		errs.Add(bounds.CheckRecordDate("input.heldOn", "the event's date", in.HeldOn))
	}
	if len([]rune(in.Place)) > 200 {
		errs.Add(apperr.Invalidf("input.place", "place must be at most 200 characters"))
	}
	if in.MeasureTypeCode != nil {
		c := strings.TrimSpace(*in.MeasureTypeCode)
		in.MeasureTypeCode = &c
	}
	seen := map[string]bool{}
	for i, p := range in.Places {
		if p.Places < 1 {
			errs.Add(apperr.Invalidf(fmt.Sprintf("input.places[%d].places", i), "an employer offers at least one place"))
		}
		id := strings.ToLower(p.EmployerID)
		if seen[id] {
			errs.Add(apperr.Invalidf(fmt.Sprintf("input.places[%d].employerId", i), "the employer is listed twice"))
		}
		seen[id] = true
	}
	return errs.Err()
}

// InviteInput invites job seekers to an event.
type InviteInput struct {
	EventID        string
	ParticipantIDs []string
}

// InterviewInput records an interview of a candidate by an employer offering places at
// the event. The candidate need not have been invited (people also walk in).
type InterviewInput struct {
	EventID        string
	ParticipantID  string
	EmployerID     string
	Notes          string
	IdempotencyKey string
}

// OfferInput records an offer of employment after an interview.
type OfferInput struct {
	InterviewID string
	Version     int
	OfferDate   time.Time
}

// AnswerInput records the candidate's answer to an offer. An acceptance needs the
// enrolment it leads to; its participant and host workplace are the interview's.
type AnswerInput struct {
	InterviewID string
	Version     int
	Accepted    bool
	Enrolment   *enrolment.CreateInput
}

// EnrolmentCreator creates an enrolment inside the caller's transaction, so that an
// accepted offer and its enrolment are written together or not at all.
type EnrolmentCreator interface {
	CreateInTx(ctx context.Context, tx pgx.Tx, in enrolment.CreateInput) (enrolment.Enrolment, error)
}
