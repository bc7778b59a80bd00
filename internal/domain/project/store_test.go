package project_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// fixture is a fresh database with two municipalities and helpers that insert rows with
// SQL, so that these tests depend on no other package's store but the organisation's.
type fixture struct {
	*domaintest.World
	store *project.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{World: domaintest.NewWorld(t)}
	f.store = project.NewStore(f.Pool)
	return f
}

func (f *fixture) measure(org, code string) string {
	return f.ID(`SELECT id FROM measure_type WHERE organisation_id = $1 AND code = $2`, org, code)
}

func (f *fixture) unit(org, name string) string {
	return f.ID(`INSERT INTO unit (organisation_id, name) VALUES ($1, $2) RETURNING id`, org, name)
}

// enrolment is one hand-built enrolment; empty strings are NULL.
type enrolment struct {
	person, measure, project, unit string
	decision, start, end, exit     string
}

func (f *fixture) enrol(org string, e enrolment) {
	f.T.Helper()
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	f.ID(`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, project_id, unit_id, decision_date,
		start_date, end_date, exit_reason) VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8::date, $9) RETURNING id`,
		org, e.person, e.measure, null(e.project), null(e.unit), null(e.decision), e.start, null(e.end), null(e.exit))
}

func (f *fixture) referral(org, person, date string) {
	f.ID(`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered)
		VALUES ($1, $2, 'social_services', $3::date, '{work_capacity_assessment}') RETURNING id`, org, person, date)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dayPtr(s string) *time.Time { t := day(s); return &t }

func ptr[T any](v T) *T { return &v }

func (f *fixture) project(name string, start string) project.Project {
	f.T.Helper()
	p, err := f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgA, Name: name, Funder: project.ESF, StartDate: day(start)})
	if err != nil {
		f.T.Fatal(err)
	}
	return p
}

func TestCreateProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := project.CreateInput{OrganisationID: f.OrgA, Name: "  Kvinna hälsa arbete ", Funder: project.ESF,
		StartDate: day("2024-01-01"), EndDate: dayPtr("2026-12-31"), TargetGroup: "Women far from the labour market",
		IdempotencyKey: "k1"}
	p, err := f.store.CreateProject(f.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Kvinna hälsa arbete" || p.Funder != project.ESF || p.TargetGroupVersion != 1 || p.Version != 1 ||
		p.EndDate == nil || !p.EndDate.Equal(day("2026-12-31")) {
		t.Fatalf("created %+v", p)
	}

	again, err := f.store.CreateProject(f.Ctx, in)
	if err != nil || again.ID != p.ID {
		t.Fatalf("retry with the key: %v, id %s want %s", err, again.ID, p.ID)
	}
	if n := f.Count(`SELECT count(*) FROM project`); n != 1 {
		t.Fatalf("%d projects after a retry, want 1", n)
	}
	other := in
	other.Name = "Something else"
	_, err = f.store.CreateProject(f.Ctx, other)
	domaintest.WantErr(t, err, apperr.Conflict, "input.idempotencyKey")

	dup := in
	dup.IdempotencyKey = ""
	_, err = f.store.CreateProject(f.Ctx, dup)
	domaintest.WantErr(t, err, apperr.Conflict, "input.name")

	// The same name in another organisation is fine.
	dup.OrganisationID = f.OrgB
	if _, err := f.store.CreateProject(f.Ctx, dup); err != nil {
		t.Fatalf("same name in another organisation: %v", err)
	}

	_, err = f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgA, Name: "X", Funder: "eu", StartDate: day("2024-01-01")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.funder")
	_, err = f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgA, Name: "X", Funder: project.AMIF,
		StartDate: day("2024-01-01"), EndDate: dayPtr("2023-12-31")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.endDate")
	_, err = f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: "00000000-0000-0000-0000-000000000000",
		Name: "X", Funder: project.AMIF, StartDate: day("2024-01-01")})
	domaintest.WantErr(t, err, apperr.NotFound, "input.organisationId")
}

func TestUpdateProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, err := f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgA, Name: "Familjefokus", Funder: project.Samordningsforbund,
		StartDate: day("2024-01-01"), TargetGroup: "Families on social assistance"})
	if err != nil {
		t.Fatal(err)
	}
	f.project("Taken", "2024-01-01")

	// The same target group is no change: its version stays.
	p, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: p.ID, Version: 1, Name: ptr("Familjefokus Bäcklösa"),
		TargetGroup: ptr("Families on social assistance")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Familjefokus Bäcklösa" || p.Version != 2 || p.TargetGroupVersion != 1 {
		t.Fatalf("after a rename: %+v", p)
	}
	p, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: p.ID, Version: 2, TargetGroup: ptr("Families, 18-64"),
		EndDate: dayPtr("2025-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	if p.TargetGroup != "Families, 18-64" || p.TargetGroupVersion != 2 || p.Version != 3 || p.Name != "Familjefokus Bäcklösa" {
		t.Fatalf("after a new target group: %+v", p)
	}

	_, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: p.ID, Version: 2, Name: ptr("Stale")})
	domaintest.WantErr(t, err, apperr.Conflict, "input.version")
	_, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: p.ID, Version: 3, Name: ptr("Taken")})
	domaintest.WantErr(t, err, apperr.Conflict, "input.name")
	_, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: p.ID, Version: 3, EndDate: dayPtr("2023-01-01")})
	domaintest.WantErr(t, err, apperr.Invalid, "input.endDate")
	_, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: "00000000-0000-0000-0000-000000000000", Version: 1, Name: ptr("X")})
	domaintest.WantErr(t, err, apperr.NotFound, "input.id")
	_, err = f.store.UpdateProject(f.Ctx, project.UpdateInput{ID: "nonsense", Version: 1, Name: ptr("X")})
	domaintest.WantErr(t, err, apperr.NotFound, "input.id")

	got, err := f.store.Get(f.Ctx, p.ID)
	if err != nil || got.Version != 3 || got.Name != "Familjefokus Bäcklösa" {
		t.Fatalf("failed updates changed the project: %+v, %v", got, err)
	}
}

func TestListProjectsOrderAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project("B", "2024-01-01")
	f.project("A", "2024-01-01")
	f.project("C", "2023-06-01")
	if _, err := f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgB, Name: "Other org", Funder: project.ESF, StartDate: day("2020-01-01")}); err != nil {
		t.Fatal(err)
	}
	var names []string
	var after *string
	for {
		page := db.PageRequest{First: ptr(2), After: after}
		res, err := f.store.List(f.Ctx, f.OrgA, page)
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalCount != 3 {
			t.Fatalf("total %d, want 3", res.TotalCount)
		}
		for _, p := range res.Items {
			names = append(names, p.Name)
		}
		if !res.HasNextPage {
			break
		}
		after = &res.Cursors[len(res.Cursors)-1]
	}
	if fmt.Sprint(names) != "[C A B]" {
		t.Fatalf("order %v, want [C A B] (start date, then name)", names)
	}
}

func TestCreateTarget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.project("Extra jobs", "2024-01-01")
	u := f.unit(f.OrgA, "Jobbtorget")
	in := project.CreateTargetInput{OrganisationID: f.OrgA, Name: "Decisions 2024", Metric: project.Decisions,
		PeriodStart: day("2024-01-01"), PeriodEnd: day("2024-12-31"), MeasureTypeCode: ptr("extra_job"), ProjectID: &p.ID,
		UnitID: &u, Total: 120, Women: ptr(80), Men: ptr(40), IdempotencyKey: "t1"}
	tg, err := f.store.CreateTarget(f.Ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if tg.MeasureTypeID == nil || *tg.MeasureTypeID != f.measure(f.OrgA, "extra_job") || *tg.ProjectID != p.ID ||
		*tg.UnitID != u || *tg.Women != 80 || tg.Metric != project.Decisions {
		t.Fatalf("created %+v", tg)
	}
	again, err := f.store.CreateTarget(f.Ctx, in)
	if err != nil || again.ID != tg.ID || f.Count(`SELECT count(*) FROM target`) != 1 {
		t.Fatalf("retry: %v, %s want %s", err, again.ID, tg.ID)
	}

	bad := func(mod func(*project.CreateTargetInput)) error {
		x := in
		x.IdempotencyKey = ""
		mod(&x)
		_, err := f.store.CreateTarget(f.Ctx, x)
		return err
	}
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.MeasureTypeCode = ptr("no_such_measure") }), apperr.NotFound, "input.measureTypeCode")
	otherProject, err := f.store.CreateProject(f.Ctx, project.CreateInput{OrganisationID: f.OrgB, Name: "B's", Funder: project.ESF, StartDate: day("2024-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.ProjectID = &otherProject.ID }), apperr.NotFound, "input.projectId")
	otherUnit := f.unit(f.OrgB, "B's unit")
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.UnitID = &otherUnit }), apperr.NotFound, "input.unitId")
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.UnitID = ptr("nonsense") }), apperr.NotFound, "input.unitId")
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.Women = ptr(81) }), apperr.Invalid, "input.total")
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.PeriodEnd = day("2023-12-31") }), apperr.Invalid, "input.periodEnd")
	domaintest.WantErr(t, bad(func(x *project.CreateTargetInput) { x.Metric = "smiles" }), apperr.Invalid, "input.metric")
	if n := f.Count(`SELECT count(*) FROM target`); n != 1 {
		t.Fatalf("%d targets after refused creates, want 1", n)
	}
	// Women alone may be given; the organisation-wide scope needs no measure, project or unit.
	if _, err := f.store.CreateTarget(f.Ctx, project.CreateTargetInput{OrganisationID: f.OrgA, Name: "Women contacted",
		Metric: project.Referrals, PeriodStart: day("2024-01-01"), PeriodEnd: day("2024-12-31"), Total: 200, Women: ptr(200)}); err != nil {
		t.Fatal(err)
	}
}

func TestListTargetsAndTargetsOfProjects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.project("P", "2024-01-01")
	mk := func(name, start, end string, projectID *string) string {
		tg, err := f.store.CreateTarget(f.Ctx, project.CreateTargetInput{OrganisationID: f.OrgA, Name: name, Metric: project.Starts,
			PeriodStart: day(start), PeriodEnd: day(end), ProjectID: projectID, Total: 10})
		if err != nil {
			t.Fatal(err)
		}
		return tg.ID
	}
	t2025 := mk("2025", "2025-01-01", "2025-12-31", &p.ID)
	t2024 := mk("2024", "2024-01-01", "2024-12-31", nil)
	tP := mk("P 2024 H2", "2024-07-01", "2024-12-31", &p.ID)

	list := func(fl project.TargetFilter) []string {
		page := db.PageRequest{First: nil, After: nil}
		res, err := f.store.ListTargets(f.Ctx, f.OrgA, fl, page)
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalCount != len(res.Items) {
			t.Fatalf("total %d, items %d", res.TotalCount, len(res.Items))
		}
		var ids []string
		for _, x := range res.Items {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if got := list(project.TargetFilter{}); fmt.Sprint(got) != fmt.Sprint([]string{t2024, tP, t2025}) {
		t.Fatalf("all targets %v, want by period start", got)
	}
	if got := list(project.TargetFilter{ProjectID: &p.ID}); fmt.Sprint(got) != fmt.Sprint([]string{tP, t2025}) {
		t.Fatalf("project's targets %v", got)
	}
	if got := list(project.TargetFilter{ActiveOn: dayPtr("2024-03-01")}); fmt.Sprint(got) != fmt.Sprint([]string{t2024}) {
		t.Fatalf("active on 2024-03-01: %v", got)
	}
	if got := list(project.TargetFilter{ActiveOn: dayPtr("2024-12-31")}); fmt.Sprint(got) != fmt.Sprint([]string{t2024, tP}) {
		t.Fatalf("active on the last day: %v", got)
	}
	ts, err := f.store.TargetsOfProjects(f.Ctx, []string{p.ID, "nonsense"})
	if err != nil || len(ts) != 2 || ts[0].ID != tP || ts[1].ID != t2025 {
		t.Fatalf("targets of the project: %+v, %v", ts, err)
	}
}

// TestProgress builds enrolments and referrals by hand and checks every metric, the
// scopes, the gender split and the cut-off at asOf and at the period end.
func TestProgress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.project("P", "2024-01-01")
	u := f.unit(f.OrgA, "U")
	extra, practice := f.measure(f.OrgA, "extra_job"), f.measure(f.OrgA, "work_practice")
	w1, m1, o1 := f.Person(f.OrgA, "woman"), f.Person(f.OrgA, "man"), f.Person(f.OrgA, "other")
	b := f.Person(f.OrgB, "woman")

	f.enrol(f.OrgA, enrolment{person: w1, measure: extra, project: p.ID, unit: u, decision: "2024-02-01", start: "2024-03-01",
		end: "2024-06-30", exit: "unsubsidised_employment_full"}) // e1
	f.enrol(f.OrgA, enrolment{person: m1, measure: extra, decision: "2023-12-15", start: "2024-01-10"}) // e2
	f.enrol(f.OrgA, enrolment{person: w1, measure: practice, project: p.ID, decision: "2024-05-01", start: "2024-05-02",
		end: "2024-08-31", exit: "studies"}) // e3
	f.enrol(f.OrgA, enrolment{person: o1, measure: extra, start: "2023-06-01", end: "2024-01-15", exit: "job_seeking"}) // e4
	f.enrol(f.OrgA, enrolment{person: m1, measure: practice, decision: "2024-11-01", start: "2024-12-01"})              // e5
	f.enrol(f.OrgA, enrolment{person: m1, measure: extra, start: "2022-01-01", end: "2023-12-31",
		exit: "unsubsidised_employment_part"}) // e6: before the period
	f.enrol(f.OrgB, enrolment{person: b, measure: f.measure(f.OrgB, "extra_job"), decision: "2024-03-01", start: "2024-03-01",
		end: "2024-04-01", exit: "studies"}) // another organisation
	f.referral(f.OrgA, w1, "2024-02-01")
	f.referral(f.OrgA, m1, "2023-12-01")
	f.referral(f.OrgA, o1, "2024-04-01")
	f.referral(f.OrgB, b, "2024-04-01")

	target := func(m project.Metric, total int, scope func(*project.Target)) project.Target {
		tg := project.Target{OrganisationID: f.OrgA, Metric: m, PeriodStart: day("2024-01-01"), PeriodEnd: day("2024-12-31"), Total: total}
		if scope != nil {
			scope(&tg)
		}
		return tg
	}
	byMeasure := func(tg *project.Target) { tg.MeasureTypeID = &extra }
	byProject := func(tg *project.Target) { tg.ProjectID = &p.ID }
	byUnit := func(tg *project.Target) { tg.UnitID = &u }

	for _, c := range []struct {
		name              string
		target            project.Target
		asOf              string
		total, women, men int
		share             float64
		reportedAsOf      string
	}{
		{"decisions", target(project.Decisions, 6, nil), "2024-12-31", 3, 2, 1, 0.5, "2024-12-31"},
		{"decisions up to June", target(project.Decisions, 6, nil), "2024-06-30", 2, 2, 0, 2.0 / 6, "2024-06-30"},
		{"decisions in extra jobs", target(project.Decisions, 1, byMeasure), "2024-12-31", 1, 1, 0, 1, "2024-12-31"},
		{"decisions in the project", target(project.Decisions, 4, byProject), "2024-12-31", 2, 2, 0, 0.5, "2024-12-31"},
		{"starts", target(project.Starts, 4, nil), "2025-03-01", 4, 2, 2, 1, "2024-12-31"},
		{"starts up to June", target(project.Starts, 4, nil), "2024-06-30", 3, 2, 1, 0.75, "2024-06-30"},
		{"starts in extra jobs", target(project.Starts, 4, byMeasure), "2024-12-31", 2, 1, 1, 0.5, "2024-12-31"},
		{"starts in the unit", target(project.Starts, 4, byUnit), "2024-12-31", 1, 1, 0, 0.25, "2024-12-31"},
		{"participants", target(project.Participants, 3, nil), "2024-12-31", 3, 1, 1, 1, "2024-12-31"},
		{"participants up to 10 January", target(project.Participants, 3, nil), "2024-01-10", 2, 0, 1, 2.0 / 3, "2024-01-10"},
		{"participants in extra jobs", target(project.Participants, 3, byMeasure), "2024-12-31", 3, 1, 1, 1, "2024-12-31"},
		{"participants in the project", target(project.Participants, 2, byProject), "2024-12-31", 1, 1, 0, 0.5, "2024-12-31"},
		{"exits to work or studies", target(project.ExitsToWorkOrStudies, 4, nil), "2024-12-31", 2, 2, 0, 0.5, "2024-12-31"},
		{"exits up to June (inclusive)", target(project.ExitsToWorkOrStudies, 4, nil), "2024-06-30", 1, 1, 0, 0.25, "2024-06-30"},
		{"exits from extra jobs", target(project.ExitsToWorkOrStudies, 4, byMeasure), "2024-12-31", 1, 1, 0, 0.25, "2024-12-31"},
		{"referrals", target(project.Referrals, 4, nil), "2024-12-31", 2, 1, 0, 0.5, "2024-12-31"},
		{"referrals ignore a project scope", target(project.Referrals, 4, byProject), "2024-12-31", 2, 1, 0, 0.5, "2024-12-31"},
		{"before the period", target(project.Starts, 4, nil), "2023-12-31", 0, 0, 0, 0, "2023-12-31"},
		{"a zero target", target(project.Starts, 0, nil), "2024-12-31", 4, 2, 2, 0, "2024-12-31"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.store.Progress(f.Ctx, c.target, day(c.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != c.total || got.Women != c.women || got.Men != c.men || got.Share != c.share ||
				!got.AsOf.Equal(day(c.reportedAsOf)) {
				t.Fatalf("got %+v, want total %d women %d men %d share %v as of %s", got, c.total, c.women, c.men, c.share, c.reportedAsOf)
			}
		})
	}
}
