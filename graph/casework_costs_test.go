package graph_test

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
)

type costFigure struct {
	Group                                    *string
	Total, Suppressed                        bool
	Gross, SubsidyReceived, Net              *float64
	Participants, Completed, Exits           *int
	Lasting, LastingDue                      *int
	PerParticipant, PerCompleted, PerLasting *float64
	Budget                                   *float64
	DefinitionVersion                        string
}

const costFiguresQuery = `query($o: ID!, $by: CostBreakdown!) { costFigures(organisationId: $o, exitFrom: "2018-01-01", exitTo: "2019-01-01", by: $by) {
	group total suppressed gross subsidyReceived net participants completed exits lasting lastingDue perParticipant perCompleted perLasting
	budget definitionVersion } }`

// TestCostFigures (issue 16): cost items per enrolment and a project budget with
// funders give cost per participant, per completed measure and per person in lasting
// attachment, by measure and by project, in GraphQL and in the steering report; the
// lasting count comes from the warehouse and equals the oracle's; steering readers get
// no figure of fewer than five people.
func TestCostFigures(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	var proj struct{ CreateProject struct{ ID string } }
	w.cw.MustData(t, `mutation($o: ID!) { createProject(input: {organisationId: $o, name: "Vägen till arbete", funder: ESF,
		startDate: "2017-01-01"}) { id } }`, map[string]any{"o": w.org}, &proj)
	for _, f := range []struct {
		funder string
		amount float64
	}{{"ESF", 600000}, {"Borås stad", 400000}} {
		w.cw.MustData(t, `mutation($j: ID!, $f: String!, $a: Float!) { setProjectFunding(input: {projectId: $j, funder: $f, amount: $a}) { funder } }`,
			map[string]any{"j": proj.CreateProject.ID, "f": f.funder, "a": f.amount}, nil)
	}
	a := w.enrol(t, 51, "2018-01-10", "2018-03-31", "UNSUBSIDISED_EMPLOYMENT_FULL")
	b := w.enrol(t, 52, "2018-01-10", "2018-04-30", "DROPPED_OUT")
	// a's work practice belongs to the project.
	if _, err := w.pool.Exec(context.Background(), `UPDATE enrolment SET project_id = $1 WHERE id = $2`, plain(proj.CreateProject.ID), plain(a.ID)); err != nil {
		t.Fatal(err)
	}
	const add = `mutation($e: ID!, $k: CostKind!, $m: Month!, $a: Float!) { addCostItem(input: {enrolmentId: $e, kind: $k, month: $m, amount: $a}) { id kind month amount } }`
	for _, c := range []struct {
		e, kind, month string
		amount         float64
	}{
		{a.ID, "WAGE", "2018-02", 20000}, {a.ID, "WAGE_SUBSIDY_RECEIVED", "2018-02", 8000}, {a.ID, "SUPERVISION", "2018-02", 1500.5},
		{b.ID, "WAGE", "2018-02", 10000}, {b.ID, "OTHER", "2018-03", 500},
	} {
		w.cw.MustData(t, add, map[string]any{"e": c.e, "k": c.kind, "m": c.month, "a": c.amount}, nil)
	}
	if errs := w.cw.MustFail(t, add, map[string]any{"e": a.ID, "k": "WAGE", "m": "2018-02", "a": -5}); errs[0].Code() != "INVALID" {
		t.Fatalf("a negative cost: %s", errs[0].Code())
	}
	if errs := w.cw.MustFail(t, add, map[string]any{"e": a.ID, "k": "WAGE", "m": "2018-02", "a": 1.005}); errs[0].Code() != "INVALID" {
		t.Fatalf("a third decimal: %s", errs[0].Code())
	}
	// a is in lasting attachment: employed without social assistance at +6 and +12.
	w.observe(t, a.Person, "2018-09", "UNSUBSIDISED_EMPLOYMENT_FULL", false)
	w.observe(t, a.Person, "2019-03", "UNSUBSIDISED_EMPLOYMENT_FULL", false)
	w.drain(t)

	var got struct{ CostFigures []costFigure }
	w.cw.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &got)
	if len(got.CostFigures) != 2 {
		t.Fatalf("by measure: %+v", got.CostFigures)
	}
	m, total := got.CostFigures[0], got.CostFigures[1]
	if !total.Total || m.Total || *m.Group != "work_practice" {
		t.Fatalf("rows: %+v", got.CostFigures)
	}
	// Net: 20000 - 8000 + 1500.50 + 10000 + 500 = 24000.50 over 2 people, 1 completed
	// (b dropped out), 1 in lasting attachment.
	const net = 24000.5
	if *total.Net != net || *total.Gross != 32000.5 || *total.SubsidyReceived != 8000 || *total.Participants != 2 ||
		*total.Completed != 1 || *total.Exits != 2 || *total.Lasting != 1 || *total.LastingDue != 2 {
		t.Fatalf("total: %+v", total)
	}
	if *total.PerParticipant != net/2 || *total.PerCompleted != net || *total.PerLasting != net || total.DefinitionVersion != "costs/1" {
		t.Fatalf("per unit: %v %v %v", *total.PerParticipant, *total.PerCompleted, *total.PerLasting)
	}
	w.cw.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "PROJECT"}, &got)
	var inProject *costFigure
	for i, f := range got.CostFigures {
		if f.Group != nil && strings.HasSuffix(*f.Group, "/Vägen till arbete") {
			inProject = &got.CostFigures[i]
		}
	}
	if inProject == nil || *inProject.Budget != 1000000 || math.Abs(*inProject.Net-13500.5) > 1e-9 || *inProject.PerLasting != 13500.5 {
		t.Fatalf("by project: %+v", got.CostFigures)
	}

	// A period without exits has one total row of zeros.
	var none struct{ CostFigures []costFigure }
	w.cw.MustData(t, `query($o: ID!) { costFigures(organisationId: $o, exitFrom: "2016-01-01", exitTo: "2017-01-01", by: MEASURE) {
		total net participants perParticipant } }`, map[string]any{"o": w.org}, &none)
	if len(none.CostFigures) != 1 || !none.CostFigures[0].Total || *none.CostFigures[0].Net != 0 || *none.CostFigures[0].Participants != 0 ||
		none.CostFigures[0].PerParticipant != nil {
		t.Fatalf("no exits: %+v", none.CostFigures)
	}

	// A steering reader sees no figure of fewer than five people.
	w.steering.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &got)
	for _, f := range got.CostFigures {
		if !f.Suppressed || f.Net != nil || f.PerParticipant != nil || f.Participants != nil {
			t.Fatalf("steering sees a small group: %+v", f)
		}
	}

	// The steering report carries the costs section for the previous year's exits.
	var rep struct {
		SteeringReport struct {
			Sections []struct {
				Key    string
				Tables []struct {
					Rows []struct {
						Key   string
						Cells []struct {
							ID      string
							Kind    string
							Value   *float64
							Display string
						}
					}
				}
			}
		}
	}
	w.steering.MustData(t, `query($o: ID!) { steeringReport(organisationId: $o, month: "2019-12") { sections { key
		tables { rows { key cells { id kind value display } } } } } }`, map[string]any{"o": w.org}, &rep)
	var netCell *float64
	for _, s := range rep.SteeringReport.Sections {
		if s.Key != "costs" {
			continue
		}
		for _, r := range s.Tables[0].Rows {
			// Kronor are AMOUNT, the counts they divide by COUNT: never TARGET, which a
			// frontend would show as a goal. A cost per unit over 1–4 units is EMPTY.
			for i, c := range r.Cells {
				want := map[bool]string{true: "AMOUNT", false: "COUNT"}[i == 0 || i >= 4]
				if c.Kind != want && !(i >= 4 && c.Kind == "EMPTY") {
					t.Errorf("costs cell %s is %s, want %s", c.ID, c.Kind, want)
				}
			}
			if r.Key == "total" {
				netCell = r.Cells[0].Value
				if r.Cells[1].Display != disclosure.SmallText || r.Cells[4].Value != nil {
					t.Errorf("the report shows a cost per participant of two people: %+v", r.Cells)
				}
			}
		}
	}
	// The net cost of two people is theirs (their wages): withheld, as costFigures
	// withholds it from the steering reader above.
	if netCell != nil {
		t.Fatalf("the report shows the net cost of two people: %v", *netCell)
	}
}

// TestRetentionRulesAcrossBothStores (issue 16): an organisation's retention rule is
// configured, dry-run first (activation before a dry run is refused), run on the
// schedule, audited, and erases the person from PostgreSQL and, through the loader,
// from ClickHouse.
func TestRetentionRulesAcrossBothStores(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	ctx := context.Background()
	old := w.enrol(t, 61, "2009-01-12", "2009-06-30", "JOB_SEEKING")
	recent := w.enrol(t, 62, "2018-01-12", "2018-06-30", "STUDIES")
	// The old person was registered in 2009 (the test cannot wait for years).
	if _, err := w.pool.Exec(ctx, `UPDATE participant SET created_at = '2009-01-05' WHERE id = $1`, plain(old.Person)); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	warehouseRows := func() int {
		var n uint64
		if err := w.ch.QueryRow(ctx, `SELECT count() FROM (SELECT enrolment_key, argMax(deleted, version) AS d FROM enrolment_outcome
			WHERE org_id = ? GROUP BY enrolment_key) WHERE d = 0`, plain(w.org)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if n := warehouseRows(); n != 2 {
		t.Fatalf("warehouse holds %d enrolments before retention, want 2", n)
	}
	if errs := w.cw.MustFail(t, `mutation($o: ID!) { setRetentionRule(input: {organisationId: $o, inactiveYears: 5}) { version } }`,
		map[string]any{"o": w.org}); errs[0].Code() != "FORBIDDEN" {
		t.Fatalf("a caseworker set a retention rule: %s", errs[0].Code())
	}
	var rule struct {
		SetRetentionRule struct {
			Mode    string
			Version int
		}
	}
	w.admin.MustData(t, `mutation($o: ID!) { setRetentionRule(input: {organisationId: $o, inactiveYears: 5}) { mode version } }`,
		map[string]any{"o": w.org}, &rule)
	if rule.SetRetentionRule.Mode != "DRY_RUN" {
		t.Fatalf("a new rule is %s", rule.SetRetentionRule.Mode)
	}
	const activate = `mutation($o: ID!, $v: Int!) { activateRetentionRule(input: {organisationId: $o, version: $v}) { mode version } }`
	if errs := w.admin.MustFail(t, activate, map[string]any{"o": w.org, "v": rule.SetRetentionRule.Version}); errs[0].Code() != "INVALID" {
		t.Fatalf("activation before a dry run: %s", errs[0].Code())
	}
	// The scheduled run of a dry-run rule counts and erases nothing.
	var out bytes.Buffer
	if err := admin.RetentionRules(ctx, w.pool, w.now, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dry run, would erase 1 people") || !regexp.MustCompile(`(?m)^retention: \d+ rules run \(\d+ dry runs, \d+ erasing\)$`).MatchString(out.String()) {
		t.Fatalf("scheduled dry run said %q", out.String())
	}
	var dry struct {
		RunRetentionDryRun struct {
			LastDryRunCount *int
			Version         int
		}
	}
	w.admin.MustData(t, `mutation($o: ID!) { runRetentionDryRun(organisationId: $o) { lastDryRunCount version } }`, map[string]any{"o": w.org}, &dry)
	if dry.RunRetentionDryRun.LastDryRunCount == nil || *dry.RunRetentionDryRun.LastDryRunCount != 1 {
		t.Fatalf("dry run: %+v", dry.RunRetentionDryRun)
	}
	var act struct{ ActivateRetentionRule struct{ Mode string } }
	w.admin.MustData(t, activate, map[string]any{"o": w.org, "v": dry.RunRetentionDryRun.Version}, &act)
	if act.ActivateRetentionRule.Mode != "ACTIVE" {
		t.Fatalf("activated: %+v", act)
	}
	out.Reset()
	if err := admin.RetentionRules(ctx, w.pool, w.now, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "erased 1 people") {
		t.Fatalf("scheduled run said %q", out.String())
	}
	var left []string
	rows, err := w.pool.Query(ctx, `SELECT id::text FROM participant WHERE organisation_id = $1`, plain(w.org))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	if len(left) != 1 || left[0] != plain(recent.Person) {
		t.Fatalf("PostgreSQL keeps %v, want only the recent person", left)
	}
	w.drain(t)
	if n := warehouseRows(); n != 1 {
		t.Fatalf("warehouse holds %d enrolments after retention, want 1", n)
	}
	var audited int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'write' AND operation = 'retention-rules'
		AND entity_id = $1`, plain(old.Person)).Scan(&audited); err != nil || audited == 0 {
		t.Fatalf("erasure audited %d times (%v)", audited, err)
	}
	var rules struct {
		RetentionRules []struct {
			Mode          string
			LastRunErased *int
		}
	}
	w.admin.MustData(t, `{ retentionRules { mode lastRunErased } }`, nil, &rules)
	if len(rules.RetentionRules) != 1 || *rules.RetentionRules[0].LastRunErased != 1 {
		t.Fatalf("rules: %+v", rules.RetentionRules)
	}
}

// TestCostFiguresGiveASteeringReaderNoSmallCount: in a group of five or more people,
// the counts of 1–4 inside it (one person in lasting attachment, one who dropped out as
// exits less completed) and the cost per such a count are hidden from a steering reader
// as the steering report hides them; a caseworker sees them all.
func TestCostFiguresGiveASteeringReaderNoSmallCount(t *testing.T) {
	t.Parallel()
	w := newCaseB(t)
	var first enrolled
	for i := 0; i < 6; i++ {
		reason := "UNSUBSIDISED_EMPLOYMENT_FULL"
		if i == 5 {
			reason = "DROPPED_OUT"
		}
		e := w.enrol(t, 61+i, "2018-01-10", "2018-03-31", reason)
		w.cw.MustData(t, `mutation($e: ID!) { addCostItem(input: {enrolmentId: $e, kind: WAGE, month: "2018-02", amount: 10000}) { id } }`,
			map[string]any{"e": e.ID}, nil)
		if i == 0 {
			first = e
		}
	}
	// The first is in lasting attachment: employed without social assistance at +6 and +12.
	w.observe(t, first.Person, "2018-09", "UNSUBSIDISED_EMPLOYMENT_FULL", false)
	w.observe(t, first.Person, "2019-03", "UNSUBSIDISED_EMPLOYMENT_FULL", false)
	w.drain(t)

	var open, steering struct{ CostFigures []costFigure }
	w.cw.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &open)
	w.steering.MustData(t, costFiguresQuery, map[string]any{"o": w.org, "by": "MEASURE"}, &steering)
	if len(open.CostFigures) != 2 || *open.CostFigures[1].Exits != 6 || *open.CostFigures[1].Completed != 5 ||
		*open.CostFigures[1].Lasting != 1 || open.CostFigures[1].PerLasting == nil {
		t.Fatalf("the caseworker's figures: %+v", open.CostFigures)
	}
	shown := func(p *int) (int, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	small := func(n int) bool { return n >= 1 && n <= 4 }
	for _, f := range steering.CostFigures {
		if f.Net == nil || f.Participants == nil {
			t.Fatalf("a group of six people withheld whole: %+v", f)
		}
		for name, p := range map[string]*int{"participants": f.Participants, "completed": f.Completed, "exits": f.Exits,
			"lasting": f.Lasting, "lastingDue": f.LastingDue} {
			if n, ok := shown(p); ok && small(n) {
				t.Errorf("steering sees %s = %d", name, n)
			}
		}
		exits, okE := shown(f.Exits)
		completed, okC := shown(f.Completed)
		if okE && okC && small(exits-completed) {
			t.Errorf("steering works out %d dropped out as exits %d less completed %d", exits-completed, exits, completed)
		}
		due, okD := shown(f.LastingDue)
		lasting, okL := shown(f.Lasting)
		if okD && okL && small(due-lasting) {
			t.Errorf("steering works out %d not in lasting attachment", due-lasting)
		}
		if f.PerLasting != nil && (!okL || lasting < 5) {
			t.Errorf("steering sees the cost per person in lasting attachment (%d of them, shown %v): %v", *open.CostFigures[1].Lasting, okL, *f.PerLasting)
		}
	}
}
