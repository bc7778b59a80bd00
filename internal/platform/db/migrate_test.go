package db_test

import (
	"context"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func TestMigrationsDownAndUpAgain(t *testing.T) {
	pool := testenv.Postgres(t) // migrated up
	ctx := context.Background()
	tables := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	up := tables()
	if up == 0 {
		t.Fatal("no tables after migrating up")
	}
	if again, err := db.Migrate(ctx, pool); err != nil || len(again) != 0 {
		t.Fatalf("second up applied %v, err %v; want nothing", again, err)
	}
	reverted, err := db.MigrateDown(ctx, pool, 0)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if len(reverted) == 0 || tables() != 0 {
		t.Fatalf("after down: reverted %v, %d tables left", reverted, tables())
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if got := tables(); got != up {
		t.Fatalf("up again: %d tables, want %d", got, up)
	}
}
