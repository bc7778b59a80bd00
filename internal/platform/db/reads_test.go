package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func TestReadScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, system := testenv.PostgresWithURL(t)
	var ids []string
	for _, code := range []string{"scope-a", "scope-b"} {
		o := domaintest.Organisation(t, system, code)
		ids = append(ids, o.ID)
		for _, pnr := range []string{"19900101-0017", "19900101-0025"} {
			if _, err := system.Exec(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
				VALUES ($1, $2, 'woman', '1990-01-01')`, o.ID, pnr); err != nil {
				t.Fatal(err)
			}
		}
	}
	orgA := ids[0]
	pool, err := db.ConnectScoped(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	caseworker := auth.With(ctx, auth.Principal{Subject: "cw", Role: auth.Caseworker, OrgID: orgA})
	auditRows := func(requestID string) int {
		t.Helper()
		var n int
		if err := system.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE request_id = $1`, requestID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	audit := func(requestID string) *pgx.Batch {
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO audit_log (subject, role, action, entity, entity_id, operation, request_id)
			SELECT 'cw', 'caseworker', 'read', 'participant', id::text, 'test', $1 FROM participant`, requestID)
		return b
	}

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		sctx, scope := db.BeginReads(caseworker, pool)
		defer scope.Close()
		if scope.Started() {
			t.Fatal("a scope starts with its first statement, not before")
		}
		q := db.Reader(sctx, pool)
		if _, ok := q.(*db.ReadScope); !ok {
			t.Fatalf("Reader under a scope on the same pool = %T, want the scope", q)
		}
		if _, ok := db.Reader(sctx, system).(*db.ReadScope); ok {
			t.Fatal("Reader on another pool must not use the scope")
		}
		// The request's loaders read concurrently: the scope takes them in turn.
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rows, err := q.Query(sctx, `SELECT organisation_id::text FROM participant ORDER BY id`)
				if err != nil {
					errs <- err
					return
				}
				orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err == nil && (len(orgs) != 2 || orgs[0] != orgA || orgs[1] != orgA) {
					err = errors.New("row-level security: saw " + orgs[0] + "…, want only the caseworker's organisation")
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var scopeSetting string
		if err := q.QueryRow(sctx, `SELECT current_setting('app.org_ids')`).Scan(&scopeSetting); err != nil || scopeSetting != orgA {
			t.Fatalf("scope in the transaction = %q, %v; want %s", scopeSetting, err, orgA)
		}
		if err := q.QueryRow(sctx, `SELECT 1 WHERE false`).Scan(new(int)); !errors.Is(err, pgx.ErrNoRows) {
			t.Fatalf("QueryRow without a row: %v, want pgx.ErrNoRows", err)
		}
		if err := scope.End(sctx, audit("scope-ok")); err != nil {
			t.Fatal(err)
		}
		if n := auditRows("scope-ok"); n != 2 {
			t.Errorf("audit rows written in the read transaction = %d, want 2 (the rows it could see)", n)
		}
	})

	t.Run("ErrAuditFails", func(t *testing.T) {
		t.Parallel()
		sctx, scope := db.BeginReads(caseworker, pool)
		defer scope.Close()
		if _, err := db.Reader(sctx, pool).Exec(sctx, `SELECT count(*) FROM participant`); err != nil {
			t.Fatal(err)
		}
		b := audit("scope-fail")
		b.Queue(`INSERT INTO audit_log (subject, role, action, entity, operation, request_id) VALUES ('cw', 'caseworker', 'peek', 'x', 'test', 'scope-fail')`)
		if err := scope.End(sctx, b); err == nil {
			t.Fatal("End with a failing audit statement succeeded")
		}
		if n := auditRows("scope-fail"); n != 0 {
			t.Errorf("%d audit rows committed although the audit failed, want 0", n)
		}
	})

	t.Run("ErrReadsAborted", func(t *testing.T) {
		t.Parallel()
		sctx, scope := db.BeginReads(caseworker, pool)
		defer scope.Close()
		rows, err := db.Reader(sctx, pool).Query(sctx, `SELECT 1/0`)
		if err == nil {
			rows.Close()
			err = rows.Err()
		}
		if err == nil {
			t.Fatal("SELECT 1/0 succeeded")
		}
		err = scope.End(sctx, audit("scope-aborted"))
		if !errors.Is(err, db.ErrReadsAborted) {
			t.Fatalf("End after a failed read: %v, want ErrReadsAborted", err)
		}
		if n := auditRows("scope-aborted"); n != 0 {
			t.Errorf("%d audit rows written in an aborted transaction", n)
		}
	})

	t.Run("NothingRead", func(t *testing.T) {
		t.Parallel()
		_, scope := db.BeginReads(caseworker, pool)
		if err := scope.End(ctx, audit("scope-none")); err != nil {
			t.Fatal(err)
		}
		if n := auditRows("scope-none"); n != 0 {
			t.Errorf("a scope that read nothing ran its batch (%d rows); the caller writes its entries itself", n)
		}
	})

	t.Run("CloseRollsBack", func(t *testing.T) {
		t.Parallel()
		sctx, scope := db.BeginReads(caseworker, pool)
		if _, err := db.Reader(sctx, pool).Exec(sctx, `INSERT INTO audit_log (subject, role, action, entity, operation, request_id)
			VALUES ('cw', 'caseworker', 'read', 'participant', 'test', 'scope-closed')`); err != nil {
			t.Fatal(err)
		}
		scope.Close()
		if n := auditRows("scope-closed"); n != 0 {
			t.Errorf("Close committed %d rows, want a rollback", n)
		}
		if _, err := db.Reader(sctx, pool).Query(sctx, `SELECT 1`); err == nil {
			t.Error("a closed scope ran a statement")
		}
	})
}
