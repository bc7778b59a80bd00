package testenv

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Statements counts the SQL statements a pool runs, as its pgx.QueryTracer and
// pgx.BatchTracer (db.ConnectScopedTraced), those sent alone and those sent in a
// pipeline alike, leaving out the statements that set the session's organisation scope
// (db.ConnectScoped's set_config('app.org_ids', ...)): a test can then state what a
// call costs, such as one statement for any number of rows. RoundTrips counts the
// statements sent alone and the pipelines.
type Statements struct {
	atomic.Int64
	RoundTrips atomic.Int64
}

func (s *Statements) count(sql string) {
	if !strings.Contains(sql, "set_config('app.org_ids'") {
		s.Add(1)
	}
}

// TraceQueryStart counts the statement.
func (s *Statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	s.count(d.SQL)
	if !strings.Contains(d.SQL, "set_config('app.org_ids'") {
		s.RoundTrips.Add(1)
	}
	return ctx
}

// TraceBatchStart counts a pipeline as one round trip.
func (s *Statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	s.RoundTrips.Add(1)
	return ctx
}

// TraceBatchQuery counts a statement of a pipeline.
func (s *Statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	s.count(d.SQL)
}

// TraceBatchEnd does nothing.
func (*Statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceQueryEnd does nothing.
func (*Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
