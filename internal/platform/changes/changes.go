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
	"strconv"
	"strings"

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

// Record adds one change event inside tx. The database's outbox triggers queue an event
// for every person a statement touched that has none yet in the transaction (so that
// changes made in SQL outside the API reach the warehouse too; migrations 0004, 0015).
// Recorded after the write, the application's own event, which names the entity it
// changed, takes over such an event of this transaction instead of adding a second one
// (an UPDATE of the trigger's row); recorded before the write (a create that makes its
// row's id, db.NewID), it is the one the trigger then finds, so the outbox row is
// written once. Either way the transaction's own events are found by
// change_event_xact_idx (xact, participant_id), never by filtering the pending ones
// (migration 0015).
func Record(ctx context.Context, tx pgx.Tx, orgID, participantID, entity, entityID string, op Op) error {
	// Queued: it goes to the server with the transaction's next statement or its COMMIT
	// (db.Queue), in order, so no round trip of its own. The statement is RecordWith's
	// with nothing written after its CTEs, so the rule is written once.
	sql, args := RecordWith(ctx, orgID, participantID, entity, entityID, op, "SELECT 1", nil)
	return db.Queue(ctx, tx, "record change", nil, sql, args...)
}

// recordCTE is the statement of Record and RecordWith, as the CTEs of another: the
// application's event for a change, taking over the trigger's event of this transaction
// for the person if there is one, else added; {org} … {op} are the positions of its five
// parameters. It also tells the audit log who wrote whom (audit.Touched).
const recordCTE = `WITH taken AS (
		UPDATE change_event SET organisation_id = ${org}, entity = ${entity}, entity_id = ${id}, op = ${op}, by_trigger = false
		WHERE id = (SELECT id FROM change_event WHERE xact = pg_current_xact_id() AND participant_id = ${person}
			AND by_trigger LIMIT 1)
		RETURNING id),
	recorded AS (INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		SELECT ${org}, ${person}, ${entity}, ${id}, ${op} WHERE NOT EXISTS (SELECT 1 FROM taken)) `

// RecordWith is Record for a create whose own statement, write (an INSERT or, for
// Record itself, a SELECT, not beginning with WITH, with the parameters args), writes
// the change: it returns write
// with the event's statement as CTEs in front, and args with theirs after, so that the
// event and the row cost one statement. A CTE runs with the statement's snapshot, as
// Record queued before the write ran before it; the outbox trigger, which fires after
// the statement, finds the event and adds none. If write fails, the statement and the
// event with it do.
func RecordWith(ctx context.Context, orgID, participantID, entity, entityID string, op Op, write string, args []any) (string, []any) {
	var eid any
	if entityID != "" {
		eid = entityID
	}
	n := len(args)
	pos := func(i int) string { return "$" + strconv.Itoa(n+i) }
	cte := strings.NewReplacer("${org}", pos(1), "${person}", pos(2), "${entity}", pos(3)+"::text", "${id}", pos(4)+"::uuid",
		"${op}", pos(5)+"::text").Replace(recordCTE)
	audit.Touched(ctx, entity, entityID, participantID)
	return cte + write, append(args, orgID, participantID, entity, eid, string(op))
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
