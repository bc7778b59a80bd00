package securitytest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// repeated is a query of n copies of field inside one selection set.
func repeated(field string, n int) string {
	return "{ " + strings.Repeat(field+" ", n) + "}"
}

// TestCheapRefusalOfExpensiveQueries: a query over the limits on bytes, tokens,
// fields/aliases or fragments is refused as QUERY_TOO_LARGE before validation, so
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
	}
	for name, q := range cases {
		r := s.postJSON(t, tok, map[string]any{"query": q})
		if r.status != http.StatusBadRequest || r.code() != "QUERY_TOO_LARGE" {
			t.Errorf("%s: want 400 QUERY_TOO_LARGE, got %d %.300s", name, r.status, r.body)
		}
	}
	// The same limits apply to GET.
	resp, err := http.Get(s.URL + "/graphql?query=" + strings.ReplaceAll(repeated("__typename", 5000), " ", "+"))
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
