package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// ruleCase is one person, alone in an organisation of their own so that every surface's
// figure for that organisation is that person's answer.
type ruleCase struct {
	name   string
	exit   time.Time // of the extra job started on 1 January 2018
	reason string
	obs    []observation // recorded before the first load
	late   []observation // recorded after it
	other  bool          // another measure runs through the months after exit
}

type observation struct {
	month  time.Time
	status string
	sa     *bool
	source string
}

// TestEverySurfaceAgreesWithTheOneRule (issue 12): conflicting, late and missing
// observations, and every surface — outcomeFigures, exitCohortOutcome, the survival
// curve, the SUS table, target progress, microdata and the warehouse's monthly rows —
// must say, person by person, what the one rule (outcomes.StatusIn over PostgreSQL's
// rows) says.
//
//	conflict  +6 (Sep 2018): the employer says full-time work, AF job seeking, the
//	          register paid assistance: AF wins (job seeking), assistance paid. The
//	          steering figure once read this person as employed.
//	late      +6 (Nov 2018) unobserved at the first load; a caseworker's "studies"
//	          arrives later: unknown, then studies, everywhere.
//	missing   +6 (Jan 2019) nobody observed, though she was in work practice that
//	          month: unknown (once "other measure", known, for the steering group).
//	silence   +6 (Feb 2019): AF says "unknown", a survey says studies: studies.
func TestEverySurfaceAgreesWithTheOneRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	yes, no := true, false
	cases := []ruleCase{
		{name: "conflict", exit: day(2018, 3, 10), reason: outcomes.StatusJobSeeking, obs: []observation{
			{day(2018, 9, 1), outcomes.StatusUnsubsidisedFull, &no, "employer"},
			{day(2018, 9, 1), outcomes.StatusJobSeeking, nil, "af_data"},
			{day(2018, 9, 1), outcomes.StatusUnknown, &yes, "social_assistance_register"},
			{day(2018, 12, 1), outcomes.StatusUnsubsidisedPart, &no, "employer"},
		}},
		{name: "late", exit: day(2018, 5, 20), reason: outcomes.StatusStudies, obs: []observation{
			{day(2018, 4, 1), outcomes.StatusJobSeeking, nil, "af_data"},
		}, late: []observation{{day(2018, 11, 1), outcomes.StatusStudies, &no, "caseworker"}}},
		{name: "missing", exit: day(2018, 7, 5), reason: outcomes.StatusOtherMeasure, other: true, obs: []observation{
			{day(2019, 7, 1), outcomes.StatusUnknown, nil, "phone_follow_up"},
		}},
		{name: "silence", exit: day(2018, 8, 31), reason: outcomes.StatusUnknown, obs: []observation{
			{day(2019, 2, 1), outcomes.StatusUnknown, &no, "af_data"},
			{day(2019, 2, 1), outcomes.StatusStudies, nil, "participant_survey"},
			{day(2018, 7, 1), outcomes.StatusSubsidised, nil, "employer"},
		}},
	}
	orgs := map[string]string{}
	for _, c := range cases {
		orgs[c.name] = onePerson(t, pg, c)
	}
	asOf := time.Date(2020, 3, 15, 12, 0, 0, 0, time.UTC)
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("one-rule-test-key-0123456789abcdef")),
		Log: zerolog.Nop(), Now: func() time.Time { return asOf }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{Fresh: true}); err != nil {
		t.Fatal(err)
	}
	check := func(stage string, wantAt6 map[string]string) {
		oracle, err := analytics.LoadOracle(ctx, pg, asOf)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			org := orgs[c.name]
			p := oraclePerson(t, ctx, pg, org)
			e := p.Enrolments[0]
			st, sa, _ := outcomes.StatusAfterExit(p, e, 6)
			if st != wantAt6[c.name] {
				t.Fatalf("%s %s: the rule itself says %s at +6, the test expects %s", stage, c.name, st, wantAt6[c.name])
			}
			what := stage + " " + c.name
			ws := outcomes.InWorkOrStudies(p, e, 6)
			co := analytics.Cohort{Label: c.name, OrgIDs: []string{org}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1),
				MeasureCodes: []string{"extra_job"}}

			// outcomeFigures, and the oracle.
			figs, err := analytics.Figures(ctx, ch, []analytics.Cohort{co}, analytics.InWorkOrStudiesAt(6), nil, analytics.Today(asOf))
			if err != nil {
				t.Fatal(err)
			}
			if f := figs[0]; f.N != 1 || (f.Known == 1) != ws.Known || (f.Count == 1) != (ws.Known && ws.Value) {
				t.Errorf("%s: outcomeFigures n %d known %d count %d; the rule: %+v", what, f.N, f.Known, f.Count, ws)
			}
			want, _ := oracle.Figures([]analytics.Cohort{co}, analytics.InWorkOrStudiesAt(6), nil, analytics.Today(asOf))
			if !reflect.DeepEqual(want, figs) {
				t.Errorf("%s: oracle and warehouse differ:\n got %s\nwant %s", what, figuresText(figs), figuresText(want))
			}
			// exitCohortOutcome: the person's organisation, exit year 2018, +6.
			res, err := cohort.ExitYear(ctx, ch, []string{org}, 2018, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if f := res.Total.Figures[0]; res.Total.Exits != 1 || f.MonthsAfterExit != 6 || f.N != 1 ||
				(f.Known == 1) != ws.Known || (f.InWorkOrStudies == 1) != (ws.Known && ws.Value) || res.DefinitionVersion != "exit-cohort/2" {
				t.Errorf("%s: exitCohortOutcome %+v; the rule: %+v", what, res.Total, ws)
			}
			// Survival from the exit.
			curves, err := analytics.Survival(ctx, ch, co, outcomes.FromExit, nil)
			if err != nil {
				t.Fatal(err)
			}
			months, event, _ := outcomes.TimeToFirstJob(p, e, outcomes.FromExit)
			if pts := curves[0].Points; len(pts) != 1 || pts[0].Month != months || (pts[0].Events == 1) != event {
				t.Errorf("%s: survival %+v; the rule: %d months, event %v", what, pts, months, event)
			}
			// SUS: before is the month before the start (December 2017, unobserved), after the exit reason.
			table, err := analytics.Transitions(ctx, ch, co)
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := outcomes.SUSBeforeAfter(p, e, "")
			if table != outcomes.TransitionTable([]outcomes.SUSTransition{tr}) {
				t.Errorf("%s: SUS table %v; the rule: %+v", what, table, tr)
			}
			// Microdata: status_6 and sa_6.
			var buf bytes.Buffer
			if err := analytics.Microdata(ctx, ch, co, &buf); err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(&buf).ReadAll()
			if err != nil || len(records) != 2 {
				t.Fatalf("%s: microdata %v %v", what, records, err)
			}
			col := map[string]int{}
			for i, h := range records[0] {
				col[h] = i
			}
			if r := records[1]; r[col["status_6"]] != st || r[col["sa_6"]] != fmt.Sprint(sa) {
				t.Errorf("%s: microdata status_6 %s sa_6 %s; the rule: %s %d", what, r[col["status_6"]], r[col["sa_6"]], st, sa)
			}
			// The monthly row of month +6.
			var mst string
			var msa int8
			m6 := outcomes.MonthOf(c.exit).AddDate(0, 6, 0)
			if err := ch.QueryRow(ctx, `SELECT argMax(status, version), argMax(social_assistance, version) FROM participant_month
				WHERE org_id = ? AND month = toDate(?)`, org, m6.Format("2006-01-02")).Scan(&mst, &msa); err != nil {
				t.Fatal(err)
			}
			if mst != st || msa != sa {
				t.Errorf("%s: participant_month %s %d; the rule: %s %d", what, mst, msa, st, sa)
			}
			// Target progress, exits to work or studies in 2018: the exit reason by the one set.
			prog, err := project.NewStore(pg).Progress(ctx, project.Target{OrganisationID: org, Metric: project.ExitsToWorkOrStudies,
				PeriodStart: day(2018, 1, 1), PeriodEnd: day(2018, 12, 31), Total: 1}, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if (prog.Total == 1) != outcomes.WorkOrStudiesSet.Has(c.reason) {
				t.Errorf("%s: target progress %d for exit reason %s", what, prog.Total, c.reason)
			}
		}
	}
	check("first load", map[string]string{"conflict": outcomes.StatusJobSeeking, "late": outcomes.StatusUnknown,
		"missing": outcomes.StatusUnknown, "silence": outcomes.StatusStudies})

	// The late observation arrives; the next load carries it to every surface.
	for _, c := range cases {
		for _, o := range c.late {
			insertObservation(t, pg, orgs[c.name], o)
		}
	}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{}); err != nil {
		t.Fatal(err)
	}
	check("after the late observation", map[string]string{"conflict": outcomes.StatusJobSeeking, "late": outcomes.StatusStudies,
		"missing": outcomes.StatusUnknown, "silence": outcomes.StatusStudies})
}

// onePerson writes c's person, enrolments and observations into a new organisation.
func onePerson(t *testing.T, pg *pgxpool.Pool, c ruleCase) string {
	t.Helper()
	ctx := context.Background()
	o := domaintest.OrganisationWith(t, pg, organisation.CreateInput{Code: "rule-" + c.name, Name: c.name, Kind: organisation.Municipality})
	var pid string
	if err := pg.QueryRow(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, $2, 'woman', '1985-04-02') RETURNING id`, o.ID, "19850402-"+fmt.Sprint(1000+len(c.name))).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	enrol := func(code string, start time.Time, end *time.Time, reason *string) {
		if _, err := pg.Exec(ctx, `INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, end_date, exit_reason)
			SELECT $1, $2, id, $4, $5, $6 FROM measure_type WHERE organisation_id = $1 AND code = $3`, o.ID, pid, code, start, end, reason); err != nil {
			t.Fatal(err)
		}
	}
	enrol("extra_job", day(2018, 1, 1), &c.exit, &c.reason)
	if c.other {
		enrol("work_practice", c.exit.AddDate(0, 2, 0), nil, nil)
	}
	for _, ob := range c.obs {
		insertObservation(t, pg, o.ID, ob)
	}
	return o.ID
}

func insertObservation(t *testing.T, pg *pgxpool.Pool, org string, o observation) {
	t.Helper()
	if _, err := pg.Exec(context.Background(), `INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, source)
		SELECT $1, id, $2, $3, $4, $5 FROM participant WHERE organisation_id = $1`, org, o.month, o.status, o.sa, o.source); err != nil {
		t.Fatal(err)
	}
}

// oraclePerson reads the organisation's one person from PostgreSQL as outcomes sees it.
func oraclePerson(t *testing.T, ctx context.Context, pg *pgxpool.Pool, org string) outcomes.Person {
	t.Helper()
	var p outcomes.Person
	rows, err := pg.Query(ctx, `SELECT e.id::text, m.code, e.start_date, e.end_date, coalesce(e.exit_reason, '')
		FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id WHERE e.organisation_id = $1 ORDER BY e.start_date`, org)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e outcomes.Enrolment
		if err := rows.Scan(&e.ID, &e.MeasureCode, &e.Start, &e.End, &e.ExitReason); err != nil {
			t.Fatal(err)
		}
		p.Enrolments = append(p.Enrolments, e)
	}
	rows.Close()
	rows, err = pg.Query(ctx, `SELECT month, status, social_assistance, source FROM outcome_observation WHERE organisation_id = $1`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o outcomes.Observation
		if err := rows.Scan(&o.Month, &o.Status, &o.SocialAssistance, &o.Source); err != nil {
			t.Fatal(err)
		}
		p.Observations = append(p.Observations, o)
	}
	return p
}
