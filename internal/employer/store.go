package employer

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

// ByIDs loads employers by id in one statement (dataloader).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Employer, error) {
	return nil, errors.New("not implemented")
}

// ContactsOf loads the contacts of these employers in one statement (dataloader).
func (s *Store) ContactsOf(ctx context.Context, employerIDs []string) ([]Contact, error) {
	return nil, errors.New("not implemented")
}

// NotesOf loads the notes of these employers in one statement, newest first (dataloader).
func (s *Store) NotesOf(ctx context.Context, employerIDs []string) ([]Note, error) {
	return nil, errors.New("not implemented")
}
