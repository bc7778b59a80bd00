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
//
// One statement runs on the connection at a time (its rows hold it until read or
// closed). Statements that arrive while it is busy wait together, and the next turn
// sends all of them in one round trip (a pipeline): a page's loaders, started at once,
// cost one round trip instead of one each. Their results come back in order, each
// statement's rows handed to its caller when the one before it is done.
type ReadScope struct {
	pool    *pgxpool.Pool
	mu      sync.Mutex // guards the fields below, never held across a round trip
	conn    *pgxpool.Conn
	err     error // why the transaction could not start
	done    bool
	busy    bool      // a statement (or End) has the connection
	waiting []*waiter // in arrival order
}

// waiter is a caller waiting for the connection: a statement (rows and err are filled
// before ready closes, and the rows hand the connection on when done) or, with no
// statement, End or Close, which take the connection alone.
type waiter struct {
	stmt  *statement
	ready chan struct{}
	rows  pgx.Rows
	err   error
}

type statement struct {
	ctx  context.Context
	sql  string
	args []any
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

// start begins the transaction (the caller has the connection's turn) and runs the
// scope's first statement in the same round trip: BEGIN, the organisation scope and the
// statement are sent together (a pipeline). The scope is set with is_local: it ends with
// the transaction, whatever the session held before. The first statement's rows are
// returned open.
func (s *ReadScope) start(ctx context.Context, sql string, args []any) (pgx.Rows, error) {
	conn, err := s.pool.Acquire(context.WithValue(ctx, skipScopeKey{}, true))
	if err != nil {
		s.fail(err)
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ`)
	b.Queue(scopeSQL, OrgScope(ctx), RefScope(ctx))
	b.Queue(sql, args...)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err != nil {
		br.Close()     //nolint:errcheck // the error above is the one to report
		conn.Release() // not idle in a transaction any more, or broken: the pool closes it
		err = fmt.Errorf("begin reads: %w", err)
		s.fail(err)
		return nil, err
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	rows, err := br.Query()
	if err != nil {
		br.Close() //nolint:errcheck // a failed statement aborted the transaction: End rolls it back
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (s *ReadScope) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// turn waits for the connection's turn. A statement returns with its rows when the
// turn that took it ran it (ran is true), or with ran false when the caller is to run
// it now; End and Close (st nil) always run themselves.
func (s *ReadScope) turn(st *statement) (w *waiter, ran bool) {
	s.mu.Lock()
	if !s.busy {
		s.busy = true
		s.mu.Unlock()
		return nil, false
	}
	w = &waiter{stmt: st, ready: make(chan struct{})}
	s.waiting = append(s.waiting, w)
	s.mu.Unlock()
	<-w.ready
	return w, st != nil
}

// release ends a turn: the next exclusive waiter gets the connection, or every
// statement waiting before it runs, in one round trip.
func (s *ReadScope) release() {
	s.mu.Lock()
	if len(s.waiting) == 0 {
		s.busy = false
		s.mu.Unlock()
		return
	}
	if s.waiting[0].stmt == nil {
		w := s.waiting[0]
		s.waiting = s.waiting[1:]
		s.mu.Unlock()
		close(w.ready) // the turn passes on, busy stays set
		return
	}
	n := 1
	for n < len(s.waiting) && s.waiting[n].stmt != nil {
		n++
	}
	run := s.waiting[:n:n]
	s.waiting = s.waiting[n:]
	conn, err, done := s.conn, s.err, s.done
	s.mu.Unlock()
	switch {
	case err != nil || done || conn == nil:
		if err == nil {
			err = errors.New("read scope already ended")
		}
		for _, w := range run {
			w.err = err
			close(w.ready)
		}
		s.release()
	case len(run) == 1:
		w := run[0]
		rows, err := conn.Query(w.stmt.ctx, w.stmt.sql, w.stmt.args...)
		if err != nil {
			w.err = err
			close(w.ready)
			s.release()
			return
		}
		w.rows = &scopedRows{Rows: rows, done: sync.OnceFunc(s.release)}
		close(w.ready)
	default:
		b := &pgx.Batch{}
		for _, w := range run {
			b.Queue(w.stmt.sql, w.stmt.args...)
		}
		br := conn.SendBatch(run[0].stmt.ctx, b)
		s.deliver(br, run)
	}
}

// deliver hands the batch's next result to the first of run; when its rows are done
// the next one gets its result, and after the last the batch closes and the turn ends.
func (s *ReadScope) deliver(br pgx.BatchResults, run []*waiter) {
	for len(run) > 0 {
		w, rest := run[0], run[1:]
		rows, err := br.Query()
		if err != nil {
			w.err = err
			close(w.ready)
			run = rest
			continue
		}
		next := func() {
			if len(rest) > 0 {
				s.deliver(br, rest)
				return
			}
			br.Close() //nolint:errcheck // each statement's own error went to its caller
			s.release()
		}
		w.rows = &scopedRows{Rows: rows, done: sync.OnceFunc(next)}
		close(w.ready)
		return
	}
	br.Close() //nolint:errcheck // each statement's own error went to its caller
	s.release()
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
	w, ran := s.turn(&statement{ctx: ctx, sql: sql, args: args})
	if ran {
		return w.rows, w.err
	}
	s.mu.Lock()
	conn, err, done := s.conn, s.err, s.done
	s.mu.Unlock()
	var rows pgx.Rows
	switch {
	case err != nil:
	case done:
		err = errors.New("read scope already ended")
	case conn == nil:
		rows, err = s.start(ctx, sql, args)
	default:
		rows, err = conn.Query(ctx, sql, args...)
	}
	if err != nil {
		s.release()
		return nil, err
	}
	return &scopedRows{Rows: rows, done: sync.OnceFunc(s.release)}, nil
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
	s.turn(nil)
	defer s.release() // statements still waiting learn that the scope ended
	s.mu.Lock()
	s.done = true
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn == nil {
		return nil
	}
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
	s.turn(nil)
	defer s.release()
	s.mu.Lock()
	s.done = true
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn == nil {
		return
	}
	// A context of its own: the request's may be the reason we are here.
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	conn.Exec(ctx, "ROLLBACK") //nolint:errcheck // on failure the pool discards the connection
	conn.Release()
}

// scopedRows gives the connection's turn on once the rows are read or closed.
type scopedRows struct {
	pgx.Rows
	done func() // once
}

func (r *scopedRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.done()
	return false
}

func (r *scopedRows) Close() {
	r.Rows.Close()
	r.done()
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
