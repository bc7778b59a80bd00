package securitytest_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// metricValue reads one sample of a Prometheus text exposition (0 when absent).
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+]+)$`).FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOperatorsCanSeeErrors: GraphQL errors answer HTTP 200, so /metrics counts errors
// by code (GraphQL errors, refused requests and refused tokens alike) and keeps a
// latency histogram per operation; the loader counts the batches it could not write.
func TestOperatorsCanSeeErrors(t *testing.T) {
	s := newServer(t)
	cwB := s.caseworker(t, "cw-b", s.orgB)
	// FORBIDDEN in a 200 answer, twice.
	for i := 0; i < 2; i++ {
		cwB.MustFail(t, `query($o: ID!) { participants(organisationId: $o) { totalCount } }`, map[string]any{"o": s.orgA})
	}
	// INVALID from a domain rule.
	s.admin.MustFail(t, `mutation($o: ID!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: "19121212-1213",
		givenName: "A", familyName: "B", gender: WOMAN}) { id } }`, map[string]any{"o": s.orgA})
	// A refused request and a refused token.
	s.post(t, adminToken(t), strings.NewReader(`[{"query":"{ __typename }"}]`), nil)
	s.post(t, "not-a-token", strings.NewReader(`{"query":"{ __typename }"}`), nil)
	s.admin.MustData(t, `query MyOperation { organisations { totalCount } }`, nil, nil)

	text := s.metrics(t)
	for series, want := range map[string]float64{
		`outcomes_api_errors_total{code="FORBIDDEN"}`:       2,
		`outcomes_api_errors_total{code="INVALID"}`:         1,
		`outcomes_api_errors_total{code="BAD_REQUEST"}`:     1,
		`outcomes_api_errors_total{code="UNAUTHENTICATED"}`: 1,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, op := range []string{"participants", "createParticipant", "organisations"} {
		series := `outcomes_graphql_operation_duration_seconds_count{operation="` + op + `"}`
		if got := metricValue(t, text, series); got < 1 {
			t.Errorf("%s = %v, want at least 1\n%s", series, got, grep(text, "outcomes_graphql"))
		}
	}
	if strings.Contains(text, `operation="MyOperation"`) {
		t.Error("a client's operationName became a label")
	}

	// The loader: ClickHouse refuses the batch (its tables are gone), the batch is
	// counted as rejected and its changes stay pending.
	s.admin.MustData(t, `mutation($o: ID!, $p: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
		givenName: "A", familyName: "B", gender: WOMAN}) { id } }`, map[string]any{"o": s.orgA, "p": s.pnr()}, nil)
	ctx := context.Background()
	if err := s.Warehouse.Exec(ctx, `DROP TABLE participant_month`); err != nil {
		t.Fatal(err)
	}
	m := loader.NewMetrics(prometheus.NewRegistry())
	l := &loader.Loader{PG: s.Owner, CH: s.Warehouse, Keys: pseudonym.New([]byte("securitytest-pseudonym-key-0123")), Log: zerolog.Nop(), Metrics: m}
	if _, err := l.ProcessOnce(ctx); err == nil {
		t.Fatal("the batch was written without its table")
	}
	if got := testutil.ToFloat64(m.RejectedBatches); got != 1 {
		t.Errorf("rejected batches = %v, want 1", got)
	}
	if n := s.count(t, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`); n == 0 {
		t.Error("the rejected batch's changes were marked processed")
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
