package securitytest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/auth"
	"github.com/arbetsmarknad/outcomes/internal/db"
	"github.com/arbetsmarknad/outcomes/internal/testenv"
)

// The server time of a request: each benchmark drives the API's handler in-process
// (httptest.ResponseRecorder, no network), so ns/op is what the server spends. Run the
// three interleaved (docs/BENCHMARKS.md):
//
//	go test -run '^$' -bench 'Refusal|Trivial' -benchtime 200x ./internal/securitytest
//
// BenchmarkRefusalOf20000Fields: a probe of 20,000 repeated fields, refused by the gate.
// BenchmarkTrivialQuery: a small valid query that reads PostgreSQL (the baseline).
// BenchmarkValidationOf20000FieldsWithoutGate: the same probe with the gate's limits
// lifted, i.e. what gqlgen's parser and validator spend on it (today's code before the
// gate); it runs a few iterations only, each takes seconds.

func benchHandler(b *testing.B, limits apiserver.Limits) (http.Handler, string) {
	b.Helper()
	url := testenv.RoleURL(b, testenv.PostgresURL(b), testenv.APIRole)
	pool, err := db.ConnectScoped(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	h := apiserver.NewHandler(apiserver.Options{Pool: pool, Log: zerolog.Nop(), Registry: prometheus.NewRegistry(),
		Verifier: &auth.Verifier{DevKey: []byte(devKey)}, Limits: limits, MaxComplexity: 1 << 30})
	tok, err := tokenFor(auth.Principal{Subject: "bench", Role: auth.Admin})
	if err != nil {
		b.Fatal(err)
	}
	return h, tok
}

func benchRequest(b *testing.B, h http.Handler, tok, query string, wantStatus int) {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != wantStatus {
			b.Fatalf("HTTP %d, want %d: %.200s", rec.Code, wantStatus, rec.Body.String())
		}
	}
}

func BenchmarkRefusalOf20000Fields(b *testing.B) {
	h, tok := benchHandler(b, apiserver.Limits{})
	benchRequest(b, h, tok, repeated("__typename", 20000), http.StatusBadRequest)
}

func BenchmarkTrivialQuery(b *testing.B) {
	h, tok := benchHandler(b, apiserver.Limits{})
	benchRequest(b, h, tok, `{ organisations(first: 1) { totalCount } }`, http.StatusOK)
}

func BenchmarkValidationOf20000FieldsWithoutGate(b *testing.B) {
	lifted := apiserver.Limits{MaxBodyBytes: 1 << 20, MaxQueryBytes: 1 << 20, MaxTokens: 1 << 20, MaxFields: 1 << 20, MaxFragments: 1 << 20}
	h, tok := benchHandler(b, lifted)
	benchRequest(b, h, tok, repeated("__typename", 20000), http.StatusOK)
}
