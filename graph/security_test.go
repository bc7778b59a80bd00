package graph_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// world is two municipalities with one person each, served by an API with a warehouse.
type world struct {
	base       string
	system     *pgxpool.Pool
	admin      *gqltest.Client
	orgA, orgB string
	personA    string
	personB    string
	enrolmentB string
	serial     int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := worldOn(t, apitest.New(t, apitest.Options{Warehouse: true, API: apiserver.Options{MaxDepth: 6}}), "kommun-a", "kommun-b")
	w.personA = w.createPerson(t, w.orgA)
	w.personB = w.createPerson(t, w.orgB)
	w.enrolmentB = w.createEnrolment(t, w.personB)
	return w
}

// worldOn is a world on s with two municipalities, created through the API.
func worldOn(t *testing.T, s *apitest.Server, codeA, codeB string) *world {
	t.Helper()
	w := &world{base: s.URL, system: s.Owner, admin: s.Admin(t)}
	w.orgA = apitest.Organisation(t, w.admin, codeA, codeA)
	w.orgB = apitest.Organisation(t, w.admin, codeB, codeB)
	return w
}

func (w *world) pnr() string {
	w.serial++
	return demo.Personnummer(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w.serial), 100+w.serial%800)
}

func (w *world) createPerson(t *testing.T, org string) string {
	var out struct{ CreateParticipant struct{ ID string } }
	w.admin.MustData(t, `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
		givenName: "Sekretess", familyName: "Skyddad", gender: WOMAN}) { id } }`, map[string]any{"o": org, "p": w.pnr()}, &out)
	return out.CreateParticipant.ID
}

func (w *world) createEnrolment(t *testing.T, person string) string {
	var out struct{ CreateEnrolment struct{ ID string } }
	w.admin.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2019-01-01"}) { id } }`,
		map[string]any{"p": person}, &out)
	return out.CreateEnrolment.ID
}

func (w *world) as(t *testing.T, role auth.Role) *gqltest.Client {
	p := auth.Principal{Subject: "user-" + string(role), Role: role, OrgID: w.orgA}
	if role == auth.Evaluator || role == auth.Regional {
		p.Orgs = []string{w.orgA}
	}
	if role == auth.Admin {
		p.OrgID = ""
	}
	return apitest.Client(t, w.base, p)
}

// Fixtures of the role matrix. Each call makes a fresh record in organisation A through
// the admin client, so that every role's call starts from the same state and a write by
// one role cannot make another role's call fail.

// idVersion is a record and its current version.
type idVersion struct {
	ID      string
	Version int
}

// next returns a fresh serial for unique names and codes.
func (w *world) next() int {
	w.serial++
	return w.serial
}

// adminCreate runs a create mutation as admin and returns the id of what field made.
func (w *world) adminCreate(t *testing.T, field, mutation string, vars map[string]any) string {
	t.Helper()
	var out map[string]struct{ ID string }
	w.admin.MustData(t, mutation, vars, &out)
	if out[field].ID == "" {
		t.Fatalf("%s returned no id", field)
	}
	return out[field].ID
}

// versionOf reads a record's current version through its root query, as a client does
// before an optimistic-locking update: the matrix's "ok" must not hide a CONFLICT.
func (w *world) versionOf(t *testing.T, field, id string) idVersion {
	t.Helper()
	var out map[string]*idVersion
	w.admin.MustData(t, `query($id: ID!) { `+field+`(id: $id) { id version } }`, map[string]any{"id": id}, &out)
	if out[field] == nil {
		t.Fatalf("%s %s not found", field, id)
	}
	return *out[field]
}

// personWithPNR registers a participant of A and returns their personal identity number
// too, for the CSV imports that name people by it.
func (w *world) personWithPNR(t *testing.T) (id, pnr string) {
	t.Helper()
	pnr = w.pnr()
	id = w.adminCreate(t, "createParticipant", `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o,
		personalIdentityNumber: $p, givenName: "Sekretess", familyName: "Skyddad", gender: MAN}) { id } }`,
		map[string]any{"o": w.orgA, "p": pnr})
	return id, pnr
}

func (w *world) employerInA(t *testing.T) string {
	t.Helper()
	return w.adminCreate(t, "createEmployer", `mutation($o: ID!, $n: String!) { createEmployer(input: {organisationId: $o,
		kind: MUNICIPAL_DEPARTMENT, name: $n, headcount: 120}) { id } }`,
		map[string]any{"o": w.orgA, "n": fmt.Sprintf("Förvaltning %d", w.next())})
}

func (w *world) referralInA(t *testing.T) string {
	t.Helper()
	return w.adminCreate(t, "createReferral", `mutation($p: ID!) { createReferral(input: {participantId: $p, source: SOCIAL_SERVICES,
		referralDate: "2019-01-10", ordered: [MAPPING], feedbackDueDate: "2019-02-10"}) { id } }`, map[string]any{"p": w.personA})
}

func (w *world) projectInA(t *testing.T) string {
	t.Helper()
	return w.adminCreate(t, "createProject", `mutation($o: ID!, $n: String!) { createProject(input: {organisationId: $o, name: $n,
		funder: ESF, startDate: "2019-01-01", targetGroup: "Unga vuxna"}) { id } }`,
		map[string]any{"o": w.orgA, "n": fmt.Sprintf("Projekt %d", w.next())})
}

func (w *world) quotaInA(t *testing.T) string {
	t.Helper()
	w.employerInA(t) // a department to spread the quota over
	return w.adminCreate(t, "createQuota", `mutation($o: ID!, $n: String!) { createQuota(input: {organisationId: $o, name: $n, total: 10,
		periodStart: "2019-01-01", periodEnd: "2019-12-31"}) { id } }`, map[string]any{"o": w.orgA, "n": fmt.Sprintf("Kvot %d", w.next())})
}

// eventInA creates a recruitment fair of A where a new department offers two places.
func (w *world) eventInA(t *testing.T) (event, department string) {
	t.Helper()
	department = w.employerInA(t)
	event = w.adminCreate(t, "createRecruitmentEvent", `mutation($o: ID!, $d: ID!) { createRecruitmentEvent(input: {organisationId: $o,
		kind: FAIR, name: "Mässa", heldOn: "2019-03-14", places: [{employerId: $d, places: 2}]}) { id } }`,
		map[string]any{"o": w.orgA, "d": department})
	return event, department
}

// interviewInA interviews person A at a new fair, with an offer made when offered.
func (w *world) interviewInA(t *testing.T, offered bool) idVersion {
	t.Helper()
	event, department := w.eventInA(t)
	// A fresh candidate each time: an accepted offer starts a spell in work practice, and
	// one person's spells in one measure may not overlap.
	person := w.createPerson(t, w.orgA)
	id := w.adminCreate(t, "recordInterview", `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e,
		participantId: $p, employerId: $d}) { id } }`, map[string]any{"e": event, "p": person, "d": department})
	if offered {
		w.admin.MustData(t, `mutation($i: ID!, $v: Int!) { makeOffer(input: {interviewId: $i, version: $v, offerDate: "2019-03-20"}) { id } }`,
			map[string]any{"i": id, "v": w.interviewVersion(t, id, person)}, nil)
	}
	return idVersion{id, w.interviewVersion(t, id, person)}
}

// interviewVersion reads an interview's version through its participant (interviews
// have no root query).
func (w *world) interviewVersion(t *testing.T, id, person string) int {
	t.Helper()
	var out struct {
		Participant struct{ Interviews []idVersion }
	}
	w.admin.MustData(t, `query($p: ID!) { participant(id: $p) { interviews { id version } } }`, map[string]any{"p": person}, &out)
	for _, iv := range out.Participant.Interviews {
		if iv.ID == id {
			return iv.Version
		}
	}
	t.Fatalf("interview %s not found", id)
	return 0
}

func (w *world) measureTypeInA(t *testing.T) string {
	t.Helper()
	code := fmt.Sprintf("matris_%d", w.next())
	w.adminCreate(t, "createMeasureType", `mutation($o: ID!, $c: String!) { createMeasureType(input: {organisationId: $o, code: $c,
		name: "Matrix", swedishName: "Matris", category: "practice", subsidised: false, municipalEmployment: false}) { id } }`,
		map[string]any{"o": w.orgA, "c": code})
	return code
}

func (w *world) unitInA(t *testing.T) string {
	t.Helper()
	return w.adminCreate(t, "createUnit", `mutation($o: ID!, $n: String!) { createUnit(input: {organisationId: $o, name: $n}) { id } }`,
		map[string]any{"o": w.orgA, "n": fmt.Sprintf("Enhet %d", w.next())})
}

// cohortA is the analytics cohort of organisation A's 2019 exits.
func cohortA(w *world) map[string]any {
	return map[string]any{"label": "A 2019", "organisationIds": []string{w.orgA}, "exitFrom": "2019-01-01", "exitTo": "2020-01-01"}
}

// operation is one root field, called the way its role would, in organisation A. The
// name is "query <field>" or "mutation <field>" (TestEveryRootFieldIsInTheMatrix relies
// on it); a suffix marks a further call of the same field, e.g. on organisation B.
type operation struct {
	name  string
	query opCall
}

// opCall returns the document and variables of one call, making its fixtures first.
type opCall = func(t *testing.T, w *world) (string, map[string]any)

// byOrgA is a call whose only variable is organisation A's id.
func byOrgA(q string) opCall {
	return func(t *testing.T, w *world) (string, map[string]any) { return q, map[string]any{"o": w.orgA} }
}

var operations = []operation{
	// Organisations, units, staff and the measure catalogue.
	{"query organisations", func(t *testing.T, w *world) (string, map[string]any) {
		return `{ organisations { edges { node { id } } } }`, nil
	}},
	{"query organisation", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { organisation(id: $o) { id measureTypes { code } units { name staff { name } } members { id } } }`,
			map[string]any{"o": w.orgA}
	}},
	{"query auditLog", func(t *testing.T, w *world) (string, map[string]any) {
		return `{ auditLog(first: 5) { edges { node { id } } } }`, nil
	}},
	{"query node", func(t *testing.T, w *world) (string, map[string]any) {
		// The entity's own roles apply on top (TestRelayRoundTrip): an organisation is for all.
		return `query($o: ID!) { node(id: $o) { id ... on Organisation { name } } }`, map[string]any{"o": w.orgA}
	}},
	{"query nodes", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{w.orgA}}
	}},
	{"query enumLabels", func(t *testing.T, w *world) (string, map[string]any) {
		return `{ enumLabels(enums: ["Gender"]) { value label } }`, nil
	}},
	{"query staffUsers", byOrgA(`query($o: ID!) { staffUsers(organisationId: $o) { totalCount edges { node { id name unit { name } } } } }`)},
	{"mutation createOrganisation", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($c: String!) { createOrganisation(input: {code: $c, name: "X", kind: MUNICIPALITY}) { id } }`,
			map[string]any{"c": fmt.Sprintf("ny-kommun-%d", w.next())}
	}},
	{"mutation createUnit", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $n: String!) { createUnit(input: {organisationId: $o, name: $n}) { id name } }`,
			map[string]any{"o": w.orgA, "n": fmt.Sprintf("Enhet %d", w.next())}
	}},
	{"mutation createStaffUser", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $u: ID!, $n: String!) { createStaffUser(input: {organisationId: $o, unitId: $u, name: $n,
			title: "jobbcoach"}) { id unit { name } } }`, map[string]any{"o": w.orgA, "u": w.unitInA(t), "n": fmt.Sprintf("Coach %d", w.next())}
	}},
	{"mutation addRegionalMember", func(t *testing.T, w *world) (string, map[string]any) {
		code := fmt.Sprintf("forbund-%d", w.next())
		return `mutation($r: ID!, $m: ID!) { addRegionalMember(regionalId: $r, memberId: $m) { id members { id } } }`,
			map[string]any{"r": apitest.OrganisationOfKind(t, w.admin, code, code, "REGIONAL_BODY"), "m": w.orgA}
	}},
	{"mutation createMeasureType", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $c: String!) { createMeasureType(input: {organisationId: $o, code: $c, name: "Matrix", swedishName: "Matris",
			category: "guidance", subsidised: false, municipalEmployment: false}) { id code } }`,
			map[string]any{"o": w.orgA, "c": fmt.Sprintf("matris_%d", w.next())}
	}},
	{"mutation setMeasureTypeActive", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $c: String!) { setMeasureTypeActive(input: {organisationId: $o, code: $c, active: false}) { code active } }`,
			map[string]any{"o": w.orgA, "c": w.measureTypeInA(t)}
	}},

	// Participants.
	{"query participant", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($p: ID!) { participant(id: $p) { id personalIdentityNumber attributes { district } enrolments { id }
			referrals { id } actionPlan { id } followUps { id } interviews { id } } }`, map[string]any{"p": w.personA}
	}},
	{"query participants", byOrgA(`query($o: ID!) { participants(organisationId: $o) { totalCount } }`)},
	{"query participants of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgB}
	}},
	{"mutation createParticipant", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
			givenName: "A", familyName: "B", gender: MAN}) { id } }`, map[string]any{"o": w.orgA, "p": w.pnr()}
	}},
	{"mutation updateParticipant", func(t *testing.T, w *world) (string, map[string]any) {
		p := w.versionOf(t, "participant", w.createPerson(t, w.orgA))
		return `mutation($id: ID!, $v: Int!) { updateParticipant(input: {id: $id, version: $v, phone: "018-100 00 00",
			caseStatus: PAUSED}) { id version caseStatus } }`, map[string]any{"id": p.ID, "v": p.Version}
	}},
	{"mutation recordParticipantAttributes", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { recordParticipantAttributes(input: {participantId: $p, attributes: {validFrom: "2019-01-01",
			district: "Gottsunda", registeredAtAf: true, guaranteeDays: 500}}) { id attributes(asOf: "2019-06-01") { district } } }`,
			map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation importParticipants", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $csv: String!) { importParticipants(organisationId: $o, csv: $csv) { imported skipped errors { line } } }`,
			map[string]any{"o": w.orgA, "csv": "personal_identity_number,given_name,family_name,gender\n" + w.pnr() + ",A,B,woman\n"}
	}},
	{"mutation eraseParticipant", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { eraseParticipant(id: $p) }`, map[string]any{"p": w.createPerson(t, w.orgA)}
	}},

	// Enrolments and eligibility.
	{"query enrolment", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($e: ID!) { enrolment(id: $e) { id measureType { code } employmentRates { rate } eligibility { rule } } }`,
			map[string]any{"e": w.createEnrolment(t, w.createPerson(t, w.orgA))}
	}},
	{"query enrolments", byOrgA(`query($o: ID!) { enrolments(organisationId: $o, filter: {ongoing: true}) { totalCount
		edges { node { id participant { id } } } } }`)},
	{"query eligibilityOverrides", byOrgA(`query($o: ID!) { eligibilityOverrides(organisationId: $o) { totalCount } }`)},
	{"query checkEligibility", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($p: ID!) { checkEligibility(participantId: $p, measureTypeCode: "extra_job", decisionDate: "2019-03-01") {
			rule eligible reasons } }`, map[string]any{"p": w.personA}
	}},
	{"mutation createEnrolment", func(t *testing.T, w *world) (string, map[string]any) {
		// A fresh person each time: one person's spells in one measure may not overlap.
		return `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2019-02-01"}) { id } }`,
			map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation changeEmploymentRate", func(t *testing.T, w *world) (string, map[string]any) {
		e := w.versionOf(t, "enrolment", w.createEnrolment(t, w.createPerson(t, w.orgA)))
		return `mutation($e: ID!, $v: Int!) { changeEmploymentRate(input: {enrolmentId: $e, version: $v, validFrom: "2019-03-01", rate: 50}) {
			version employmentRates { validFrom rate } } }`, map[string]any{"e": e.ID, "v": e.Version}
	}},
	{"mutation exitEnrolment", func(t *testing.T, w *world) (string, map[string]any) {
		e := w.versionOf(t, "enrolment", w.createEnrolment(t, w.createPerson(t, w.orgA)))
		return `mutation($e: ID!, $v: Int) { exitEnrolment(input: {enrolmentId: $e, version: $v, endDate: "2019-06-30", exitReason: STUDIES}) { id } }`,
			map[string]any{"e": e.ID, "v": e.Version}
	}},

	// Outcomes.
	{"query exitCohortOutcome", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exitsDisplay } } }`, map[string]any{"o": w.orgA}
	}},
	{"query steeringReport", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { steeringReport(organisationId: $o, month: "2019-03") { organisationName sections { key } } }`, map[string]any{"o": w.orgA}
	}},
	{"query steeringReport of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { steeringReport(organisationId: $o, month: "2019-03") { organisationName } }`, map[string]any{"o": w.orgB}
	}},
	{"query steeringReportEditions", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { steeringReportEditions(organisationId: $o) { id } }`, map[string]any{"o": w.orgA}
	}},
	{"mutation steeringReportLink", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!) { steeringReportLink(organisationId: $o, month: "2019-03", format: HTML) { url } }`, map[string]any{"o": w.orgA}
	}},
	{"mutation freezeSteeringReport", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!) { freezeSteeringReport(organisationId: $o, month: "2019-03") { id } }`, map[string]any{"o": w.orgA}
	}},
	{"query exitCohortOutcome of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exitsDisplay } } }`, map[string]any{"o": w.orgB}
	}},
	{"mutation recordOutcomeObservation", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2019-12", status: STUDIES, source: AF_DATA}) { id } }`,
			map[string]any{"p": w.personA}
	}},
	{"mutation importObservations", func(t *testing.T, w *world) (string, map[string]any) {
		_, pnr := w.personWithPNR(t)
		return `mutation($o: ID!, $csv: String!) { importObservations(organisationId: $o, csv: $csv) { imported skipped errors { line } } }`,
			map[string]any{"o": w.orgA, "csv": "personal_identity_number,month,status,social_assistance,source\n" + pnr + ",2019-08,studies,false,af_data\n"}
	}},

	// Employer register.
	{"query employers", byOrgA(`query($o: ID!) { employers(organisationId: $o, filter: {kind: MUNICIPAL_DEPARTMENT}) { totalCount
		edges { node { id name } } } }`)},
	{"query employer", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($e: ID!) { employer(id: $e) { id name organisation { id } contacts { name } noteLog { body } } }`,
			map[string]any{"e": w.employerInA(t)}
	}},
	{"mutation createEmployer", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $n: String!) { createEmployer(input: {organisationId: $o, kind: PRIVATE_COMPANY, name: $n}) { id } }`,
			map[string]any{"o": w.orgA, "n": fmt.Sprintf("Bygg %d AB", w.next())}
	}},
	{"mutation updateEmployer", func(t *testing.T, w *world) (string, map[string]any) {
		e := w.versionOf(t, "employer", w.employerInA(t))
		return `mutation($e: ID!, $v: Int!) { updateEmployer(input: {id: $e, version: $v, headcount: 130, notes: "Fler platser"}) { id version } }`,
			map[string]any{"e": e.ID, "v": e.Version}
	}},
	{"mutation addEmployerContact", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { addEmployerContact(input: {employerId: $e, name: "Olle Handledare", role: "enhetschef"}) { contacts { name } } }`,
			map[string]any{"e": w.employerInA(t)}
	}},
	{"mutation addEmployerNote", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { addEmployerNote(input: {employerId: $e, body: "Första kontakt"}) { noteLog { body } } }`,
			map[string]any{"e": w.employerInA(t)}
	}},

	// Referrals, action plans and follow-ups.
	{"query referral", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($r: ID!) { referral(id: $r) { id source participant { id } feedbackOverdue } }`, map[string]any{"r": w.referralInA(t)}
	}},
	{"query referrals", byOrgA(`query($o: ID!) { referrals(organisationId: $o, filter: {feedbackPending: true}) { totalCount
		edges { node { id participant { id } } } } }`)},
	{"query overdueReferralFeedback", byOrgA(`query($o: ID!) { overdueReferralFeedback(organisationId: $o, asOf: "2019-03-01") { totalCount } }`)},
	{"mutation createReferral", func(t *testing.T, w *world) (string, map[string]any) {
		// A fresh person each time, so that two calls are two requests (TestEveryKeyedMutationReplays).
		return `mutation($p: ID!) { createReferral(input: {participantId: $p, source: AF, referralDate: "2019-01-15", ordered: [WORK_PRACTICE]}) { id } }`,
			map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation updateReferral", func(t *testing.T, w *world) (string, map[string]any) {
		r := w.versionOf(t, "referral", w.referralInA(t))
		return `mutation($r: ID!, $v: Int!) { updateReferral(input: {id: $r, version: $v, tripartiteMeetingDate: "2019-01-17",
			feedbackSentDate: "2019-02-05"}) { id version } }`, map[string]any{"r": r.ID, "v": r.Version}
	}},
	{"query overdueFollowUps", byOrgA(`query($o: ID!) { overdueFollowUps(organisationId: $o, asOf: "2019-06-01") { totalCount
		edges { node { dueDate enrolment { id } } } } }`)},
	{"mutation saveActionPlan", func(t *testing.T, w *world) (string, map[string]any) {
		// A person without a plan: version null creates it.
		return `mutation($p: ID!) { saveActionPlan(input: {participantId: $p, goal: "Arbete", steps: [{description: "Kartläggning"}]}) {
			id version steps { position } } }`, map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation recordFollowUp", func(t *testing.T, w *world) (string, map[string]any) {
		p := w.createPerson(t, w.orgA)
		return `mutation($p: ID!, $e: ID!) { recordFollowUp(input: {participantId: $p, enrolmentId: $e, heldOn: "2019-02-15",
			attendees: ["coach", "deltagare"]}) { id nextDueDate } }`, map[string]any{"p": p, "e": w.createEnrolment(t, p)}
	}},

	// Projects and targets.
	{"query projects", byOrgA(`query($o: ID!) { projects(organisationId: $o) { totalCount edges { node { id targets { id } } } } }`)},
	{"query project", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($j: ID!) { project(id: $j) { id name targets { id } } }`, map[string]any{"j": w.projectInA(t)}
	}},
	{"query targets", byOrgA(`query($o: ID!) { targets(organisationId: $o) { totalCount edges { node { id progress { total } } } } }`)},
	{"mutation createProject", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $n: String!) { createProject(input: {organisationId: $o, name: $n, funder: MUNICIPALITY, startDate: "2019-01-01"}) { id } }`,
			map[string]any{"o": w.orgA, "n": fmt.Sprintf("Projekt %d", w.next())}
	}},
	{"mutation updateProject", func(t *testing.T, w *world) (string, map[string]any) {
		j := w.versionOf(t, "project", w.projectInA(t))
		return `mutation($j: ID!, $v: Int!) { updateProject(input: {id: $j, version: $v, targetGroup: "Unga vuxna 18-24"}) {
			version targetGroupVersion } }`, map[string]any{"j": j.ID, "v": j.Version}
	}},
	{"mutation createTarget", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $j: ID!) { createTarget(input: {organisationId: $o, name: "Starter", metric: STARTS, periodStart: "2019-01-01",
			periodEnd: "2019-12-31", projectId: $j, total: 4}) { id progress { total } } }`, map[string]any{"o": w.orgA, "j": w.projectInA(t)}
	}},

	// Recruitment events, interviews, offers and quotas.
	{"query recruitmentEvents", byOrgA(`query($o: ID!) { recruitmentEvents(organisationId: $o) { totalCount edges { node { id } } } }`)},
	{"query recruitmentEvent", func(t *testing.T, w *world) (string, map[string]any) {
		e, _ := w.eventInA(t)
		return `query($e: ID!) { recruitmentEvent(id: $e) { id places { employer { name } places } invitations { attended }
			interviews { id } summary { placesOffered } } }`, map[string]any{"e": e}
	}},
	{"query quotas", byOrgA(`query($o: ID!) { quotas(organisationId: $o) { totalCount } }`)},
	{"query quota", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($q: ID!) { quota(id: $q) { id allocations(asOf: "2019-06-01") { quota delivered } } }`, map[string]any{"q": w.quotaInA(t)}
	}},
	{"mutation createRecruitmentEvent", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $d: ID!) { createRecruitmentEvent(input: {organisationId: $o, kind: MEETING, name: "Träff",
			heldOn: "2019-04-02", measureTypeCode: "extra_job", places: [{employerId: $d, places: 1}]}) { id } }`,
			map[string]any{"o": w.orgA, "d": w.employerInA(t)}
	}},
	{"mutation inviteToRecruitmentEvent", func(t *testing.T, w *world) (string, map[string]any) {
		e, _ := w.eventInA(t)
		return `mutation($e: ID!, $p: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$p]}) { invitations { attended } } }`,
			map[string]any{"e": e, "p": w.personA}
	}},
	{"mutation recordInterview", func(t *testing.T, w *world) (string, map[string]any) {
		e, d := w.eventInA(t)
		return `mutation($e: ID!, $p: ID!, $d: ID!) { recordInterview(input: {eventId: $e, participantId: $p, employerId: $d}) { id version } }`,
			map[string]any{"e": e, "p": w.personA, "d": d}
	}},
	{"mutation makeOffer", func(t *testing.T, w *world) (string, map[string]any) {
		iv := w.interviewInA(t, false)
		return `mutation($i: ID!, $v: Int!) { makeOffer(input: {interviewId: $i, version: $v, offerDate: "2019-03-20"}) { offered version } }`,
			map[string]any{"i": iv.ID, "v": iv.Version}
	}},
	{"mutation answerOffer", func(t *testing.T, w *world) (string, map[string]any) {
		iv := w.interviewInA(t, true)
		return `mutation($i: ID!, $v: Int!) { answerOffer(input: {interviewId: $i, version: $v, accepted: true,
			enrolment: {measureTypeCode: "work_practice", startDate: "2019-04-01", employmentRate: 50}}) { accepted enrolment { id } } }`,
			map[string]any{"i": iv.ID, "v": iv.Version}
	}},
	{"mutation createQuota", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $n: String!) { createQuota(input: {organisationId: $o, name: $n, total: 20, periodStart: "2019-01-01",
			periodEnd: "2019-12-31", measureTypeCode: "work_practice"}) { id } }`, map[string]any{"o": w.orgA, "n": fmt.Sprintf("Kvot %d", w.next())}
	}},

	// Analytics over the pseudonymised warehouse; it is empty here, so these cells check
	// access, not figures.
	{"query outcomeFigures", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($c: CohortInput!) { outcomeFigures(cohorts: [$c], definition: {kind: IN_WORK_OR_STUDIES, monthsAfterExit: 6},
			breakdowns: [GENDER]) { cohort n known count share definitionVersion } }`, map[string]any{"c": cohortA(w)}
	}},
	{"query timeToEmployment", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($c: CohortInput!) { timeToEmployment(cohort: $c, from: EXIT) { cohort n points { month survival } } }`,
			map[string]any{"c": cohortA(w)}
	}},
	{"query susTransitions", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($c: CohortInput!) { susTransitions(cohort: $c) { cohort cells { before after count } } }`, map[string]any{"c": cohortA(w)}
	}},
}

// cell is the matrix's record of one call: the first error's code, or "ok" when the root
// field answered. A null answer without an error is recorded as "null": for a record of
// the caller's own organisation it means the read was silently refused.
func cell(t *testing.T, op operation, r gqltest.Response) string {
	t.Helper()
	if len(r.Errors) > 0 {
		return r.Errors[0].Code()
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("%s: %v", op.name, err)
	}
	field := strings.Fields(op.name)[1]
	if v, ok := data[field]; !ok || string(v) == "null" {
		return "null"
	}
	return "ok"
}

// TestRoleOperationMatrix calls every query and mutation as every role and compares the
// outcome (ok or the error code) with testdata/role_matrix.golden: any changed cell fails.
func TestRoleOperationMatrix(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var lines []string
	for _, op := range operations {
		for _, role := range auth.Roles {
			q, vars := op.query(t, w)
			r, err := w.as(t, role).Do(context.Background(), q, vars)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%-36s %-11s %s", op.name, role, cell(t, op, r)))
		}
		// Without a token nothing is served.
		q, vars := op.query(t, w)
		anon := gqltest.New(w.base + "/graphql")
		r, err := anon.Do(context.Background(), q, vars)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%-36s %-11s %s", op.name, "anonymous", cell(t, op, r)))
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "role_matrix.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("role matrix changed:\n--- want\n%s\n--- got\n%s", want, got)
	}
}

// rootFields lists the Query and Mutation fields of the served schema as "query <field>"
// and "mutation <field>", with the roles their @auth directive names (lower case, as
// auth.Role); a field without the directive maps to nil.
func rootFields(t *testing.T) map[string][]string {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	out := map[string][]string{}
	for kind, def := range map[string]*ast.Definition{"query": schema.Query, "mutation": schema.Mutation} {
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") { // __schema and __type, added by the parser
				continue
			}
			var roles []string
			if d := f.Directives.ForName("auth"); d != nil {
				if arg := d.Arguments.ForName("roles"); arg != nil && arg.Value != nil {
					for _, r := range arg.Value.Children {
						roles = append(roles, strings.ToLower(r.Value.Raw))
					}
				}
			}
			out[kind+" "+f.Name] = roles
		}
	}
	return out
}

// TestEveryRootFieldIsInTheMatrix keeps the role matrix complete: a new query or
// mutation must get an operation in it, and must name its roles with @auth.
func TestEveryRootFieldIsInTheMatrix(t *testing.T) {
	t.Parallel()
	inMatrix := map[string]bool{}
	for _, op := range operations {
		inMatrix[op.name] = true
	}
	fields := rootFields(t)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !inMatrix[name] {
			t.Errorf("%s has no operation in the role matrix (add one to operations in security_test.go)", name)
		}
		if len(fields[name]) == 0 {
			t.Errorf("%s has no @auth(roles: [...]) directive", name)
		}
	}
	for name := range inMatrix {
		base := strings.Join(strings.Fields(name)[:2], " ")
		if _, ok := fields[base]; !ok {
			t.Errorf("operation %q names no root field of the schema", name)
		}
	}
}

// TestRoleMatrixFollowsAuthDirectives reads the golden matrix against the schema: for
// the plain call of each root field (in the caller's own organisation A) every role
// @auth names must get "ok", every other role FORBIDDEN and the anonymous caller
// UNAUTHENTICATED. A golden file regenerated over a bug cannot pass unnoticed.
func TestRoleMatrixFollowsAuthDirectives(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("testdata", "role_matrix.golden"))
	if err != nil {
		t.Fatal(err)
	}
	fields := rootFields(t)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(golden)), "\n") {
		words := strings.Fields(line)
		if len(words) < 4 {
			t.Fatalf("malformed line %q", line)
		}
		name, role, got := strings.Join(words[:len(words)-2], " "), words[len(words)-2], words[len(words)-1]
		roles, plain := fields[name]
		if !plain {
			continue // a further call, e.g. on organisation B; its cells are reviewed by hand
		}
		seen[name]++
		want := "FORBIDDEN"
		switch {
		case role == "anonymous":
			want = "UNAUTHENTICATED"
		case slices.Contains(roles, role):
			want = "ok"
		}
		if got != want {
			t.Errorf("%s as %s: %s, but @auth(roles: %v) means %s", name, role, got, roles, want)
		}
	}
	for name := range fields {
		if seen[name] != len(auth.Roles)+1 {
			t.Errorf("%s has %d cells in the golden matrix, want %d", name, seen[name], len(auth.Roles)+1)
		}
	}
}

// TestCrossTenantIsolation: a caseworker of A, even naming B's ids and organisation in
// arguments, sees and changes nothing of B; the database itself enforces it.
func TestCrossTenantIsolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cw := w.as(t, auth.Caseworker)
	var p struct{ Participant *struct{ ID string } }
	cw.MustData(t, `query($p: ID!) { participant(id: $p) { id } }`, map[string]any{"p": w.personB}, &p)
	if p.Participant != nil {
		t.Error("caseworker of A read a participant of B")
	}
	var e struct{ Enrolment *struct{ ID string } }
	cw.MustData(t, `query($e: ID!) { enrolment(id: $e) { id } }`, map[string]any{"e": w.enrolmentB}, &e)
	if e.Enrolment != nil {
		t.Error("caseworker of A read an enrolment of B")
	}
	if errs := cw.MustFail(t, `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgB}); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("listing B: %+v", errs)
	}
	before := countRows(t, w.system)
	for _, m := range []string{
		`mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2019-02-01"}) { id } }`,
		`mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2019-12", status: STUDIES, source: AF_DATA}) { id } }`,
	} {
		if errs := cw.MustFail(t, m, map[string]any{"p": w.personB}); errs[0].Code() != "NOT_FOUND" {
			t.Errorf("write on B's person: %+v", errs)
		}
	}
	if errs := cw.MustFail(t, `mutation($e: ID!) { exitEnrolment(input: {enrolmentId: $e, endDate: "2019-06-30", exitReason: STUDIES}) { id } }`,
		map[string]any{"e": w.enrolmentB}); errs[0].Code() != "NOT_FOUND" {
		t.Errorf("exit of B's enrolment: %+v", errs)
	}
	if after := countRows(t, w.system); after != before {
		t.Errorf("rows changed: %v -> %v", before, after)
	}

	// Below the API: a session scoped to A, with B's organisation forged into the SQL.
	scoped, err := db.ConnectScoped(context.Background(), testenv.RoleURL(t, w.system.Config().ConnString(), testenv.APIRole))
	if err != nil {
		t.Fatal(err)
	}
	defer scoped.Close()
	ctx := auth.With(context.Background(), auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: plain(w.orgA)})
	var n int
	if err := scoped.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, plain(w.orgB)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("row-level security let %d rows of B through", n)
	}
	if err := scoped.QueryRow(ctx, `SELECT count(*) FROM participant`).Scan(&n); err != nil || n != 1 {
		t.Errorf("caseworker of A sees %d participants (err %v), want 1", n, err)
	}
	if _, err := scoped.Exec(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, '19800101-0000', 'man', '1980-01-01')`, plain(w.orgB)); err == nil {
		t.Error("row-level security let a row into B")
	}
	var role struct{ Super, Bypass bool }
	if err := scoped.QueryRow(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&role.Super, &role.Bypass); err != nil {
		t.Fatal(err)
	}
	if role.Super || role.Bypass {
		t.Errorf("the application role may bypass row-level security: %+v", role)
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var p, e, o, c int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM participant), (SELECT count(*) FROM enrolment),
		(SELECT count(*) FROM outcome_observation), (SELECT count(*) FROM change_event)`).Scan(&p, &e, &o, &c); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(p, e, o, c)
}

func TestReadsAndWritesAreAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cw := w.as(t, auth.Caseworker)
	cw.MustData(t, `query($p: ID!) { participant(id: $p) { id enrolments { id } } }`, map[string]any{"p": w.personA}, nil)
	cw.MustData(t, `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2020-01", status: STUDIES, source: AF_DATA}) { id } }`,
		map[string]any{"p": w.personA}, nil)
	var log struct {
		AuditLog struct {
			Edges []struct {
				Node struct {
					Subject, Role, Action, Entity, Operation, RequestID string
					EntityID                                            *string
				}
			}
		}
	}
	w.admin.MustData(t, `query($s: String!) { auditLog(subject: $s) { edges { node { subject role action entity entityId operation requestId } } } }`,
		map[string]any{"s": "user-caseworker"}, &log)
	var got []string
	for _, e := range log.AuditLog.Edges {
		n := e.Node
		if n.RequestID == "" || n.Role != "caseworker" {
			t.Errorf("entry without request id or role: %+v", n)
		}
		id := ""
		if n.EntityID != nil && *n.EntityID == plain(w.personA) {
			id = "A"
		}
		got = append(got, n.Action+" "+n.Entity+" "+id+" "+n.Operation)
	}
	sort.Strings(got)
	want := []string{"read participant A participant", "write outcome_observation  recordOutcomeObservation"}
	for _, wnt := range want {
		found := false
		for _, g := range got {
			found = found || g == wnt
		}
		if !found {
			t.Errorf("audit log %q lacks %q", got, wnt)
		}
	}
	var orgWrites int
	if err := w.system.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'write' AND entity = 'organisation'
		AND operation = 'createOrganisation' AND subject = 'admin'`).Scan(&orgWrites); err != nil || orgWrites != 2 {
		t.Errorf("createOrganisation audited %d times (err %v), want 2 (organisations A and B)", orgWrites, err)
	}
	if _, err := w.system.Exec(context.Background(), `UPDATE audit_log SET subject = 'someone else'`); err == nil {
		t.Error("audit log could be updated")
	}
	if _, err := w.system.Exec(context.Background(), `DELETE FROM audit_log`); err == nil {
		t.Error("audit log could be deleted from")
	}
}

func TestAuthenticationAndLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	post := func(auth, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, w.base+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	q := `{"query":"{ organisations { edges { node { id } } } }"}`
	if code, _ := post("", q); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := post("Bearer not-a-token", q); code != http.StatusUnauthorized {
		t.Errorf("bad token: %d", code)
	}
	other, _ := auth.MintDev([]byte("some-other-key-0123456789"), auth.Principal{Subject: "x", Role: auth.Admin}, time.Hour)
	if code, _ := post("Bearer "+other, q); code != http.StatusUnauthorized {
		t.Errorf("token signed with another key: %d", code)
	}
	expired, _ := auth.MintDev([]byte(apitest.DevKey), auth.Principal{Subject: "x", Role: auth.Admin}, -time.Hour)
	if code, _ := post("Bearer "+expired, q); code != http.StatusUnauthorized {
		t.Errorf("expired token: %d", code)
	}
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(w.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s without a token: %d", path, resp.StatusCode)
		}
	}
	deep := `query($p: ID!) { participant(id: $p) { enrolments { participant { enrolments { participant { enrolments { id } } } } } } }`
	if errs := w.admin.MustFail(t, deep, map[string]any{"p": w.personA}); errs[0].Code() != "QUERY_TOO_DEEP" {
		t.Errorf("deep query: %+v", errs)
	}
	if errs := w.admin.MustFail(t, `{ __schema { types { name } } }`, nil); errs[0].Code() != "INTROSPECTION_DISABLED" {
		t.Errorf("introspection switched off, got %+v", errs)
	}
	big := `{"query":"{ organisations { edges { node { id } } } }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
	if code, _ := post("Bearer "+mustToken(t), big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB body: %d", code)
	}
}

func mustToken(t *testing.T) string {
	return apitest.Token(t, auth.Principal{Subject: "x", Role: auth.Admin})
}
