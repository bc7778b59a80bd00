package db

import (
	"fmt"

	"github.com/arbetsmarknad/outcomes/migrations"
)

// LatestMigration is the highest PostgreSQL migration this binary carries: a backup
// taken at a newer schema cannot be restored by it.
func LatestMigration() (int, error) {
	all, err := loadMigrations(migrations.Postgres)
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	if len(all) == 0 {
		return 0, nil
	}
	return all[len(all)-1].version, nil
}
