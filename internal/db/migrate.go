package db

import (
	"context"
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

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations.Postgres, "postgres")
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
		body, err := fs.ReadFile(migrations.Postgres, "postgres/"+name)
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
// It returns the versions applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	return migrateTo(ctx, pool, -1)
}

// MigrateDown rolls back every migration above target (0 = all).
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, target int) ([]int, error) {
	return migrateTo(ctx, pool, target)
}

func migrateTo(ctx context.Context, pool *pgxpool.Pool, downTo int) ([]int, error) {
	all, err := loadMigrations()
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
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		applied[int(v)] = true
	}
	var done []int
	if downTo < 0 {
		for _, m := range all {
			if applied[m.version] {
				continue
			}
			if err := WithTx(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, m.up); err != nil {
					return fmt.Errorf("apply %s: %w", m.name, err)
				}
				_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
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
