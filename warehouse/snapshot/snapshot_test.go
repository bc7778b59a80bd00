package snapshot_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

type plainKeys struct{}

func (plainKeys) Person(id string) string    { return "p:" + id }
func (plainKeys) Enrolment(id string) string { return "e:" + id }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func ptr[T any](v T) *T                         { return &v }

// A person leaves an extra job in March 2018; nothing is heard at +3; at +6 she works
// part time with social assistance still paid (register); at +12 she works full time.
func TestBuildExitThenUnknownThenWork(t *testing.T) {
	t.Parallel()
	p := snapshot.Person{OrgID: "o", ID: "1", Gender: "woman", BirthDate: date(1985, 4, 2),
		Enrolments: []snapshot.Enrolment{{ID: "a", MeasureCode: "extra_job", Start: date(2017, 3, 15),
			End: ptr(date(2018, 3, 14)), ExitReason: "job_seeking"}},
		Observations: []snapshot.Observation{
			{Month: date(2018, 9, 1), Status: "unsubsidised_employment_part", Source: "phone_follow_up"},
			{Month: date(2018, 9, 1), Status: "unknown", SocialAssistance: ptr(true), Source: "social_assistance_register"},
			{Month: date(2019, 3, 1), Status: "unsubsidised_employment_full", SocialAssistance: ptr(false), Source: "af_data"},
		}}
	months, enrolments := snapshot.Build(p, date(2019, 6, 20), plainKeys{})

	if got, want := len(months), 28; got != want { // March 2017 .. June 2019
		t.Fatalf("months: got %d rows, want %d", got, want)
	}
	if m := months[0]; m.Month != date(2017, 3, 1) || m.InMeasure != 1 || m.MeasureCode != "extra_job" || m.Status != "unknown" || m.Source != "" {
		t.Errorf("first month = %+v", m)
	}
	exitMonth := months[12] // March 2018: still in the measure that month
	if exitMonth.Month != date(2018, 3, 1) || exitMonth.InMeasure != 1 {
		t.Errorf("exit month = %+v", exitMonth)
	}
	if m := months[13]; m.InMeasure != 0 || m.Status != "unknown" || m.SocialAssistance != -1 {
		t.Errorf("April 2018 = %+v, want out of the measure with unknown status", m)
	}
	if m := months[18]; m.Month != date(2018, 9, 1) || m.Status != "unsubsidised_employment_part" || m.SocialAssistance != 1 {
		t.Errorf("September 2018 = %+v, want part-time work with social assistance", m)
	}

	want := []snapshot.EnrolmentRow{{OrgID: "o", EnrolmentKey: "e:a", PersonKey: "p:1", Gender: "woman", BirthYear: 1985,
		MeasureCode: "extra_job", Start: date(2017, 3, 15), Exited: 1, ExitDate: date(2018, 3, 14), ExitReason: "job_seeking",
		Status: [4]string{"unknown", "unsubsidised_employment_part", "unsubsidised_employment_full", "unknown"},
		SA:     [4]int8{-1, 1, 0, -1}}}
	if diff := cmp.Diff(want, enrolments, cmpopts.IgnoreFields(snapshot.EnrolmentRow{}, "Facts")); diff != "" {
		t.Errorf("enrolment rows (-want +got):\n%s", diff)
	}
}

// Re-entry: after an exit to job seeking, the person starts work practice. Nobody
// observed the months after exit, so they are unknown: our own enrolment records never
// stand in for an observation (outcomes.StatusVersion; exit-cohort/1 read them as
// "other measure").
func TestBuildEnrolmentIsNotAnObservation(t *testing.T) {
	t.Parallel()
	p := snapshot.Person{OrgID: "o", ID: "2", Gender: "man", BirthDate: date(1990, 1, 1),
		Enrolments: []snapshot.Enrolment{
			{ID: "a", MeasureCode: "extra_job", Start: date(2018, 1, 1), End: ptr(date(2018, 6, 30)), ExitReason: "job_seeking"},
			{ID: "b", MeasureCode: "work_practice", Start: date(2018, 11, 1)},
		}}
	months, enrolments := snapshot.Build(p, date(2019, 12, 1), plainKeys{})
	if got := enrolments[0].Status; got != [4]string{"unknown", "unknown", "unknown", "unknown"} {
		t.Errorf("statuses after exit = %v", got)
	}
	if enrolments[1].Exited != 0 || enrolments[1].ExitDate != snapshot.Epoch {
		t.Errorf("open enrolment = %+v", enrolments[1])
	}
	if last := months[len(months)-1]; last.Month != date(2019, 12, 1) || last.MeasureCode != "work_practice" || last.Status != "unknown" {
		t.Errorf("last month = %+v: an open enrolment runs to the current month", last)
	}
}

// Horizons not yet reached stay unknown, and the timeline grows when the month turns.
func TestBuildNotYetDueAndRollover(t *testing.T) {
	t.Parallel()
	p := snapshot.Person{OrgID: "o", ID: "3", Gender: "other", BirthDate: date(2000, 1, 1),
		Enrolments: []snapshot.Enrolment{{ID: "a", MeasureCode: "work_practice", Start: date(2024, 1, 10),
			End: ptr(date(2024, 5, 31)), ExitReason: "studies"}},
		Observations: []snapshot.Observation{{Month: date(2024, 8, 1), Status: "studies", Source: "caseworker"}}}
	m1, e1 := snapshot.Build(p, date(2024, 11, 5), plainKeys{})
	m2, _ := snapshot.Build(p, date(2024, 12, 1), plainKeys{})
	if len(m2) != len(m1)+1 {
		t.Errorf("rollover: %d rows in November, %d in December", len(m1), len(m2))
	}
	if got := e1[0].Status; got != [4]string{"studies", "unknown", "unknown", "unknown"} {
		t.Errorf("statuses = %v", got)
	}
}

func TestBuildNoHistoryNoRows(t *testing.T) {
	t.Parallel()
	months, enrolments := snapshot.Build(snapshot.Person{OrgID: "o", ID: "4", Gender: "man", BirthDate: date(1970, 1, 1)},
		date(2020, 1, 1), plainKeys{})
	if len(months) != 0 || len(enrolments) != 0 {
		t.Errorf("got %d months and %d enrolments for a person without history", len(months), len(enrolments))
	}
}

// TestBuildFacts: the characteristics at start and the outcome facts land on the row.
func TestBuildFacts(t *testing.T) {
	t.Parallel()
	yes, no, days := true, false, 500
	red, primary := "red", "pre_upper_secondary"
	end := date(2018, 2, 28)
	p := snapshot.Person{OrgID: "o", OrgCode: "uppsala", ID: "p1", Gender: "woman", BirthDate: date(1990, 6, 1),
		Attributes: []snapshot.Attributes{
			{ValidFrom: date(2016, 1, 1), RegisteredAtAf: &yes, GuaranteeDays: &days, NewlyArrived: &no, DistanceCategory: &red, EducationLevel: &primary},
		},
		Referrals:  []snapshot.Referral{{Date: date(2017, 1, 5), Source: "social_services"}},
		Enrolments: []snapshot.Enrolment{{ID: "a", MeasureCode: "extra_job", Category: "employment", MunicipalEmployment: true, Start: date(2017, 3, 1), End: &end, ExitReason: "unsubsidised_employment_full", Unit: "Enhet anställning"}},
		Observations: []snapshot.Observation{
			{Month: date(2018, 8, 1), Status: "unsubsidised_employment_full", SocialAssistance: &no, Source: "phone_follow_up"},
			{Month: date(2019, 2, 1), Status: "unsubsidised_employment_full", SocialAssistance: &no, Source: "phone_follow_up"},
		}}
	_, rows := snapshot.Build(p, date(2020, 1, 1), plainKeys{})
	f := rows[0].Facts
	if f.OrgCode != "uppsala" || f.AgeAtStart != 26 || f.AgeBand != "25_29" || f.NewlyArrived != 0 || f.DistanceCategory != "red" ||
		f.ReferralSource != "social_services" || f.MunicipalEmployment != 1 || f.Unit != "Enhet anställning" {
		t.Errorf("characteristics = %+v", f)
	}
	if len(f.StatusAfter) != snapshot.MonthsAfterExit+1 || f.StatusAfter[6] != "unsubsidised_employment_full" || f.SAAfter[6] != 0 ||
		f.StatusAfter[12] != "unsubsidised_employment_full" || f.StatusAfter[7] != "unknown" || f.SAAfter[7] != -1 {
		t.Errorf("months after exit = %v %v", f.StatusAfter, f.SAAfter)
	}
	// Months after 2020-01 (exit + 23) are not due yet and stay unknown.
	if f.StatusAfter[24] != "unknown" {
		t.Errorf("status at +24 (not yet due) = %q", f.StatusAfter[24])
	}
	if f.JobEventFromExit != 1 || f.JobMonthsFromExit != 6 || f.EntryNumber != 1 || f.WIOAExit != 1 || f.ESFLastSpell != 1 || f.ESFComplete != 1 {
		t.Errorf("facts = %+v", f)
	}
}

// TestBuildFactsDependOnTheLoadMonth: re-entry "no" waits for the end of its window, a
// move into another measure is outside the Kolada population (-2), and a closed WIOA
// period is stored before its 90 days have passed (the query applies them).
func TestBuildFactsDependOnTheLoadMonth(t *testing.T) {
	t.Parallel()
	p := snapshot.Person{OrgID: "o", ID: "p2", Gender: "man", BirthDate: date(1980, 1, 1),
		Enrolments: []snapshot.Enrolment{
			{ID: "a", MeasureCode: "work_practice", Start: date(2019, 1, 1), End: ptr(date(2019, 3, 31)), ExitReason: "subsidised_employment"},
			{ID: "b", MeasureCode: "labour_market_employment", MunicipalEmployment: true, Start: date(2019, 4, 15),
				End: ptr(date(2020, 4, 14)), ExitReason: "unsubsidised_employment_full"},
		}}
	byID := func(rows []snapshot.EnrolmentRow) map[string]snapshot.Facts {
		out := map[string]snapshot.Facts{}
		for _, r := range rows {
			out[r.EnrolmentKey] = r.Facts
		}
		return out
	}
	// May 2020: a re-entered (b started 15 April 2019); b's window runs to 14 April 2021.
	// The period a+b closed on 14 April 2020, less than 90 days before: stored anyway.
	_, rows := snapshot.Build(p, date(2020, 5, 20), plainKeys{})
	f := byID(rows)
	if f["e:a"].Reentry12 != 1 || f["e:b"].Reentry12 != -1 {
		t.Errorf("re-entry in May 2020: a %d, b %d; want 1 and -1 (window open)", f["e:a"].Reentry12, f["e:b"].Reentry12)
	}
	if f["e:a"].Kolada != snapshot.KoladaNotLeft || f["e:b"].Kolada != 1 {
		t.Errorf("kolada: a %d (moved on to b within 31 days), b %d", f["e:a"].Kolada, f["e:b"].Kolada)
	}
	if f["e:a"].WIOAExit != 0 || f["e:b"].WIOAExit != 1 || !f["e:b"].WIOAExitDate.Equal(date(2020, 4, 14)) {
		t.Errorf("WIOA: a %d, b %d %v", f["e:a"].WIOAExit, f["e:b"].WIOAExit, f["e:b"].WIOAExitDate)
	}
	// May 2021 (first of the month): b's window ended on 14 April 2021: known no.
	_, rows = snapshot.Build(p, date(2021, 5, 1), plainKeys{})
	if got := byID(rows)["e:b"].Reentry12; got != 0 {
		t.Errorf("re-entry of b in May 2021 = %d, want 0", got)
	}
	// April 2021: the load's month starts on 1 April, before the window's last day.
	_, rows = snapshot.Build(p, date(2021, 4, 30), plainKeys{})
	if got := byID(rows)["e:b"].Reentry12; got != -1 {
		t.Errorf("re-entry of b in April 2021 = %d, want -1", got)
	}
}

// The monthly rows, the enrolment rows and the facts read a month by the one rule
// (outcomes.Resolve): two sources disagree about September 2018, the phone call says
// full time without assistance, AF says job seeking, and the payment register says paid.
// AF outranks the call; any "paid" wins.
func TestBuildUsesTheOneRule(t *testing.T) {
	t.Parallel()
	p := snapshot.Person{OrgID: "o", ID: "5", Gender: "woman", BirthDate: date(1990, 1, 1),
		Enrolments: []snapshot.Enrolment{{ID: "a", MeasureCode: "extra_job", Start: date(2017, 9, 1),
			End: ptr(date(2018, 3, 10)), ExitReason: "job_seeking"}},
		Observations: []snapshot.Observation{
			{Month: date(2018, 9, 1), Status: "unsubsidised_employment_full", SocialAssistance: ptr(false), Source: "phone_follow_up"},
			{Month: date(2018, 9, 1), Status: "job_seeking", Source: "af_data"},
			{Month: date(2018, 9, 1), Status: "unknown", SocialAssistance: ptr(true), Source: "social_assistance_register"},
		}}
	months, rows := snapshot.Build(p, date(2019, 6, 1), plainKeys{})
	var sep snapshot.MonthRow
	for _, m := range months {
		if m.Month.Equal(date(2018, 9, 1)) {
			sep = m
		}
	}
	if sep.Status != "job_seeking" || sep.SocialAssistance != 1 || sep.Source != "af_data" {
		t.Errorf("September 2018 row = %+v, want job_seeking, assistance paid, from af_data", sep)
	}
	if r := rows[0]; r.Status[1] != "job_seeking" || r.SA[1] != 1 || r.Facts.StatusAfter[6] != "job_seeking" || r.Facts.SAAfter[6] != 1 {
		t.Errorf("+6 = %s/%d, status_after[6] = %s/%d; want job_seeking/1 in both", r.Status[1], r.SA[1], r.Facts.StatusAfter[6], r.Facts.SAAfter[6])
	}
}
