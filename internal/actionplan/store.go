package actionplan

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes this package's records in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

// PlansByParticipants loads these participants' plans with their steps in a constant number of statements (dataloader).
func (s *Store) PlansByParticipants(ctx context.Context, participantIDs []string) ([]Plan, error) {
	return nil, errors.New("not implemented")
}

// FollowUpsByParticipants loads these participants' follow-up meetings in one statement, by date (dataloader).
func (s *Store) FollowUpsByParticipants(ctx context.Context, participantIDs []string) ([]FollowUp, error) {
	return nil, errors.New("not implemented")
}
