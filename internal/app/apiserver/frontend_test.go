package apiserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
)

var update = flag.Bool("update", false, "rewrite schema.graphql from the running schema")

// serve runs the API handler on a fresh database with o's frontend options.
func serve(t *testing.T, o apiserver.Options) string {
	t.Helper()
	return apitest.New(t, apitest.Options{API: o}).URL
}

var admin = auth.Principal{Subject: "admin", Role: auth.Admin}

// A browser app on another origin: its preflight is answered without a token, with the
// origin echoed, credentials allowed and the headers it asked for; an origin that is
// not allowed gets no CORS headers (the browser then refuses); the real request
// carries Access-Control-Allow-Origin.
func TestCORSPreflightAndRequest(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{CORSOrigins: []string{"http://localhost:*", "https://app.example.se"}})
	preflight := func(origin, method, headers string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, base+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, origin := range []string{"http://localhost:5173", "http://localhost:3000", "https://app.example.se"} {
		resp := preflight(origin, "POST", "authorization,content-type")
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight from %s: %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
	for _, c := range []struct{ origin, method, headers string }{
		{"https://evil.example.com", "POST", "authorization"},
		{"http://localhost.evil.com:80", "POST", ""},
		{"https://app.example.se:8443", "POST", ""}, // exact origins do not take other ports
		{"http://localhost:5173", "DELETE", ""},
		{"http://localhost:5173", "POST", "x-unknown-header"},
	} {
		resp := preflight(c.origin, c.method, c.headers)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight %+v: %d %v", c, resp.StatusCode, resp.Header)
		}
	}
	body := `{"query":"{ organisations { totalCount } }"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apitest.Token(t, admin))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		resp.Header.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
		t.Errorf("request: %d %v", resp.StatusCode, resp.Header)
	}
	// A request without a token from an allowed origin is still 401 (CORS is not auth),
	// with the CORS headers so that the app can read the error.
	req, _ = http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("no token: %d %v", resp.StatusCode, resp.Header)
	}
}

// The allowed origins come from the environment; in development localhost on any port
// is allowed by default, in production nothing until configured.
func TestCORSOriginsFromEnvironment(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) config.Config {
		env["OUTCOMES_PSEUDONYM_KEY"] = "0123456789abcdef0123"
		c, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := load(map[string]string{"OUTCOMES_ENV": "dev"}).CORSOrigins; strings.Join(got, ",") != "http://localhost:*,http://127.0.0.1:*" {
		t.Errorf("dev default: %v", got)
	}
	if got := load(map[string]string{}).CORSOrigins; len(got) != 0 {
		t.Errorf("production default: %v", got)
	}
	if got := load(map[string]string{"OUTCOMES_CORS_ORIGINS": "https://a.se/, https://b.se"}).CORSOrigins; strings.Join(got, ",") != "https://a.se,https://b.se" {
		t.Errorf("configured: %v", got)
	}
	_, err := config.Load(func(k string) string {
		return map[string]string{"OUTCOMES_PSEUDONYM_KEY": "0123456789abcdef0123", "OUTCOMES_CORS_ORIGINS": "*"}[k]
	})
	if err == nil {
		t.Error(`"*" with credentials accepted`)
	}
}

// The SDL is served without a token and equals the committed schema.graphql, which
// code generators read (go test ./internal/app/apiserver -run TestSchemaFile -update
// rewrites it after a schema change).
func TestSchemaFileIsTheRunningSchema(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{})
	resp, err := http.Get(base + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(served, []byte("type Query {")) ||
		!bytes.Contains(served, []byte("interface Node")) {
		t.Fatalf("GET /schema.graphql: %d\n%.300s", resp.StatusCode, served)
	}
	path := filepath.Join("..", "..", "..", "schema.graphql")
	if *update {
		if err := os.WriteFile(path, served, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Errorf("schema.graphql differs from the running schema: run go test ./internal/app/apiserver -run TestSchemaFile -update")
	}
}

// Introspection answers authenticated callers when it is on (development), nobody
// without a token, and nobody when it is off (production default).
func TestIntrospectionForAuthenticatedUsersInDevelopment(t *testing.T) {
	t.Parallel()
	q := `{ __schema { queryType { name } } }`
	dev := serve(t, apiserver.Options{Introspection: true})
	var out struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	apitest.Client(t, dev, admin).MustData(t, q, nil, &out)
	if out.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection: %+v", out)
	}
	anon := gqltest.New(dev + "/graphql")
	if r, err := anon.Do(context.Background(), q, nil); err != nil || len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("without a token: %+v %v", r, err)
	}
	// Off, the operation is refused before it runs, as a client error with nothing of
	// it answered: asked for directly, beside other fields, or through fragments.
	prod := serve(t, apiserver.Options{})
	c := apitest.Client(t, prod, admin)
	for _, asked := range []string{q,
		`{ organisations { totalCount } __type(name: "Participant") { name } }`,
		`query { ...F } fragment F on Query { ... on Query { __schema { queryType { name } } } }`,
		`{ ... { __type(name: "Query") { fields { name } } } }`,
	} {
		r, status, err := c.DoStatus(context.Background(), asked, nil)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Code() != "INTROSPECTION_DISABLED" || string(r.Data) != "null" && len(r.Data) != 0 {
			t.Errorf("production, %s: HTTP %d, %+v, data %s; want 422 INTROSPECTION_DISABLED and no data", asked, status, r.Errors, r.Data)
		}
	}
	// __typename is not introspection of the schema: clients select it everywhere.
	var typed struct {
		Typename string `json:"__typename"`
	}
	c.MustData(t, `{ __typename }`, nil, &typed)
	if typed.Typename != "Query" {
		t.Errorf("__typename: %+v", typed)
	}
}

// A form with several bad fields gets one error per field, each with its code, field
// path and message, and nothing is written.
func TestEveryInvalidFieldIsReported(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{})
	c := apitest.Client(t, base, admin)
	org := apitest.Organisation(t, c, "formkommun", "Formkommun")
	errs := c.MustFail(t, `mutation($org: ID!, $long: String!, $mail: String!) { createParticipant(input: {organisationId: $org,
		personalIdentityNumber: "19811218-9875", givenName: $long, familyName: "Berg", gender: WOMAN, email: $mail,
		attributes: {validFrom: "2020-01-01", guaranteeDays: 20000}}) { id } }`,
		map[string]any{"org": org, "long": strings.Repeat("a", 101), "mail": strings.Repeat("m", 201) + "@x.se"})
	var fields []string
	for _, e := range errs {
		if e.Code() != "INVALID" || e.Message == "" || len(e.Path) == 0 {
			t.Errorf("error without code, message or path: %+v", e)
		}
		fields = append(fields, e.Field())
	}
	sort.Strings(fields)
	want := "input.attributes.guaranteeDays,input.email,input.givenName,input.personalIdentityNumber"
	if strings.Join(fields, ",") != want {
		t.Errorf("fields %v, want %s (%+v)", fields, want, errs)
	}
}

func postRaw(t *testing.T, base, tok string, body any) gqltest.Response {
	t.Helper()
	_, r := postStatus(t, base, tok, body)
	return r
}

func hashOf(q string) string { h := sha256.Sum256([]byte(q)); return hex.EncodeToString(h[:]) }

func code(r gqltest.Response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

// Apollo's automatic persisted queries: a hash the server has not seen asks for the
// query; hash and query register it; then the hash alone runs it. A wrong hash is refused.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{})
	tok := apitest.Token(t, admin)
	q := `query Orgs { organisations(first: 3) { totalCount } }`
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hashOf(q)}}
	if r := postRaw(t, base, tok, map[string]any{"extensions": ext}); code(r) != "PERSISTED_QUERY_NOT_FOUND" || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Errorf("unknown hash: %+v", r)
	}
	if r := postRaw(t, base, tok, map[string]any{"query": q, "extensions": ext}); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte("totalCount")) {
		t.Errorf("register: %+v", r)
	}
	if r := postRaw(t, base, tok, map[string]any{"extensions": ext}); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte("totalCount")) {
		t.Errorf("hash only: %+v", r)
	}
	// By GET, as Apollo's useGETForHashedQueries sends it: the hash alone, in extensions.
	extJSON, _ := json.Marshal(ext)
	if status, r := getRaw(t, base, tok, url.Values{"extensions": {string(extJSON)}}); status != http.StatusOK || len(r.Errors) > 0 ||
		!bytes.Contains(r.Data, []byte("totalCount")) {
		t.Errorf("hash only by GET: %d %+v", status, r)
	}
	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hashOf("something else")}}
	if status, r := postStatus(t, base, tok, map[string]any{"query": q, "extensions": bad}); code(r) != "PERSISTED_QUERY_INVALID" ||
		status != http.StatusUnprocessableEntity {
		t.Errorf("wrong hash: %d %+v, want 422 PERSISTED_QUERY_INVALID", status, r)
	}
}

func getRaw(t *testing.T, base, tok string, params url.Values) (int, gqltest.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/graphql?"+params.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return do(t, req)
}

func postStatus(t *testing.T, base, tok string, body any) (int, gqltest.Response) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, gqltest.Response) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqltest.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

// The production mode accepts only the operations of the frontend's manifest (Apollo's
// persisted query manifest here), by hash or by identical text; anything else is
// PERSISTED_QUERY_NOT_ALLOWED.
func TestOnlyRegisteredOperationsInProductionMode(t *testing.T) {
	t.Parallel()
	q := `query Orgs { organisations(first: 3) { totalCount } }`
	manifest := map[string]any{"format": "apollo-persisted-query-manifest", "version": 1,
		"operations": []map[string]any{{"id": hashOf(q), "name": "Orgs", "type": "query", "body": q}}}
	path := filepath.Join(t.TempDir(), "operations.json")
	b, _ := json.Marshal(manifest)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ops, err := apiserver.LoadOperationManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, apiserver.Options{AllowedOperations: ops})
	tok := apitest.Token(t, admin)
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hashOf(q)}}
	if r := postRaw(t, base, tok, map[string]any{"extensions": ext}); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte("totalCount")) {
		t.Errorf("registered by hash: %+v", r)
	}
	if r := postRaw(t, base, tok, map[string]any{"query": q}); len(r.Errors) > 0 {
		t.Errorf("registered by text: %+v", r)
	}
	if status, r := postStatus(t, base, tok, map[string]any{"query": `{ organisations { totalCount } }`}); code(r) != "PERSISTED_QUERY_NOT_ALLOWED" ||
		status != http.StatusUnprocessableEntity {
		t.Errorf("unregistered: %d %+v, want 422 PERSISTED_QUERY_NOT_ALLOWED", status, r)
	}
	extJSON, _ := json.Marshal(ext)
	if status, r := getRaw(t, base, tok, url.Values{"extensions": {string(extJSON)}}); status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("registered by hash, by GET: %d %+v", status, r)
	}
	// graphql-codegen's client preset writes the other accepted format (hash -> document).
	if ops, err := apiserver.LoadOperationManifest(filepath.Join("testdata", "codegen-persisted-documents.json")); err != nil || len(ops) != 2 {
		t.Errorf("graphql-codegen's persisted documents: %d operations, %v", len(ops), err)
	}
	// A manifest whose id is not the hash of its body is refused at start.
	b, _ = json.Marshal(map[string]string{hashOf("x"): q})
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := apiserver.LoadOperationManifest(path); err == nil {
		t.Error("a manifest with a wrong id was accepted")
	}
}

// Subscriptions need a token in connection_init, are scoped to the organisations the
// caller may read aggregates of, and a token holds at most MaxPerToken of them.
func TestFiguresSubscriptionIsAuthenticatedScopedAndBounded(t *testing.T) {
	t.Parallel()
	hub := livefigures.NewHub(2)
	base := serve(t, apiserver.Options{Figures: hub})
	orgOf := func(code string) string { // tokens must name organisations that exist
		return model.RecordID("", apitest.Organisation(t, apitest.Client(t, base, admin), code, code))
	}
	orgA, orgB := orgOf("live-a"), orgOf("live-b")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := `subscription($o: ID!) { figuresChanged(organisationId: $o) { organisationId at } }`
	if _, err := gqltest.Subscribe(ctx, base+"/graphql", "", q, map[string]any{"o": orgA}); err == nil {
		t.Error("a subscription without a token was accepted")
	}
	steering := "Bearer " + apitest.Token(t, auth.Principal{Subject: "s", Role: auth.Steering, OrgID: orgA})
	other, err := gqltest.Subscribe(ctx, base+"/graphql", steering, q, map[string]any{"o": orgB})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := other.Next(ctx); err != nil || len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("another organisation's figures: %+v %v", r, err)
	}
	subs := make([]*gqltest.Subscription, 2)
	for i := range subs {
		if subs[i], err = gqltest.Subscribe(ctx, base+"/graphql", steering, q, map[string]any{"o": orgA}); err != nil {
			t.Fatal(err)
		}
		defer subs[i].Close()
	}
	for hub.Count() < 2 { // both subscriptions registered before the event is sent
		select {
		case <-ctx.Done():
			t.Fatal("subscriptions never registered")
		case <-time.After(10 * time.Millisecond):
		}
	}
	third, err := gqltest.Subscribe(ctx, base+"/graphql", steering, q, map[string]any{"o": orgA})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := third.Next(ctx); err != nil || len(r.Errors) == 0 || r.Errors[0].Code() != "TOO_MANY_SUBSCRIPTIONS" {
		t.Errorf("third subscription: %+v %v", r, err)
	}
	hub.Deliver(livefigures.Event{OrganisationID: orgB, At: time.Now()})
	hub.Deliver(livefigures.Event{OrganisationID: orgA, At: time.Now()})
	for _, s := range subs {
		r, err := s.Next(ctx)
		if err != nil || len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(model.GlobalID("Organisation", orgA))) {
			t.Errorf("event: %s %+v %v", r.Data, r.Errors, err)
		}
	}
}

// A WebSocket upgrade from an origin the CORS policy does not allow is refused before
// any message; the allowed origin and the API's own origin are accepted.
func TestWebsocketUpgradeChecksTheOrigin(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{Figures: livefigures.NewHub(5), CORSOrigins: []string{"http://localhost:*"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(origin string) error {
		h := http.Header{}
		h.Set("Origin", origin)
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
		if err == nil {
			c.CloseNow()
		}
		return err
	}
	if err := dial("https://evil.example.com"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("foreign origin: %v", err)
	}
	if err := dial("http://localhost:5173"); err != nil {
		t.Errorf("allowed origin: %v", err)
	}
	if err := dial(base); err != nil {
		t.Errorf("same origin: %v", err)
	}
}

// TestGETRunsQueriesOnly: a query by GET runs; a mutation by GET is refused with a typed
// 405 (gqlgen's 406 had no extensions.code), and nothing is written.
func TestGETRunsQueriesOnly(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{})
	tok := apitest.Token(t, admin)
	if status, r := getRaw(t, base, tok, url.Values{"query": {`{ organisations { totalCount } }`}}); status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("a query by GET: %d %+v", status, r)
	}
	create := `mutation { createOrganisation(input: {code: "by-get", name: "By GET", kind: MUNICIPALITY}) { id } }`
	for _, params := range []url.Values{{"query": {create}},
		{"query": {`query Q { organisations { totalCount } } ` + create[:8] + ` M ` + create[9:]}, "operationName": {"M"}}} {
		if status, r := getRaw(t, base, tok, params); status != http.StatusMethodNotAllowed || code(r) != "BAD_REQUEST" {
			t.Errorf("a mutation by GET (%v): %d %+v, want 405 BAD_REQUEST", params, status, r)
		}
	}
	if _, r := postStatus(t, base, tok, map[string]any{"query": `{ organisations { totalCount } }`}); !bytes.Contains(r.Data, []byte(`"totalCount":0`)) {
		t.Errorf("a mutation by GET wrote: %s", r.Data)
	}
}

// TestSubscriptionEndsWithItsToken: a WebSocket is authenticated once, by its
// connection_init, and a subscription on it would go on delivering for as long as the
// connection lives. When the token expires the subscription stops and the connection
// is closed with 4401 and a reason saying so, not as a normal closure (after which a
// client would reconnect with the same token). The verifier's clock is set so that the
// token, minted for an hour, has a few seconds left: enough for the connection to be
// made and the subscription registered on a busy machine, which must happen before.
func TestSubscriptionEndsWithItsToken(t *testing.T) {
	t.Parallel()
	const left = 8 * time.Second
	v := &auth.Verifier{DevKey: []byte(apitest.DevKey),
		Now: func() time.Time { return time.Now().Add(time.Hour + auth.Leeway - left) }}
	hub := livefigures.NewHub(2)
	s := apitest.New(t, apitest.Options{API: apiserver.Options{Figures: hub, Verifier: v}})
	var orgID string
	if err := s.Owner.QueryRow(context.Background(), `INSERT INTO organisation (code, name, kind) VALUES ('utgang', 'Utgång', 'municipality')
		RETURNING id`).Scan(&orgID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	steering := "Bearer " + apitest.Token(t, auth.Principal{Subject: "s", Role: auth.Steering, OrgID: orgID})
	sub, err := gqltest.Subscribe(ctx, s.URL+"/graphql", steering,
		`subscription($o: ID!) { figuresChanged(organisationId: $o) { organisationId at } }`,
		map[string]any{"o": model.RecordID("", orgID)})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for hub.Count() < 1 {
		select {
		case <-ctx.Done():
			t.Fatal("the subscription never registered")
		case <-time.After(10 * time.Millisecond):
		}
	}
	r, err := sub.Next(ctx)
	var closed websocket.CloseError
	if !errors.As(err, &closed) || closed.Code != apiserver.CloseTokenExpired || !strings.Contains(closed.Reason, "expired") {
		t.Fatalf("after the token expired the subscription got %+v, %v; want the connection closed with %d",
			r, err, apiserver.CloseTokenExpired)
	}
	for hub.Count() > 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the subscription is still registered after its connection ended")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestWebsocketRefusesABadTokenWith4401: a connection_init without a token, with one
// that is not valid, or with one that has expired is answered by closing the connection
// with 4401 and a reason that says UNAUTHENTICATED, as when a token expires on a live
// connection. gqlgen's normal closure ("terminated") was taken by graphql-ws for a
// server going away: it reconnected with the same token, and the app never learned why.
func TestWebsocketRefusesABadTokenWith4401(t *testing.T) {
	t.Parallel()
	base := serve(t, apiserver.Options{})
	late := &auth.Verifier{DevKey: []byte(apitest.DevKey), Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}
	lateBase := serve(t, apiserver.Options{Verifier: late})
	steering := "Bearer " + apitest.Token(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := `subscription($o: ID!) { figuresChanged(organisationId: $o) { at } }`
	vars := map[string]any{"o": "00000000-0000-0000-0000-000000000000"}
	for _, c := range []struct{ name, base, authorization string }{
		{"no token", base, ""},
		{"not a token", base, "Bearer xyz"},
		{"not a bearer token", base, "Basic eHl6Onh5eg=="},
		{"an expired token", lateBase, steering},
	} {
		sub, err := gqltest.Subscribe(ctx, c.base+"/graphql", c.authorization, q, vars)
		if err == nil {
			sub.Close()
			t.Errorf("%s: the connection was acknowledged", c.name)
			continue
		}
		var closed websocket.CloseError
		if !errors.As(err, &closed) || closed.Code != apiserver.CloseTokenExpired || !strings.HasPrefix(closed.Reason, "UNAUTHENTICATED: ") {
			t.Errorf("%s: %v; want the connection closed with %d and an UNAUTHENTICATED reason", c.name, err, apiserver.CloseTokenExpired)
		}
	}
	sub, err := gqltest.Subscribe(ctx, base+"/graphql", steering, q, vars)
	if err != nil {
		t.Fatalf("a valid token: %v", err)
	}
	sub.Close()
}
