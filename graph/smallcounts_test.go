package graph_test

import (
	"fmt"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// shownCohort is exitCohortOutcome as an aggregate-only reader gets it.
type shownCohort struct {
	ExitCohortOutcome struct {
		Total    shownBreakdown
		ByGender []shownBreakdown
	}
}

type shownBreakdown struct {
	Gender       *string
	Exits        *int
	ExitsDisplay string
	Figures      []struct {
		MonthsAfterExit           int
		N, Known, Unknown, InWork *int
		Share                     *float64
		Suppressed                bool
		Interval                  *struct{ Lower, Upper float64 }
		Bounds                    *struct{ IfNoneMet, IfAllMet float64 }
	}
}

const shownCohortQuery = `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2018) {
	total { gender exits exitsDisplay figures { monthsAfterExit n known unknown inWork: inWorkOrStudies share suppressed
		interval { lower upper } bounds { ifNoneMet ifAllMet } } }
	byGender { gender exits exitsDisplay figures { monthsAfterExit n known unknown inWork: inWorkOrStudies share suppressed
		interval { lower upper } bounds { ifNoneMet ifAllMet } } } } }`

// cohortPeople registers, in org, women and men who each left work practice in 2018
// into studies, observed in studies at +6 and +12.
func cohortPeople(t *testing.T, cw *gqltest.Client, org string, serial0, women, men int) {
	t.Helper()
	for i := 0; i < women+men; i++ {
		gender := "WOMAN"
		if i >= women {
			gender = "MAN"
		}
		var p struct{ CreateParticipant struct{ ID string } }
		cw.MustData(t, `mutation($o: ID!, $p: String!, $g: Gender!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $p, givenName: "Kim", familyName: "Ek", gender: $g}) { id } }`,
			map[string]any{"o": org, "p": pnr(1980, 5, 17, serial0+i), "g": gender}, &p)
		id := p.CreateParticipant.ID
		cw.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
			startDate: "2018-01-08", endDate: "2018-03-30", exitReason: STUDIES}) { id } }`, map[string]any{"p": id}, nil)
		for _, m := range []string{"2018-09", "2019-03"} {
			cw.MustData(t, `mutation($p: ID!, $m: Month!) { recordOutcomeObservation(input: {participantId: $p, month: $m,
				status: STUDIES, socialAssistance: false, source: PHONE_FOLLOW_UP}) { id } }`, map[string]any{"p": id, "m": m}, nil)
		}
	}
}

// leaks lists the hidden counts of one answer that its shown counts give away by
// subtraction: a total and all of its parts but one (the total over the genders, n over
// known and unknown, exits over the genders' exits).
func leaks(what string, c shownBreakdown, parts []shownBreakdown) []string {
	var out []string
	one := func(name string, total *int, ps []*int) {
		hidden := 0
		if total == nil {
			hidden++
		}
		for _, p := range ps {
			if p == nil {
				hidden++
			}
		}
		if hidden == 1 {
			out = append(out, fmt.Sprintf("%s %s: exactly one of the total and its parts is hidden", what, name))
		}
	}
	var exits []*int
	for _, p := range parts {
		exits = append(exits, p.Exits)
	}
	one("exits", c.Exits, exits)
	for j, f := range c.Figures {
		one(fmt.Sprintf("n = known + unknown at +%d", f.MonthsAfterExit), f.N, []*int{f.Known, f.Unknown})
		var n, known, unknown, in []*int
		for _, p := range parts {
			n, known, unknown, in = append(n, p.Figures[j].N), append(known, p.Figures[j].Known),
				append(unknown, p.Figures[j].Unknown), append(in, p.Figures[j].InWork)
		}
		one(fmt.Sprintf("n at +%d", f.MonthsAfterExit), f.N, n)
		one(fmt.Sprintf("known at +%d", f.MonthsAfterExit), f.Known, known)
		one(fmt.Sprintf("unknown at +%d", f.MonthsAfterExit), f.Unknown, unknown)
		one(fmt.Sprintf("in work or studies at +%d", f.MonthsAfterExit), f.InWork, in)
	}
	return out
}

// TestSmallCountsCannotBeWorkedOutFromTheExitCohort: a steering reader's
// exitCohortOutcome shows the total and the genders, so hiding the men's 3 exits alone
// gives them away (13 − 10); a regional reader asks for each member and for the sum, so
// hiding the small member alone gives it away across requests (13 − 10 again). Every
// hidden count must stay hidden under the relations the reader knows, in one answer and
// across the answers a reader can combine; each figure's share, interval and bounds go
// with their counts, and a caseworker still sees every count.
func TestSmallCountsCannotBeWorkedOutFromTheExitCohort(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	cohortPeople(t, w.cw, w.org, 100, 10, 3)

	region := apitest.OrganisationOfKind(t, w.admin, "sjuharad-sc", "Sjuhärad", "REGIONAL_BODY")
	small := apitest.Organisation(t, w.admin, "tranemo-sc", "Tranemo")
	big := apitest.Organisation(t, w.admin, "mark-sc", "Mark")
	cohortPeople(t, apitest.Client(t, w.base, auth.Principal{Subject: "cw-t", Role: auth.Caseworker, OrgID: small}), small, 200, 2, 1)
	cohortPeople(t, apitest.Client(t, w.base, auth.Principal{Subject: "cw-m", Role: auth.Caseworker, OrgID: big}), big, 300, 6, 4)
	w.drain(t)

	var st, cw shownCohort
	w.steering.MustData(t, shownCohortQuery, map[string]any{"o": w.org}, &st)
	w.cw.MustData(t, shownCohortQuery, map[string]any{"o": w.org}, &cw)
	if c := cw.ExitCohortOutcome; c.Total.Exits == nil || *c.Total.Exits != 13 || len(c.ByGender) != 2 ||
		*genderOf(t, cw, "MAN").Exits != 3 || *c.Total.Figures[0].InWork != 13 {
		t.Fatalf("the caseworker's cohort: %+v", c)
	}
	s := st.ExitCohortOutcome
	if men := genderOf(t, st, "MAN"); men.Exits != nil || men.ExitsDisplay != disclosure.SmallText {
		t.Fatalf("the steering reader sees the men's 3 exits: %+v", s.ByGender)
	}
	for _, l := range leaks("steering", s.Total, s.ByGender) {
		t.Error(l)
	}
	for _, b := range append([]shownBreakdown{s.Total}, s.ByGender...) {
		for _, f := range b.Figures {
			if (f.N == nil || f.Known == nil || f.Unknown == nil || f.InWork == nil) != f.Suppressed {
				t.Errorf("steering %v +%d: suppressed %v with counts %v %v %v %v", b.Gender, f.MonthsAfterExit, f.Suppressed, f.N, f.Known, f.Unknown, f.InWork)
			}
			if (f.Known == nil || f.InWork == nil) && (f.Share != nil || f.Interval != nil) {
				t.Errorf("steering %v +%d: a share or interval of hidden counts", b.Gender, f.MonthsAfterExit)
			}
			if f.Suppressed && f.Bounds != nil {
				t.Errorf("steering %v +%d: bounds of hidden counts", b.Gender, f.MonthsAfterExit)
			}
		}
	}

	// The regional reader asks for each member and for the regional body.
	regional := apitest.Client(t, w.base, auth.Principal{Subject: "forbund", Role: auth.Regional, OrgID: region, Orgs: []string{small, big}})
	var one, two, sum shownCohort
	regional.MustData(t, shownCohortQuery, map[string]any{"o": small}, &one)
	regional.MustData(t, shownCohortQuery, map[string]any{"o": big}, &two)
	regional.MustData(t, shownCohortQuery, map[string]any{"o": region}, &sum)
	if one.ExitCohortOutcome.Total.Exits != nil {
		t.Fatalf("the regional reader sees a member's 3 exits: %+v", one.ExitCohortOutcome.Total)
	}
	members := []shownBreakdown{one.ExitCohortOutcome.Total, two.ExitCohortOutcome.Total}
	for _, l := range leaks("regional sum over the members", sum.ExitCohortOutcome.Total, members) {
		t.Error(l)
	}
	for _, g := range []string{"WOMAN", "MAN"} {
		var parts []shownBreakdown
		for _, m := range []shownCohort{one, two} {
			parts = append(parts, genderOf(t, m, g))
		}
		for _, l := range leaks("regional sum over the members, "+g, genderOf(t, sum, g), parts) {
			t.Error(l)
		}
	}
	for i, m := range []shownCohort{one, two, sum} {
		for _, l := range leaks(fmt.Sprint("regional answer ", i), m.ExitCohortOutcome.Total, m.ExitCohortOutcome.ByGender) {
			t.Error(l)
		}
	}
}

func genderOf(t *testing.T, c shownCohort, g string) shownBreakdown {
	t.Helper()
	for _, b := range c.ExitCohortOutcome.ByGender {
		if b.Gender != nil && *b.Gender == g {
			return b
		}
	}
	t.Fatalf("no %s in %+v", g, c.ExitCohortOutcome.ByGender)
	return shownBreakdown{}
}

// TestSmallGroupsCostsCannotBeWorkedOut (costFigures and the report's costs section):
// seven people left work practice in 2018 and one left work training, each measure
// completed, work practice costing 10 000 kr a person and work training 20 000 kr, that
// one person's wage. A steering reader must see no count of 1–4, no count that the
// total minus the other groups gives away, no amount of the one person's group (shown
// or as the total minus the other groups), and no cost per X whose X is hidden (X would
// be the net cost divided by it).
func TestSmallGroupsCostsCannotBeWorkedOut(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	const add = `mutation($e: ID!, $a: Float!) { addCostItem(input: {enrolmentId: $e, kind: WAGE, month: "2018-02", amount: $a}) { id } }`
	for i := 0; i < 8; i++ {
		measure, amount := "work_practice", 10000.0
		if i == 7 {
			measure, amount = "work_training", 20000.0
		}
		p := w.person(t, pnr(1979, 2, 3, 400+i), `registeredAtAf: true`)
		var e struct{ CreateEnrolment struct{ ID string } }
		w.cw.MustData(t, `mutation($p: ID!, $m: String!) { createEnrolment(input: {participantId: $p, measureTypeCode: $m,
			startDate: "2018-01-08", endDate: "2018-04-30", exitReason: STUDIES}) { id } }`, map[string]any{"p": p, "m": measure}, &e)
		w.cw.MustData(t, add, map[string]any{"e": e.CreateEnrolment.ID, "a": amount}, nil)
	}
	w.drain(t)

	var cw, st struct{ CostFigures []costFigure }
	w.cw.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &cw)
	if len(cw.CostFigures) != 3 || *cw.CostFigures[2].Net != 90000 || *cw.CostFigures[1].Net != 20000 || *cw.CostFigures[2].Completed != 8 {
		t.Fatalf("the caseworker's cost figures: %+v", cw.CostFigures)
	}
	w.steering.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &st)
	figs := st.CostFigures
	for _, f := range figs {
		for name, c := range map[string]*int{"participants": f.Participants, "completed": f.Completed, "exits": f.Exits,
			"lasting": f.Lasting, "lastingDue": f.LastingDue} {
			if c != nil && *c >= 1 && *c <= 4 {
				t.Errorf("steering sees %s %d of %v", name, *c, f.Group)
			}
		}
		for name, per := range map[string]struct {
			v *float64
			x *int
		}{"perParticipant": {f.PerParticipant, f.Participants}, "perCompleted": {f.PerCompleted, f.Completed}} {
			if per.v != nil && (per.x == nil || f.Net == nil) {
				t.Errorf("steering sees %s of %v, whose divisor or net is hidden", name, f.Group)
			}
		}
		if f.Suppressed != (f.Net == nil || f.Participants == nil || f.Completed == nil || f.Exits == nil || f.Lasting == nil || f.LastingDue == nil) {
			t.Errorf("%v: suppressed %v does not say what is hidden: %+v", f.Group, f.Suppressed, f)
		}
	}
	if len(figs) != 3 || figs[1].Net != nil {
		t.Fatalf("steering sees the one person's cost: %+v", figs)
	}
	exactlyOne := func(name string, v func(costFigure) bool) {
		hidden := 0
		for _, f := range figs {
			if v(f) {
				hidden++
			}
		}
		if hidden == 1 {
			t.Errorf("steering: %s is hidden in exactly one row, so the total minus the others gives it away", name)
		}
	}
	exactlyOne("net", func(f costFigure) bool { return f.Net == nil })
	exactlyOne("gross", func(f costFigure) bool { return f.Gross == nil })
	exactlyOne("completed", func(f costFigure) bool { return f.Completed == nil })
	exactlyOne("exits", func(f costFigure) bool { return f.Exits == nil })

	// The report's costs section of December 2019 (the 2018 exits).
	var rep struct {
		SteeringReport struct {
			Sections []struct {
				Key    string
				Tables []struct {
					Rows []struct {
						Key, Label string
						Cells      []struct {
							Value      *float64
							Display    string
							Suppressed bool
						}
					}
				}
			}
		}
	}
	w.steering.MustData(t, `query($o: ID!) { steeringReport(organisationId: $o, month: "2019-12") { sections { key
		tables { rows { key label cells { value display suppressed } } } } } }`, map[string]any{"o": w.org}, &rep)
	found := false
	for _, s := range rep.SteeringReport.Sections {
		if s.Key != "costs" {
			continue
		}
		found = true
		rows := s.Tables[0].Rows
		netHidden := 0
		for _, r := range rows {
			// net, participants, completed, lasting, per participant, per completed, per lasting
			c := r.Cells
			if c[1].Suppressed && c[0].Value != nil {
				t.Errorf("report, %s: the net cost of a group whose participants are hidden is shown (%s)", r.Label, c[0].Display)
			}
			for i, x := range []int{1, 2, 3} {
				if c[4+i].Value != nil && (c[x].Value == nil || c[0].Value == nil) {
					t.Errorf("report, %s: a cost per X (column %d) is shown while X or the net is hidden: X = net / it", r.Label, 4+i)
				}
			}
			if c[0].Value == nil {
				netHidden++
			}
		}
		if netHidden == 1 {
			t.Error("report: one net cost is hidden, so the total minus the others gives it away")
		}
	}
	if !found {
		t.Fatal("the report has no costs section")
	}
}

// TestSteeringCostPeriodsCannotOverlap: costFigures takes any period, so a steering
// reader could ask for January–June and for January to 1 July and subtract: the one
// person who left on 30 June, and their wage, would be the difference of two large,
// shown groups. Aggregate-only readers get whole calendar years (as the report and
// exitCohortOutcome give them), which never overlap; a caseworker still asks for any
// period.
func TestSteeringCostPeriodsCannotOverlap(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	for i := 0; i < 7; i++ {
		end := "2018-05-31"
		if i == 6 {
			end = "2018-06-30"
		}
		e := w.enrol(t, 700+i, "2018-01-08", end, "STUDIES")
		w.cw.MustData(t, `mutation($e: ID!) { addCostItem(input: {enrolmentId: $e, kind: WAGE, month: "2018-02", amount: 15000}) { id } }`,
			map[string]any{"e": e.ID}, nil)
	}
	w.drain(t)
	const q = `query($o: ID!, $f: Date!, $t: Date!) { costFigures(organisationId: $o, exitFrom: $f, exitTo: $t, by: MEASURE) {
		total participants net suppressed } }`
	half := map[string]any{"o": w.org, "f": "2018-01-01", "t": "2018-06-30"}
	more := map[string]any{"o": w.org, "f": "2018-01-01", "t": "2018-07-01"}
	for _, vars := range []map[string]any{half, more} {
		errs := w.steering.MustFail(t, q, vars)
		if errs[0].Code() != "INVALID" || errs[0].Field() != "exitFrom" {
			t.Errorf("steering asks for %v–%v: %+v, want INVALID on exitFrom", vars["f"], vars["t"], errs)
		}
	}
	var year struct {
		CostFigures []struct {
			Total        bool
			Participants *int
			Net          *float64
		}
	}
	w.steering.MustData(t, q, map[string]any{"o": w.org, "f": "2018-01-01", "t": "2019-01-01"}, &year)
	if n := len(year.CostFigures); n == 0 || year.CostFigures[n-1].Participants == nil || *year.CostFigures[n-1].Participants != 7 {
		t.Errorf("steering's calendar year: %+v", year.CostFigures)
	}
	var cw struct{ CostFigures []struct{ Participants *int } }
	w.cw.MustData(t, q, half, &cw)
	if n := len(cw.CostFigures); n == 0 || *cw.CostFigures[n-1].Participants != 6 {
		t.Errorf("the caseworker's half year: %+v", cw.CostFigures)
	}
}

// TestRegionalReaderCannotSubtractMemberReports: every report is protected on its own,
// so a regional reader who could open the regional body's report (the members summed)
// and each member's own report could take one member's hidden counts as the sum minus
// the other members' shown ones (here Tranemo's 3 exits: 13 − 10). The regional reader
// reads the regional body's report, which shows the members summed and side by side in
// one protected system; a member's own report is its steering group's.
func TestRegionalReaderCannotSubtractMemberReports(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	region := apitest.OrganisationOfKind(t, w.admin, "sjuharad-rr", "Sjuhärad", "REGIONAL_BODY")
	small := apitest.Organisation(t, w.admin, "tranemo-rr", "Tranemo")
	big := apitest.Organisation(t, w.admin, "mark-rr", "Mark")
	for _, m := range []string{small, big} {
		w.admin.MustData(t, `mutation($r: ID!, $m: ID!) { addRegionalMember(regionalId: $r, memberId: $m) { id } }`,
			map[string]any{"r": region, "m": m}, nil)
	}
	cohortPeople(t, apitest.Client(t, w.base, auth.Principal{Subject: "cw-t", Role: auth.Caseworker, OrgID: small}), small, 200, 2, 1)
	cohortPeople(t, apitest.Client(t, w.base, auth.Principal{Subject: "cw-m", Role: auth.Caseworker, OrgID: big}), big, 300, 6, 4)
	regional := apitest.Client(t, w.base, auth.Principal{Subject: "forbund", Role: auth.Regional, OrgID: region, Orgs: []string{small, big}})
	const q = `query($o: ID!) { steeringReport(organisationId: $o, month: "2018-12") { organisationName sections { key } } }`
	var rep struct {
		SteeringReport struct{ OrganisationName string }
	}
	regional.MustData(t, q, map[string]any{"o": region}, &rep)
	if rep.SteeringReport.OrganisationName != "Sjuhärad" {
		t.Fatalf("the regional body's report: %+v", rep)
	}
	for _, m := range []string{small, big} {
		for _, op := range []string{q,
			`mutation($o: ID!) { steeringReportLink(organisationId: $o, month: "2018-12", format: XLSX) { url } }`,
			`query($o: ID!) { steeringReportEditions(organisationId: $o) { id } }`} {
			if errs := regional.MustFail(t, op, map[string]any{"o": m}); errs[0].Code() != "FORBIDDEN" {
				t.Errorf("a regional reader opens a member's own report (%.40s): %+v", op, errs)
			}
		}
	}
	// The member's own steering group still reads it.
	steering := apitest.Client(t, w.base, auth.Principal{Subject: "styr-t", Role: auth.Steering, OrgID: small})
	steering.MustData(t, q, map[string]any{"o": small}, &rep)
	if rep.SteeringReport.OrganisationName != "Tranemo" {
		t.Fatalf("Tranemo's steering group: %+v", rep)
	}
}
