package outcomes_test

import (
	"strings"
	"testing"

	o "github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Two people, each with two exits, worked by hand (issue 18). Per has exits on 31 March
// 2019 and, after a new start 47 days later (17 May), on 17 June 2019: between them lie
// 46 days without service, fewer than 90, so WIOA sees one period of participation (exit
// 17 June, the end of the second spell). Pia has the same first spell, then a start 121 days after 31
// March (30 July) and an exit on 30 October: 120 service-free days, two periods. Counted in
// exits (Kolada, our definitions) each has 2; in WIOA's periods Per has 1 and Pia 2.
func TestExitsAndPeriodsOfParticipation(t *testing.T) {
	t.Parallel()
	first := o.Enrolment{ID: "1", Start: date(2019, 1, 1), End: ptr(date(2019, 3, 31)), ExitReason: o.StatusJobSeeking}
	second := func(daysAfter int, end int) o.Enrolment {
		start := date(2019, 3, 31).AddDate(0, 0, daysAfter)
		return o.Enrolment{ID: "2", Start: start, End: ptr(start.AddDate(0, end, 0)), ExitReason: o.StatusUnsubsidisedFull}
	}
	per := o.Person{ID: "per", Enrolments: []o.Enrolment{first, second(47, 1)}}
	pia := o.Person{ID: "pia", Enrolments: []o.Enrolment{first, second(121, 3)}}
	if d := per.Enrolments[1].Start; d != date(2019, 5, 17) {
		t.Fatalf("Per's second start %s", d.Format("2006-01-02"))
	}
	if d := pia.Enrolments[1].Start; d != date(2019, 7, 30) {
		t.Fatalf("Pia's second start %s", d.Format("2006-01-02"))
	}
	for _, c := range []struct {
		p       o.Person
		periods []string // exit dates
	}{{per, []string{"2019-06-17"}}, {pia, []string{"2019-03-31", "2019-10-30"}}} {
		exits := 0
		for _, e := range c.p.Enrolments {
			if o.ExitedIn(e, date(2019, 1, 1), date(2020, 1, 1)) {
				exits++
			}
		}
		got := o.WIOAExits(c.p, date(2021, 1, 1))
		var dates []string
		for _, x := range got {
			dates = append(dates, x.ExitDate.Format("2006-01-02"))
		}
		if exits != 2 || strings.Join(dates, " ") != strings.Join(c.periods, " ") {
			t.Errorf("%s: %d exits and periods ending %v, want 2 exits and periods ending %v", c.p.ID, exits, dates, c.periods)
		}
	}
}

// An unknown exit reason is an unknown result, never a known "no": Kolada keeps the
// leaving in its population (n) but not in known; ESF's immediate result is unknown.
func TestUnknownExitReasonStaysUnknown(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{o.StatusUnknown, ""} {
		p := o.Person{ID: "u", Gender: o.GenderMan, BirthDate: date(1980, 1, 1), Enrolments: []o.Enrolment{
			{ID: "u1", MeasureCode: "esf_kha", Start: date(2019, 1, 1), End: ptr(date(2019, 6, 30)), ExitReason: reason}}}
		f, left := o.KoladaResultAtExit(p, p.Enrolments[0])
		if !left || f != unknown {
			t.Errorf("kolada with exit reason %q: %+v left %v, want unknown and left", reason, f, left)
		}
		r := o.ESFParticipants(p, nil)[0]
		if r.Immediate != o.ESFUnknown {
			t.Errorf("ESF immediate with exit reason %q = %q, want unknown", reason, r.Immediate)
		}
	}
	// A known non-qualifying reason is a known no.
	p := o.Person{Enrolments: []o.Enrolment{{ID: "d", Start: date(2019, 1, 1), End: ptr(date(2019, 6, 30)), ExitReason: o.StatusDroppedOut}}}
	if f, left := o.KoladaResultAtExit(p, p.Enrolments[0]); !left || f != known(false) {
		t.Errorf("dropped out: %+v left %v, want known no", f, left)
	}
}

// A quarter from monthly data (quarter-from-months/1), Q3 2020, unsubsidised employment:
//
//	months known                    result
//	none                            unknown
//	July job seeking                unknown (two months unobserved)
//	July, August job seeking        unknown (September unobserved)
//	July, Aug, Sept job seeking     known: not employed
//	August part-time job alone      known: employed (one month is enough)
//	August subsidised job, rest     known: not employed (subsidised is not unsubsidised)
//	  job seeking
func TestQuarterFromMonths(t *testing.T) {
	t.Parallel()
	js := func(months ...int) []o.Observation {
		var out []o.Observation
		for _, m := range months {
			out = append(out, obs(2020, timeMonth(m), o.StatusJobSeeking, "af_data", nil))
		}
		return out
	}
	cases := []struct {
		name string
		obs  []o.Observation
		want o.Fact
	}{
		{"none known", nil, unknown},
		{"one month known", js(7), unknown},
		{"two months known", js(7, 8), unknown},
		{"three months known", js(7, 8, 9), known(false)},
		{"one month employed", []o.Observation{obs(2020, 8, o.StatusUnsubsidisedPart, "employer", nil)}, known(true)},
		{"subsidised is not employed here", append(js(7, 9), obs(2020, 8, o.StatusSubsidised, "employer", nil)), known(false)},
	}
	for _, c := range cases {
		h := o.HistoryOf(o.Person{Observations: c.obs})
		checkFact(t, c.name, o.QuarterFact(h, date(2020, 8, 15), o.UnsubsidisedEmploymentSet), c.want)
	}
	// WIOA reads its quarters by this rule: an exit in Q1 2020 has Q3 2020 as its 2nd.
	p := o.Person{Observations: js(7, 8)}
	checkFact(t, "WIOA Q2 with two months known", o.WIOAEmployedInQuarter(p, date(2020, 2, 10), 2), unknown)
	p.Observations = js(7, 8, 9)
	checkFact(t, "WIOA Q2 with three months known", o.WIOAEmployedInQuarter(p, date(2020, 2, 10), 2), known(false))
}

// ESF results worked by hand, including a re-entry with missing data.
//
//	who    entry (first spell)        last exit reason   +6 status        immediate        six months
//	ebba   inactive, ISCED 3-4        job_seeking        job_seeking      job_searching    improved (inactive → seeking)
//	emil   unemployed, ISCED 0-2      job_seeking        job_seeking      job_searching    none (seeking is not better)
//	elsa   (missing education),       unknown            unobserved       unknown          unknown
//	       re-enters with full data
//
// Elsa's record takes its entry data from her first spell, where education is missing:
// incomplete, so she counts in the grand total only, although her second spell's data
// are complete; her exit reason and +6 status are unknown, never "none".
func TestESFJobSearchingImprovedAndReEntryWithMissingData(t *testing.T) {
	t.Parallel()
	attrs := map[string]o.EntryAttributes{
		"ebba1": {LabourMarketStatus: o.ESFInactive, EducationLevel: o.ISCED3to4},
		"emil1": {LabourMarketStatus: o.ESFUnemployed, EducationLevel: o.ISCED0to2},
		"elsa1": {LabourMarketStatus: o.ESFUnemployed},
		"elsa2": {LabourMarketStatus: o.ESFUnemployed, EducationLevel: o.ISCED5to8},
	}
	entry := func(e o.Enrolment) o.EntryAttributes { return attrs[e.ID] }
	spell := func(id string, start, end int, reason string) o.Enrolment {
		return o.Enrolment{ID: id, MeasureCode: "esf_kha", Start: date(2019, timeMonth(start), 1), End: ptr(date(2019, timeMonth(end), 28)), ExitReason: reason}
	}
	people := []o.Person{
		{ID: "ebba", Gender: o.GenderWoman, BirthDate: date(1995, 1, 1), Enrolments: []o.Enrolment{spell("ebba1", 1, 3, o.StatusJobSeeking)},
			Observations: []o.Observation{obs(2019, 9, o.StatusJobSeeking, "af_data", nil)}},
		{ID: "emil", Gender: o.GenderMan, BirthDate: date(1960, 1, 1), Enrolments: []o.Enrolment{spell("emil1", 1, 3, o.StatusJobSeeking)},
			Observations: []o.Observation{obs(2019, 9, o.StatusJobSeeking, "af_data", nil)}},
		{ID: "elsa", Gender: o.GenderWoman, BirthDate: date(1980, 1, 1), Enrolments: []o.Enrolment{
			spell("elsa1", 1, 2, o.StatusDroppedOut), spell("elsa2", 4, 6, o.StatusUnknown)}},
	}
	want := map[string][3]string{ // immediate, six months, complete
		"ebba": {o.ESFJobSearching, o.ESFImprovedSituation, "complete"},
		"emil": {o.ESFJobSearching, o.ESFNone, "complete"},
		"elsa": {o.ESFUnknown, o.ESFUnknown, "incomplete"},
	}
	var records []o.ESFRecord
	for _, p := range people {
		rs := o.ESFParticipants(p, entry)
		if len(rs) != 1 {
			t.Fatalf("%s: %d records, want 1", p.ID, len(rs))
		}
		r := rs[0]
		complete := map[bool]string{true: "complete", false: "incomplete"}[r.Complete]
		if got := [3]string{r.Immediate, r.SixMonth, complete}; got != want[p.ID] {
			t.Errorf("%s: %v, want %v", p.ID, got, want[p.ID])
		}
		records = append(records, r)
	}
	if r := records[2]; len(r.EnrolmentIDs) != 2 || r.Entry != attrs["elsa1"] || !r.ExitDate.Equal(date(2019, 6, 28)) {
		t.Errorf("elsa's record = %+v: entry from the first spell, exit from the last", r)
	}
	// Job searching at 4 weeks: Ebba and Emil, both complete, in the total and by gender.
	total, groups := o.ESFCount(records, func(r o.ESFRecord) bool { return r.Immediate == o.ESFJobSearching },
		func(r o.ESFRecord) string { return r.Gender })
	if total != 2 || groups[o.GenderWoman] != 1 || groups[o.GenderMan] != 1 {
		t.Errorf("job searching: total %d groups %v", total, groups)
	}
	// Left: all three in the total (ESF's denominator), Elsa in no group.
	total, groups = o.ESFCount(records, func(r o.ESFRecord) bool { return r.Left }, func(r o.ESFRecord) string { return r.Gender })
	if total != 3 || groups[o.GenderWoman] != 1 || groups[o.GenderMan] != 1 {
		t.Errorf("left: total %d groups %v, want 3 with Elsa in the total only", total, groups)
	}
}

// Time to first unsubsidised job from the start, with a breakdown by gender, worked by
// hand. Starts (all 2019): Alma 1 Feb, job observed in May (+3, event); Bo 1 Mar, job
// seeking observed in June and nothing after (censored at +3); Cia 15 Jan, a job in
// January itself (+0, event); Dan 1 Apr, a subsidised job in October (not unsubsidised:
// censored at +6). Women (Alma, Cia): events at 0 and 3 → S(0) = 1/2, S(3) = 0. Men (Bo,
// Dan): censored only → S stays 1. Total: at 0, 1 of 4; at 3, 1 of 3 at risk (Bo
// censored at 3 is still at risk) → 3/4 · 2/3 = 1/2; at 6, Dan censored.
func TestTimeToEmploymentFromStartByGender(t *testing.T) {
	t.Parallel()
	one := func(id, gender string, start, jobMonth int, status string) o.Person {
		s := date(2019, timeMonth(start), 1)
		if id == "cia" {
			s = date(2019, 1, 15)
		}
		return o.Person{ID: id, Gender: gender, Enrolments: []o.Enrolment{{ID: id, Start: s}},
			Observations: []o.Observation{obs(2019, timeMonth(jobMonth), status, "af_data", nil)}}
	}
	people := []o.Person{
		one("alma", o.GenderWoman, 2, 5, o.StatusUnsubsidisedFull),
		one("bo", o.GenderMan, 3, 6, o.StatusJobSeeking),
		one("cia", o.GenderWoman, 1, 1, o.StatusUnsubsidisedPart),
		one("dan", o.GenderMan, 4, 10, o.StatusSubsidised),
	}
	want := map[string]o.Duration{"alma": {Months: 3, Event: true}, "bo": {Months: 3}, "cia": {Months: 0, Event: true}, "dan": {Months: 6}}
	groups := map[string][]o.Duration{}
	for _, p := range people {
		m, ev, ok := o.TimeToFirstJob(p, p.Enrolments[0], o.FromStart)
		if !ok || (o.Duration{Months: m, Event: ev}) != want[p.ID] {
			t.Errorf("%s: %d %v %v, want %+v", p.ID, m, ev, ok, want[p.ID])
		}
		d := o.Duration{Months: m, Event: ev}
		groups[""] = append(groups[""], d)
		groups[p.Gender] = append(groups[p.Gender], d)
	}
	check := func(name string, got []o.KMPoint, want []o.KMPoint) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %+v, want %+v", name, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s point %d: %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
	check("women", o.KaplanMeier(groups[o.GenderWoman]), []o.KMPoint{
		{Month: 0, AtRisk: 2, Events: 1, Survival: 0.5, Employed: 0.5},
		{Month: 3, AtRisk: 1, Events: 1, Survival: 0, Employed: 1}})
	check("men", o.KaplanMeier(groups[o.GenderMan]), []o.KMPoint{
		{Month: 3, AtRisk: 2, Censored: 1, Survival: 1},
		{Month: 6, AtRisk: 1, Censored: 1, Survival: 1}})
	check("total", o.KaplanMeier(groups[""]), []o.KMPoint{
		{Month: 0, AtRisk: 4, Events: 1, Survival: 0.75, Employed: 0.25},
		{Month: 3, AtRisk: 3, Events: 1, Censored: 1, Survival: 0.5, Employed: 0.5},
		{Month: 6, AtRisk: 1, Censored: 1, Survival: 0.5, Employed: 0.5}})
}

// The one mapping of a recorded education level onto ESF's ISCED bands, which both the
// warehouse's ESF entry data and the caseworkers' iscedLevel read.
func TestISCEDBand(t *testing.T) {
	t.Parallel()
	for level, want := range map[string]string{
		"pre_upper_secondary_short": o.ISCED0to2, "pre_upper_secondary": o.ISCED0to2, "upper_secondary": o.ISCED3to4,
		"post_secondary_short": o.ISCED5to8, "post_secondary_long": o.ISCED5to8, "": "", "doctorate": "",
	} {
		if got := o.ISCEDBand(level); got != want {
			t.Errorf("ISCEDBand(%q) = %q, want %q", level, got, want)
		}
	}
}
