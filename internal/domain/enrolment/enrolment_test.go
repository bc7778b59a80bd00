package enrolment

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func TestCreateInputReportsEveryBadField(t *testing.T) {
	t.Parallel()
	yes, short, rate, payer := true, "ok", 120, "bank"
	in := CreateInput{ParticipantID: "p", MeasureTypeCode: "extra_job", StartDate: day(2019, 1, 1),
		SocialAssistanceAtExit: &yes, OverrideReason: &short, EmploymentRate: &rate, WagePayer: &payer}
	err := in.Validate(day(2026, 1, 1))
	fields := map[string]bool{}
	for _, e := range apperr.All(err) {
		fields[e.Field] = true
	}
	for _, f := range []string{"input.socialAssistanceAtExit", "input.eligibilityOverride.reason", "input.employmentRate", "input.wagePayer"} {
		if !fields[f] {
			t.Errorf("no error on %s (got %v)", f, err)
		}
	}
	good, reason := 50, "  AF decided after a special assessment  "
	ok := CreateInput{ParticipantID: "p", MeasureTypeCode: "extra_job", StartDate: day(2019, 1, 1), EmploymentRate: &good, OverrideReason: &reason}
	if err := ok.Validate(day(2026, 1, 1)); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
	if *ok.OverrideReason != "AF decided after a special assessment" {
		t.Errorf("reason not trimmed: %q", *ok.OverrideReason)
	}
}

func TestDecisionDayAndRateOn(t *testing.T) {
	t.Parallel()
	dec := day(2018, 2, 26)
	if got := (&CreateInput{StartDate: day(2018, 3, 1)}).DecisionDay(); !got.Equal(day(2018, 3, 1)) {
		t.Errorf("decision day without a decision date = %v, want the start", got)
	}
	if got := (&CreateInput{StartDate: day(2018, 3, 1), DecisionDate: &dec}).DecisionDay(); !got.Equal(dec) {
		t.Errorf("decision day = %v, want the decision date", got)
	}
	rates := []*Rate{{ValidFrom: day(2018, 3, 1), Rate: 25}, {ValidFrom: day(2018, 6, 1), Rate: 100}}
	for _, c := range []struct {
		on   time.Time
		want int
	}{{day(2018, 2, 28), 0}, {day(2018, 3, 1), 25}, {day(2018, 5, 31), 25}, {day(2018, 6, 1), 100}, {day(2020, 1, 1), 100}} {
		got := RateOn(rates, c.on)
		if (got == nil && c.want != 0) || (got != nil && *got != c.want) {
			t.Errorf("rate on %s = %v, want %d", c.on.Format("2006-01-02"), got, c.want)
		}
	}
}
