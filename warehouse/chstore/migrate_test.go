package chstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

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

// TestCorrectedCommentsAreAccepted: a warehouse that applied 0001 and 0002 before their
// comments were corrected (issue #17) recorded the earlier text's checksums; the runner
// accepts those and applies nothing, while any other difference is still refused (see
// TestChangedClickHouseMigrationIsRefused).
func TestCorrectedCommentsAreAccepted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := testenv.ClickHouseOptions(t)
	o.Database += "_old"
	conn, err := chstore.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Cleanup(func() { chstore.DropDatabase(context.Background(), o) }) //nolint:errcheck
	if err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version UInt32, name String, applied_at DateTime, checksum String)
		ENGINE = MergeTree ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	former := map[string]string{
		"0001_snapshots.sql":       "92d435faf8ab0d5dea5f247c33f7b1169bb8084be11d0926c01170df1ff00331",
		"0002_enrolment_facts.sql": "bb2ac792007e5a686405126ee1071f6c2c799617985c4baee1449e6e2e82d16b",
	}
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at, checksum)")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		recorded := hex.EncodeToString(sum[:])
		if f, ok := former[e.Name()]; ok {
			if f == recorded {
				t.Fatalf("%s: the former checksum is the file's own", e.Name())
			}
			recorded = f
		}
		v, _ := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err := batch.Append(uint32(v), strings.TrimSuffix(e.Name(), ".sql"), time.Now().UTC(), recorded); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	if applied, err := chstore.Migrate(ctx, conn); err != nil || len(applied) != 0 {
		t.Fatalf("applied %v, err %v; want nothing applied and no error", applied, err)
	}
}
