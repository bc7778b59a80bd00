package changes_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestRecordBeforeOrAfterTheWrite: a create's event is the same one row whether Record
// comes after the write (it takes over the outbox trigger's event: an UPDATE of that
// row) or before it, with the id made by db.NewID (the trigger finds the event and adds
// none: the row is written once, never updated).
func TestRecordBeforeOrAfterTheWrite(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	var org string
	if err := pool.QueryRow(ctx, `INSERT INTO organisation (code, name, kind) VALUES ('changes-test', 'Kommun', 'municipality')
		RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	for i, before := range []bool{false, true} {
		id := db.NewID()
		var events, updated, updatedBefore int
		var byTrigger bool
		var entity, entityID, op string
		err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
			// The counter includes the session's earlier transactions until its
			// statistics are flushed: what counts is its growth in this one.
			if err := tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('change_event'::regclass)`).Scan(&updatedBefore); err != nil {
				return err
			}
			record := func() error { return changes.Record(ctx, tx, org, id, "participant", id, changes.Create) }
			if before {
				if err := record(); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
				VALUES ($1, $2, $3, 'woman', '1990-01-01')`, id, org, []string{"19900101-0001", "19900101-0002"}[i]); err != nil {
				return err
			}
			if !before {
				if err := record(); err != nil {
					return err
				}
			}
			return tx.QueryRow(ctx, `SELECT count(*), bool_or(by_trigger), min(entity), min(entity_id::text), min(op),
					pg_stat_get_xact_tuples_updated('change_event'::regclass)
				FROM change_event WHERE xact = pg_current_xact_id()`).Scan(&events, &byTrigger, &entity, &entityID, &op, &updated)
		})
		if err != nil {
			t.Fatalf("before=%v: %v", before, err)
		}
		if events != 1 || byTrigger || entity != "participant" || entityID != id || op != "create" {
			t.Errorf("before=%v: %d events (by trigger %v) %s %s %s, want one application event participant %s create",
				before, events, byTrigger, entity, entityID, op, id)
		}
		if want := map[bool]int{false: 1, true: 0}[before]; updated-updatedBefore != want {
			t.Errorf("before=%v: the outbox row was updated %d times, want %d", before, updated-updatedBefore, want)
		}
	}
}

// TestOwnEventsFoundByTheTransactionsIndex: "has this transaction queued an event for this
// person yet?" (the outbox trigger, and Record taking its event over) is answered from
// change_event_xact_idx even when the planner's statistics were taken with no event
// pending and thousands are pending now (a loader that fell behind): never by scanning
// the pending events, which made every write slower the longer the backlog grew.
func TestOwnEventsFoundByTheTransactionsIndex(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	var org string
	if err := pool.QueryRow(ctx, `INSERT INTO organisation (code, name, kind) VALUES ('xact-index-test', 'Kommun', 'municipality')
		RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	// A history the loader has processed, as the statistics last saw it.
	if _, err := pool.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		SELECT $1, gen_random_uuid(), 'participant', NULL, 'update' FROM generate_series(1, 50000)`, org); err != nil {
		t.Fatal(err)
	}
	if err := changes.MarkAllProcessed(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE change_event`); err != nil {
		t.Fatal(err)
	}
	const backlog = 20000
	if _, err := pool.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		SELECT $1, gen_random_uuid(), 'participant', NULL, 'update' FROM generate_series(1, $2)`, org, backlog); err != nil {
		t.Fatal(err)
	}
	scans := func(tx pgx.Tx) (own, pending int64, err error) {
		err = tx.QueryRow(ctx, `SELECT pg_stat_get_xact_numscans('change_event_xact_idx'::regclass),
			pg_stat_get_xact_numscans('change_event_pending_idx'::regclass)`).Scan(&own, &pending)
		return
	}
	var own0, pending0, own1, pending1 int64
	id := db.NewID()
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		var err error
		if own0, pending0, err = scans(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, '19900101-0003', 'woman', '1990-01-01')`, id, org); err != nil {
			return err
		}
		if err := changes.Record(ctx, tx, org, id, "participant", id, changes.Create); err != nil {
			return err
		}
		// Record is queued (db.Queue): this statement sends it.
		own1, pending1, err = scans(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("with %d events pending (statistics taken at none): the transaction's index scanned %d times, the pending index %d",
		backlog, own1-own0, pending1-pending0)
	if own1-own0 < 2 || pending1 != pending0 {
		t.Fatalf("the trigger's and Record's lookups of the transaction's own events scanned change_event_xact_idx %d times and change_event_pending_idx %d times; want at least 2 and 0",
			own1-own0, pending1-pending0)
	}
}
