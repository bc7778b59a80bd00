package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A write transaction on a pool (WithTx) waits for the disk at COMMIT like any other,
// so what it can save is round trips: pipeTx sends BEGIN (and, on the API's pool, the
// caller's organisation scope, instead of a round trip of its own when the connection
// is taken) together with the transaction's first statement, and statements queued with
// Queue (whose results the caller does not need: the outbox row, the audit rows)
// together with the next statement or the COMMIT. Statements
// still run one after another on the server, in the order they were issued, so each
// sees what the statements before it did; a failed statement aborts the transaction
// and skips the rest of its round trip, and its error is returned by the call that sent
// it (the next statement, or Commit).

// scopeSQL sets the caller's organisation scope for the rest of the transaction only
// (set_config(…, true)): a read scope and a pipelined write transaction both send it
// with their BEGIN.
const scopeSQL = `SELECT set_config('app.org_ids', $1, true), set_config('app.ref_org_ids', $2, true)`

// queued is a statement waiting for the transaction's next round trip.
type queued struct {
	op   string // what it does, for its error
	sql  string
	args []any
	done func(pgconn.CommandTag) error
	row  *fetched // a FetchRow: its row is read into it
}

// fetched is a queued query's row, read when its round trip comes back.
type fetched struct {
	scan func(pgx.Row) error
	// mapErr, if not nil, translates the statement's own failure (a constraint the
	// caller names in its error), as the caller would where it sent the statement.
	mapErr func(error) error
	sent   bool
	err    error // scan's
}

// pipeTx is a transaction on one pooled connection that begins with its first
// statement and runs queued statements with the next one. It is used by one goroutine.
type pipeTx struct {
	conn *pgxpool.Conn
	// scope holds the caller's organisation scope (app.org_ids, app.ref_org_ids) to set
	// inside the transaction, taken from WithTx's context as the pool would have when
	// the connection was taken; nil on the system's pool.
	scope  []any
	begun  bool // BEGIN was sent
	closed bool
	queue  []queued
}

var _ pgx.Tx = (*pipeTx)(nil)

// withPipeTx is WithTx on a pool.
func withPipeTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	// The API's pool (ConnectScoped: the one that prepares connections) gets the
	// caller's scope inside the transaction, as a read scope does; the system's pool
	// keeps the scope its sessions were opened with.
	scoped := pool.Config().PrepareConn != nil
	actx := ctx
	if scoped {
		actx = context.WithValue(ctx, skipScopeKey{}, true) // set inside the transaction
	}
	conn, err := pool.Acquire(actx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Release() // a connection left in a transaction or broken is destroyed
	t := &pipeTx{conn: conn}
	if scoped {
		t.scope = []any{OrgScope(ctx), RefScope(ctx)}
	}
	return runTx(ctx, t, fn)
}

// Queue runs sql in tx as part of the transaction: with WithTx's transaction on a pool,
// in the same round trip as the next statement or the COMMIT (its error is then
// returned by that call); in any other transaction, at once. done, if not nil, gets the
// statement's command tag (its error fails the transaction too). op names the statement
// in its error ("record change").
func Queue(ctx context.Context, tx pgx.Tx, op string, done func(pgconn.CommandTag) error, sql string, args ...any) error {
	if t, ok := tx.(*pipeTx); ok && !t.closed {
		t.queue = append(t.queue, queued{op: op, sql: sql, args: args, done: done})
		return nil
	}
	tag, err := tx.Exec(ctx, sql, args...)
	if err == nil && done != nil {
		err = done(tag)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// FetchRow queues a one-row query of tx as Queue does, for a result the caller needs
// later: scan gets the row (pgx.ErrNoRows when there is none) once its round trip is
// back, and the returned wait sends that round trip if it has not gone yet and returns
// scan's error. A failed statement is reported as Queue's are, and by wait too.
func FetchRow(ctx context.Context, tx pgx.Tx, op string, scan func(pgx.Row) error, sql string, args ...any) (wait func() error) {
	return FetchRowAs(ctx, tx, op, scan, nil, sql, args...)
}

// FetchRowAs is FetchRow whose statement's failure is translated by mapErr (which
// returns the errors it does not know unchanged) wherever it is reported: by wait, or
// by the call whose round trip carried the statement (the COMMIT, for a statement
// queued to go with it).
func FetchRowAs(ctx context.Context, tx pgx.Tx, op string, scan func(pgx.Row) error, mapErr func(error) error, sql string, args ...any) (wait func() error) {
	if t, ok := tx.(*pipeTx); ok && !t.closed {
		f := &fetched{scan: scan, mapErr: mapErr}
		t.queue = append(t.queue, queued{op: op, sql: sql, args: args, row: f})
		return func() error {
			if !f.sent {
				if err := t.flush(ctx); err != nil && !f.sent {
					return err
				}
			}
			return f.err
		}
	}
	err := scan(tx.QueryRow(ctx, sql, args...))
	if err != nil && mapErr != nil {
		err = mapErr(err)
	}
	return func() error { return err }
}

// read reads the fetched row from br: a failure of the statement is returned (it fails
// the round trip), scan's own error is kept for wait.
func (f *fetched) read(br pgx.BatchResults) error {
	f.sent = true
	rows, err := br.Query()
	if err != nil {
		f.err = f.mapped(err)
		return f.err
	}
	f.err = f.scan(scopedRow{rows})
	if err := rows.Err(); err != nil {
		f.err = f.mapped(err)
		return f.err
	}
	if f.err != nil {
		f.err = f.mapped(f.err)
	}
	return nil
}

func (f *fetched) mapped(err error) error {
	if f.mapErr == nil {
		return err
	}
	return f.mapErr(err)
}

// send sends BEGIN (the first time), the queued statements and then last, if any, in
// one round trip, and returns the results positioned at last.
func (t *pipeTx) send(ctx context.Context, last *queued) (pgx.BatchResults, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	b := &pgx.Batch{}
	opening := 0
	if !t.begun {
		b.Queue(`BEGIN`)
		opening++
		if t.scope != nil {
			b.Queue(scopeSQL, t.scope...)
			opening++
		}
		t.begun = true
	}
	q := t.queue
	t.queue = nil
	for _, s := range q {
		b.Queue(s.sql, s.args...)
	}
	if last != nil {
		b.Queue(last.sql, last.args...)
	}
	br := t.conn.SendBatch(ctx, b)
	for i := 0; i < opening; i++ {
		if _, err := br.Exec(); err != nil {
			br.Close() //nolint:errcheck // the error above is the one to report
			return nil, fmt.Errorf("begin: %w", err)
		}
	}
	for _, s := range q {
		var err error
		if s.row != nil {
			err = s.row.read(br)
		} else {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			if err == nil && s.done != nil {
				err = s.done(tag)
			}
		}
		if err != nil {
			br.Close() //nolint:errcheck // the error above is the one to report
			return nil, fmt.Errorf("%s: %w", s.op, err)
		}
	}
	return br, nil
}

// flush sends what waits (BEGIN, queued statements), if anything.
func (t *pipeTx) flush(ctx context.Context) error {
	if t.begun && len(t.queue) == 0 {
		return nil
	}
	br, err := t.send(ctx, nil)
	if err != nil {
		return err
	}
	return br.Close()
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := t.send(ctx, &queued{sql: sql, args: args})
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := t.send(ctx, &queued{sql: sql, args: args})
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close() //nolint:errcheck // the statement's error is the one to report
		// As pgx's Query does, the statement's own error is reported by its rows (a
		// store maps a constraint violation where it reads them).
		if rows == nil {
			return nil, err
		}
		// pgx's rows of a failed statement are closed and carry its error.
		return rows, nil
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return scopedRow{rows}
}

// Commit sends the queued statements and COMMIT in one round trip. A transaction that
// never sent a statement has nothing to commit.
func (t *pipeTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if !t.begun && len(t.queue) == 0 {
		t.closed = true
		return nil
	}
	br, err := t.send(ctx, &queued{sql: `COMMIT`})
	t.closed = true
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		// PostgreSQL answers COMMIT of a failed transaction with ROLLBACK.
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback drops the queued statements and rolls back what was sent. A failed rollback
// leaves the connection in its transaction, and the pool destroys it on release.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	t.queue = nil
	if !t.begun {
		return nil
	}
	// A context of its own: the request's may be the reason we are here.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_, err := t.conn.Exec(rctx, `ROLLBACK`)
	return err
}

// SendBatch runs b after what waits (organisation.Store and outcome.Store send batches).
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.flush(ctx); err != nil {
		return errBatch{err}
	}
	return t.conn.SendBatch(ctx, b)
}

func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// Begin (a savepoint) is not offered: no store nests transactions.
func (t *pipeTx) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("db.WithTx: nested transactions are not supported")
}

// LargeObjects is not offered: nothing stores large objects.
func (t *pipeTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// errBatch is the results of a batch that could not be sent.
type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
