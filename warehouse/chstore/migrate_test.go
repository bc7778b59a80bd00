package chstore_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/migrations"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// TestMigrationFilesRunTwice: every ClickHouse migration can run again over itself
// (after a crash before its version row, or a retried file) without failing.
func TestMigrationFilesRunTwice(t *testing.T) {
	conn, _ := testenv.ClickHouse(t) // migrated once already
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := chstore.ApplyFile(context.Background(), conn, string(body)); err != nil {
			t.Errorf("%s applied a second time: %v", e.Name(), err)
		}
	}
}

// TestChangedClickHouseMigrationIsRefused: an applied file whose content changed stops
// the runner with a message naming it, before anything else runs.
func TestChangedClickHouseMigrationIsRefused(t *testing.T) {
	t.Parallel()
	conn, _ := testenv.ClickHouse(t) // migrated, checksums recorded
	changed := copyMigrations(t, func(name string, body []byte) []byte {
		if strings.HasPrefix(name, "0001_") {
			return append(body, []byte("\n-- edited after the fact\n")...)
		}
		return body
	})
	changed["clickhouse/9999_later.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS later (x UInt8) ENGINE = Memory;\n")}
	applied, err := chstore.MigrateFrom(context.Background(), conn, changed)
	var ce *chstore.ChangedMigrationError
	if !errors.As(err, &ce) || ce.Name != "0001_snapshots" || len(applied) != 0 {
		t.Fatalf("applied %v, err %v; want 0001_snapshots refused and nothing applied", applied, err)
	}
	t.Logf("refused: %v", err)
	if again, err := chstore.Migrate(context.Background(), conn); err != nil || len(again) != 0 {
		t.Errorf("unchanged files: applied %v, err %v", again, err)
	}
}

// TestClickHouseAltersChangeOneColumnEach: every shipped migration keeps to one column
// per ALTER, and the runner refuses a file that does not, recording nothing.
func TestClickHouseAltersChangeOneColumnEach(t *testing.T) {
	t.Parallel()
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := chstore.OneColumnPerAlter(chstore.SplitStatements(string(body))); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
	conn, _ := testenv.ClickHouse(t)
	bad := copyMigrations(t, func(_ string, body []byte) []byte { return body })
	bad["clickhouse/9998_two_columns.sql"] = &fstest.MapFile{Data: []byte(
		"ALTER TABLE enrolment_outcome\n    ADD COLUMN extra_a String DEFAULT '',\n    ADD COLUMN extra_b String DEFAULT '';\n")}
	if applied, err := chstore.MigrateFrom(context.Background(), conn, bad); err == nil || len(applied) != 0 ||
		!strings.Contains(err.Error(), "one ALTER per column") {
		t.Fatalf("two-column ALTER: applied %v, err %v", applied, err)
	}
	var recorded uint64
	if err := conn.QueryRow(context.Background(), `SELECT count() FROM schema_migrations WHERE version = 9998`).Scan(&recorded); err != nil || recorded != 0 {
		t.Errorf("the refused file was recorded (%d rows, %v)", recorded, err)
	}
}

func copyMigrations(t *testing.T, edit func(name string, body []byte) []byte) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out["clickhouse/"+e.Name()] = &fstest.MapFile{Data: edit(e.Name(), append([]byte(nil), body...))}
	}
	return out
}
