package db

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// StaleOrMissing explains why a versioned UPDATE ... WHERE id = $1 AND version = $2
// touched no row: the row is gone (or invisible to this tenant), or its version moved on.
// table is a constant of the caller's, never input.
func StaleOrMissing(ctx context.Context, q pgx.Tx, table, id string, what string) error {
	var version int
	err := q.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&version)
	if IsNoRows(err) {
		return apperr.NotFoundf("input.id", "%s not found", what)
	}
	if err != nil {
		return err
	}
	return apperr.Conflictf("input.version", "%s was changed by someone else (now version %d); reload and try again", what, version)
}
