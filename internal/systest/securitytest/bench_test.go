package securitytest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// The server time of a request: each benchmark drives the API's handler in-process
// (httptest.ResponseRecorder, no network), so ns/op is the server's wall time and
// cpu-ns/op its CPU time. Run them interleaved with scripts/bench-security.sh
// (docs/BENCHMARKS.md).
//
// BenchmarkRefusalOf20000Fields: a probe of 20,000 repeated fields, refused by the gate.
// BenchmarkTrivialQuery: a small valid query that reads PostgreSQL (the baseline).
// BenchmarkValidationWithoutGate: 2,000 and 4,000 repeated fields with the gate's limits
// lifted, i.e. what gqlgen's parser and validator spend on such a probe without the gate
// (the code before issue 11); doubling the fields quadruples the time, so 20,000 would
// cost about 100 times the 2,000 figure.

func benchHandler(b *testing.B, limits apiserver.Limits) (http.Handler, string) {
	b.Helper()
	s := apitest.New(b, apitest.Options{Quiet: true, API: apiserver.Options{Limits: limits, MaxComplexity: 1 << 30}})
	return s.Handler, apitest.Token(b, auth.Principal{Subject: "bench", Role: auth.Admin})
}

func benchRequest(b *testing.B, h http.Handler, tok, query string, wantStatus int) {
	b.Helper()
	encoded, _ := json.Marshal(map[string]any{"query": query})
	body := string(encoded)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != wantStatus {
			b.Fatalf("HTTP %d, want %d: %.200s", rec.Code, wantStatus, rec.Body.String())
		}
	}
	// CPU time of the process per request: on a machine shared with other work, ns/op
	// (wall time) includes waiting for a core; this is what the server itself spent.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkRefusalOf20000Fields(b *testing.B) {
	h, tok := benchHandler(b, apiserver.Limits{})
	benchRequest(b, h, tok, repeated("__typename", 20000), http.StatusBadRequest)
}

func BenchmarkTrivialQuery(b *testing.B) {
	h, tok := benchHandler(b, apiserver.Limits{})
	benchRequest(b, h, tok, `{ organisations(first: 1) { totalCount } }`, http.StatusOK)
}

func BenchmarkValidationWithoutGate(b *testing.B) {
	lifted := apiserver.Limits{MaxBodyBytes: 1 << 20, MaxQueryBytes: 1 << 20, MaxTokens: 1 << 20, MaxFields: 1 << 20, MaxFragments: 1 << 20,
		MaxSpreadFields: 1 << 30}
	h, tok := benchHandler(b, lifted)
	for _, n := range []int{2000, 4000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			benchRequest(b, h, tok, repeated("__typename", n), http.StatusOK)
		})
	}
}
