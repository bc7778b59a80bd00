package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestGateHandsOnWhatItDecoded: a JSON POST is decoded once, in the gate, and the
// handler behind it gets that request (gated) as gqlgen's POST transport would have
// decoded it: numbers as json.Number, extensions as an object. A GET, which the gate
// checks from the URL, hands nothing on, and extensions that are not an object are a
// BAD_REQUEST from the gate.
func TestGateHandsOnWhatItDecoded(t *testing.T) {
	t.Parallel()
	var got *graphql.RawParams
	var handedOn bool
	h := gate(DefaultLimits, func(string) {}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, handedOn = gated(r)
	}))
	send := func(method, target, body string) *httptest.ResponseRecorder {
		got, handedOn = nil, false
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		return rec
	}

	rec := send(http.MethodPost, "/graphql", `{"query": "query Q($n: Int) { a(n: $n) }", "operationName": "Q",
		"variables": {"n": 12, "s": "text"}, "extensions": {"persistedQuery": {"version": 1}}}`)
	if rec.Code != http.StatusOK || !handedOn || got == nil {
		t.Fatalf("JSON POST: status %d, handed on %v", rec.Code, handedOn)
	}
	if got.Query != "query Q($n: Int) { a(n: $n) }" || got.OperationName != "Q" {
		t.Errorf("query %q, operation %q", got.Query, got.OperationName)
	}
	if n, ok := got.Variables["n"].(json.Number); !ok || n != "12" || got.Variables["s"] != "text" {
		t.Errorf("variables %#v, want n as json.Number 12 and s", got.Variables)
	}
	if _, ok := got.Extensions["persistedQuery"].(map[string]any); !ok {
		t.Errorf("extensions %#v, want persistedQuery as an object", got.Extensions)
	}

	if rec := send(http.MethodGet, "/graphql?query=%7B+a+%7D", ""); rec.Code != http.StatusOK || handedOn {
		t.Errorf("GET: status %d, handed on %v; want passed and nothing handed on", rec.Code, handedOn)
	}

	rec = send(http.MethodPost, "/graphql", `{"query": "{ a }", "extensions": "persistedQuery"}`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), codeBadRequest) || handedOn {
		t.Errorf("extensions as a string: status %d, body %s, handed on %v; want BAD_REQUEST from the gate", rec.Code, rec.Body, handedOn)
	}
}
