package graph_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/auth"
	"github.com/arbetsmarknad/outcomes/internal/db"
	"github.com/arbetsmarknad/outcomes/internal/demo"
	"github.com/arbetsmarknad/outcomes/internal/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/testenv"
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
	url := testenv.PostgresURL(t)
	ch, _ := testenv.ClickHouse(t)
	scoped, err := db.ConnectScoped(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	system, err := db.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(system.Close)
	h := apiserver.NewHandler(apiserver.Options{Pool: scoped, Warehouse: ch, Log: zerolog.Nop(), Registry: prometheus.NewRegistry(),
		Verifier: &auth.Verifier{DevKey: []byte(devKey)}, MaxDepth: 6})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w := &world{base: srv.URL, system: system}
	w.admin = client(t, w.base, auth.Principal{Subject: "admin", Role: auth.Admin})
	w.orgA = w.createOrg(t, "kommun-a")
	w.orgB = w.createOrg(t, "kommun-b")
	w.personA = w.createPerson(t, w.orgA)
	w.personB = w.createPerson(t, w.orgB)
	w.enrolmentB = w.createEnrolment(t, w.personB)
	return w
}

func (w *world) createOrg(t *testing.T, code string) string {
	var out struct{ CreateOrganisation struct{ ID string } }
	w.admin.MustData(t, `mutation($c: String!) { createOrganisation(input: {code: $c, name: $c, kind: MUNICIPALITY}) { id } }`,
		map[string]any{"c": code}, &out)
	return out.CreateOrganisation.ID
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
	return client(t, w.base, p)
}

// operation is one root field, called the way its role would, in organisation A.
type operation struct {
	name  string
	query func(t *testing.T, w *world) (string, map[string]any)
}

var operations = []operation{
	{"query organisations", func(t *testing.T, w *world) (string, map[string]any) { return `{ organisations { id } }`, nil }},
	{"query organisation", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { organisation(id: $o) { id measureTypes { code } } }`, map[string]any{"o": w.orgA}
	}},
	{"query auditLog", func(t *testing.T, w *world) (string, map[string]any) {
		return `{ auditLog(first: 5) { edges { node { id } } } }`, nil
	}},
	{"query participant", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($p: ID!) { participant(id: $p) { id personalIdentityNumber } }`, map[string]any{"p": w.personA}
	}},
	{"query participants", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgA}
	}},
	{"query enrolment", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($e: ID!) { enrolment(id: $e) { id } }`, map[string]any{"e": w.createEnrolment(t, w.personA)}
	}},
	{"query exitCohortOutcome", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exitsDisplay } } }`, map[string]any{"o": w.orgA}
	}},
	{"query exitCohortOutcome of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exitsDisplay } } }`, map[string]any{"o": w.orgB}
	}},
	{"query participants of B", func(t *testing.T, w *world) (string, map[string]any) {
		return `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": w.orgB}
	}},
	{"mutation createOrganisation", func(t *testing.T, w *world) (string, map[string]any) {
		w.serial++
		return `mutation($c: String!) { createOrganisation(input: {code: $c, name: "X", kind: MUNICIPALITY}) { id } }`,
			map[string]any{"c": fmt.Sprintf("ny-kommun-%d", w.serial)}
	}},
	{"mutation createParticipant", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
			givenName: "A", familyName: "B", gender: MAN}) { id } }`, map[string]any{"o": w.orgA, "p": w.pnr()}
	}},
	{"mutation eraseParticipant", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { eraseParticipant(id: $p) }`, map[string]any{"p": w.createPerson(t, w.orgA)}
	}},
	{"mutation createEnrolment", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2019-02-01"}) { id } }`,
			map[string]any{"p": w.personA}
	}},
	{"mutation exitEnrolment", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($e: ID!) { exitEnrolment(input: {enrolmentId: $e, endDate: "2019-06-30", exitReason: STUDIES}) { id } }`,
			map[string]any{"e": w.createEnrolment(t, w.personA)}
	}},
	{"mutation recordOutcomeObservation", func(t *testing.T, w *world) (string, map[string]any) {
		return `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2019-12", status: STUDIES, source: AF_DATA}) { id } }`,
			map[string]any{"p": w.personA}
	}},
}

// TestRoleOperationMatrix calls every query and mutation as every role and compares the
// outcome (ok or the error code) with testdata/role_matrix.golden: any changed cell fails.
func TestRoleOperationMatrix(t *testing.T) {
	w := newWorld(t)
	var lines []string
	for _, op := range operations {
		for _, role := range auth.Roles {
			q, vars := op.query(t, w)
			r, err := w.as(t, role).Do(context.Background(), q, vars)
			if err != nil {
				t.Fatal(err)
			}
			result := "ok"
			if len(r.Errors) > 0 {
				result = r.Errors[0].Code()
			}
			lines = append(lines, fmt.Sprintf("%-36s %-11s %s", op.name, role, result))
		}
		// Without a token nothing is served.
		q, vars := op.query(t, w)
		anon := gqltest.New(w.base + "/graphql")
		r, err := anon.Do(context.Background(), q, vars)
		if err != nil {
			t.Fatal(err)
		}
		result := "ok"
		if len(r.Errors) > 0 {
			result = r.Errors[0].Code()
		}
		lines = append(lines, fmt.Sprintf("%-36s %-11s %s", op.name, "anonymous", result))
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

// TestCrossTenantIsolation: a caseworker of A, even naming B's ids and organisation in
// arguments, sees and changes nothing of B; the database itself enforces it.
func TestCrossTenantIsolation(t *testing.T) {
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
	scoped, err := db.ConnectScoped(context.Background(), w.system.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer scoped.Close()
	ctx := auth.With(context.Background(), auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: w.orgA})
	var n int
	if err := scoped.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, w.orgB).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("row-level security let %d rows of B through", n)
	}
	if err := scoped.QueryRow(ctx, `SELECT count(*) FROM participant`).Scan(&n); err != nil || n != 1 {
		t.Errorf("caseworker of A sees %d participants (err %v), want 1", n, err)
	}
	if _, err := scoped.Exec(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, '19800101-0000', 'man', '1980-01-01')`, w.orgB); err == nil {
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
		if n.EntityID != nil && *n.EntityID == w.personA {
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
	q := `{"query":"{ organisations { id } }"}`
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
	expired, _ := auth.MintDev([]byte(devKey), auth.Principal{Subject: "x", Role: auth.Admin}, -time.Hour)
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
	big := `{"query":"{ organisations { id } }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
	if code, _ := post("Bearer "+mustToken(t), big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB body: %d", code)
	}
}

func mustToken(t *testing.T) string {
	tok, err := auth.MintDev([]byte(devKey), auth.Principal{Subject: "x", Role: auth.Admin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
