// Package changes writes the transactional outbox: every write to a participant's history
// records a change event in the same transaction, which the loader turns into warehouse
// rows. Nothing else may write to change_event.
package changes

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/audit"
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

// Record adds one change event inside tx.
func Record(ctx context.Context, tx pgx.Tx, orgID, participantID, entity, entityID string, op Op) error {
	var eid any
	if entityID != "" {
		eid = entityID
	}
	_, err := tx.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		VALUES ($1, $2, $3, $4, $5)`, orgID, participantID, entity, eid, string(op))
	if err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	// The same change is who-wrote-whom for the audit log (written in this transaction).
	audit.Touched(ctx, entity, entityID, participantID)
	return nil
}
