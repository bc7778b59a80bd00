package referral_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
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

func ptr[T any](v T) *T { return &v }

// fields lists the fields of every error in err, sorted; a non-INVALID error is marked.
func fields(err error) string {
	var out []string
	for _, e := range apperr.All(err) {
		if e.Code != apperr.Invalid {
			out = append(out, "not INVALID: "+e.Field)
			continue
		}
		out = append(out, e.Field)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestCreateInputListsEveryBadField(t *testing.T) {
	t.Parallel()
	now := day("2024-06-15").Add(21 * time.Hour) // 23:00 in Stockholm: still the 15th
	for _, c := range []struct {
		name string
		in   referral.CreateInput
		want string
	}{
		{"everything wrong", referral.CreateInput{Source: "neighbour", ReferralDate: day("2024-06-16"), Ordered: nil,
			ReferringOfficer: strings.Repeat("x", 201), Notes: strings.Repeat("x", 4001)},
			"input.notes input.ordered input.participantId input.referralDate input.referringOfficer input.source"},
		{"unknown order", referral.CreateInput{ParticipantID: "p", Source: referral.AF, ReferralDate: day("2024-06-15"),
			Ordered: []referral.Order{referral.Mapping, "coffee"}}, "input.ordered"},
		{"no date", referral.CreateInput{ParticipantID: "p", Source: referral.AF, Ordered: []referral.Order{referral.Mapping}},
			"input.referralDate"},
		{"before 2000", referral.CreateInput{ParticipantID: "p", Source: referral.AF, ReferralDate: day("1999-12-31"),
			Ordered: []referral.Order{referral.Mapping}}, "input.referralDate"},
		{"feedback due before the referral", referral.CreateInput{ParticipantID: "p", Source: referral.AF, ReferralDate: day("2024-06-10"),
			Ordered: []referral.Order{referral.Mapping}, FeedbackDueDate: dayPtr("2024-06-09")}, "input.feedbackDueDate"},
		{"valid: today, due the same day", referral.CreateInput{ParticipantID: "p", Source: referral.Self, ReferralDate: day("2024-06-15"),
			Ordered: []referral.Order{referral.Mapping}, FeedbackDueDate: dayPtr("2024-06-15")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fields(c.in.Validate(now)); got != c.want {
				t.Errorf("fields = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCreateInputDropsRepeatedOrders(t *testing.T) {
	t.Parallel()
	in := referral.CreateInput{ParticipantID: "p", Source: referral.AF, ReferralDate: day("2024-01-01"), ReferringOfficer: "  Berg ",
		Ordered: []referral.Order{referral.Mapping, referral.JobHelp, referral.Mapping, referral.JobHelp}}
	if err := in.Validate(day("2024-06-15")); err != nil {
		t.Fatal(err)
	}
	if len(in.Ordered) != 2 || in.Ordered[0] != referral.Mapping || in.Ordered[1] != referral.JobHelp || in.ReferringOfficer != "Berg" {
		t.Errorf("normalised to %v, %q", in.Ordered, in.ReferringOfficer)
	}
}

func TestUpdateInputDates(t *testing.T) {
	t.Parallel()
	now, ref := day("2024-06-15"), day("2024-05-01")
	in := referral.UpdateInput{TripartiteMeetingDate: dayPtr("2024-04-30"), FeedbackSentDate: dayPtr("2024-06-16"),
		FeedbackDueDate: dayPtr("2024-04-01"), Notes: ptr(strings.Repeat("x", 4001))}
	if got, want := fields(in.Validate(ref, now)), "input.feedbackDueDate input.feedbackSentDate input.notes input.tripartiteMeetingDate"; got != want {
		t.Errorf("fields = %q, want %q", got, want)
	}
	in = referral.UpdateInput{TripartiteMeetingDate: dayPtr("2024-05-01"), FeedbackSentDate: dayPtr("2024-06-15")}
	if err := in.Validate(ref, now); err != nil {
		t.Errorf("the referral day and today are allowed: %v", err)
	}
}

func TestFeedbackOverdueOn(t *testing.T) {
	t.Parallel()
	r := referral.Referral{FeedbackDueDate: dayPtr("2024-06-14")}
	if !r.FeedbackOverdueOn(day("2024-06-15")) || r.FeedbackOverdueOn(day("2024-06-14")) {
		t.Error("due the day before is overdue; due today is not")
	}
	r.FeedbackSentDate = dayPtr("2024-06-15")
	if r.FeedbackOverdueOn(day("2024-06-20")) {
		t.Error("sent feedback is never overdue")
	}
}
