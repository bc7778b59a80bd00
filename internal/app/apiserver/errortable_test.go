package apiserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/errview"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
)

// errorTable reads the table of error codes in docs/FRONTEND.md, section 6: each code of
// a row, with the HTTP statuses the row names (none: the answer is HTTP 200, the error
// inside a GraphQL response).
func errorTable(t *testing.T) map[string][]int {
	t.Helper()
	b, err := os.ReadFile("../../../docs/FRONTEND.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "## 6. Errors")
	section, _, _ = strings.Cut(section, "\n## ")
	codeRe, statusRe := regexp.MustCompile("`([A-Z][A-Z_]+)`"), regexp.MustCompile(`HTTP (\d{3})`)
	out := map[string][]int{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		var statuses []int
		for _, m := range statusRe.FindAllStringSubmatch(line, -1) {
			n, _ := strconv.Atoi(m[1])
			statuses = append(statuses, n)
		}
		for _, m := range codeRe.FindAllStringSubmatch(cells[1], -1) {
			out[m[1]] = statuses
		}
	}
	if len(out) < 15 {
		t.Fatalf("found %d codes in docs/FRONTEND.md's table of errors", len(out))
	}
	return out
}

// TestErrorTableIsWhatTheServerAnswers: the table of error codes in docs/FRONTEND.md is
// what a frontend switches on, so every code the server answers is a row of it, and each
// answer's HTTP status is one its row names (200 where it names none). Each code is
// provoked over HTTP as a browser app would; the codes that need a store down or a
// fault are checked to be in the table. The table lacked BAD_REQUEST (400, 405, 415),
// QUERY_TOO_LARGE (400) and WAREHOUSE_UNAVAILABLE, and gave UNAVAILABLE the warehouse's
// meaning.
func TestErrorTableIsWhatTheServerAnswers(t *testing.T) {
	t.Parallel()
	table := errorTable(t)
	s := apitest.New(t, apitest.Options{API: apiserver.Options{MaxDepth: 4, MaxComplexity: 100}})
	tok := apitest.Token(t, admin)
	adminClient := apitest.Client(t, s.URL, admin)
	org := apitest.Organisation(t, adminClient, "tabell", "Tabell")
	caseworker := apitest.Token(t, auth.Principal{Subject: "c", Role: auth.Caseworker, OrgID: model.RecordID("", org)})
	registered := `query Labels { enumLabels(enums: ["Gender"]) { value } }`
	sum := sha256.Sum256([]byte(registered))
	hash := hex.EncodeToString(sum[:])
	only := apitest.New(t, apitest.Options{API: apiserver.Options{AllowedOperations: map[string]string{hash: registered}}})

	post := func(base, tok, contentType string, body []byte) (int, gqltest.Response) {
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return do(t, req)
	}
	query := func(q string) func() (int, gqltest.Response) {
		return func() (int, gqltest.Response) { return postStatus(t, s.URL, tok, map[string]any{"query": q}) }
	}
	many, wide := make([]string, 600), make([]string, 150) // over the fields' limit (500); over MaxComplexity
	for i := range many {
		many[i] = "a" + strconv.Itoa(i) + ": __typename"
	}
	for i := range wide {
		wide[i] = "a" + strconv.Itoa(i) + ": organisations { totalCount }"
	}
	for _, c := range []struct {
		code string
		call func() (int, gqltest.Response)
	}{
		{"UNAUTHENTICATED", func() (int, gqltest.Response) {
			return post(s.URL, "", "application/json", []byte(`{"query":"{ __typename }"}`))
		}},
		{"INVALID", query(`{ organisations(first: 0) { totalCount } }`)},
		{"NOT_FOUND", query(`mutation { createReferral(input: {participantId: "00000000-0000-0000-0000-000000000000", source: AF,
			referralDate: "2020-01-01", ordered: [MAPPING]}) { id } }`)},
		{"CONFLICT", query(`mutation { createOrganisation(input: {code: "tabell", name: "Tabell igen", kind: MUNICIPALITY}) { id } }`)},
		{"FORBIDDEN", func() (int, gqltest.Response) {
			return postStatus(t, s.URL, caseworker, map[string]any{"query": `{ auditLog(first: 1) { pageInfo { hasNextPage } } }`})
		}},
		{"WAREHOUSE_UNAVAILABLE", func() (int, gqltest.Response) {
			return postStatus(t, s.URL, tok, map[string]any{"query": `query($o: ID!) { exitCohortOutcome(organisationId: $o, exitYear: 2018) { exitYear } }`,
				"variables": map[string]any{"o": org}})
		}},
		{"GRAPHQL_PARSE_FAILED", query(`{ organisations`)},
		{"GRAPHQL_VALIDATION_FAILED", query(`{ nosuch }`)},
		{"QUERY_TOO_DEEP", query(`{ organisations { edges { node { units { staff { name } } } } } }`)},
		{"COMPLEXITY_LIMIT_EXCEEDED", query(`{ ` + strings.Join(wide, " ") + ` }`)},
		{"QUERY_TOO_LARGE", query(`{ ` + strings.Join(many, " ") + ` }`)},
		{"INTROSPECTION_DISABLED", query(`{ __schema { queryType { name } } }`)},
		{"REQUEST_TOO_LARGE", func() (int, gqltest.Response) {
			return post(s.URL, tok, "application/json", []byte(`{"query":"{ __typename }","variables":{"pad":"`+strings.Repeat("x", 2<<20)+`"}}`))
		}},
		{"BAD_REQUEST", func() (int, gqltest.Response) { return post(s.URL, tok, "application/json", []byte(`{}`)) }},
		{"BAD_REQUEST", func() (int, gqltest.Response) {
			return post(s.URL, tok, "text/plain", []byte(`{"query":"{ __typename }"}`))
		}},
		{"BAD_REQUEST", func() (int, gqltest.Response) {
			return getRaw(t, s.URL, tok, url.Values{"query": {`mutation { createOrganisation(input: {code: "x", name: "X", kind: MUNICIPALITY}) { id } }`}})
		}},
		{"BAD_REQUEST", func() (int, gqltest.Response) { // a method GraphQL over HTTP does not use
			req, _ := http.NewRequest(http.MethodPut, s.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			return do(t, req)
		}},
		{"PERSISTED_QUERY_NOT_FOUND", func() (int, gqltest.Response) {
			return postStatus(t, s.URL, tok, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}})
		}},
		{"PERSISTED_QUERY_INVALID", func() (int, gqltest.Response) {
			return postStatus(t, s.URL, tok, map[string]any{"query": `{ __typename }`,
				"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}})
		}},
		{"PERSISTED_QUERY_NOT_ALLOWED", func() (int, gqltest.Response) {
			return postStatus(t, only.URL, tok, map[string]any{"query": `{ __typename }`})
		}},
	} {
		status, r := c.call()
		if got := code(r); got != c.code {
			t.Errorf("%s: the call answered HTTP %d %q %+v, not the code it is to show", c.code, status, got, r.Errors)
			continue
		}
		want, ok := table[c.code]
		switch {
		case !ok:
			t.Errorf("the server answers %s (HTTP %d), which docs/FRONTEND.md's table of errors does not list", c.code, status)
		case len(want) == 0 && status != http.StatusOK, len(want) > 0 && !slices.Contains(want, status):
			t.Errorf("%s: the server answers HTTP %d; the table says %v (none: 200)", c.code, status, want)
		}
	}
	// Codes that need a store down, a fault or a WebSocket: listed all the same.
	for _, c := range []string{string(apperr.Unavailable), string(apperr.Internal), errview.Timeout, string(livefigures.TooMany),
		string(apperr.NotEligible), string(apperr.TooLarge), string(apperr.WarehouseUnavailable)} {
		if _, ok := table[c]; !ok {
			t.Errorf("%s is not in docs/FRONTEND.md's table of errors", c)
		}
	}
}

// TestRequestsThatEndBeforeTheyRunAreNoFault: a request whose context has ended before
// its operation runs is answered as such, not as a fault of the server: one whose time
// ran out is TIMEOUT, one whose client went away is answered nothing, and neither is
// logged as an internal error. gqlgen hands the transport no response then, and postJSON
// read it (a nil pointer): a panic, recovered as INTERNAL "internal system error",
// logged and counted as the server's fault.
func TestRequestsThatEndBeforeTheyRunAreNoFault(t *testing.T) {
	t.Parallel()
	s := apitest.New(t, apitest.Options{})
	admin := apitest.Token(t, admin)
	org := apitest.Organisation(t, apitest.Client(t, s.URL, auth.Principal{Subject: "a", Role: auth.Admin}), "slut", "Slut")
	// A caseworker's token names an organisation the API has not looked up yet.
	caseworker := apitest.Token(t, auth.Principal{Subject: "c", Role: auth.Caseworker, OrgID: model.RecordID("", org)})
	send := func(ctx context.Context, tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ organisations { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		return rec
	}
	late, cancelLate := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelLate()
	gone, cancelGone := context.WithCancel(context.Background())
	cancelGone()
	for who, tok := range map[string]string{"admin": admin, "caseworker": caseworker} {
		if rec := send(late, tok); !strings.Contains(rec.Body.String(), `"code":"TIMEOUT"`) {
			t.Errorf("%s, whose request's time ran out: %d %s; want TIMEOUT", who, rec.Code, rec.Body)
		}
		if rec := send(gone, tok); rec.Body.Len() > 0 {
			t.Errorf("%s, whose client went away, was answered: %d %s", who, rec.Code, rec.Body)
		}
	}
	if logs := s.Logs.String(); strings.Contains(logs, `"level":"error"`) {
		t.Errorf("logged as the server's fault:\n%s", logs)
	}
}
