package outcomes_test

import (
	"math"
	"testing"
	"time"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// personExitUnknownThenWork (seed situation a): Anna leaves an extra job on 20 June 2018
// back to AF. July: job seeking, social assistance paid (register). September: job
// seeking (AF). December (+6): nobody knows. March 2019: a follow-up call that reached
// nobody ("unknown"). April 2019: the employer reports full-time work without
// assistance; June 2019 (+12) AF confirms it.
func personExitUnknownThenWork() o.Person {
	return o.Person{ID: "anna", Gender: o.GenderWoman, BirthDate: date(1985, 4, 2),
		Enrolments: []o.Enrolment{{ID: "a1", MeasureCode: "extra_job", Start: date(2018, 1, 15),
			End: ptr(date(2018, 6, 20)), ExitReason: o.StatusJobSeeking}},
		Observations: []o.Observation{
			obs(2018, 7, o.StatusJobSeeking, "af_data", nil),
			obs(2018, 7, o.StatusUnknown, "social_assistance_register", yes),
			obs(2018, 9, o.StatusJobSeeking, "af_data", nil),
			obs(2019, 3, o.StatusUnknown, "phone_follow_up", nil),
			obs(2019, 4, o.StatusUnsubsidisedFull, "employer", no),
			obs(2019, 6, o.StatusUnsubsidisedFull, "af_data", nil),
			obs(2019, 6, o.StatusUnknown, "social_assistance_register", no),
		}}
}

// personPartTimeOnAssistance (seed situation c): Cecilia leaves an extra job on 31 March
// 2018 for a part-time job. At +6 (September) the call says full time, the employer part
// time, and the payment register shows social assistance still topping up her wage; at
// +12 (March 2019) the same: part time (AF), assistance paid (register).
func personPartTimeOnAssistance() o.Person {
	return o.Person{ID: "cecilia", Gender: o.GenderWoman, BirthDate: date(1979, 11, 3),
		Enrolments: []o.Enrolment{{ID: "c1", MeasureCode: "extra_job", Start: date(2017, 4, 1),
			End: ptr(date(2018, 3, 31)), ExitReason: o.StatusUnsubsidisedPart}},
		Observations: []o.Observation{
			obs(2018, 9, o.StatusUnsubsidisedFull, "phone_follow_up", no),
			obs(2018, 9, o.StatusUnsubsidisedPart, "employer", nil),
			obs(2018, 9, o.StatusUnknown, "social_assistance_register", yes),
			obs(2019, 3, o.StatusUnsubsidisedPart, "af_data", nil),
			obs(2019, 3, o.StatusUnknown, "social_assistance_register", yes),
		}}
}

func TestExitThenUnknownThenWork(t *testing.T) {
	t.Parallel()
	p := personExitUnknownThenWork()
	e := p.Enrolments[0]

	for _, c := range []struct {
		k      int
		status string
		sa     int8
	}{
		{1, o.StatusJobSeeking, 1},
		{3, o.StatusJobSeeking, -1},
		{6, o.StatusUnknown, -1},
		{9, o.StatusUnknown, -1}, // a source saying "unknown" is not knowledge
		{10, o.StatusUnsubsidisedFull, 0},
		{12, o.StatusUnsubsidisedFull, 0},
	} {
		st, sa, exited := o.StatusAfterExit(p, e, c.k)
		if !exited || st != c.status || sa != c.sa {
			t.Errorf("+%d = %s/%d/%v, want %s/%d", c.k, st, sa, exited, c.status, c.sa)
		}
	}
	checkFact(t, "in work or studies +6", o.InWorkOrStudies(p, e, 6), unknown)
	checkFact(t, "in work or studies +12", o.InWorkOrStudies(p, e, 12), known(true))
	checkFact(t, "self-sufficient +6", o.SelfSufficient(p, e, 6), unknown)
	checkFact(t, "self-sufficient +12", o.SelfSufficient(p, e, 12), known(true))
	// Default lasting: +6 unknown, +12 passes, nothing fails: unknown, not "no".
	checkFact(t, "lasting (default)", o.DefaultLasting.Eval(p, e), unknown)

	only12, err := o.NewLasting(o.LastingParams{Horizons: []int{12}, RequireNoSocialAssistance: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "lasting/1?h=12&s=studies,unsubsidised_employment_full,unsubsidised_employment_part&sa=1"; only12.Version() != want {
		t.Errorf("version = %q, want %q", only12.Version(), want)
	}
	checkFact(t, "lasting at +12 only", only12.Eval(p, e), known(true))
	// July 2018 (+1): assistance paid.
	checkFact(t, "returned to social assistance", o.ReturnedToSocialAssistance(p, e), known(true))
	// Her window (20 June 2018, 20 June 2019] is over by 1 July 2019: known no. On
	// 1 June 2019, or on its last day, a return could still come: unknown.
	checkFact(t, "re-entry", o.ReEntryAsOf(p, e, date(2019, 7, 1)), known(false))
	checkFact(t, "re-entry, window open", o.ReEntryAsOf(p, e, date(2019, 6, 1)), unknown)
	checkFact(t, "re-entry, on the window's last day", o.ReEntryAsOf(p, e, date(2019, 6, 20)), unknown)
	checkFact(t, "re-entry, the day after", o.ReEntryAsOf(p, e, date(2019, 6, 21)), known(false))

	// Time to first job: April 2019 is the first employed month.
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit); m != 10 || !ev || !ok {
		t.Errorf("from exit = %d/%v/%v, want 10 months, event", m, ev, ok)
	}
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromStart); m != 15 || !ev || !ok {
		t.Errorf("from start = %d/%v/%v, want 15 months, event", m, ev, ok)
	}
	// Had the history stopped in March 2019, she would be censored at September 2018,
	// the last month whose status is known (March 2019's "unknown" does not count).
	p.Observations = p.Observations[:4]
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit); m != 3 || ev || !ok {
		t.Errorf("from exit, history to March = %d/%v/%v, want censored at 3", m, ev, ok)
	}
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromStart); m != 8 || ev || !ok {
		t.Errorf("from start, history to March = %d/%v/%v, want censored at 8", m, ev, ok)
	}
	p.Observations = nil
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit); m != 0 || ev || !ok {
		t.Errorf("from exit, nothing known = %d/%v/%v, want censored at 0", m, ev, ok)
	}
	// Returned to assistance is unknown without the register: 12 months unobserved.
	checkFact(t, "returned, nothing known", o.ReturnedToSocialAssistance(p, e), unknown)
}

func TestPartTimeOnSocialAssistance(t *testing.T) {
	t.Parallel()
	p := personPartTimeOnAssistance()
	e := p.Enrolments[0]

	if st, sa, _ := o.StatusAfterExit(p, e, 6); st != o.StatusUnsubsidisedPart || sa != 1 {
		t.Errorf("+6 = %s/%d, want part time with assistance", st, sa)
	}
	checkFact(t, "in work or studies +6", o.InWorkOrStudies(p, e, 6), known(true))
	checkFact(t, "self-sufficient +6", o.SelfSufficient(p, e, 6), known(false))
	checkFact(t, "in work or studies +12", o.InWorkOrStudies(p, e, 12), known(true))
	checkFact(t, "self-sufficient +12", o.SelfSufficient(p, e, 12), known(false))
	checkFact(t, "lasting (default)", o.DefaultLasting.Eval(p, e), known(false))
	checkFact(t, "returned to social assistance", o.ReturnedToSocialAssistance(p, e), known(true))

	// Without the social-assistance condition, part-time work at +6 and +12 is lasting.
	noSA, err := o.NewLasting(o.LastingParams{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "lasting/1?h=6,12&s=studies,unsubsidised_employment_full,unsubsidised_employment_part&sa=0"; noSA.Version() != want {
		t.Errorf("version = %q, want %q", noSA.Version(), want)
	}
	checkFact(t, "lasting without the assistance condition", noSA.Eval(p, e), known(true))

	// Known to fail at +6, so +12 no longer matters: known false even with +12 unknown.
	p.Observations = p.Observations[:3]
	checkFact(t, "lasting, +12 unknown", o.DefaultLasting.Eval(p, e), known(false))
	checkFact(t, "lasting without assistance, +12 unknown", noSA.Eval(p, e), unknown)
}

// The exit cohort of Anna and Cecilia, counted: every figure says how many were known.
func TestCohortFiguresCountKnown(t *testing.T) {
	t.Parallel()
	people := []o.Person{personExitUnknownThenWork(), personPartTimeOnAssistance()}
	var ws6, ws12, ss6, lasting []o.Fact
	for _, p := range people {
		e := p.Enrolments[0]
		if !o.ExitedIn(e, date(2018, 1, 1), date(2019, 1, 1)) {
			t.Fatalf("%s not in the 2018 exit cohort", e.ID)
		}
		ws6 = append(ws6, o.InWorkOrStudies(p, e, 6))
		ws12 = append(ws12, o.InWorkOrStudies(p, e, 12))
		ss6 = append(ss6, o.SelfSufficient(p, e, 6))
		lasting = append(lasting, o.DefaultLasting.Eval(p, e))
	}
	checkFigure(t, "in work or studies +6", o.Summarise(o.InWorkOrStudiesVersion, ws6), 2, 1, 1, 1)
	checkFigure(t, "in work or studies +12", o.Summarise(o.InWorkOrStudiesVersion, ws12), 2, 2, 2, 1)
	checkFigure(t, "self-sufficient +6", o.Summarise(o.SelfSufficientVersion, ss6), 2, 1, 0, 0)
	f := o.Summarise(o.DefaultLasting.Version(), lasting)
	checkFigure(t, "lasting", f, 2, 1, 0, 0)
	if f.Version != o.DefaultLastingVersion {
		t.Errorf("figure version = %q", f.Version)
	}
	checkFigure(t, "nothing known", o.Summarise("x", []o.Fact{unknown}), 1, 0, 0, math.NaN())

	// Due: Anna's +12 month (June 2019) has begun by 1 June 2019, not by 31 May.
	e := people[0].Enrolments[0]
	if o.Due(e, 12, date(2019, 5, 31)) || !o.Due(e, 12, date(2019, 6, 1)) {
		t.Error("due at +12 should start in June 2019")
	}
}

// personComingBack (seed situation b): Bertil comes back "for the fourth time".
func personComingBack() o.Person {
	return o.Person{ID: "bertil", Gender: o.GenderMan, BirthDate: date(1970, 2, 1),
		Enrolments: []o.Enrolment{
			{ID: "b3", MeasureCode: "extra_job", Start: date(2018, 10, 31), End: ptr(date(2019, 2, 28)), ExitReason: o.StatusDroppedOut},
			{ID: "b1", MeasureCode: "work_practice", Start: date(2017, 2, 1), End: ptr(date(2017, 8, 31)), ExitReason: o.StatusJobSeeking},
			{ID: "b4", MeasureCode: "work_practice", Start: date(2020, 4, 1)},
			{ID: "b2", MeasureCode: "work_practice", Start: date(2018, 1, 10), End: ptr(date(2018, 5, 31)), ExitReason: o.StatusJobSeeking},
		},
		Referrals: []o.Referral{
			{Date: date(2017, 1, 20), Source: "social_services"},
			{Date: date(2020, 2, 29), Source: "social_services"}, // b3's window ends 28 Feb 2020
		}}
}

func TestReEntryAndEntryNumber(t *testing.T) {
	t.Parallel()
	p := personComingBack()
	later := date(2021, 1, 1) // every window is over
	cases := []struct {
		id      string
		reEntry o.Fact
		entry   int
	}{
		{"b1", known(true), 1},  // b2 starts 10 Jan 2018, within (31 Aug 2017, 31 Aug 2018]
		{"b2", known(true), 2},  // b3 starts 31 Oct 2018, five months after the exit
		{"b3", known(false), 3}, // referral 29 Feb 2020 and b4 (April 2020) fall after 28 Feb 2020
		{"b4", unknown, 4},      // running: no exit, no window
	}
	warnings := 0
	for _, c := range cases {
		e := enrolment(t, p, c.id)
		checkFact(t, "re-entry "+c.id, o.ReEntryAsOf(p, e, later), c.reEntry)
		if got := o.EntryNumber(p, e); got != c.entry {
			t.Errorf("entry number %s = %d, want %d", c.id, got, c.entry)
		}
		if o.EntryNumber(p, e) >= o.RepeatedEntryWarning {
			warnings++
		}
	}
	if warnings != 2 {
		t.Errorf("entries at or above the warning = %d, want 2 (the 3rd and 4th)", warnings)
	}
	facts := []o.Fact{}
	for _, c := range cases {
		facts = append(facts, o.ReEntryAsOf(p, enrolment(t, p, c.id), later))
	}
	checkFigure(t, "re-entry", o.Summarise(o.ReEntryVersion, facts), 4, 3, 2, 2.0/3)

	// A return is known as soon as it is recorded, long before the window ends; no
	// return is known only after the window's last day (28 Feb 2020 for b3).
	checkFact(t, "re-entry b2 as of 1 Nov 2018", o.ReEntryAsOf(p, enrolment(t, p, "b2"), date(2018, 11, 1)), known(true))
	checkFact(t, "re-entry b3 as of 1 Feb 2020", o.ReEntryAsOf(p, enrolment(t, p, "b3"), date(2020, 2, 1)), unknown)
	checkFact(t, "re-entry b3 as of 28 Feb 2020", o.ReEntryAsOf(p, enrolment(t, p, "b3"), date(2020, 2, 28)), unknown)
	checkFact(t, "re-entry b3 as of 1 Mar 2020", o.ReEntryAsOf(p, enrolment(t, p, "b3"), date(2020, 3, 1)), known(false))

	// The window's last day counts.
	p.Referrals[1].Date = date(2020, 2, 28)
	checkFact(t, "re-entry b3, referral on the last day", o.ReEntryAsOf(p, enrolment(t, p, "b3"), later), known(true))

	// A move into another measure on the exit day itself is a continuation.
	p = personComingBack()
	p.Enrolments = append(p.Enrolments, o.Enrolment{ID: "b5", MeasureCode: "sfi", Start: date(2019, 2, 28)})
	checkFact(t, "re-entry b3, same-day transfer", o.ReEntryAsOf(p, enrolment(t, p, "b3"), later), known(false))

	// Same start date: ordered by ID, numbers stay distinct.
	p = o.Person{Enrolments: []o.Enrolment{{ID: "y", Start: date(2019, 1, 1)}, {ID: "x", Start: date(2019, 1, 1)}}}
	if o.EntryNumber(p, p.Enrolments[1]) != 1 || o.EntryNumber(p, p.Enrolments[0]) != 2 {
		t.Error("same-day starts should be numbered by ID")
	}
}

func TestReturnedToSocialAssistanceNeedsTwelveKnownMonths(t *testing.T) {
	t.Parallel()
	e := o.Enrolment{ID: "e", Start: date(2018, 1, 1), End: ptr(date(2018, 12, 10)), ExitReason: o.StatusStudies}
	p := o.Person{Enrolments: []o.Enrolment{e},
		// December 2018 (the exit month) paid: not a return. 2019-01..2019-12: none paid.
		Observations: []o.Observation{obs(2018, 12, o.StatusUnknown, "social_assistance_register", yes)}}
	for m := time.January; m <= time.December; m++ {
		p.Observations = append(p.Observations, obs(2019, m, o.StatusUnknown, "social_assistance_register", no))
	}
	checkFact(t, "12 months without", o.ReturnedToSocialAssistance(p, e), known(false))
	p.Observations = p.Observations[:12] // December 2019 (+12) unobserved
	checkFact(t, "11 months without", o.ReturnedToSocialAssistance(p, e), unknown)
	p.Observations = append(p.Observations, obs(2020, 1, o.StatusUnknown, "social_assistance_register", yes))
	checkFact(t, "paid at +13 only", o.ReturnedToSocialAssistance(p, e), unknown)
}

func TestLastingParams(t *testing.T) {
	t.Parallel()
	l, err := o.NewLasting(o.LastingParams{Horizons: []int{24, 6, 12, 6},
		Statuses: []string{o.StatusStudies, o.StatusUnsubsidisedFull, o.StatusStudies}})
	if err != nil {
		t.Fatal(err)
	}
	want := "lasting/1?h=6,12,24&s=studies,unsubsidised_employment_full&sa=0"
	if l.Version() != want {
		t.Errorf("version = %q, want %q", l.Version(), want)
	}
	back, err := o.ParseLastingVersion(want)
	if err != nil || back.Version() != want {
		t.Errorf("parse = %q, %v", back.Version(), err)
	}
	if o.DefaultLasting.Version() != o.DefaultLastingVersion {
		t.Errorf("default version = %q", o.DefaultLasting.Version())
	}
	if _, err := o.ParseLastingVersion(o.DefaultLastingVersion); err != nil {
		t.Errorf("parse default: %v", err)
	}
	for _, bad := range []o.LastingParams{
		{Horizons: []int{-1}},
		{Statuses: []string{o.StatusUnknown}},
		{Statuses: []string{"employed"}},
	} {
		if _, err := o.NewLasting(bad); err == nil {
			t.Errorf("NewLasting(%+v) accepted", bad)
		}
	}
	for _, bad := range []string{"lasting/2?h=6&s=studies&sa=1", "lasting/1?h=12,6&s=studies&sa=1", "lasting/1?h=6&s=studies&sa=2"} {
		if _, err := o.ParseLastingVersion(bad); err == nil {
			t.Errorf("ParseLastingVersion(%q) accepted", bad)
		}
	}
}
