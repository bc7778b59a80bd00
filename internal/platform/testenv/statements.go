package testenv

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Statements counts the SQL statements a pool runs, as its pgx.QueryTracer
// (db.ConnectScopedTraced), leaving out the statements that set the session's
// organisation scope (db.ConnectScoped's set_config('app.org_ids', ...)): a test can
// then state what a call costs, such as one statement for any number of rows.
type Statements struct{ atomic.Int64 }

// TraceQueryStart counts the statement.
func (s *Statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !strings.Contains(d.SQL, "set_config('app.org_ids'") {
		s.Add(1)
	}
	return ctx
}

// TraceQueryEnd does nothing.
func (*Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
