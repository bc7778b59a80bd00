package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestPipelinedTx: WithTx on the API's pool sets the caller's scope inside the
// transaction; a queued statement runs in order before the next one; a queued
// statement that fails at the COMMIT rolls everything back; FetchRow reports no row as
// pgx.ErrNoRows.
func TestPipelinedTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, system := testenv.PostgresWithURL(t)
	org := domaintest.Organisation(t, system, "pipe-a").ID
	other := domaintest.Organisation(t, system, "pipe-b").ID
	pool, err := db.ConnectScoped(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cw := auth.With(ctx, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: org})
	insert := `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, $2, 'woman', '1990-01-01')`
	count := func() int {
		t.Helper()
		var n int
		if err := system.QueryRow(ctx, `SELECT count(*) FROM participant`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Queued, then seen by the next statement; the scope is the caseworker's.
	var seen int
	var scope string
	err = db.WithTx(cw, pool, func(tx pgx.Tx) error {
		if err := db.Queue(cw, tx, "insert", nil, insert, org, "19900101-0017"); err != nil {
			return err
		}
		return tx.QueryRow(cw, `SELECT count(*), current_setting('app.org_ids') FROM participant`).Scan(&seen, &scope)
	})
	if err != nil || seen != 1 || scope != org {
		t.Fatalf("queued insert: err %v, seen %d, scope %q", err, seen, scope)
	}

	// The scope is WithTx's context's, whatever context the statements carry (a store
	// may run a system-wide aggregate under a context of its own).
	err = db.WithTx(auth.With(ctx, auth.Principal{Subject: "report", System: true}), pool, func(tx pgx.Tx) error {
		return tx.QueryRow(cw, `SELECT current_setting('app.org_ids')`).Scan(&scope)
	})
	if err != nil || scope != "*" {
		t.Fatalf("scope of a system transaction: err %v, scope %q, want *", err, scope)
	}

	// A queued statement that fails with the COMMIT: nothing of the transaction stays.
	before := count()
	err = db.WithTx(cw, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(cw, insert, org, "19900101-0025"); err != nil {
			return err
		}
		return db.Queue(cw, tx, "insert elsewhere", nil, insert, other, "19900101-0033") // refused by row-level security
	})
	if err == nil || count() != before {
		t.Fatalf("failed queued statement: err %v, participants %d -> %d", err, before, count())
	}

	// FetchRow: no row is pgx.ErrNoRows from its wait; a row is scanned.
	err = db.WithTx(cw, pool, func(tx pgx.Tx) error {
		var id string
		none := db.FetchRow(cw, tx, "none", func(r pgx.Row) error { return r.Scan(&id) },
			`SELECT id FROM participant WHERE organisation_id = $1`, other)
		var n int
		one := db.FetchRow(cw, tx, "one", func(r pgx.Row) error { return r.Scan(&n) }, `SELECT count(*) FROM participant`)
		if err := none(); !db.IsNoRows(err) {
			t.Errorf("no row: %v, want pgx.ErrNoRows", err)
		}
		if err := one(); err != nil || n != 1 {
			t.Errorf("one row: %v, %d", err, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLockWaitIsTheTransactions: under WithLockWait every transaction WithTx runs, on a
// pool (pipelined) or in a connection's transaction, has that lock_timeout, and the
// session keeps its own afterwards (SET LOCAL): the next transaction on the same
// connection without it waits as configured.
func TestLockWaitIsTheTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	setting := func(ctx context.Context, b db.Beginner) string {
		t.Helper()
		var v string
		if err := db.WithTx(ctx, b, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT current_setting('lock_timeout')`).Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	bounded := db.WithLockWait(ctx, 1500*time.Millisecond)
	if got := setting(bounded, pool); got != "1500ms" {
		t.Errorf("pool transaction under WithLockWait: lock_timeout %q, want 1500ms", got)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if got := setting(bounded, conn); got != "1500ms" {
		t.Errorf("connection's transaction under WithLockWait: lock_timeout %q, want 1500ms", got)
	}
	if got := setting(ctx, conn); got != "0" {
		t.Errorf("the next transaction on the same connection: lock_timeout %q, want the session's 0", got)
	}
}
