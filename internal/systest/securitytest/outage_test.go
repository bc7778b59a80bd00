package securitytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// TestWarehouseOutageKeepsCasework stops ClickHouse under a running API: /readyz stays
// ready (it reflects what writes need) and reports the warehouse beside it, analytics
// answer the typed, retryable WAREHOUSE_UNAVAILABLE, and casework goes on. Then it stops
// PostgreSQL: the API is not ready and answers the retryable UNAVAILABLE, never INTERNAL.
func TestWarehouseOutageKeepsCasework(t *testing.T) {
	stack := testenv.NewPrivateStack(t)
	env := map[string]string{"OUTCOMES_DATABASE_URL": stack.PGURL, "OUTCOMES_CLICKHOUSE_ADDR": stack.CHAddr,
		"OUTCOMES_CLICKHOUSE_DATABASE": "outcomes", "OUTCOMES_PSEUDONYM_KEY": "securitytest-pseudonym-key-0123"}
	var out bytes.Buffer
	if code := admin.Run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &out); code != 0 {
		t.Fatalf("migrate: %s", out.String())
	}
	ch, err := chstore.Open(context.Background(), chstore.Options{Addr: stack.CHAddr, Database: "outcomes"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Close() })
	s := serve(t, apitest.New(t, apitest.Options{PostgresURL: stack.PGURL, APIURL: stack.APIURL, WarehouseConn: ch}))
	cw := s.caseworker(t, "cw-a", s.orgA)

	ready := func(path string) (int, map[string]string) {
		t.Helper()
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var body map[string]string
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
		return resp.StatusCode, body
	}
	createPerson := func(c *gqltest.Client) gqltest.Response {
		t.Helper()
		r, err := c.Do(context.Background(), `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o,
			personalIdentityNumber: $p, givenName: "Ada", familyName: "Berg", gender: WOMAN}) { id } }`,
			map[string]any{"o": s.orgA, "p": s.pnr()})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	figures := `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2019) { total { exits } } }`
	wantRetryable := func(what string, errs []gqltest.Error, code string) {
		t.Helper()
		if len(errs) == 0 || errs[0].Code() != code || errs[0].Extensions["retryable"] != true {
			t.Errorf("%s: want retryable %s, got %+v", what, code, errs)
		}
	}

	if code, body := ready("/readyz?warehouse=1"); code != http.StatusOK || body["clickhouse"] != "ok" {
		t.Fatalf("before the outage: %d %v", code, body)
	}
	s.admin.MustData(t, figures, map[string]any{"o": s.orgA}, nil)

	stack.StopClickHouse()
	if code, body := ready("/readyz"); code != http.StatusOK || body["postgresql"] != "ok" || body["clickhouse"] != "unavailable" {
		t.Errorf("ClickHouse down: /readyz %d %v, want 200 with clickhouse unavailable", code, body)
	}
	if code, _ := ready("/readyz?warehouse=1"); code != http.StatusServiceUnavailable {
		t.Errorf("ClickHouse down: /readyz?warehouse=1 %d, want 503", code)
	}
	wantRetryable("figures without ClickHouse", s.admin.MustFail(t, figures, map[string]any{"o": s.orgA}), "WAREHOUSE_UNAVAILABLE")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/microdata.csv?exitFrom=2019-01-01&exitTo=2020-01-01&organisationId="+s.orgA, nil)
	tok := apitest.Token(t, auth.Principal{Subject: "eva", Role: auth.Evaluator, OrgID: s.orgA})
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var body struct{ Errors []gqltest.Error }
		json.NewDecoder(resp.Body).Decode(&body) //nolint:errcheck
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || len(body.Errors) == 0 || body.Errors[0].Code() != "WAREHOUSE_UNAVAILABLE" {
			t.Errorf("microdata without ClickHouse: %d %+v", resp.StatusCode, body.Errors)
		}
	}
	if r := createPerson(cw); len(r.Errors) > 0 {
		t.Errorf("casework stopped with the warehouse: %+v", r.Errors)
	}
	var list struct{ Participants struct{ TotalCount int } }
	cw.MustData(t, `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": s.orgA}, &list)
	if list.Participants.TotalCount != 1 {
		t.Errorf("participants during the warehouse outage: %d, want 1", list.Participants.TotalCount)
	}

	stack.StopPostgres()
	if code, body := ready("/readyz"); code != http.StatusServiceUnavailable || body["postgresql"] != "unavailable" {
		t.Errorf("PostgreSQL down: /readyz %d %v, want 503", code, body)
	}
	wantRetryable("a write without PostgreSQL (admin)", createPerson(s.admin).Errors, "UNAVAILABLE")
	// A caseworker's organisation is checked against the database first (unless the API
	// looked it up within the last minute: organisation B's caseworker has not called
	// yet): that refusal is UNAVAILABLE too, not a 401 or INTERNAL.
	r := s.postJSON(t, apitest.Token(t, auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: s.orgB}),
		map[string]any{"query": `{ __typename }`})
	if r.status != http.StatusServiceUnavailable || r.code() != "UNAVAILABLE" {
		t.Errorf("caseworker without PostgreSQL: %d %.300s", r.status, r.body)
	}
}
