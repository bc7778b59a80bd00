package recruitment

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

// InterviewsByParticipants loads these participants' interviews in one statement (dataloader).
func (s *Store) InterviewsByParticipants(ctx context.Context, participantIDs []string) ([]Interview, error) {
	return nil, errors.New("not implemented")
}

// EventsByIDs loads events by id in one statement (dataloader).
func (s *Store) EventsByIDs(ctx context.Context, ids []string) ([]Event, error) {
	return nil, errors.New("not implemented")
}
