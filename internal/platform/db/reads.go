package db

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A read scope runs the reads of one request (a GraphQL query) in one transaction on
// one connection, so that what they read is audited in the same transaction as the
// reads themselves (the caller's last statements before COMMIT), and the request costs
// one round trip to start (BEGIN and the session's organisation scope, pipelined) and
// one to end (the audit rows and COMMIT, pipelined), instead of a scope round trip per
// statement. REPEATABLE READ: a page and its nested lists come from one snapshot.
//
// Stores reach the scope through Reader; the request's loaders may call them
// concurrently, so statements on the connection take turns (a statement's rows hold the
// connection until they are read or closed).

// Querier is what a store's reads need: a pool, or a request's read scope.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (*ReadScope)(nil)
)

// ReadScope is one request's read transaction; it starts with the first statement.
type ReadScope struct {
	pool *pgxpool.Pool
	mu   sync.Mutex // held for one statement at a time, until its rows are closed
	conn *pgxpool.Conn
	err  error // why the transaction could not start
	done bool
}

type readScopeKey struct{}

// skipScopeKey marks an acquisition whose caller sets the scope itself, inside its
// transaction (PrepareConn then leaves the session alone).
type skipScopeKey struct{}

// BeginReads returns ctx under which Reader(ctx, pool) runs statements in one
// transaction; End (or Close) must follow.
func BeginReads(ctx context.Context, pool *pgxpool.Pool) (context.Context, *ReadScope) {
	s := &ReadScope{pool: pool}
	return context.WithValue(ctx, readScopeKey{}, s), s
}

// Reader returns the request's read scope when ctx carries one on pool, pool otherwise.
func Reader(ctx context.Context, pool *pgxpool.Pool) Querier {
	if s, ok := ctx.Value(readScopeKey{}).(*ReadScope); ok && s.pool == pool {
		return s
	}
	return pool
}

// start begins the transaction (under s.mu) and runs the scope's first statement in
// the same round trip: BEGIN, the organisation scope and the statement are sent
// together (a pipeline). The scope is set with is_local: it ends with the transaction,
// whatever the session held before. The first statement's rows are returned open.
func (s *ReadScope) start(ctx context.Context, sql string, args []any) (pgx.Rows, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.done {
		return nil, errors.New("read scope already ended")
	}
	conn, err := s.pool.Acquire(context.WithValue(ctx, skipScopeKey{}, true))
	if err != nil {
		s.err = err
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ`)
	b.Queue(`SELECT set_config('app.org_ids', $1, true), set_config('app.ref_org_ids', $2, true)`, OrgScope(ctx), RefScope(ctx))
	b.Queue(sql, args...)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err != nil {
		br.Close()     //nolint:errcheck // the error above is the one to report
		conn.Release() // not idle in a transaction any more, or broken: the pool closes it
		s.err = fmt.Errorf("begin reads: %w", err)
		return nil, s.err
	}
	s.conn = conn
	rows, err := br.Query()
	if err != nil {
		br.Close() //nolint:errcheck // a failed statement aborted the transaction: End rolls it back
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows are the rows of the statement that began the scope: the batch that carried
// it is closed with them.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.br.Close() //nolint:errcheck // the statement's own error is in Err
	return false
}

func (r *batchRows) Close() {
	r.Rows.Close()
	r.br.Close() //nolint:errcheck // the statement's own error is in Err
}

// Started reports whether a statement ran in the scope (so End has a transaction to end).
func (s *ReadScope) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Query runs a query in the scope's transaction.
func (s *ReadScope) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	s.mu.Lock()
	var rows pgx.Rows
	var err error
	if s.conn == nil {
		rows, err = s.start(ctx, sql, args)
	} else {
		rows, err = s.conn.Query(ctx, sql, args...)
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	return &scopedRows{Rows: rows, unlock: sync.OnceFunc(s.mu.Unlock)}, nil
}

// QueryRow runs a one-row query in the scope's transaction.
func (s *ReadScope) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := s.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return scopedRow{rows}
}

// Exec runs a statement in the scope's transaction.
func (s *ReadScope) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	s.mu.Lock()
	if s.conn != nil {
		defer s.mu.Unlock()
		return s.conn.Exec(ctx, sql, args...)
	}
	s.mu.Unlock()
	rows, err := s.Query(ctx, sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

// ErrReadsAborted means a statement of the scope failed, which aborted its transaction:
// End rolled it back and wrote nothing.
var ErrReadsAborted = errors.New("read transaction aborted by a failed statement")

// End sends last (the audit rows; may be nil or empty) and COMMIT in one round trip
// and releases the connection. Nothing is committed unless every statement of last
// succeeded. A scope whose transaction was aborted by a failed read rolls back and
// returns ErrReadsAborted without running last.
func (s *ReadScope) End(ctx context.Context, last *pgx.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	defer conn.Release()
	if conn.Conn().PgConn().TxStatus() == 'E' {
		_, err := conn.Exec(ctx, "ROLLBACK")
		return errors.Join(ErrReadsAborted, err)
	}
	if last == nil {
		last = &pgx.Batch{}
	}
	n := last.Len()
	commit := last.Queue("COMMIT")
	var tag pgconn.CommandTag
	commit.Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	if err := conn.SendBatch(ctx, last).Close(); err != nil {
		return fmt.Errorf("end reads (%d statements and commit): %w", n, err)
	}
	if tag.String() != "COMMIT" {
		// PostgreSQL answers COMMIT of a failed transaction with ROLLBACK.
		return fmt.Errorf("end reads: transaction rolled back (%s)", tag.String())
	}
	return nil
}

// Close rolls back and releases a scope that End did not end (a panic, an early return).
func (s *ReadScope) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	if s.conn == nil {
		return
	}
	conn := s.conn
	s.conn = nil
	// A context of its own: the request's may be the reason we are here.
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	conn.Exec(ctx, "ROLLBACK") //nolint:errcheck // on failure the pool discards the connection
	conn.Release()
}

// scopedRows gives the connection back to the scope once the rows are read or closed.
type scopedRows struct {
	pgx.Rows
	unlock func()
}

func (r *scopedRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.unlock()
	return false
}

func (r *scopedRows) Close() {
	r.Rows.Close()
	r.unlock()
}

type scopedRow struct{ rows pgx.Rows }

// Scan reads the first row as pgx's QueryRow does: no row is pgx.ErrNoRows.
func (r scopedRow) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
