package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// employerFields is what the register tests read back of an employer.
const employerFields = `id kind name orgNumber headcount notes version organisation { id }
	contacts { name role phone email } noteLog { author body at }`

type employerOut struct {
	ID           string
	Kind         string
	Name         string
	OrgNumber    string
	Headcount    *int
	Notes        string
	Version      int
	Organisation struct{ ID string }
	Contacts     []struct{ Name, Role, Phone, Email string }
	NoteLog      []struct{ Author, Body, At string }
}

func countEmployers(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM employer`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEmployerRegisterOverGraphQL(t *testing.T) {
	t.Parallel()
	admin, pool, base := newAPIWithURL(t)
	orgA := apitest.Organisation(t, admin, "registerkommun", "registerkommun")
	orgB := apitest.Organisation(t, admin, "grannkommun", "grannkommun")
	cw := apitest.Client(t, base, auth.Principal{Subject: "cw-employer", Role: auth.Caseworker, OrgID: orgA})

	const create = `mutation($in: CreateEmployerInput!) { createEmployer(input: $in) { ` + employerFields + ` } }`
	dept := map[string]any{"organisationId": orgA, "kind": "MUNICIPAL_DEPARTMENT", "name": "Vård- och omsorgsförvaltningen",
		"orgNumber": "2120003005", "headcount": 5200, "idempotencyKey": "dept-1"}
	var created struct{ CreateEmployer employerOut }
	cw.MustData(t, create, map[string]any{"in": dept}, &created)
	e := created.CreateEmployer
	if e.Kind != "MUNICIPAL_DEPARTMENT" || e.OrgNumber != "212000-3005" || e.Headcount == nil || *e.Headcount != 5200 ||
		e.Version != 1 || e.Organisation.ID != orgA || len(e.Contacts) != 0 || len(e.NoteLog) != 0 {
		t.Fatalf("created %+v", e)
	}
	var replay struct{ CreateEmployer employerOut }
	cw.MustData(t, create, map[string]any{"in": dept}, &replay)
	if replay.CreateEmployer.ID != e.ID || countEmployers(t, pool) != 1 {
		t.Fatalf("a retried create made %s (%d employers)", replay.CreateEmployer.ID, countEmployers(t, pool))
	}
	cw.MustData(t, create, map[string]any{"in": map[string]any{"organisationId": orgA, "kind": "PRIVATE_COMPANY", "name": "Bygg AB"}}, nil)

	cw.MustData(t, `mutation($e: ID!) { addEmployerContact(input: {employerId: $e, name: "Olle Handledare", role: "enhetschef",
		phone: "018-727 00 00", email: "olle@uppsala.se"}) { id } }`, map[string]any{"e": e.ID}, nil)
	for _, body := range []string{"Första kontakt", "Fyra platser till hösten"} {
		cw.MustData(t, `mutation($e: ID!, $b: String!) { addEmployerNote(input: {employerId: $e, body: $b}) { id } }`,
			map[string]any{"e": e.ID, "b": body}, nil)
	}

	const list = `query($o: ID!, $f: EmployerFilter, $n: Int, $after: String) { employers(organisationId: $o, filter: $f, first: $n, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ` + employerFields + ` } } } }`
	type connection struct {
		Employers struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node employerOut }
		}
	}
	var depts connection
	cw.MustData(t, list, map[string]any{"o": orgA, "f": map[string]any{"kind": "MUNICIPAL_DEPARTMENT", "search": "OMSORG"}}, &depts)
	if depts.Employers.TotalCount != 1 || len(depts.Employers.Edges) != 1 {
		t.Fatalf("filtered list: %+v", depts.Employers)
	}
	got := depts.Employers.Edges[0].Node
	if len(got.Contacts) != 1 || got.Contacts[0].Email != "olle@uppsala.se" || got.Contacts[0].Role != "enhetschef" {
		t.Fatalf("contacts = %+v", got.Contacts)
	}
	if len(got.NoteLog) != 2 || got.NoteLog[0].Body != "Fyra platser till hösten" || got.NoteLog[1].Body != "Första kontakt" {
		t.Fatalf("note log not newest first: %+v", got.NoteLog)
	}
	for _, n := range got.NoteLog {
		if _, err := time.Parse(time.RFC3339, n.At); err != nil || n.Author != "cw-employer" {
			t.Fatalf("note %+v: want the caller as author and an RFC 3339 time (%v)", n, err)
		}
	}

	// Two pages of one, by name: Bygg AB, then the department.
	var p1, p2 connection
	cw.MustData(t, list, map[string]any{"o": orgA, "n": 1}, &p1)
	cw.MustData(t, list, map[string]any{"o": orgA, "n": 1, "after": p1.Employers.PageInfo.EndCursor}, &p2)
	if p1.Employers.TotalCount != 2 || !p1.Employers.PageInfo.HasNextPage || p1.Employers.Edges[0].Node.Name != "Bygg AB" ||
		p2.Employers.PageInfo.HasNextPage || len(p2.Employers.Edges) != 1 || p2.Employers.Edges[0].Node.ID != e.ID {
		t.Fatalf("pages: %+v then %+v", p1.Employers, p2.Employers)
	}

	const update = `mutation($id: ID!, $v: Int!) { updateEmployer(input: {id: $id, version: $v, headcount: 5300}) { version headcount name } }`
	var updated struct {
		UpdateEmployer struct {
			Version, Headcount int
			Name               string
		}
	}
	cw.MustData(t, update, map[string]any{"id": e.ID, "v": 1}, &updated)
	if u := updated.UpdateEmployer; u.Version != 2 || u.Headcount != 5300 || u.Name != e.Name {
		t.Fatalf("updated %+v", u)
	}
	gqltest.WantError(t, cw.MustFail(t, update, map[string]any{"id": e.ID, "v": 1}), "CONFLICT", "input.version")

	// A bad headcount is a typed error naming the field, and writes nothing.
	before := countEmployers(t, pool)
	errs := cw.MustFail(t, create, map[string]any{"in": map[string]any{"organisationId": orgA, "kind": "PRIVATE_COMPANY",
		"name": "Minus AB", "headcount": -3}})
	gqltest.WantError(t, errs, "INVALID", "input.headcount")
	errs = cw.MustFail(t, create, map[string]any{"in": map[string]any{"organisationId": orgA, "kind": "PRIVATE_COMPANY", "name": "Bygg AB"}})
	gqltest.WantError(t, errs, "CONFLICT", "input.name")
	if after := countEmployers(t, pool); after != before {
		t.Fatalf("refused creates wrote: %d -> %d employers", before, after)
	}

	// Another municipality's caseworker cannot see or touch the register.
	cwB := apitest.Client(t, base, auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: orgB})
	gqltest.WantError(t, cwB.MustFail(t, list, map[string]any{"o": orgA}), "FORBIDDEN", "organisationId")
	gqltest.WantError(t, cwB.MustFail(t, create, map[string]any{"in": map[string]any{"organisationId": orgA, "kind": "PRIVATE_COMPANY", "name": "X"}}),
		"FORBIDDEN", "input.organisationId")
	gqltest.WantError(t, cwB.MustFail(t, update, map[string]any{"id": e.ID, "v": 2}), "NOT_FOUND", "input.id")
	gqltest.WantError(t, cwB.MustFail(t, `mutation($e: ID!) { addEmployerNote(input: {employerId: $e, body: "x"}) { id } }`,
		map[string]any{"e": e.ID}), "NOT_FOUND", "input.employerId")
	var hidden struct{ Employer *employerOut }
	cwB.MustData(t, `query($id: ID!) { employer(id: $id) { id } }`, map[string]any{"id": e.ID}, &hidden)
	if hidden.Employer != nil {
		t.Fatalf("B reads A's employer: %+v", hidden.Employer)
	}
}

func TestOrganisationAdministrationOverGraphQL(t *testing.T) {
	t.Parallel()
	admin, _, base := newAPIWithURL(t)
	org := apitest.Organisation(t, admin, "adminkommun", "adminkommun")
	other := apitest.Organisation(t, admin, "annankommun", "annankommun")
	region := apitest.OrganisationOfKind(t, admin, "forbundet", "forbundet", "REGIONAL_BODY")

	var unit struct{ CreateUnit struct{ ID, Name string } }
	admin.MustData(t, `mutation($o: ID!) { createUnit(input: {organisationId: $o, name: "Stöd till arbete", idempotencyKey: "u"}) { id name } }`,
		map[string]any{"o": org}, &unit)
	var foreign struct{ CreateUnit struct{ ID string } }
	admin.MustData(t, `mutation($o: ID!) { createUnit(input: {organisationId: $o, name: "Stöd till arbete"}) { id } }`,
		map[string]any{"o": other}, &foreign)
	const staff = `mutation($o: ID!, $u: ID, $n: String!) { createStaffUser(input: {organisationId: $o, unitId: $u, name: $n,
		title: "arbetsmarknadssekreterare"}) { id name unit { id name } } }`
	for _, name := range []string{"Björn", "Anna"} {
		admin.MustData(t, staff, map[string]any{"o": org, "u": unit.CreateUnit.ID, "n": name}, nil)
	}
	admin.MustData(t, staff, map[string]any{"o": org, "n": "Cecilia"}, nil) // no unit
	gqltest.WantError(t, admin.MustFail(t, staff, map[string]any{"o": org, "u": foreign.CreateUnit.ID, "n": "X"}), "NOT_FOUND", "input.unitId")

	admin.MustData(t, `mutation($o: ID!) { createMeasureType(input: {organisationId: $o, code: "job_club", name: "Job club",
		swedishName: "Jobbklubb", category: "guidance", subsidised: false, municipalEmployment: false, eligibilityRule: UNG_INTRO}) { id } }`,
		map[string]any{"o": org}, nil)
	gqltest.WantError(t, admin.MustFail(t, `mutation($o: ID!) { createMeasureType(input: {organisationId: $o, code: "job_club", name: "X",
		swedishName: "X", category: "other", subsidised: false, municipalEmployment: false}) { id } }`, map[string]any{"o": org}),
		"CONFLICT", "input.code")
	admin.MustData(t, `mutation($o: ID!) { setMeasureTypeActive(input: {organisationId: $o, code: "job_club", active: false}) { active } }`,
		map[string]any{"o": org}, nil)
	var regional struct {
		AddRegionalMember struct{ Members []struct{ ID string } }
	}
	admin.MustData(t, `mutation($r: ID!, $m: ID!) { addRegionalMember(regionalId: $r, memberId: $m) { members { id } } }`,
		map[string]any{"r": region, "m": org}, &regional)
	if m := regional.AddRegionalMember.Members; len(m) != 1 || m[0].ID != org {
		t.Fatalf("members = %+v", m)
	}

	cw := apitest.Client(t, base, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: org})
	var read struct {
		Organisation struct {
			Units []struct {
				Name  string
				Staff []struct {
					Name string
					Unit struct{ Name string }
				}
			}
			Active, All []struct {
				Code            string
				EligibilityRule string
				Active          bool
			}
		}
		StaffUsers struct {
			TotalCount int
			PageInfo   struct{ HasNextPage bool }
			Edges      []struct{ Node struct{ Name, Title string } }
		}
	}
	cw.MustData(t, `query($o: ID!, $u: ID!) {
		organisation(id: $o) { units { name staff { name unit { name } } }
			active: measureTypes { code eligibilityRule active } all: measureTypes(includeInactive: true) { code eligibilityRule active } }
		staffUsers(organisationId: $o, unitId: $u, first: 1) { totalCount pageInfo { hasNextPage } edges { node { name title } } } }`,
		map[string]any{"o": org, "u": unit.CreateUnit.ID}, &read)
	o := read.Organisation
	if len(o.Units) != 1 || len(o.Units[0].Staff) != 2 || o.Units[0].Staff[0].Name != "Anna" || o.Units[0].Staff[1].Unit.Name != "Stöd till arbete" {
		t.Fatalf("units = %+v", o.Units)
	}
	if len(o.All) != len(o.Active)+1 {
		t.Fatalf("%d measures with inactive, %d active", len(o.All), len(o.Active))
	}
	for _, m := range o.All {
		if m.Code == "job_club" && (m.Active || m.EligibilityRule != "UNG_INTRO") {
			t.Fatalf("job_club = %+v", m)
		}
		if m.Code == "extra_job" && m.EligibilityRule != "EXTRA_JOB" {
			t.Fatalf("extra_job = %+v", m)
		}
	}
	if s := read.StaffUsers; s.TotalCount != 2 || !s.PageInfo.HasNextPage || len(s.Edges) != 1 || s.Edges[0].Node.Name != "Anna" ||
		s.Edges[0].Node.Title != "arbetsmarknadssekreterare" {
		t.Fatalf("staffUsers = %+v", s)
	}

	// Administration is for admins; a caseworker may not list another organisation's staff.
	gqltest.WantError(t, cw.MustFail(t, `mutation($o: ID!) { createUnit(input: {organisationId: $o, name: "Egen"}) { id } }`,
		map[string]any{"o": org}), "FORBIDDEN", "createUnit")
	gqltest.WantError(t, cw.MustFail(t, `query($o: ID!) { staffUsers(organisationId: $o) { totalCount } }`,
		map[string]any{"o": other}), "FORBIDDEN", "organisationId")
}
