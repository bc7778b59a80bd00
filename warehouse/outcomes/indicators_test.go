package outcomes_test

import (
	"reflect"
	"testing"
	"time"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Kolada/RKA for the 2018 exits, worked by hand (kolada-rka-result-at-exit/2). The
// population is the exits that are a leaving: no other enrolment of the person starts
// on the exit date or within 31 days after it, and none runs across it.
//
//	who   gender  exit                    then                                 leaving?             counts
//	f1a   woman   subsidised 31 Dec 2018  municipal employment f1b from 2 Jan  no (2 days)          -
//	f2a   man     subsidised 30 Jun 2018  July subsidised; municipal emp.      yes (46 days)        yes
//	                                      f2b from 15 Aug
//	f3a   woman   unsubsidised 15 May     June job seeking                     yes                  no  (b)
//	f4a   man     unsubsidised part 30 S  October unknown                      yes                  yes (unknown keeps it)
//	f5a   woman   studies 15 Aug          September job seeking                yes                  yes (c: studies qualify)
//	f6a   man     job seeking 30 Nov      -                                    yes                  no
//	f7a   woman   unsubsidised 31 Dec 17  -                                    not in 2018
//	f8a   woman   subsidised 31 Oct       municipal employment since 25 Oct    no (runs across)     -
//	f9a   woman   job seeking 31 Jan      f9b starts 1 Feb                     no (1 day)           -
//	f9b   woman   subsidised 30 Apr       f9a was over before; May unknown    yes                  yes
//	f10a  man     unsubsidised 31 Mar     work practice f10b from 1 May        no (31 days)         -
//	f10b  man     dropped out 30 Jun      f10c starts 1 Aug                    yes (32 days)        no
//	f11a  woman   studies 30 Sep          adult education f11b 1 Mar-31 Dec    no (runs across)     -
//	f11b  woman   studies 31 Dec          f11a ended before                    yes                  yes
//
// 13 exits in 2018 (f1b, f2b, f8b, f10c run); 5 are not a leaving and stay out of the
// population, so n = 8: total 5 of 8; women (f3a, f5a, f9b, f11b) 3 of 4; men (f2a,
// f4a, f6a, f10b) 2 of 4. (Under /1 every exit was in n, and a move such as f9a's into
// the next measure counted as a failure.)
func TestKoladaResultAtExit(t *testing.T) {
	t.Parallel()
	people := []o.Person{
		{ID: "f1", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f1a", Start: date(2018, 3, 1), End: ptr(date(2018, 12, 31)), ExitReason: o.StatusSubsidised},
			{ID: "f1b", MunicipalEmployment: true, Subsidised: true, Start: date(2019, 1, 2)}}},
		{ID: "f2", Gender: o.GenderMan, Enrolments: []o.Enrolment{
			{ID: "f2a", Start: date(2018, 1, 1), End: ptr(date(2018, 6, 30)), ExitReason: o.StatusSubsidised},
			{ID: "f2b", MunicipalEmployment: true, Start: date(2018, 8, 15)}},
			Observations: []o.Observation{obs(2018, 7, o.StatusSubsidised, "employer", nil)}},
		{ID: "f3", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f3a", Start: date(2017, 9, 1), End: ptr(date(2018, 5, 15)), ExitReason: o.StatusUnsubsidisedFull}},
			Observations: []o.Observation{obs(2018, 6, o.StatusJobSeeking, "af_data", nil)}},
		{ID: "f4", Gender: o.GenderMan, Enrolments: []o.Enrolment{
			{ID: "f4a", Start: date(2018, 2, 1), End: ptr(date(2018, 9, 30)), ExitReason: o.StatusUnsubsidisedPart}}},
		{ID: "f5", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f5a", Start: date(2018, 2, 1), End: ptr(date(2018, 8, 15)), ExitReason: o.StatusStudies}},
			Observations: []o.Observation{obs(2018, 9, o.StatusJobSeeking, "af_data", nil)}},
		{ID: "f6", Gender: o.GenderMan, Enrolments: []o.Enrolment{
			{ID: "f6a", Start: date(2018, 2, 1), End: ptr(date(2018, 11, 30)), ExitReason: o.StatusJobSeeking}}},
		{ID: "f7", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f7a", Start: date(2017, 2, 1), End: ptr(date(2017, 12, 31)), ExitReason: o.StatusUnsubsidisedFull}}},
		{ID: "f8", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f8a", Start: date(2018, 2, 1), End: ptr(date(2018, 10, 31)), ExitReason: o.StatusSubsidised},
			{ID: "f8b", MunicipalEmployment: true, Start: date(2018, 10, 25)}}},
		{ID: "f9", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f9a", MunicipalEmployment: true, Start: date(2017, 1, 1), End: ptr(date(2018, 1, 31)), ExitReason: o.StatusJobSeeking},
			{ID: "f9b", Start: date(2018, 2, 1), End: ptr(date(2018, 4, 30)), ExitReason: o.StatusSubsidised}}},
		{ID: "f10", Gender: o.GenderMan, Enrolments: []o.Enrolment{
			{ID: "f10a", Start: date(2018, 1, 1), End: ptr(date(2018, 3, 31)), ExitReason: o.StatusUnsubsidisedFull},
			{ID: "f10b", MeasureCode: "work_practice", Start: date(2018, 5, 1), End: ptr(date(2018, 6, 30)), ExitReason: o.StatusDroppedOut},
			{ID: "f10c", Start: date(2018, 8, 1)}}},
		{ID: "f11", Gender: o.GenderWoman, Enrolments: []o.Enrolment{
			{ID: "f11a", Start: date(2018, 1, 1), End: ptr(date(2018, 9, 30)), ExitReason: o.StatusStudies},
			{ID: "f11b", MeasureCode: "adult_education", Start: date(2018, 3, 1), End: ptr(date(2018, 12, 31)), ExitReason: o.StatusStudies}}},
	}
	// Value of the left exits; absent: not a leaving.
	want := map[string]bool{"f2a": true, "f3a": false, "f4a": true, "f5a": true, "f6a": false, "f9b": true, "f10b": false, "f11b": true}
	notLeft := map[string]bool{"f1a": true, "f8a": true, "f9a": true, "f10a": true, "f11a": true}
	byGender := map[string][]o.Fact{}
	exits := 0
	for _, p := range people {
		for _, e := range p.Enrolments {
			if !o.ExitedIn(e, date(2018, 1, 1), date(2019, 1, 1)) {
				continue
			}
			exits++
			f, left := o.KoladaResultAtExit(p, e)
			if left == notLeft[e.ID] {
				t.Errorf("kolada %s: left = %v", e.ID, left)
			}
			if !left {
				checkFact(t, "kolada "+e.ID+" (not a leaving)", f, unknown)
				continue
			}
			checkFact(t, "kolada "+e.ID, f, known(want[e.ID]))
			byGender[""] = append(byGender[""], f)
			byGender[p.Gender] = append(byGender[p.Gender], f)
		}
	}
	if exits != 13 {
		t.Errorf("%d exits in 2018, want 13", exits)
	}
	checkFigure(t, "total", o.Summarise(o.KoladaVersion, byGender[""]), 8, 8, 5, 5.0/8)
	checkFigure(t, "women", o.Summarise(o.KoladaVersion, byGender[o.GenderWoman]), 4, 4, 3, 3.0/4)
	checkFigure(t, "men", o.Summarise(o.KoladaVersion, byGender[o.GenderMan]), 4, 4, 2, 2.0/4)
	if f, left := o.KoladaResultAtExit(people[0], people[0].Enrolments[1]); left || f != unknown {
		t.Errorf("running: %+v left %v", f, left)
	}
	// The window's edges: a start on the exit date, and on day 31, is a move; day 32 is not.
	for _, c := range []struct {
		next time.Time
		left bool
	}{{date(2018, 3, 31), false}, {date(2018, 5, 1), false}, {date(2018, 5, 2), true}} {
		p := o.Person{Enrolments: []o.Enrolment{
			{ID: "a", Start: date(2018, 1, 1), End: ptr(date(2018, 3, 31)), ExitReason: o.StatusStudies},
			{ID: "b", Start: c.next, End: ptr(c.next)}}}
		if _, left := o.KoladaResultAtExit(p, p.Enrolments[0]); left != c.left {
			t.Errorf("next start %s: left = %v, want %v", c.next.Format("2006-01-02"), left, c.left)
		}
	}
	// An earlier enrolment that ended on the exit date is not running across it.
	p := o.Person{Enrolments: []o.Enrolment{
		{ID: "a", Start: date(2018, 1, 1), End: ptr(date(2018, 3, 31)), ExitReason: o.StatusStudies},
		{ID: "b", Start: date(2017, 1, 1), End: ptr(date(2018, 3, 31))}}}
	if f, left := o.KoladaResultAtExit(p, p.Enrolments[0]); !left || f != known(true) {
		t.Errorf("parallel measure ended the same day: %+v left %v", f, left)
	}
}

// WIOA grouping, worked by hand. w1 ends 31 Mar 2019; w2 starts 31 May after 60 days
// without service (1 Apr–30 May): same period. w2 ends 15 Aug; w3 starts 24 Nov after
// 100 days without service (16 Aug–23 Nov): a new period, and the first exits on 15 Aug
// 2019 (Q3 2019). Its 2nd quarter after is Q1 2020 (March: part-time job → employed, the
// other two months unobserved), its 4th is Q3 2020 (July, August and September: job
// seeking → all three known, not employed). w3 ends 10 Feb 2020 (Q1 2020): 2nd quarter
// Q3 2020 → not employed; 4th quarter Q1 2021 → nothing known.
func TestWIOAGroupsAndQuarters(t *testing.T) {
	t.Parallel()
	p := o.Person{ID: "w", Enrolments: []o.Enrolment{
		{ID: "w3", Start: date(2019, 11, 24), End: ptr(date(2020, 2, 10))},
		{ID: "w1", Start: date(2019, 1, 1), End: ptr(date(2019, 3, 31))},
		{ID: "w2", Start: date(2019, 5, 31), End: ptr(date(2019, 8, 15))},
	}, Observations: []o.Observation{
		obs(2020, 3, o.StatusUnsubsidisedPart, "af_data", nil),
		obs(2020, 7, o.StatusJobSeeking, "af_data", nil),
		obs(2020, 8, o.StatusJobSeeking, "af_data", nil),
		obs(2020, 9, o.StatusSickLeave, "caseworker", nil),
	}}
	got := o.WIOAExits(p, date(2021, 6, 1))
	want := []o.WIOAExit{
		{EnrolmentIDs: []string{"w1", "w2"}, FirstStart: date(2019, 1, 1), ExitDate: date(2019, 8, 15),
			ExitQuarter: date(2019, 7, 1), EmployedQ2: known(true), EmployedQ4: known(false)},
		{EnrolmentIDs: []string{"w3"}, FirstStart: date(2019, 11, 24), ExitDate: date(2020, 2, 10),
			ExitQuarter: date(2020, 1, 1), EmployedQ2: known(false), EmployedQ4: unknown},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exits =\n%+v\nwant\n%+v", got, want)
	}
	// The 90 service-free days after 10 Feb 2020 are complete on 10 May 2020.
	if n := len(o.WIOAExits(p, date(2020, 5, 9))); n != 1 {
		t.Errorf("exits as of 9 May 2020 = %d, want 1", n)
	}
	if n := len(o.WIOAExits(p, date(2020, 5, 10))); n != 2 {
		t.Errorf("exits as of 10 May 2020 = %d, want 2", n)
	}
	checkFact(t, "employed Q2 after 15 Aug 2019", o.WIOAEmployedInQuarter(p, date(2019, 8, 15), 2), known(true))
	// The closed periods are there before their 90 days have passed; EstablishedBy is the
	// cut the figures make on the day they are asked for.
	closed := o.WIOAClosedPeriods(p)
	if !reflect.DeepEqual(closed, want) {
		t.Errorf("closed periods =\n%+v\nwant\n%+v", closed, want)
	}
	if closed[1].EstablishedBy(date(2020, 5, 9)) || !closed[1].EstablishedBy(date(2020, 5, 10)) {
		t.Error("the exit of 10 Feb 2020 is established on 10 May 2020, not before")
	}
	if n := len(o.WIOAClosedPeriods(p)); n != 2 {
		t.Errorf("closed periods = %d", n)
	}

	// The boundary: 89 service-free days join, 90 make an exit.
	for _, c := range []struct {
		start  int // day of June 2019 (w1 ended 31 March)
		groups int
	}{{29, 1}, {30, 2}} {
		q := o.Person{Enrolments: []o.Enrolment{
			{ID: "a", Start: date(2019, 1, 1), End: ptr(date(2019, 3, 31))},
			{ID: "b", Start: date(2019, 6, c.start), End: ptr(date(2019, 7, 31))},
		}}
		if n := len(o.WIOAExits(q, date(2022, 1, 1))); n != c.groups {
			t.Errorf("next start %d June: %d exits, want %d", c.start, n, c.groups)
		}
	}
	// A running spell keeps its period open: no exit.
	p.Enrolments = append(p.Enrolments, o.Enrolment{ID: "w4", Start: date(2020, 3, 1)})
	if got := o.WIOAExits(p, date(2021, 6, 1)); len(got) != 1 || got[0].ExitDate != date(2019, 8, 15) {
		t.Errorf("with w4 running = %+v", got)
	}
	if got := o.WIOAClosedPeriods(p); len(got) != 1 || got[0].ExitDate != date(2019, 8, 15) {
		t.Errorf("closed periods with w4 running = %+v", got)
	}
}

// ESF, worked by hand. Gunilla (woman, born 5 May 1990) takes part in the ESF project
// "esf_kha" twice: 10 Jan–31 Mar 2019 (dropped out), then 1 Jun–30 Nov 2019 (part-time
// job); between them a work practice, 1 Apr–15 May 2019. The ESF project makes one
// record: entry data from the first spell (long-term unemployed, ISCED 0–2, age 28),
// exit from the last: immediate result employed; at +6 (May 2020) she studies, which is
// better than long-term unemployed: improved situation. Had the entry data come from the
// second spell ("employed"), the 6-month result would have been "none".
func TestESFReEntryCollapsing(t *testing.T) {
	t.Parallel()
	p := o.Person{ID: "gunilla", Gender: o.GenderWoman, BirthDate: date(1990, 5, 5),
		Enrolments: []o.Enrolment{
			{ID: "g3", MeasureCode: "esf_kha", Start: date(2019, 6, 1), End: ptr(date(2019, 11, 30)), ExitReason: o.StatusUnsubsidisedPart},
			{ID: "g1", MeasureCode: "esf_kha", Start: date(2019, 1, 10), End: ptr(date(2019, 3, 31)), ExitReason: o.StatusDroppedOut},
			{ID: "g2", MeasureCode: "work_practice", Start: date(2019, 4, 1), End: ptr(date(2019, 5, 15)), ExitReason: o.StatusOtherMeasure},
		},
		Observations: []o.Observation{obs(2020, 5, o.StatusStudies, "af_data", nil)}}
	attrs := map[string]o.EntryAttributes{
		"g1": {LabourMarketStatus: o.ESFLongTermUnemployed, EducationLevel: o.ISCED0to2},
		"g2": {LabourMarketStatus: o.ESFUnemployed, EducationLevel: o.ISCED0to2},
		"g3": {LabourMarketStatus: o.ESFEmployedAtEntry, EducationLevel: o.ISCED3to4},
	}
	var asked []string
	got := o.ESFParticipants(p, func(e o.Enrolment) o.EntryAttributes { asked = append(asked, e.ID); return attrs[e.ID] })
	want := []o.ESFRecord{
		{PersonID: "gunilla", MeasureCode: "esf_kha", EnrolmentIDs: []string{"g1", "g3"}, Gender: o.GenderWoman,
			AgeAtEntry: 28, AgeBand: o.ESFAge18to29, Entry: attrs["g1"], EntryDate: date(2019, 1, 10),
			Left: true, ExitDate: date(2019, 11, 30), ExitReason: o.StatusUnsubsidisedPart,
			Immediate: o.ESFResultEmployed, SixMonth: o.ESFImprovedSituation, Complete: true},
		{PersonID: "gunilla", MeasureCode: "work_practice", EnrolmentIDs: []string{"g2"}, Gender: o.GenderWoman,
			AgeAtEntry: 28, AgeBand: o.ESFAge18to29, Entry: attrs["g2"], EntryDate: date(2019, 4, 1),
			Left: true, ExitDate: date(2019, 5, 15), ExitReason: o.StatusOtherMeasure,
			Immediate: o.ESFNone, SixMonth: o.ESFUnknown, Complete: true}, // November 2019 unobserved
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records =\n%+v\nwant\n%+v", got, want)
	}
	if len(asked) != 2 {
		t.Errorf("attributes asked for %v, want one call per record", asked)
	}

	// The last spell still running: the participant has not left, no results yet.
	p.Enrolments[0].End = nil
	r := o.ESFParticipants(p, func(e o.Enrolment) o.EntryAttributes { return attrs[e.ID] })[0]
	if r.Left || r.Immediate != o.ESFNotLeft || r.SixMonth != o.ESFNotLeft {
		t.Errorf("running last spell = %+v", r)
	}
}

// The missing-data rule: Gunilla's two records are complete; Harald has not stated his
// gender; Ingrid's education level is missing; Johan is complete. Five records have
// left; all five are in the grand total, only the three complete ones in the breakdown
// by gender (women 2, men 1).
func TestESFMissingFieldCountsOnlyInTotal(t *testing.T) {
	t.Parallel()
	full := func(o.Enrolment) o.EntryAttributes {
		return o.EntryAttributes{LabourMarketStatus: o.ESFUnemployed, EducationLevel: o.ISCED3to4}
	}
	noEducation := func(o.Enrolment) o.EntryAttributes { return o.EntryAttributes{LabourMarketStatus: o.ESFInactive} }
	one := func(id, gender, reason string) o.Person {
		return o.Person{ID: id, Gender: gender, BirthDate: date(1960, 1, 1), Enrolments: []o.Enrolment{
			{ID: id + "1", MeasureCode: "esf_kha", Start: date(2019, 1, 1), End: ptr(date(2019, 6, 30)), ExitReason: reason}}}
	}
	g := o.Person{ID: "g", Gender: o.GenderWoman, BirthDate: date(1990, 5, 5), Enrolments: []o.Enrolment{
		{ID: "g1", MeasureCode: "esf_kha", Start: date(2019, 1, 10), End: ptr(date(2019, 3, 31)), ExitReason: o.StatusUnsubsidisedFull},
		{ID: "g2", MeasureCode: "work_practice", Start: date(2019, 4, 1), End: ptr(date(2019, 5, 15)), ExitReason: o.StatusJobSeeking}}}
	var records []o.ESFRecord
	records = append(records, o.ESFParticipants(g, full)...)
	records = append(records, o.ESFParticipants(one("h", o.GenderNotStated, o.StatusUnsubsidisedFull), full)...)
	records = append(records, o.ESFParticipants(one("i", o.GenderWoman, o.StatusStudies), noEducation)...)
	records = append(records, o.ESFParticipants(one("j", o.GenderMan, o.StatusJobSeeking), full)...)

	complete := 0
	for _, r := range records {
		if r.Complete {
			complete++
		}
	}
	if complete != 3 {
		t.Errorf("complete records = %d, want 3", complete)
	}
	if records[2].AgeBand != o.ESFAge55Plus {
		t.Errorf("Harald's age band = %q", records[2].AgeBand)
	}
	byGender := func(r o.ESFRecord) string { return r.Gender }
	total, groups := o.ESFCount(records, func(r o.ESFRecord) bool { return r.Left }, byGender)
	if total != 5 || !reflect.DeepEqual(groups, map[string]int{o.GenderWoman: 2, o.GenderMan: 1}) {
		t.Errorf("left: total %d, groups %v; want 5, women 2, men 1", total, groups)
	}
	// Employed at 4 weeks: Gunilla (esf_kha) and Harald; only Gunilla in the breakdown.
	total, groups = o.ESFCount(records, func(r o.ESFRecord) bool { return r.Immediate == o.ESFResultEmployed }, byGender)
	if total != 2 || !reflect.DeepEqual(groups, map[string]int{o.GenderWoman: 1}) {
		t.Errorf("employed: total %d, groups %v; want 2, women 1", total, groups)
	}
}

// SUS before/after, worked by hand: s1 job seeking in December 2018, starts 14 January
// 2019, leaves for a full-time job (seeking → paid work); s2 nothing observed before,
// leaves on sick leave (unknown → other); s3 subsidised work the month before, leaves for
// studies (paid work → studies); s4 still running: no record.
func TestSUSTransitionTable(t *testing.T) {
	t.Parallel()
	p := o.Person{Enrolments: []o.Enrolment{
		{ID: "s1", Start: date(2019, 1, 14), End: ptr(date(2019, 6, 30)), ExitReason: o.StatusUnsubsidisedFull},
		{ID: "s2", Start: date(2019, 9, 1), End: ptr(date(2019, 12, 31)), ExitReason: o.StatusSickLeave},
		{ID: "s3", Start: date(2020, 3, 2), End: ptr(date(2020, 8, 31)), ExitReason: o.StatusStudies},
		{ID: "s4", Start: date(2020, 10, 1)},
	}, Observations: []o.Observation{
		obs(2018, 12, o.StatusJobSeeking, "af_data", nil),
		obs(2020, 2, o.StatusSubsidised, "employer", nil),
	}}
	var records []o.SUSTransition
	for _, e := range p.Enrolments {
		if r, ok := o.SUSBeforeAfter(p, e, ""); ok {
			records = append(records, r)
		}
	}
	wantRecords := []o.SUSTransition{
		{Before: o.SUSSeekingWork, After: o.SUSPaidWork},
		{Before: o.SUSUnknown, After: o.SUSOther},
		{Before: o.SUSPaidWork, After: o.SUSStudies},
	}
	if !reflect.DeepEqual(records, wantRecords) {
		t.Fatalf("records = %+v", records)
	}
	var want [5][5]int
	want[2][0] = 1 // seeking work → paid work
	want[4][3] = 1 // unknown → other
	want[0][1] = 1 // paid work → studies
	if got := o.TransitionTable(records); got != want {
		t.Errorf("table = %v, want %v", got, want)
	}
	for status, cat := range map[string]string{
		o.StatusSubsidised: o.SUSPaidWork, o.StatusOtherMeasure: o.SUSOther, o.StatusUnknown: o.SUSUnknown,
		o.StatusJobSeeking: o.SUSSeekingWork, o.StatusParentalLeave: o.SUSOther,
	} {
		if got := o.SUSCategory(status); got != cat {
			t.Errorf("SUSCategory(%s) = %s, want %s", status, got, cat)
		}
	}
}

// TestSUSBeforeFromEntrySituation: the labour-market status at entry is the "before" of
// SUS; the observed month before the start only stands in when none was recorded.
func TestSUSBeforeFromEntrySituation(t *testing.T) {
	p := o.Person{Observations: []o.Observation{obs(2018, 12, o.StatusJobSeeking, "af_data", nil)}}
	e := o.Enrolment{ID: "s1", Start: date(2019, 1, 14), End: ptr(date(2019, 6, 30)), ExitReason: o.StatusStudies}
	for entry, want := range map[string]string{
		o.EntryEmployed: o.SUSPaidWork, o.EntryStudying: o.SUSStudies, o.EntryUnemployed: o.SUSSeekingWork,
		o.EntryLongTermUnemployed: o.SUSSeekingWork, o.EntryInactive: o.SUSOther,
		"": o.SUSSeekingWork, // none recorded: the observation of December 2018
	} {
		got, ok := o.SUSBeforeAfter(p, e, entry)
		if !ok || got.Before != want || got.After != o.SUSStudies {
			t.Errorf("entry %q: got %+v (ok %v), want before %s after studies", entry, got, ok, want)
		}
	}
	if got, _ := o.SUSBeforeAfter(o.Person{}, e, ""); got.Before != o.SUSUnknown {
		t.Errorf("nothing recorded: before = %s, want unknown", got.Before)
	}
}
