package outcome

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Get loads one observation (Relay's node(id)); row-level security hides other
// organisations' observations, which are NOT_FOUND.
func (s *Store) Get(ctx context.Context, id string) (Observation, error) {
	if !db.IsUUID(id) {
		return Observation{}, apperr.NotFoundf("id", "observation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM outcome_observation WHERE id = $1`, id)
	if err != nil {
		return Observation{}, fmt.Errorf("load observation: %w", err)
	}
	o, err := pgx.CollectExactlyOneRow(rows, scan)
	if db.IsNoRows(err) {
		return o, apperr.NotFoundf("id", "observation not found")
	}
	return o, err
}
