package model

import (
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
)

// Participant is the API's Participant: the stored record and where its enrolments,
// referrals and latest observation come from. Those three are methods without a
// context, so gqlgen resolves them in the participant's own goroutine: a resolver, or a
// method taking a context, costs a goroutine per participant and field (three per
// participant of a page, each growing its stack). A list prefetches them for its whole
// page into the request's loaders (graph/prefetch.go), and the methods find them in the
// loaders' caches; elsewhere they load through the same loaders. Build one with
// graph's Resolver.person, never by hand: the audit of the record rides on the embedded
// participant's AuditRefs.
type Participant struct {
	*participant.Participant
	nested ParticipantNested
}

// ParticipantNested loads a participant's nested records: the request's loaders, with
// the request's context.
type ParticipantNested interface {
	EnrolmentsOf(participantID string) ([]*enrolment.Enrolment, error)
	ReferralsOf(participantID string) ([]*referral.Referral, error)
	LatestObservationOf(participantID string) (*outcome.Observation, error)
}

// NewParticipant wraps p (nil stays nil, so a missing participant is still null).
func NewParticipant(p *participant.Participant, nested ParticipantNested) *Participant {
	if p == nil {
		return nil
	}
	return &Participant{Participant: p, nested: nested}
}

// Enrolments are the participant's enrolments (insatser).
func (p *Participant) Enrolments() ([]*enrolment.Enrolment, error) {
	return p.nested.EnrolmentsOf(p.ID)
}

// Referrals are the referrals (remisser) of the participant.
func (p *Participant) Referrals() ([]*referral.Referral, error) {
	return p.nested.ReferralsOf(p.ID)
}

// LatestObservation is the participant's latest outcome observation, nil if none.
func (p *Participant) LatestObservation() (*outcome.Observation, error) {
	return p.nested.LatestObservationOf(p.ID)
}
