// Package actionplan holds each participant's action plan (handlingsplan) and the
// follow-up meetings (uppföljningsmöten) of their enrolments, with who is overdue.
package actionplan

import "time"

// Plan is a participant's one action plan.
type Plan struct {
	ID             string
	OrganisationID string
	ParticipantID  string
	Goal           string
	Responsible    string
	NextReviewDate *time.Time
	Steps          []Step
	Version        int
}

// Step is one step of a plan.
type Step struct {
	Position    int
	Description string
	Responsible string
	DueDate     *time.Time
	DoneDate    *time.Time
}

// FollowUp is one follow-up meeting.
type FollowUp struct {
	ID             string
	OrganisationID string
	ParticipantID  string
	EnrolmentID    *string
	HeldOn         time.Time
	Attendees      []string
	Notes          string
	NextDueDate    time.Time
}

// Overdue is an ongoing enrolment whose follow-up is overdue.
type Overdue struct {
	ParticipantID string
	EnrolmentID   string
	LastHeldOn    *time.Time
	DueDate       time.Time
	DaysOverdue   int
}
