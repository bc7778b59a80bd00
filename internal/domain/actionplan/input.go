package actionplan

import (
	"fmt"
	"strings"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
)

// Text limits, in characters.
const (
	maxLong      = bounds.MaxLongText
	maxShort     = 200
	maxNotes     = bounds.MaxNotes
	maxSteps     = 100
	maxAttendees = 20
)

// SaveInput creates a participant's plan (Version nil) or replaces it (Version is the
// current version). Steps is the whole list, in order.
type SaveInput struct {
	ParticipantID  string
	Goal           string
	Responsible    string
	NextReviewDate *time.Time
	Steps          []StepInput
	Version        *int
	// IdempotencyKey makes a retried save return the plan the first one saved.
	IdempotencyKey string
}

// StepInput is one step of a saved plan.
type StepInput struct {
	Description string
	Responsible string
	DueDate     *time.Time
	DoneDate    *time.Time
}

// Validate trims the text and reports every bad field at once; now is the clock (a
// step cannot be done in the future).
func (in *SaveInput) Validate(now time.Time) error {
	var errs apperr.List
	if in.ParticipantID == "" {
		errs.Add(apperr.Invalidf("input.participantId", "participant is required"))
	}
	in.Goal = strings.TrimSpace(in.Goal)
	if n := len([]rune(in.Goal)); n < 1 || n > maxLong {
		errs.Add(apperr.Invalidf("input.goal", "the goal must be 1-%d characters", maxLong))
	}
	trim(&errs, &in.Responsible, "input.responsible", maxShort)
	if len(in.Steps) > maxSteps {
		errs.Add(apperr.Invalidf("input.steps", "at most %d steps", maxSteps))
	}
	if in.NextReviewDate != nil {
		errs.Add(bounds.CheckRecordDate("input.nextReviewDate", "the next review", *in.NextReviewDate))
	}
	for i := range in.Steps {
		st := &in.Steps[i]
		field := fmt.Sprintf("input.steps[%d].", i)
		st.Description = strings.TrimSpace(st.Description)
		if n := len([]rune(st.Description)); n < 1 || n > maxLong {
			errs.Add(apperr.Invalidf(field+"description", "a step's description must be 1-%d characters", maxLong))
		}
		trim(&errs, &st.Responsible, field+"responsible", maxShort)
		if st.DueDate != nil {
			errs.Add(bounds.CheckRecordDate(field+"dueDate", "due date", *st.DueDate))
		}
		if st.DoneDate != nil {
			errs.Add(bounds.CheckPast(field+"doneDate", "the done date", *st.DoneDate, now))
		}
	}
	return errs.Err()
}

// FollowUpInput records a follow-up meeting.
type FollowUpInput struct {
	ParticipantID string
	// EnrolmentID, when given, must be one of the participant's enrolments.
	EnrolmentID *string
	HeldOn      time.Time
	Attendees   []string
	Notes       string
	// NextDueDate defaults to the cadence (see NextDue).
	NextDueDate    *time.Time
	IdempotencyKey string
}

// Validate trims the text and reports every bad field at once; now is the clock.
func (in *FollowUpInput) Validate(now time.Time) error {
	var errs apperr.List
	if in.ParticipantID == "" {
		errs.Add(apperr.Invalidf("input.participantId", "participant is required"))
	}
	switch {
	case in.HeldOn.IsZero():
		errs.Add(apperr.Invalidf("input.heldOn", "the meeting date is required"))
	default:
		errs.Add(bounds.CheckPast("input.heldOn", "the meeting date", in.HeldOn, now))
	case in.NextDueDate != nil && !in.NextDueDate.After(in.HeldOn):
		errs.Add(apperr.Invalidf("input.nextDueDate", "the next follow-up must be due after this meeting"))
	}
	if len(in.Attendees) > maxAttendees {
		errs.Add(apperr.Invalidf("input.attendees", "at most %d attendees", maxAttendees))
	}
	attendees := make([]string, 0, len(in.Attendees))
	for i, a := range in.Attendees {
		a = strings.TrimSpace(a)
		if n := len([]rune(a)); n < 1 || n > maxShort {
			errs.Add(apperr.Invalidf(fmt.Sprintf("input.attendees[%d]", i), "an attendee must be 1-%d characters", maxShort))
		}
		attendees = append(attendees, a)
	}
	in.Attendees = attendees
	trim(&errs, &in.Notes, "input.notes", maxNotes)
	return errs.Err()
}

// NextDue is when the follow-up after a meeting on heldOn is due: follow-ups are
// monthly while the enrolment is young (less than three months since its start) or
// when the meeting belongs to no enrolment, then every third month.
func NextDue(heldOn time.Time, enrolmentStart *time.Time) time.Time {
	if enrolmentStart == nil || heldOn.Before(AddMonths(*enrolmentStart, 3)) {
		return AddMonths(heldOn, 1)
	}
	return AddMonths(heldOn, 3)
}

// AddMonths adds n calendar months to a date, keeping the day of the month where it
// exists and taking the month's last day where it does not (31 January + 1 month is
// 28 or 29 February), as PostgreSQL's date + interval does: the overdue list computes
// the first due date in SQL and must agree with this.
func AddMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, d.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, last)-1)
}

// Today is the Swedish calendar date of now, the day dates are compared with.
func Today(now time.Time) time.Time { return calendar.Today(now) }

func trim(errs *apperr.List, s *string, field string, limit int) {
	*s = strings.TrimSpace(*s)
	errs.Add(bounds.Text(field, *s, limit))
}
