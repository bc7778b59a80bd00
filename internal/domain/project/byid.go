package project

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// TargetByID loads one target (Relay's node(id)); other organisations' targets are
// NOT_FOUND (row-level security).
func (s *Store) TargetByID(ctx context.Context, id string) (Target, error) {
	if !db.IsUUID(id) {
		return Target{}, apperr.NotFoundf("id", "target not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+targetColumns+` FROM target WHERE id = $1`, id)
	if err != nil {
		return Target{}, fmt.Errorf("load target: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTarget)
	if db.IsNoRows(err) {
		return t, apperr.NotFoundf("id", "target not found")
	}
	return t, err
}
