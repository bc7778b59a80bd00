// Package changes owns the transactional outbox, the change_event table: every write to
// a participant's history records a change event in the same transaction (Record),
// which the loader reads (Pending), turns into warehouse rows and marks processed
// (MarkProcessed). The database's outbox triggers (migration 0004) also queue events for
// changes made in SQL. Every other statement on the table (backlog, freshness, rollover,
// pruning) is here too: no other package names change_event (outbox_test.go checks).
package changes

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Op names what happened to the entity.
type Op string

const (
	Create   Op = "create"
	Update   Op = "update"
	Delete   Op = "delete"
	Rebuild  Op = "rebuild"
	Rollover Op = "rollover"
)

// Ops lists every op (change_event.op's CHECK list).
var Ops = []Op{Create, Update, Delete, Rebuild, Rollover}

// Record adds one change event inside tx. The database's outbox triggers queue an event
// for every person a statement touched that has none yet in the transaction (so that
// changes made in SQL outside the API reach the warehouse too; migrations 0004, 0015).
// The application's own event, which names the entity it changed, takes over such an
// event of this transaction instead of adding a second one (an UPDATE of the trigger's
// row). The transaction's own events are found by change_event_xact_idx (xact,
// participant_id), never by filtering the pending ones (migration 0015). A create that
// inserts one row of a person's table leaves its event to the trigger instead (Created).
func Record(ctx context.Context, tx pgx.Tx, orgID, participantID, entity, entityID string, op Op) error {
	var eid any
	if entityID != "" {
		eid = entityID
	}
	audit.Touched(ctx, entity, entityID, participantID)
	// Queued: it goes to the server with the transaction's next statement or its COMMIT
	// (db.Queue), in order, so no round trip of its own.
	return db.Queue(ctx, tx, "record change", nil, recordSQL, orgID, participantID, entity, eid, string(op))
}

// recordSQL is Record's statement: the application's event for a change, taking over
// the trigger's event of this transaction for the person if there is one, else added.
const recordSQL = `WITH taken AS (
		UPDATE change_event SET organisation_id = $1, entity = $3::text, entity_id = $4::uuid, op = $5::text, by_trigger = false
		WHERE id = (SELECT id FROM change_event WHERE xact = pg_current_xact_id() AND participant_id = $2
			AND by_trigger LIMIT 1)
		RETURNING id)
	INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
	SELECT $1, $2, $3::text, $4::uuid, $5::text WHERE NOT EXISTS (SELECT 1 FROM taken)`

// Created is the change event of a create that inserts one row of a person's table (a
// participant, or a row with its participant_id): the table's outbox trigger
// (outbox_person_rows, migration 0015) writes, after the INSERT and within its
// statement, the very event Record would (the person, the table as the entity, the new
// row's id, op create), unless the transaction has one for the person already. So the
// create sends no statement for it: the application's event as CTEs of the INSERT's
// statement cost PostgreSQL more than the trigger's for the same row (medians of
// interleaved runs: 0.1 ms more per createParticipant, 0.5 ms per createEnrolment;
// docs/BENCHMARKS.md). A refused INSERT writes no row and so no
// event. Created tells the audit log who wrote whom (audit.Touched), as Record does.
func Created(ctx context.Context, table, rowID, participantID string) {
	audit.Touched(ctx, table, rowID, participantID)
}

// RecordParticipants adds one change event per participant, each the participant
// itself as entity, in one statement (bulk imports).
func RecordParticipants(ctx context.Context, tx pgx.Tx, orgID string, participantIDs []string, op Op) error {
	// The outbox trigger may have queued events for these rows already: take those over
	// (as Record does) and add the rest, in one statement.
	if _, err := tx.Exec(ctx, `WITH taken AS (
			UPDATE change_event SET organisation_id = $1, entity = 'participant', entity_id = participant_id, op = $3, by_trigger = false
			WHERE xact = pg_current_xact_id() AND by_trigger AND participant_id = ANY($2::uuid[])
			RETURNING participant_id)
		INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		SELECT $1, u.id, 'participant', u.id, $3 FROM unnest($2::uuid[]) AS u(id)
		WHERE u.id NOT IN (SELECT participant_id FROM taken)`, orgID, participantIDs, string(op)); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	for _, id := range participantIDs {
		audit.Touched(ctx, "participant", id, id)
	}
	return nil
}
