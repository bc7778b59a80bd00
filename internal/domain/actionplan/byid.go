package actionplan

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// PlanByID loads one plan with its steps (Relay's node(id)); row-level security hides
// other organisations' plans, which are NOT_FOUND.
func (s *Store) PlanByID(ctx context.Context, id string) (Plan, error) {
	if !db.IsUUID(id) {
		return Plan{}, apperr.NotFoundf("id", "action plan not found")
	}
	var participantID string
	err := s.pool.QueryRow(ctx, `SELECT participant_id FROM action_plan WHERE id = $1`, id).Scan(&participantID)
	if db.IsNoRows(err) {
		return Plan{}, apperr.NotFoundf("id", "action plan not found")
	}
	if err != nil {
		return Plan{}, fmt.Errorf("load action plan: %w", err)
	}
	plans, err := plansOf(ctx, s.pool, []string{participantID})
	if err != nil {
		return Plan{}, fmt.Errorf("load action plan: %w", err)
	}
	for _, p := range plans {
		if p.ID == id {
			return p, nil
		}
	}
	return Plan{}, apperr.NotFoundf("id", "action plan not found")
}

// FollowUpByID loads one follow-up meeting (Relay's node(id)).
func (s *Store) FollowUpByID(ctx context.Context, id string) (FollowUp, error) {
	if !db.IsUUID(id) {
		return FollowUp{}, apperr.NotFoundf("id", "follow-up not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+followUpColumns+` FROM follow_up WHERE id = $1`, id)
	if err != nil {
		return FollowUp{}, fmt.Errorf("load follow-up: %w", err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFollowUp)
	if db.IsNoRows(err) {
		return f, apperr.NotFoundf("id", "follow-up not found")
	}
	return f, err
}
