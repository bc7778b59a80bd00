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
	org := testenv.Organisation(t, pool, "changes-test")
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
	org := testenv.Organisation(t, pool, "xact-index-test")
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
	// A person enrolled in a measure, committed: renaming the measure then queues them
	// through the reference data's trigger (outbox_reference_rows).
	var measure string
	if err := pool.QueryRow(ctx, `INSERT INTO measure_type (organisation_id, code, name, swedish_name, category)
		VALUES ($1, 'xact_test', 'Test', 'Test', 'employment') RETURNING id`, org).Scan(&measure); err != nil {
		t.Fatal(err)
	}
	enrolled := db.NewID()
	if _, err := pool.Exec(ctx, `WITH p AS (INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, '19900101-0004', 'man', '1990-01-01') RETURNING id, organisation_id)
		INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date) SELECT organisation_id, id, $3, '2020-01-01' FROM p`,
		enrolled, org, measure); err != nil {
		t.Fatal(err)
	}
	// Each write in a transaction of its own; the scan counters are the transaction's.
	cases := []struct {
		name, wantEntity string
		write            func(tx pgx.Tx, id string) error
	}{
		{"a participant's INSERT (outbox_person_rows) and Record taking its event over", "participant", func(tx pgx.Tx, id string) error {
			if _, err := tx.Exec(ctx, `INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
				VALUES ($1, $2, '19900101-0003', 'woman', '1990-01-01')`, id, org); err != nil {
				return err
			}
			return changes.Record(ctx, tx, org, id, "participant", id, changes.Create)
		}},
		{"a measure renamed (outbox_reference_rows)", "measure_type", func(tx pgx.Tx, _ string) error {
			_, err := tx.Exec(ctx, `UPDATE measure_type SET name = 'Renamed' WHERE id = $1`, measure)
			return err
		}},
	}
	for _, c := range cases {
		id := db.NewID()
		if c.wantEntity == "measure_type" {
			id = enrolled
		}
		var own0, pending0, own1, pending1 int64
		var entity string
		err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
			var err error
			if own0, pending0, err = scans(tx); err != nil {
				return err
			}
			if err := c.write(tx, id); err != nil {
				return err
			}
			// Record is queued (db.Queue): this statement sends it.
			if own1, pending1, err = scans(tx); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT entity FROM change_event WHERE xact = pg_current_xact_id() AND participant_id = $1`, id).Scan(&entity)
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s, with %d events pending (statistics taken at none): the transaction's index scanned %d times, the pending index %d",
			c.name, backlog, own1-own0, pending1-pending0)
		if own1 == own0 || pending1 != pending0 || entity != c.wantEntity {
			t.Errorf("%s: the lookups of the transaction's own events scanned change_event_xact_idx %d times and change_event_pending_idx %d times (want some and none), and queued an event of entity %q (want %q)",
				c.name, own1-own0, pending1-pending0, entity, c.wantEntity)
		}
	}
}

// TestCreatedEventIsTheTriggers: a create that inserts one row of a person's table and
// sends no event of its own (changes.Created) leaves the one event Record would have
// written: the person, the table as the entity, the new row's id, op create, written
// once and never updated, by the outbox trigger within the INSERT's statement. A
// refused INSERT leaves no event.
func TestCreatedEventIsTheTriggers(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	org := testenv.Organisation(t, pool, "changes-created")
	var measure string
	if err := pool.QueryRow(ctx, `INSERT INTO measure_type (organisation_id, code, name, swedish_name, category)
		VALUES ($1, 'created_test', 'Test', 'Test', 'employment') RETURNING id`, org).Scan(&measure); err != nil {
		t.Fatal(err)
	}
	person := db.NewID()
	for _, c := range []struct{ table, insert string }{
		{"participant", `INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, '19900101-0011', 'woman', '1990-01-01')`},
		{"enrolment", `INSERT INTO enrolment (id, organisation_id, participant_id, measure_type_id, start_date)
			VALUES ($1, $2, '` + person + `', '` + measure + `', '2020-01-01')`},
	} {
		id := db.NewID()
		if c.table == "participant" {
			id = person
		}
		var events, updated, updatedBefore int
		var byTrigger bool
		var participantID, entity, entityID, op string
		err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('change_event'::regclass)`).Scan(&updatedBefore); err != nil {
				return err
			}
			changes.Created(ctx, c.table, id, person)
			if _, err := tx.Exec(ctx, c.insert, id, org); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT count(*), bool_and(by_trigger), min(participant_id::text), min(entity),
					min(entity_id::text), min(op), pg_stat_get_xact_tuples_updated('change_event'::regclass)
				FROM change_event WHERE xact = pg_current_xact_id()`).Scan(&events, &byTrigger, &participantID, &entity, &entityID, &op, &updated)
		})
		if err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
		if events != 1 || !byTrigger || participantID != person || entity != c.table || entityID != id || op != "create" {
			t.Errorf("%s: %d events (by trigger %v) of %s: %s %s %s, want the trigger's one event of %s: %s %s create",
				c.table, events, byTrigger, participantID, entity, entityID, op, person, c.table, id)
		}
		if updated != updatedBefore {
			t.Errorf("%s: the outbox row was updated %d times, want none", c.table, updated-updatedBefore)
		}
	}

	// A refused INSERT (the number is taken) fails the statement, event included.
	var before, after int
	count := `SELECT count(*) FROM change_event WHERE organisation_id = $1`
	if err := pool.QueryRow(ctx, count, org).Scan(&before); err != nil {
		t.Fatal(err)
	}
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO participant (id, organisation_id, personal_identity_number, gender, birth_date)
			VALUES ($1, $2, '19900101-0011', 'woman', '1990-01-01')`, db.NewID(), org)
		return err
	})
	if err == nil {
		t.Fatal("a participant with a taken number was written")
	}
	if err := pool.QueryRow(ctx, count, org).Scan(&after); err != nil || after != before {
		t.Errorf("a refused insert left %d change events (%v)", after-before, err)
	}
}
