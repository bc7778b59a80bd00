package securitytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// repeated is a query of n copies of field inside one selection set.
func repeated(field string, n int) string {
	return "{ " + strings.Repeat(field+" ", n) + "}"
}

// spreadTwice is a query of 300 fields in a fragment, and levels fragments above it that
// each spread the one below twice: its fields double with every level once spread.
func spreadTwice(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ ...f%d }\nfragment f0 on Query { %s}\n", levels, strings.Repeat("__typename ", 300))
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment f%d on Query { ...f%d ...f%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// TestCheapRefusalOfExpensiveQueries: a query over the limits on bytes, tokens,
// fields/aliases, fragments or fields once its fragments are spread in is refused as QUERY_TOO_LARGE before validation, so
// thousands of repeated fields are never validated (the overlapping-fields rule is
// quadratic). How fast the refusal is, is measured by BenchmarkRefusal* instead.
func TestCheapRefusalOfExpensiveQueries(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	frag := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ...f0 }")
		for i := 0; i < n; i++ {
			b.WriteString(" fragment f" + strconv.Itoa(i) + " on Query { __typename }")
		}
		return b.String()
	}
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			b.WriteString(" a" + strconv.Itoa(i) + ":__typename")
		}
		return b.String() + " }"
	}
	cases := map[string]string{
		// Valid fields and fields that do not exist alike: refused before validation.
		"TwentyThousandFields":        repeated("__typename", 20000),
		"TwentyThousandUnknownFields": repeated("noSuchField", 20000),
		"ManyTokens":                  "{ __typename(" + strings.Repeat("a: 1 ", 2000) + ") }",
		"ManyAliases":                 aliases(600),
		"ManyFragments":               frag(60),
		"LongQuery":                   "{ __typename }" + strings.Repeat(" ", 40<<10),
		"DeepNesting":                 strings.Repeat("{ a ", 3000) + strings.Repeat("}", 3000),
		// 300 fields and 31 fragments and spreads as written; 307,200 fields once spread.
		"FragmentsSpreadTwiceTenDeep": spreadTwice(10),
	}
	for name, q := range cases {
		r := s.postJSON(t, tok, map[string]any{"query": q})
		if r.status != http.StatusBadRequest || r.code() != "QUERY_TOO_LARGE" {
			t.Errorf("%s: want 400 QUERY_TOO_LARGE, got %d %.300s", name, r.status, r.body)
		}
	}
	// The same limits apply to GET (with a token: a request without one is refused
	// before anything else, TestBodiesAreReadOnlyWithAValidToken).
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+strings.ReplaceAll(repeated("__typename", 5000), " ", "+"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET with 5,000 fields: %d", resp.StatusCode)
	}
	// Below the limits, an ordinary query still works.
	if r := s.postJSON(t, tok, map[string]any{"query": aliases(100)}); r.status != http.StatusOK || len(r.errors) > 0 {
		t.Errorf("100 aliases refused: %d %.300s", r.status, r.body)
	}
}

// TestMalformedRequestsAreClientErrors: a malformed body, a batch, a NUL byte and an
// over-size chunked body are typed 4xx errors, never INTERNAL; text that is not valid
// UTF-8 or holds control characters is INVALID with the field named, and nothing is
// written.
func TestMalformedRequestsAreClientErrors(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	before := s.count(t, `SELECT count(*) FROM participant`)
	create := `mutation($in: CreateParticipantInput!) { createParticipant(input: $in) { id } }`
	input := func(given string) map[string]any {
		return map[string]any{"organisationId": s.orgA, "personalIdentityNumber": s.pnr(), "givenName": given,
			"familyName": "Berg", "gender": "WOMAN"}
	}
	raw := func(b []byte) io.Reader { return bytes.NewReader(b) }
	cases := []struct {
		name   string
		body   io.Reader
		status int
		code   string
		field  string
	}{
		{"MalformedJSON", strings.NewReader(`{"query": "{ __typename }"`), 400, "BAD_REQUEST", ""},
		{"NotAnObject", strings.NewReader(`"{ __typename }"`), 400, "BAD_REQUEST", ""},
		{"Batch", strings.NewReader(`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`), 400, "BAD_REQUEST", ""},
		{"NULByte", strings.NewReader("{\"query\":\"{ __typename }\"}\x00"), 400, "BAD_REQUEST", ""},
		{"TrailingValue", strings.NewReader(`{"query":"{ __typename }"} {"query":"{ __typename }"}`), 400, "BAD_REQUEST", ""},
		{"VariablesNotObject", strings.NewReader(`{"query":"{ __typename }","variables":[1]}`), 400, "BAD_REQUEST", ""},
		{"EmptyBody", strings.NewReader(``), 400, "BAD_REQUEST", ""},
		// An over-size body without Content-Length (chunked): cut at the limit.
		{"OversizeChunked", io.MultiReader(strings.NewReader(`{"query":"{ __typename }","variables":{"pad":"`),
			strings.NewReader(strings.Repeat("x", 2<<20)), strings.NewReader(`"}}`)), 413, "REQUEST_TOO_LARGE", ""},
		{"InvalidUTF8InVariables", raw([]byte(`{"query":"` + create + `","variables":{"in":{"organisationId":"` + s.orgA +
			`","personalIdentityNumber":"` + s.pnr() + `","givenName":"Ad` + "\xff\xfe" + `a","familyName":"Berg","gender":"WOMAN"}}}`)),
			400, "INVALID", "variables.in.givenName"},
		{"LoneSurrogateInVariables", raw([]byte(`{"query":"` + create + `","variables":{"in":{"organisationId":"` + s.orgA +
			`","personalIdentityNumber":"` + s.pnr() + `","givenName":"Ad\ud800a","familyName":"Berg","gender":"WOMAN"}}}`)),
			400, "INVALID", "variables.in.givenName"},
		{"ControlCharInLiteral", strings.NewReader(`{"query":"mutation { createParticipant(input: {organisationId: \"` + s.orgA +
			`\", personalIdentityNumber: \"` + s.pnr() + `\", givenName: \"Ada\\u0007\", familyName: \"Berg\", gender: WOMAN}) { id } }"}`),
			400, "INVALID", "createParticipant.input.givenName"},
	}
	for _, c := range cases {
		// A chunked body: no Content-Length for the server to check first.
		r := s.post(t, tok, struct{ io.Reader }{c.body}, nil)
		if r.status != c.status || r.code() != c.code || r.field() != c.field {
			t.Errorf("%s: want %d %s field %q, got %d %.300s", c.name, c.status, c.code, c.field, r.status, r.body)
		}
	}
	r := s.postJSON(t, tok, map[string]any{"query": create, "variables": map[string]any{"in": input("Ada\u001b[31m")}})
	if r.status != 400 || r.code() != "INVALID" || r.field() != "variables.in.givenName" {
		t.Errorf("escape sequence in a name: %d %.300s", r.status, r.body)
	}
	if after := s.count(t, `SELECT count(*) FROM participant`); after != before {
		t.Errorf("refused requests wrote %d participants", after-before)
	}
	// Line breaks and tabs are text, not control characters to refuse.
	if r := s.postJSON(t, tok, map[string]any{"query": create, "variables": map[string]any{"in": input("Ada\tMaria")}}); len(r.errors) > 0 {
		t.Errorf("a tab in a name refused: %.300s", r.body)
	}
}

// TestMalformedOperationsReachGqlgensErrors: a body the gate decoded and passed, whose
// operation does not parse or validate, is answered by gqlgen's own POST transport
// (postJSON hands it the body the gate left unread): a typed client error, never an
// empty or internal answer.
func TestMalformedOperationsReachGqlgensErrors(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	for query, want := range map[string]string{
		"{ organisations { id ": "GRAPHQL_PARSE_FAILED",
		"{ noSuchField }":       "GRAPHQL_VALIDATION_FAILED",
		// A fragment cycle: the gate's count of spread fields stops at it.
		"{ ...a } fragment a on Query { ...b } fragment b on Query { __typename ...a }": "GRAPHQL_VALIDATION_FAILED",
	} {
		r := s.postJSON(t, tok, map[string]any{"query": query})
		if r.status < 400 || r.status >= 500 || r.code() != want {
			t.Errorf("%q: %d %s %.300s, want a 4xx %s", query, r.status, r.code(), r.body, want)
		}
	}
}

// TestOperationsOverTheLimitsAreClientErrors: an operation that parses and validates but
// is too deep or too complex is refused before it runs, with the same HTTP status as one
// that does not validate (422), not as an answer (200) that a client or a proxy would
// take for a result.
func TestOperationsOverTheLimitsAreClientErrors(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	// 11 levels: participant > enrolments > participant > … > id; the limit is 10.
	deep := `{ participant(id: "x") { enrolments { participant { enrolments { participant { enrolments { participant { enrolments { participant { enrolments { id } } } } } } } } } } }`
	// 150 fields spread into 20 lists: complexity about 3,000, within the gate's limits.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, " o%d: organisations { edges { node { ...O } } }", i)
	}
	b.WriteString(" } fragment O on Organisation {")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, " a%d: id", i)
	}
	b.WriteString(" }")
	for query, want := range map[string]string{deep: "QUERY_TOO_DEEP", b.String(): "COMPLEXITY_LIMIT_EXCEEDED"} {
		r := s.postJSON(t, tok, map[string]any{"query": query})
		if r.status != http.StatusUnprocessableEntity || r.code() != want {
			t.Errorf("%.60q…: %d %s %.300s, want 422 %s", query, r.status, r.code(), r.body, want)
		}
	}
}

// TestGateChecksWhatRuns: "variables" given twice in one body. gqlgen's POST and
// multipart transports decode the body into one request whose variables are both
// objects merged; the gate must check that request, not the last object alone. A
// control character in an employer's notes (a free text that only the gate's text rule
// guards) is refused as INVALID with the field named, and nothing is written: as one
// JSON body, whether the operation runs on the gate's request or is handed back to
// transport.POST, and as the operations part of a multipart request.
func TestGateChecksWhatRuns(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	create := strconv.Quote(`mutation($in: CreateEmployerInput!) { createEmployer(input: $in) { id notes } }`)
	bodies := map[string]string{
		// The gate's last object lacks $in: the operation fails on it and is handed back.
		"AnEmptyObjectLast": `{"query":%s,"variables":{"in":%s},"variables":{}}`,
		// A key spelt in another case is the same key to encoding/json.
		"AnotherCaseLast": `{"query":%s,"variables":{"in":%s},"Variables":{"other":1}}`,
	}
	before := s.count(t, `SELECT count(*) FROM employer`)
	for name, format := range bodies {
		in := `{"organisationId":"` + s.orgA + `","kind":"MUNICIPAL_DEPARTMENT","name":"` + name + `","notes":"ok\u001b[31m"}`
		body := fmt.Sprintf(format, create, in)
		r := s.post(t, tok, strings.NewReader(body), nil)
		if r.status != http.StatusBadRequest || r.code() != "INVALID" || r.field() != "variables.in.notes" {
			t.Errorf("%s: %d %.300s; want 400 INVALID on variables.in.notes", name, r.status, r.body)
		}
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		mw.WriteField("operations", body) //nolint:errcheck // a bytes.Buffer does not fail
		mw.WriteField("map", `{}`)        //nolint:errcheck
		mw.Close()                        //nolint:errcheck
		r = s.post(t, tok, &form, map[string]string{"Content-Type": mw.FormDataContentType()})
		if r.status != http.StatusBadRequest || r.code() != "INVALID" || r.field() != "variables.in.notes" {
			t.Errorf("%s, multipart: %d %.300s; want 400 INVALID on variables.in.notes", name, r.status, r.body)
		}
	}
	if after := s.count(t, `SELECT count(*) FROM employer`); after != before {
		t.Errorf("refused requests wrote %d employers", after-before)
	}
}

// TestOtherMediaTypesAreTypedErrors: a POST that is neither JSON nor a multipart upload
// (plain text, application/graphql, none named, multipart without its boundary) is a
// typed 415 from the gate; JSON with a charset is JSON.
func TestOtherMediaTypesAreTypedErrors(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	for contentType, body := range map[string]string{
		"text/plain":                          `{"query":"{ __typename }"}`,
		"application/graphql":                 `{ __typename }`,
		"":                                    `{"query":"{ __typename }"}`,
		"multipart/form-data":                 `{"query":"{ __typename }"}`,
		"application/x-www-form-urlencoded":   `query=%7B+__typename+%7D`,
		"application/json; charset=utf-8":     `{"query":"{ __typename }"}`,
		"application/graphql-response+json":   `{"query":"{ __typename }"}`,
		"Application/JSON; charset=\"utf-8\"": `{"query":"{ __typename }"}`,
	} {
		r := s.post(t, tok, strings.NewReader(body), map[string]string{"Content-Type": contentType})
		if strings.HasPrefix(strings.ToLower(contentType), "application/json") {
			if r.status != http.StatusOK || len(r.errors) > 0 {
				t.Errorf("%q: %d %.300s, want the answer", contentType, r.status, r.body)
			}
			continue
		}
		if r.status != http.StatusUnsupportedMediaType || r.code() != "BAD_REQUEST" {
			t.Errorf("%q: %d %.300s, want 415 BAD_REQUEST", contentType, r.status, r.body)
		}
	}
}

// TestDefaultValuesPassTheTextRule: a variable's default value in the query is text the
// operation uses like any literal; an escape sequence or a control character there is
// INVALID on the variable, and nothing is written.
func TestDefaultValuesPassTheTextRule(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	before := s.count(t, `SELECT count(*) FROM employer`)
	for name, c := range map[string]struct{ query, field string }{
		"AString": {`mutation($n: String = "ok\u001b[31m") { createEmployer(input: {organisationId: "` + s.orgA +
			`", kind: MUNICIPAL_DEPARTMENT, name: "a", notes: $n}) { id } }`, "variables.n"},
		"InAnObject": {`mutation($in: CreateEmployerInput = {organisationId: "` + s.orgA +
			`", kind: MUNICIPAL_DEPARTMENT, name: "b", notes: "ok\u0007"}) { createEmployer(input: $in) { id } }`, "variables.in.notes"},
	} {
		r := s.postJSON(t, tok, map[string]any{"query": c.query})
		if r.status != http.StatusBadRequest || r.code() != "INVALID" || r.field() != c.field {
			t.Errorf("%s: %d %.300s; want 400 INVALID on %s", name, r.status, r.body, c.field)
		}
	}
	if after := s.count(t, `SELECT count(*) FROM employer`); after != before {
		t.Errorf("refused requests wrote %d employers", after-before)
	}
}

// TestWebsocketOperationsPassTheGate: graphql-ws carries queries and mutations as well
// as subscriptions, and they never pass through the HTTP gate. The same checks hold
// there: a mutation with an escape sequence in an employer's notes is INVALID with the
// field named and writes nothing, and a query over the field limit is QUERY_TOO_LARGE
// (not validated first, nor run); an ordinary query still runs.
func TestWebsocketOperationsPassTheGate(t *testing.T) {
	s := newServer(t)
	bearer := "Bearer " + adminToken(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first := func(query string, vars map[string]any) gqltest.Response {
		t.Helper()
		sub, err := gqltest.Subscribe(ctx, s.URL+"/graphql", bearer, query, vars)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		r, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before := s.count(t, `SELECT count(*) FROM employer`)
	r := first(`mutation($in: CreateEmployerInput!) { createEmployer(input: $in) { id notes } }`, map[string]any{"in": map[string]any{
		"organisationId": s.orgA, "kind": "MUNICIPAL_DEPARTMENT", "name": "Förvaltningen", "notes": "ok\u001b[31m"}})
	if len(r.Errors) == 0 || r.Errors[0].Code() != "INVALID" || r.Errors[0].Field() != "variables.in.notes" {
		t.Errorf("escape sequence in a mutation's variables: %s %+v; want INVALID on variables.in.notes", r.Data, r.Errors)
	}
	if after := s.count(t, `SELECT count(*) FROM employer`); after != before {
		t.Errorf("a refused mutation wrote %d employers", after-before)
	}
	var aliases strings.Builder
	for i := range 600 {
		aliases.WriteString(" a" + strconv.Itoa(i) + ":__typename")
	}
	if r := first("{"+aliases.String()+" }", nil); len(r.Errors) == 0 || r.Errors[0].Code() != "QUERY_TOO_LARGE" {
		t.Errorf("600 aliases: %.200s %+v; want QUERY_TOO_LARGE", r.Data, r.Errors)
	}
	if r := first(`{ organisations(first: 5) { totalCount } }`, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"totalCount":2`) {
		t.Errorf("an ordinary query: %s %+v", r.Data, r.Errors)
	}
}

// wsOperations is a graphql-ws connection on which a test sends operations one after
// another, as a client may: queries, mutations and subscriptions share one connection.
type wsOperations struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
	sent int
}

// dialOperations opens a connection to s and sends its connection_init with token.
func dialOperations(ctx context.Context, t *testing.T, s *server, token string) *wsOperations {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() }) //nolint:errcheck
	c := &wsOperations{t: t, ctx: ctx, conn: conn}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	return c
}

func (c *wsOperations) send(v map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// start sends an operation and returns its id.
func (c *wsOperations) start(query string, vars map[string]any) string {
	c.t.Helper()
	c.sent++
	id := strconv.Itoa(c.sent)
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	return id
}

// next returns the next message for operation id (its type: next, error or complete,
// and the message as JSON), answering pings and skipping other operations' messages
// (such as the complete that may follow an earlier one's error).
func (c *wsOperations) next(id string) (string, string) {
	c.t.Helper()
	for {
		_, b, err := c.conn.Read(c.ctx)
		if err != nil {
			c.t.Fatal(err)
		}
		var m struct{ Type, ID string }
		json.Unmarshal(b, &m) //nolint:errcheck // a message that is not JSON has no type
		switch {
		case m.Type == "ping":
			c.send(map[string]any{"type": "pong"})
		case m.ID == id:
			return m.Type, string(b)
		}
	}
}

// do sends an operation and returns its first answer (its data or its errors), as JSON.
func (c *wsOperations) do(query string, vars map[string]any) string {
	c.t.Helper()
	id := c.start(query, vars)
	for {
		if typ, msg := c.next(id); typ == "next" || typ == "error" {
			return msg
		}
	}
}

// all sends an operation and returns every answer it gets, up to its complete or its
// error, as JSON.
func (c *wsOperations) all(query string, vars map[string]any) []string {
	c.t.Helper()
	id := c.start(query, vars)
	var out []string
	for {
		switch typ, msg := c.next(id); typ {
		case "next":
			out = append(out, msg)
		case "error":
			return append(out, msg)
		case "complete":
			return out
		}
	}
}

// TestEachWebsocketOperationReadsAnew: one WebSocket connection carries many operations.
// Each reads in its own response (its own read scope), never from what an earlier one
// loaded: a participant's enrolments asked for again after one was created show it.
func TestEachWebsocketOperationReadsAnew(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cw := s.caseworker(t, "cw-a", s.orgA)
	r, err := cw.Do(ctx, `mutation($in: CreateParticipantInput!) { createParticipant(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"organisationId": s.orgA, "personalIdentityNumber": s.pnr(), "givenName": "Ada", "familyName": "Berg", "gender": "WOMAN"}})
	var created struct{ CreateParticipant struct{ ID string } }
	if err != nil || len(r.Errors) > 0 || json.Unmarshal(r.Data, &created) != nil {
		t.Fatalf("create a participant: %s %+v %v", r.Data, r.Errors, err)
	}
	person := created.CreateParticipant.ID

	ws := dialOperations(ctx, t, s, adminToken(t))
	enrolments := func() string {
		return ws.do(`query($p: ID!) { participant(id: $p) { enrolments { id } } }`, map[string]any{"p": person})
	}
	if got := enrolments(); !strings.Contains(got, `"enrolments":[]`) {
		t.Fatalf("before any enrolment: %s", got)
	}
	r, err = cw.Do(ctx, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice",
		startDate: "2019-02-01"}) { id } }`, map[string]any{"p": person})
	var enrolled struct{ CreateEnrolment struct{ ID string } }
	if err != nil || len(r.Errors) > 0 || json.Unmarshal(r.Data, &enrolled) != nil {
		t.Fatalf("create an enrolment: %s %+v %v", r.Data, r.Errors, err)
	}
	if got := enrolments(); !strings.Contains(got, enrolled.CreateEnrolment.ID) {
		t.Errorf("the same connection's next query: %s; want the enrolment %s created since", got, enrolled.CreateEnrolment.ID)
	}
}

// TestWebsocketOperationsNeedACurrentToken: a WebSocket's token is verified once, in
// connection_init, and the connection outlives it. An operation sent on it after the
// token has expired (its exp plus the skew, by the verifier's clock) is UNAUTHENTICATED,
// as a request with that token would be; before, it runs.
func TestWebsocketOperationsNeedACurrentToken(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := &auth.Verifier{DevKey: []byte(apitest.DevKey), Now: clock}
	s := serve(t, apitest.New(t, apitest.Options{API: apiserver.Options{Verifier: v}}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok := adminToken(t) // valid for an hour
	ws := dialOperations(ctx, t, s, tok)
	count := func() string { return ws.do(`{ organisations(first: 5) { totalCount } }`, nil) }
	if got := count(); !strings.Contains(got, `"totalCount":2`) {
		t.Fatalf("while the token is valid: %s", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // past the token's hour and the skew, however long the setup took
	mu.Unlock()
	if r := s.post(t, tok, strings.NewReader(`{"query":"{ __typename }"}`), nil); r.status != http.StatusUnauthorized {
		t.Fatalf("a request with the expired token: %d %.200s", r.status, r.body)
	}
	if got := count(); !strings.Contains(got, `"UNAUTHENTICATED"`) || strings.Contains(got, "totalCount") {
		t.Errorf("on the connection after its token expired: %s; want UNAUTHENTICATED", got)
	}
}

// TestMalformedUploadsAreTypedErrors: a multipart upload whose map is missing, is not
// JSON, names a file the request does not carry, or points at a variable the operation
// does not have is a typed 400 BAD_REQUEST from the gate, not gqlgen's 422 without a
// code, and writes nothing; a well-formed upload still reaches the operation.
func TestMalformedUploadsAreTypedErrors(t *testing.T) {
	s := newServer(t)
	tok := adminToken(t)
	ops := `{"query":"mutation($file: Upload!, $org: ID!) { importParticipants(organisationId: $org, file: $file) { imported } }",` +
		`"variables":{"file":null,"org":"` + s.orgA + `"}}`
	csv := "personal_identity_number,given_name,family_name,gender\n19900101-0017,Erik,Berg,man\n"
	upload := func(fields [][2]string, file string) reply {
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		for _, f := range fields {
			mw.WriteField(f[0], f[1]) //nolint:errcheck // a bytes.Buffer does not fail
		}
		if file != "" {
			w, _ := mw.CreateFormFile(file, "deltagare.csv")
			io.WriteString(w, csv) //nolint:errcheck
		}
		mw.Close() //nolint:errcheck
		return s.post(t, tok, &form, map[string]string{"Content-Type": mw.FormDataContentType()})
	}
	before := s.count(t, `SELECT count(*) FROM participant`)
	for name, c := range map[string]struct {
		fields [][2]string
		file   string
	}{
		"NoMap":                {[][2]string{{"operations", ops}}, "0"},
		"MapNotJSON":           {[][2]string{{"operations", ops}, {"map", `{"0": "variables.file"`}}, "0"},
		"MapOfAFileNotSent":    {[][2]string{{"operations", ops}, {"map", `{"1": ["variables.file"]}`}}, "0"},
		"PathNotAVariable":     {[][2]string{{"operations", ops}, {"map", `{"0": ["variables.other"]}`}}, "0"},
		"PathOutsideVariables": {[][2]string{{"operations", ops}, {"map", `{"0": ["query"]}`}}, "0"},
		"ListIndexTooFar":      {[][2]string{{"operations", ops}, {"map", `{"0": ["variables.file.3"]}`}}, "0"},
	} {
		r := upload(c.fields, c.file)
		if r.status != http.StatusBadRequest || r.code() != "BAD_REQUEST" {
			t.Errorf("%s: %d %s %.300s; want 400 BAD_REQUEST", name, r.status, r.code(), r.body)
		}
	}
	if after := s.count(t, `SELECT count(*) FROM participant`); after != before {
		t.Errorf("refused uploads wrote %d participants", after-before)
	}
	r := upload([][2]string{{"operations", ops}, {"map", `{"0": ["variables.file"]}`}}, "0")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"imported":1`) {
		t.Errorf("a well-formed upload: %d %.300s", r.status, r.body)
	}
}

// countingBody is a request body that counts the bytes the server read of it.
type countingBody struct {
	r io.Reader
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// TestBodiesAreReadOnlyWithAValidToken: a request without a valid token is refused
// (401) before any of its body is read. The gate read and held a body before the token
// was checked: anyone, without a token, could make the API hold an upload's 21 MB per
// connection (60 connections sending uploads held 1.2 GB) and have it lex a query. With
// a valid token the same requests are read and answered.
func TestBodiesAreReadOnlyWithAValidToken(t *testing.T) {
	s := serve(t, apitest.New(t, apitest.Options{}))
	forged, err := auth.MintDev([]byte("not-the-servers-key-0123456789"), auth.Principal{Subject: "admin", Role: auth.Admin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ops := `{"query":"mutation($file: Upload!, $org: ID!) { importParticipants(organisationId: $org, file: $file) { imported } }",` +
		`"variables":{"file":null,"org":"` + s.orgA + `"}}`
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("operations", ops)                            //nolint:errcheck // a bytes.Buffer does not fail
	mw.WriteField("map", `{"0": ["variables.file"]}`)           //nolint:errcheck
	w, _ := mw.CreateFormFile("0", "deltagare.csv")             //nolint:errcheck
	io.WriteString(w, "personnummer;förnamn;efternamn;kön\r\n") //nolint:errcheck
	w.Write(bytes.Repeat([]byte("x"), 20<<20))                  //nolint:errcheck
	mw.Close()                                                  //nolint:errcheck
	bodies := map[string]struct {
		contentType string
		content     []byte
	}{
		"Upload": {mw.FormDataContentType(), form.Bytes()},
		"JSON":   {"application/json", []byte(`{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 1<<20-64) + `"}}`)},
	}
	send := func(authorization, contentType string, content []byte) (int, int64) {
		body := &countingBody{r: bytes.NewReader(content)}
		req, _ := http.NewRequest(http.MethodPost, "/graphql", body)
		req.ContentLength = int64(len(content))
		req.Header.Set("Content-Type", contentType)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		return rec.Code, body.n
	}
	for name, b := range bodies {
		for who, authorization := range map[string]string{"NoToken": "", "ForgedToken": "Bearer " + forged, "NotAToken": "Bearer x.y.z"} {
			if status, read := send(authorization, b.contentType, b.content); status != http.StatusUnauthorized || read != 0 {
				t.Errorf("%s/%s: HTTP %d after reading %d of its %d bytes; want 401 before reading any", name, who, status, read, len(b.content))
			}
		}
		if status, read := send("Bearer "+adminToken(t), b.contentType, b.content); status != http.StatusOK || read != int64(len(b.content)) {
			t.Errorf("%s with a valid token: HTTP %d after reading %d of its %d bytes", name, status, read, len(b.content))
		}
	}
}

// TestDeferredFragmentsAreRefused: an operation with @defer is refused before it runs
// (422 GRAPHQL_VALIDATION_FAILED, by POST and on a WebSocket alike). A deferred
// fragment was resolved after its response's first part had left: outside the
// request's read transaction and after its audit rows were written. On a WebSocket a
// deferred fragment's person records (a recruitment event's invitations) were sent with
// no audit row at all, and one that read a participant answered INTERNAL ("read scope
// already ended"); by POST the first part was sent with hasNext and the rest dropped.
func TestDeferredFragmentsAreRefused(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cw := s.caseworker(t, "cw-a", s.orgA)
	var ids struct {
		CreateParticipant      struct{ ID string }
		CreateRecruitmentEvent struct{ ID string }
	}
	cw.MustData(t, `mutation($in: CreateParticipantInput!, $o: ID!) { createParticipant(input: $in) { id }
		createRecruitmentEvent(input: {organisationId: $o, kind: MEETING, name: "Träff", heldOn: "2026-01-10"}) { id } }`,
		map[string]any{"o": s.orgA, "in": map[string]any{"organisationId": s.orgA, "personalIdentityNumber": s.pnr(),
			"givenName": "Ada", "familyName": "Berg", "gender": "WOMAN"}}, &ids)
	cw.MustData(t, `mutation($e: ID!, $p: ID!) { inviteToRecruitmentEvent(input: {eventId: $e, participantIds: [$p]}) { id } }`,
		map[string]any{"e": ids.CreateRecruitmentEvent.ID, "p": ids.CreateParticipant.ID}, nil)

	const reader = "deferring-reader"
	token := apitest.Token(t, auth.Principal{Subject: reader, Role: auth.Caseworker, OrgID: s.orgA})
	vars := map[string]any{"o": s.orgA}
	queries := map[string]string{
		"Invitations": `query($o: ID!) { recruitmentEvents(organisationId: $o) { edges { node { id ... @defer { invitations { attended } } } } } }`,
		"Participant": `query($o: ID!) { recruitmentEvents(organisationId: $o) { edges { node { id ... @defer { invitations { participant { givenName } } } } } } }`,
		"Spread": `query($o: ID!) { recruitmentEvents(organisationId: $o) { edges { node { id ...F @defer(label: "later") } } } }
			fragment F on RecruitmentEvent { invitations { attended } }`,
	}
	ws := dialOperations(ctx, t, s, token)
	for name, q := range queries {
		if r := s.postJSON(t, token, map[string]any{"query": q, "variables": vars}); r.status != http.StatusUnprocessableEntity ||
			r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s by POST: %d %.400s; want 422 GRAPHQL_VALIDATION_FAILED", name, r.status, r.body)
		}
		if msgs := ws.all(q, vars); len(msgs) != 1 || !strings.Contains(msgs[0], `"type":"error"`) || !strings.Contains(msgs[0], "GRAPHQL_VALIDATION_FAILED") {
			t.Errorf("%s on a WebSocket: %q; want one error GRAPHQL_VALIDATION_FAILED", name, msgs)
		}
	}
	if n := s.count(t, `SELECT count(*) FROM audit_log WHERE subject = $1`, reader); n != 0 {
		t.Errorf("%d audit rows of refused operations", n)
	}
	if logs := s.Logs.String(); strings.Contains(logs, "internal error") {
		t.Errorf("refused operations logged internal errors:\n%s", logs)
	}
	// Without @defer the same records are read in the response, and audited.
	if msgs := ws.all(`query($o: ID!) { recruitmentEvents(organisationId: $o) { edges { node { id invitations { attended } } } } }`, vars); len(msgs) != 1 ||
		!strings.Contains(msgs[0], `"invitations":[{"attended":null}]`) {
		t.Errorf("the query without @defer: %q", msgs)
	}
	if n := s.count(t, `SELECT count(*) FROM audit_log WHERE subject = $1 AND entity = 'participant' AND entity_id = $2`, reader,
		model.RecordID("", ids.CreateParticipant.ID)); n != 1 {
		t.Errorf("%d audit rows of the invited person read without @defer; want 1", n)
	}
}
