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
