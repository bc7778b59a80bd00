package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestWritesDoNotNotifyInTheirTransactions: a write that queues change events (here a
// participant inserted in plain SQL, whose outbox trigger queues one) sends no
// notification from its own transaction. PostgreSQL makes the commits of all
// transactions that NOTIFY wait for one another (one lock for the whole database, held
// until the commit is on disk), so a NOTIFY in every write made writers commit one at a
// time (migration 0018); the API announces committed mutations itself
// (changes.Announcer, apiserver TestMutationsAnnounceTheirChanges).
//
// No waiting on time: notifications reach a listener in the order their transactions
// committed, so a probe sent after the write's commit arrives after any notification
// of the write. The listener reads until the probe and must have heard nothing on the
// loader's channel before it.
func TestWritesDoNotNotifyInTheirTransactions(t *testing.T) {
	t.Parallel()
	url, pool := testenv.PostgresWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	org := domaintest.Organisation(t, pool, "tyst-kommun").ID
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	const probe = "notify_probe"
	for _, ch := range []string{changes.Channel, probe} {
		if _, err := listener.Exec(ctx, "LISTEN "+ch); err != nil {
			t.Fatal(err)
		}
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
		VALUES ($1, '19900101-0010', 'woman', '1990-01-01')`, org); err != nil {
		t.Fatal(err)
	}
	var queued int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE xact = pg_current_xact_id()`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 1 {
		t.Fatalf("the write queued %d change events, want 1 (the outbox trigger's)", queued)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `SELECT pg_notify($1, '')`, probe); err != nil {
		t.Fatal(err)
	}

	for {
		n, err := listener.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("the probe never arrived: %v", err)
		}
		if n.Channel == probe {
			return
		}
		t.Fatalf("the write's own transaction notified %q before the probe: writes would commit one at a time", n.Channel)
	}
}
