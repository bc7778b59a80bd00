package apiserver

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// metrics are what an operator needs to see errors: GraphQL answers HTTP 200 even when
// every field failed, so errors are counted by their code, and latency is kept per
// operation.
type metrics struct {
	errors  *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "outcomes_api_errors_total",
			Help: "Errors answered, by extensions.code (GraphQL errors, refused requests, refused tokens)."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "outcomes_graphql_operation_duration_seconds",
			Help:    "Time from the start of a GraphQL operation to its response, by operation (its root fields).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"operation"}),
	}
	reg.MustRegister(m.errors, m.latency)
	return m
}

func (m *metrics) count(code string) {
	if code == "" {
		code = "UNKNOWN"
	}
	m.errors.WithLabelValues(code).Inc()
}

// presenter counts every error the GraphQL layer answers, after the project's presenter
// has given it its code.
func (m *metrics) presenter(next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := next(ctx, err)
		code, _ := e.Extensions["code"].(string)
		m.count(code)
		return e
	}
}

// timeOperations observes each operation's latency under its name. The name is the
// operation's root fields as the schema calls them ("participant",
// "createEnrolment+recordOutcomeObservation"), not the client's operationName: that is
// free text, and a label a client chooses would let it grow the metric without bound.
func (m *metrics) timeOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name := operationName(oc.Operation)
	start := oc.Stats.OperationStart
	if start.IsZero() {
		start = time.Now()
	}
	handler := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp != nil {
			m.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}
		return resp
	}
}

// operationName is the sorted, distinct root field names of op.
func operationName(op *ast.OperationDefinition) string {
	if op == nil {
		return "unknown"
	}
	var names []string
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			names = append(names, f.Name)
		} else {
			names = append(names, "fragment")
		}
	}
	sort.Strings(names)
	names = compact(names)
	if len(names) > 3 {
		names = append(names[:3], "more")
	}
	return strings.Join(names, "+")
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
