package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/migrations"
)

// migrationLock serialises concurrent migrators (two binaries starting at once).
const migrationLock = 7361001

type migration struct {
	version  int
	name     string
	up, down string
}

// checksum identifies the up file's content. Only the up file counts: what it did is
// what the database holds; a down file may still be corrected.
func (m migration) checksum() string {
	sum := sha256.Sum256([]byte(m.up))
	return hex.EncodeToString(sum[:])
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "postgres")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		name := e.Name()
		var dir string
		switch {
		case strings.HasSuffix(name, ".up.sql"):
			dir = "up"
		case strings.HasSuffix(name, ".down.sql"):
			dir = "down"
		default:
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version prefix", name)
		}
		body, err := fs.ReadFile(fsys, "postgres/"+name)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: strings.TrimSuffix(strings.TrimSuffix(name, ".up.sql"), ".down.sql")}
			byVersion[v] = m
		}
		if dir == "up" {
			m.up = string(body)
		} else {
			m.down = string(body)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("migration %s needs both an up and a down file", m.name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every pending up migration, each in its own transaction.
// It returns the versions applied. It refuses to run when an applied migration's file
// has changed since (its checksum differs from the one recorded).
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	return migrateTo(ctx, pool, migrations.Postgres, -1, -1)
}

// MigrateUpTo applies the pending migrations up to and including target.
func MigrateUpTo(ctx context.Context, pool *pgxpool.Pool, target int) ([]int, error) {
	return migrateTo(ctx, pool, migrations.Postgres, -1, target)
}

// MigrateDown rolls back every migration above target (0 = all).
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, target int) ([]int, error) {
	return migrateTo(ctx, pool, migrations.Postgres, target, -1)
}

// ChangedMigrationError says an applied migration's file is no longer what was applied.
type ChangedMigrationError struct {
	Name               string
	Recorded, Computed string
}

func (e *ChangedMigrationError) Error() string {
	return fmt.Sprintf("migration %s was changed after it was applied (recorded checksum %.12s, file now %.12s): "+
		"restore the file and put the change in a new migration", e.Name, e.Recorded, e.Computed)
}

// firstChanged returns a ChangedMigrationError for the first migration whose recorded
// checksum (version -> checksum; "" recorded before checksums existed) is not its
// file's.
func firstChanged(all []migration, recorded map[int]string) error {
	for _, m := range all {
		if sum := recorded[m.version]; sum != "" && sum != m.checksum() {
			return &ChangedMigrationError{Name: m.name, Recorded: sum, Computed: m.checksum()}
		}
	}
	return nil
}

// CheckRecorded says whether Migrate can bring a database whose schema_migrations
// records these checksums (version -> checksum) up to this release: an error when a
// migration it applied is not this release's file (Migrate would refuse it). For
// checking a backup before anything of it is restored.
func CheckRecorded(recorded map[int]string) error {
	all, err := loadMigrations(migrations.Postgres)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	return firstChanged(all, recorded)
}

func migrateTo(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, downTo, upTo int) ([]int, error) {
	all, err := loadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text`); err != nil {
		return nil, fmt.Errorf("add schema_migrations.checksum: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version, coalesce(checksum, '') FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	recorded := map[int]string{}
	for rows.Next() {
		var v int32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		applied[int(v)], recorded[int(v)] = true, sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every applied file must be what was applied; migrations recorded before checksums
	// existed take their file's checksum now.
	if err := firstChanged(all, recorded); err != nil {
		return nil, err
	}
	for _, m := range all {
		if applied[m.version] && recorded[m.version] == "" {
			if _, err := conn.Exec(ctx, `UPDATE schema_migrations SET checksum = $2 WHERE version = $1`, m.version, m.checksum()); err != nil {
				return nil, fmt.Errorf("record checksum of %s: %w", m.name, err)
			}
		}
	}
	var done []int
	if downTo < 0 {
		for _, m := range all {
			if applied[m.version] || (upTo >= 0 && m.version > upTo) {
				continue
			}
			if err := WithTx(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, m.up); err != nil {
					return fmt.Errorf("apply %s: %w", m.name, err)
				}
				_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
					m.version, m.name, m.checksum())
				return err
			}); err != nil {
				return done, err
			}
			done = append(done, m.version)
		}
		return done, nil
	}
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		if m.version <= downTo || !applied[m.version] {
			continue
		}
		if err := WithTx(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.down); err != nil {
				return fmt.Errorf("revert %s: %w", m.name, err)
			}
			_, err := tx.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", m.version)
			return err
		}); err != nil {
			return done, err
		}
		done = append(done, m.version)
	}
	return done, nil
}
