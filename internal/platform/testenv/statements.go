package testenv

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
)

// Statements counts the SQL statements a pool runs, as its pgx.QueryTracer and
// pgx.BatchTracer (db.ConnectScopedTraced), leaving out the statements that set the
// session's organisation scope (set_config('app.org_ids', ...)): a test can then state
// what a call costs, such as one statement for any number of rows. RoundTrips counts
// the trips to the server: a statement sent alone is one, a batch (a pipeline of
// statements, as db.WithTx and a read scope send) is one, the scope's own statement
// included. Preparing statements a connection has not seen before is left out: it
// happens once per connection. So is an announcement of committed changes
// (changes.Announcer), which follows a response in a goroutine of its own.
type Statements struct {
	atomic.Int64
	trips atomic.Int64
}

func isScope(sql string) bool { return strings.Contains(sql, "set_config('app.org_ids'") }

// RoundTrips returns the round trips counted so far.
func (s *Statements) RoundTrips() int64 { return s.trips.Load() }

// TraceQueryStart counts the statement and its round trip.
func (s *Statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if changes.IsAnnouncement(ctx) {
		return ctx
	}
	s.trips.Add(1)
	if !isScope(d.SQL) {
		s.Add(1)
	}
	return ctx
}

// TraceQueryEnd does nothing.
func (*Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts the batch's round trip.
func (s *Statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	s.trips.Add(1)
	return ctx
}

// TraceBatchQuery counts a statement of the batch.
func (s *Statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	if !isScope(d.SQL) {
		s.Add(1)
	}
}

// TraceBatchEnd does nothing.
func (*Statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
