package outcomes_test

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

var sources = []string{"phone_follow_up", "participant_survey", "social_assistance_register", "af_data", "sus", "employer", "caseworker"}

// randomPerson draws a history over 2017–2021: up to five enrolments, observations on a
// random subset of months (at most one per source and month, as in PostgreSQL), some
// referrals. Seeded, so a failure is reproducible from the printed index.
func randomPerson(r *rand.Rand, id int) o.Person {
	base := date(2017, 1, 1)
	at := func(maxDays int) time.Time { return base.AddDate(0, 0, r.IntN(maxDays)) }
	p := o.Person{ID: strconv.Itoa(id), Gender: []string{o.GenderWoman, o.GenderMan, o.GenderOther, o.GenderNotStated}[r.IntN(4)],
		BirthDate: date(1955+r.IntN(45), time.Month(1+r.IntN(12)), 1+r.IntN(28))}
	for i := range r.IntN(6) {
		e := o.Enrolment{ID: "e" + strconv.Itoa(i), MeasureCode: []string{"extra_job", "work_practice", "esf_kha"}[r.IntN(3)],
			MunicipalEmployment: r.IntN(4) == 0, Start: at(4 * 365)}
		if r.IntN(5) > 0 {
			end := e.Start.AddDate(0, 0, r.IntN(500))
			e.End, e.ExitReason = &end, o.Statuses[r.IntN(len(o.Statuses))]
		}
		p.Enrolments = append(p.Enrolments, e)
	}
	for m := 0; m < 60; m++ {
		if r.IntN(3) == 0 {
			continue
		}
		for _, s := range sources {
			if r.IntN(4) != 0 {
				continue
			}
			ob := o.Observation{Month: base.AddDate(0, m, 0), Status: o.Statuses[r.IntN(len(o.Statuses))], Source: s}
			if k := r.IntN(3); k < 2 {
				ob.SocialAssistance = ptr(k == 1)
			}
			p.Observations = append(p.Observations, ob)
		}
	}
	for range r.IntN(3) {
		p.Referrals = append(p.Referrals, o.Referral{Date: at(5 * 365), Source: "social_services"})
	}
	return p
}

// The invariants every definition must keep, over 1,500 random histories.
func TestPropertiesOfRandomHistories(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 2018))
	noSA, _ := o.NewLasting(o.LastingParams{})
	var facts = map[string][]o.Fact{}
	var fromStart, fromExit []o.Duration
	var sus []o.SUSTransition
	for i := range 1500 {
		p := randomPerson(r, i)
		checkStatusOrderFree(t, r, p, i)
		numbers := map[int]bool{}
		for _, e := range p.Enrolments {
			numbers[o.EntryNumber(p, e)] = true
			checkEnrolment(t, p, e, i, noSA)
			for _, k := range []int{3, 6, 12, 24} {
				facts["ws"+strconv.Itoa(k)] = append(facts["ws"+strconv.Itoa(k)], o.InWorkOrStudies(p, e, k))
			}
			facts["lasting"] = append(facts["lasting"], o.DefaultLasting.Eval(p, e))
			if f, left := o.KoladaResultAtExit(p, e); left {
				facts["kolada"] = append(facts["kolada"], f)
			}
			facts["reentry"] = append(facts["reentry"], o.ReEntryAsOf(p, e, date(2021, 1, 1)))
			facts["sa"] = append(facts["sa"], o.ReturnedToSocialAssistance(p, e))
			if m, ev, ok := o.TimeToFirstJob(p, e, o.FromStart); ok {
				fromStart = append(fromStart, o.Duration{Months: m, Event: ev})
			} else {
				t.Errorf("person %d: time from start not applicable", i)
			}
			if m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit); ok != (e.End != nil) {
				t.Errorf("person %d %s: from exit applicable=%v with end %v", i, e.ID, ok, e.End)
			} else if ok {
				fromExit = append(fromExit, o.Duration{Months: m, Event: ev})
			}
			if tr, ok := o.SUSBeforeAfter(p, e, ""); ok {
				sus = append(sus, tr)
			}
		}
		for n := 1; n <= len(p.Enrolments); n++ {
			if !numbers[n] {
				t.Errorf("person %d: entry numbers %v are not 1..%d", i, numbers, len(p.Enrolments))
			}
		}
		checkWIOA(t, p, i)
		checkESF(t, p, i)
	}
	for name, fs := range facts {
		f := o.Summarise(name, fs)
		if f.Known > f.N || f.Count > f.Known || (f.Share == nil) != (f.Known == 0) {
			t.Errorf("%s: %+v", name, f)
		}
	}
	checkCurve(t, "from start", fromStart)
	checkCurve(t, "from exit", fromExit)
	total := 0
	for _, row := range o.TransitionTable(sus) {
		for _, n := range row {
			total += n
		}
	}
	if total != len(sus) {
		t.Errorf("transition table sums to %d, want %d", total, len(sus))
	}
}

// StatusIn must not depend on the order in which observations were read.
func checkStatusOrderFree(t *testing.T, r *rand.Rand, p o.Person, i int) {
	t.Helper()
	q := p
	q.Observations = append([]o.Observation(nil), p.Observations...)
	r.Shuffle(len(q.Observations), func(a, b int) { q.Observations[a], q.Observations[b] = q.Observations[b], q.Observations[a] })
	for m := date(2017, 1, 1); m.Year() < 2022; m = m.AddDate(0, 1, 0) {
		s1, a1 := o.StatusIn(p, m)
		s2, a2 := o.StatusIn(q, m)
		if s1 != s2 || a1 != a2 {
			t.Fatalf("person %d %s: %s/%d vs shuffled %s/%d", i, m.Format("2006-01"), s1, a1, s2, a2)
		}
	}
}

func checkEnrolment(t *testing.T, p o.Person, e o.Enrolment, i int, noSA o.Lasting) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("person %d %s: "+format, append([]any{i, e.ID}, args...)...)
	}
	exited := e.End != nil
	kolada, left := o.KoladaResultAtExit(p, e)
	for _, f := range []o.Fact{o.InWorkOrStudies(p, e, 6), o.SelfSufficient(p, e, 6), o.DefaultLasting.Eval(p, e),
		o.ReturnedToSocialAssistance(p, e), o.ReEntryAsOf(p, e, date(2030, 1, 1)), kolada} {
		if f.Known && !exited || f.Value && !f.Known {
			fail("fact %+v (exited %v)", f, exited)
		}
	}
	// Re-entry: once every window is over, always known after exit; earlier, a known
	// answer never changes later, and a "no" is known only after the window's last day.
	final := o.ReEntryAsOf(p, e, date(2030, 1, 1))
	if exited && !final.Known {
		fail("re-entry unknown after exit with every window over")
	}
	for _, asOf := range []time.Time{date(2017, 6, 1), date(2018, 3, 1), date(2019, 1, 1), date(2020, 7, 1), date(2021, 6, 1)} {
		f := o.ReEntryAsOf(p, e, asOf)
		if f.Known && f != final {
			fail("re-entry as of %s = %+v, later %+v", asOf.Format("2006-01-02"), f, final)
		}
		if exited && f == known(false) && !e.End.AddDate(0, o.ReturnWindowMonths, 0).Before(asOf) {
			fail("re-entry known no as of %s with the window still open", asOf.Format("2006-01-02"))
		}
		if exited && final == known(false) && e.End.AddDate(0, o.ReturnWindowMonths, 0).Before(asOf) && !f.Known {
			fail("re-entry unknown as of %s after the window", asOf.Format("2006-01-02"))
		}
	}
	// Kolada: in the population exactly when exited and no other enrolment starts in
	// [exit, exit + 31 days] or runs across the exit; when in it, known exactly when the
	// exit reason is (an unknown exit reason is never a known "no").
	if exited {
		moves := false
		for _, f := range p.Enrolments {
			if f.ID == e.ID {
				continue
			}
			startsIn := !f.Start.Before(*e.End) && !f.Start.After(e.End.AddDate(0, 0, o.KoladaMoveOnDays))
			across := f.Start.Before(*e.End) && (f.End == nil || f.End.After(*e.End))
			moves = moves || startsIn || across
		}
		reasonKnown := e.ExitReason != o.StatusUnknown && e.ExitReason != ""
		if left == moves || (left && kolada.Known != reasonKnown) {
			fail("kolada %+v left %v, moves on %v", kolada, left, moves)
		}
	} else if left {
		fail("kolada: a running enrolment has left")
	}
	// Lasting (default) true ⇔ in work or studies and self-sufficient known true at +6
	// and +12; known false ⇐ either known false at some horizon.
	ws6, ws12 := o.InWorkOrStudies(p, e, 6), o.InWorkOrStudies(p, e, 12)
	ss6, ss12 := o.SelfSufficient(p, e, 6), o.SelfSufficient(p, e, 12)
	allTrue := ws6 == known(true) && ws12 == known(true) && ss6 == known(true) && ss12 == known(true)
	anyFalse := ws6 == known(false) || ws12 == known(false) || ss6 == known(false) || ss12 == known(false)
	switch l := o.DefaultLasting.Eval(p, e); {
	case l.Value != allTrue:
		fail("lasting %+v but all true = %v", l, allTrue)
	case anyFalse && l != known(false):
		fail("lasting %+v with a known failure", l)
	case !allTrue && !anyFalse && l.Known:
		fail("lasting %+v with nothing decisive", l)
	}
	// Dropping a condition can only make lasting easier.
	if o.DefaultLasting.Eval(p, e).Value && !noSA.Eval(p, e).Value {
		fail("lasting without the assistance condition is stricter")
	}
	if m, ev, ok := o.TimeToFirstJob(p, e, o.FromExit); ok && ev {
		exit, _ := o.ExitMonth(e)
		if st, _ := o.StatusIn(p, exit.AddDate(0, m, 0)); !o.IsUnsubsidisedEmployment(st) {
			fail("first job at +%d but status %s", m, st)
		}
		for k := 0; k < m; k++ {
			if st, _ := o.StatusIn(p, exit.AddDate(0, k, 0)); o.IsUnsubsidisedEmployment(st) {
				fail("first job at +%d but employed at +%d", m, k)
			}
		}
	}
	if f, _ := o.KoladaResultAtExit(p, e); f.Value && !(o.IsEmployment(e.ExitReason) || e.ExitReason == o.StatusStudies) {
		fail("kolada counts exit reason %s", e.ExitReason)
	}
}

// Kaplan–Meier: survival in [0, 1] and non-increasing; the risk set shrinks by exactly
// the events and censorings; every duration appears once.
func checkCurve(t *testing.T, name string, ds []o.Duration) {
	t.Helper()
	km := o.KaplanMeier(ds)
	prev, seen := 1.0, 0
	for j, pt := range km {
		if pt.Survival > prev+1e-12 || pt.Survival < 0 || pt.Survival > 1 {
			t.Errorf("%s: point %d survival %v after %v", name, j, pt.Survival, prev)
		}
		if pt.AtRisk != len(ds)-seen {
			t.Errorf("%s: point %d at risk %d, want %d", name, j, pt.AtRisk, len(ds)-seen)
		}
		if j > 0 && pt.Month <= km[j-1].Month {
			t.Errorf("%s: months not increasing at %d", name, j)
		}
		prev, seen = pt.Survival, seen+pt.Events+pt.Censored
	}
	if seen != len(ds) {
		t.Errorf("%s: %d subjects on the curve, want %d", name, seen, len(ds))
	}
}

// WIOA periods partition the closed-and-exited enrolments, never overlap, and are
// separated by at least 90 service-free days.
func checkWIOA(t *testing.T, p o.Person, i int) {
	t.Helper()
	exits := o.WIOAExits(p, date(2030, 1, 1))
	if closed := o.WIOAClosedPeriods(p); !reflect.DeepEqual(closed, exits) {
		t.Errorf("person %d: closed periods %+v, established by 2030 %+v", i, closed, exits)
	}
	// EstablishedBy only cuts: as of any day, the exits are the closed periods established by it.
	for _, asOf := range []time.Time{date(2018, 1, 1), date(2019, 7, 15), date(2021, 3, 1)} {
		var want []o.WIOAExit
		for _, x := range exits {
			if !asOf.Before(x.ExitDate.AddDate(0, 0, o.WIOAGapDays)) {
				want = append(want, x)
			}
		}
		if got := o.WIOAExits(p, asOf); !reflect.DeepEqual(got, want) {
			t.Errorf("person %d: exits as of %s = %+v, want %+v", i, asOf.Format("2006-01-02"), got, want)
		}
	}
	seen := map[string]bool{}
	for j, x := range exits {
		for _, id := range x.EnrolmentIDs {
			if seen[id] {
				t.Errorf("person %d: %s in two periods", i, id)
			}
			seen[id] = true
		}
		if x.EmployedQ2.Value && !x.EmployedQ2.Known || x.EmployedQ4.Value && !x.EmployedQ4.Known {
			t.Errorf("person %d: %+v", i, x)
		}
		if j > 0 && !exits[j].FirstStart.After(exits[j-1].ExitDate.AddDate(0, 0, o.WIOAGapDays)) {
			t.Errorf("person %d: periods %d and %d less than 90 days apart", i, j-1, j)
		}
	}
	// Every enrolment not in an exited period belongs to a period that is still open.
	for _, e := range p.Enrolments {
		if !seen[e.ID] && e.End != nil {
			open := false
			for _, f := range p.Enrolments {
				open = open || f.End == nil
			}
			if !open {
				t.Errorf("person %d: %s closed but in no exit", i, e.ID)
			}
		}
	}
}

// ESF: one record per measure code, the spells partition the enrolments in start order,
// and the record is complete exactly when no non-sensitive field is missing.
func checkESF(t *testing.T, p o.Person, i int) {
	t.Helper()
	attrs := func(e o.Enrolment) o.EntryAttributes {
		if e.ID == "e0" {
			return o.EntryAttributes{LabourMarketStatus: o.ESFUnemployed} // no education level
		}
		return o.EntryAttributes{LabourMarketStatus: o.ESFInactive, EducationLevel: o.ISCED0to2}
	}
	records := o.ESFParticipants(p, attrs)
	codes := map[string]bool{}
	var ids []string
	for _, e := range p.Enrolments {
		codes[e.MeasureCode] = true
		ids = append(ids, e.ID)
	}
	if len(records) != len(codes) {
		t.Errorf("person %d: %d records for %d codes", i, len(records), len(codes))
	}
	var got []string
	for _, r := range records {
		got = append(got, r.EnrolmentIDs...)
		wantComplete := p.Gender != o.GenderNotStated && r.EnrolmentIDs[0] != "e0"
		if r.Complete != wantComplete {
			t.Errorf("person %d: %s complete=%v, want %v", i, r.MeasureCode, r.Complete, wantComplete)
		}
		if r.Left != (r.Immediate != o.ESFNotLeft) || r.Left != (r.SixMonth != o.ESFNotLeft) {
			t.Errorf("person %d: %+v", i, r)
		}
	}
	sort.Strings(ids)
	sort.Strings(got)
	if !reflect.DeepEqual(ids, got) && len(ids) > 0 {
		t.Errorf("person %d: spells %v, enrolments %v", i, got, ids)
	}
}
