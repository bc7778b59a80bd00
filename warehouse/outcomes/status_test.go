package outcomes_test

import (
	"testing"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Three sources speak about September 2018: a follow-up call says full time and no
// assistance, the employer says part time, the payment register knows only that
// assistance was paid. The employer outranks the call for the status; the register's
// "paid" wins for social assistance.
func TestStatusInPrecedenceAndSocialAssistance(t *testing.T) {
	t.Parallel()
	p := o.Person{Observations: []o.Observation{
		obs(2018, 9, o.StatusUnsubsidisedFull, "phone_follow_up", no),
		obs(2018, 9, o.StatusUnsubsidisedPart, "employer", nil),
		obs(2018, 9, o.StatusUnknown, "social_assistance_register", yes),
		// October: only "no" answers and a caseworker note.
		obs(2018, 10, o.StatusJobSeeking, "caseworker", no),
		obs(2018, 10, o.StatusStudies, "participant_survey", nil),
		// November: an unknown status from the best source does not hide a known one.
		obs(2018, 11, o.StatusUnknown, "af_data", nil),
		obs(2018, 11, o.StatusSickLeave, "caseworker", nil),
		// December: af_data outranks sus.
		obs(2018, 12, o.StatusOtherMeasure, "sus", nil),
		obs(2018, 12, o.StatusJobSeeking, "af_data", nil),
	}}
	cases := []struct {
		month  int
		status string
		sa     int8
	}{
		{9, o.StatusUnsubsidisedPart, 1},
		{10, o.StatusStudies, 0},
		{11, o.StatusSickLeave, -1},
		{12, o.StatusJobSeeking, -1},
	}
	for _, c := range cases {
		st, sa := o.StatusIn(p, date(2018, 1, 1).AddDate(0, c.month-1, 14)) // mid-month works too
		if st != c.status || sa != c.sa {
			t.Errorf("2018-%02d: got %s/%d, want %s/%d", c.month, st, sa, c.status, c.sa)
		}
	}
}

// A month with no observation is unknown even when both neighbours agree.
func TestStatusInNeverGuesses(t *testing.T) {
	t.Parallel()
	p := o.Person{Observations: []o.Observation{
		obs(2019, 1, o.StatusUnsubsidisedFull, "af_data", no),
		obs(2019, 3, o.StatusUnsubsidisedFull, "af_data", no),
	}}
	if st, sa := o.StatusIn(p, date(2019, 2, 1)); st != o.StatusUnknown || sa != -1 {
		t.Errorf("February = %s/%d, want unknown/-1", st, sa)
	}
}

// Resolve names the source whose status won, and combines social assistance over every
// source; a month with only "unknown" statuses has no winning source.
func TestResolveNamesTheWinningSource(t *testing.T) {
	t.Parallel()
	got := o.Resolve([]o.Observation{
		obs(2020, 5, o.StatusStudies, "caseworker", no),
		obs(2020, 5, o.StatusJobSeeking, "sus", nil),
		obs(2020, 5, o.StatusUnknown, "af_data", yes),
	})
	if want := (o.MonthStatus{Status: o.StatusJobSeeking, SocialAssistance: o.SAYes, Source: "sus"}); got != want {
		t.Errorf("Resolve = %+v, want %+v", got, want)
	}
	got = o.Resolve([]o.Observation{obs(2020, 5, o.StatusUnknown, "af_data", no)})
	if want := (o.MonthStatus{Status: o.StatusUnknown, SocialAssistance: o.SANo}); got != want {
		t.Errorf("Resolve of an unknown status = %+v, want %+v", got, want)
	}
	if got := o.HistoryOf(o.Person{}).At(date(2020, 5, 1)); got.Status != o.StatusUnknown || got.SocialAssistance != o.SAUnknown || got.Source != "" {
		t.Errorf("an unobserved month = %+v", got)
	}
}
