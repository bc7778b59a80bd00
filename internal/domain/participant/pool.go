package participant

import "github.com/jackc/pgx/v5/pgxpool"

// Pool is the store's connection pool, for bulk work that spans participants and their
// attributes in one transaction (the CSV import).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
