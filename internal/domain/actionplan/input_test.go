package actionplan_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dayPtr(s string) *time.Time { t := day(s); return &t }

func TestNextDue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, heldOn, start, want string
	}{
		{"no enrolment: monthly", "2024-05-20", "", "2024-06-20"},
		{"young enrolment: monthly", "2024-02-15", "2024-01-10", "2024-03-15"},
		{"the day before three months: still monthly", "2024-04-09", "2024-01-10", "2024-05-09"},
		{"three months to the day: every third month", "2024-04-10", "2024-01-10", "2024-07-10"},
		{"old enrolment: every third month", "2024-06-01", "2023-01-01", "2024-09-01"},
		{"month end clamps (leap year)", "2024-01-31", "", "2024-02-29"},
		{"month end clamps", "2023-01-31", "", "2023-02-28"},
		{"three months from 30 November", "2024-11-30", "2023-01-01", "2025-02-28"},
		{"started 30 November: 29 February (clamped) is three months on", "2024-02-29", "2023-11-30", "2024-05-29"},
		{"started 30 November: 28 February is not yet", "2024-02-28", "2023-11-30", "2024-03-28"},
		{"over the new year", "2024-12-15", "", "2025-01-15"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var start *time.Time
			if c.start != "" {
				start = dayPtr(c.start)
			}
			if got := actionplan.NextDue(day(c.heldOn), start); !got.Equal(day(c.want)) {
				t.Errorf("NextDue(%s, %s) = %s, want %s", c.heldOn, c.start, got.Format(time.DateOnly), c.want)
			}
		})
	}
}

func fields(err error) []string {
	var out []string
	for _, e := range apperr.All(err) {
		if e.Code != apperr.Invalid {
			out = append(out, "not INVALID: "+e.Field)
			continue
		}
		out = append(out, e.Field)
	}
	sort.Strings(out)
	return out
}

func TestSaveInputListsEveryBadField(t *testing.T) {
	t.Parallel()
	now := day("2024-06-15").Add(15 * time.Hour)
	in := actionplan.SaveInput{
		ParticipantID: "p",
		Goal:          "   ",
		Responsible:   strings.Repeat("x", 201),
		Steps: []actionplan.StepInput{
			{Description: ""},
			{Description: "Praktik", DoneDate: dayPtr("2024-06-16")},
			{Description: strings.Repeat("å", 2001)},
			{Description: "Kartläggning", DoneDate: dayPtr("2024-06-15")}, // today is fine
		},
	}
	got := strings.Join(fields(in.Validate(now)), " ")
	want := "input.goal input.responsible input.steps[0].description input.steps[1].doneDate input.steps[2].description"
	if got != want {
		t.Errorf("fields = %s\nwant     %s", got, want)
	}
	ok := actionplan.SaveInput{ParticipantID: "p", Goal: " Arbete ", Steps: []actionplan.StepInput{{Description: strings.Repeat("å", 2000)}}}
	if err := ok.Validate(now); err != nil || ok.Goal != "Arbete" {
		t.Errorf("valid input: %v (goal %q)", err, ok.Goal)
	}
}

func TestFollowUpInputListsEveryBadField(t *testing.T) {
	t.Parallel()
	now := day("2024-06-15")
	in := actionplan.FollowUpInput{ParticipantID: "p", HeldOn: day("2024-06-16"), Attendees: []string{"coach", " "},
		Notes: strings.Repeat("x", 4001)}
	got := strings.Join(fields(in.Validate(now)), " ")
	if want := "input.attendees[1] input.heldOn input.notes"; got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
	in = actionplan.FollowUpInput{ParticipantID: "p", HeldOn: day("2024-06-01"), NextDueDate: dayPtr("2024-06-01")}
	if got := strings.Join(fields(in.Validate(now)), " "); got != "input.nextDueDate" {
		t.Errorf("next due on the meeting day: %s", got)
	}
	in = actionplan.FollowUpInput{ParticipantID: "p", HeldOn: day("1999-12-31")}
	if got := strings.Join(fields(in.Validate(now)), " "); got != "input.heldOn" {
		t.Errorf("meeting before 2000: %s", got)
	}
}
