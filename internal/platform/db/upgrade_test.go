package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestUpgradeFromEveryRelease: for every released schema (testdata/upgrade/NNNN.sql
// holds data as the release ending at migration NNNN wrote it), a database at that
// schema holding that data takes every later migration in order, keeps every row of
// every column it had, and the current code reads it: participants load, the audit log
// stays append-only, and the warehouse rebuilt from it reconciles. When a release is
// cut, add its data file here.
func TestUpgradeFromEveryRelease(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "upgrade", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no release data in testdata/upgrade: %v", err)
	}
	for _, file := range files {
		release, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(file), ".sql"))
		if err != nil {
			t.Fatalf("%s: name it after the release's last migration", file)
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := testenv.Postgres(t)
			if _, err := db.MigrateDown(ctx, pool, release); err != nil {
				t.Fatalf("down to release %d: %v", release, err)
			}
			var at int
			if err := pool.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&at); err != nil || at != release {
				t.Fatalf("schema at %d (%v), want %d", at, err, release)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, string(body)); err != nil {
				t.Fatalf("load release %d data: %v", release, err)
			}
			cols := columnsOf(t, pool)
			before := rowDigests(t, pool, cols)

			applied, err := db.Migrate(ctx, pool)
			if err != nil {
				t.Fatalf("upgrade from %d: %v", release, err)
			}
			if len(applied) == 0 {
				t.Fatalf("nothing to apply after release %d", release)
			}
			t.Logf("release %d: applied %v over %d tables holding data", release, applied, len(before))
			if diff := cmp.Diff(before, rowDigests(t, pool, cols)); diff != "" {
				t.Fatalf("rows changed by the upgrade (-before +after):\n%s", diff)
			}

			// The current code reads the upgraded data.
			p, err := participant.NewStore(pool).Get(ctx, "11111111-0000-0000-0000-0000000000d1")
			if err != nil || p.Gender != participant.Woman {
				t.Fatalf("participant after upgrade: %+v, %v", p, err)
			}
			if _, err := pool.Exec(ctx, `UPDATE audit_log SET subject = 'x'`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("audit_log after upgrade: update gave %v, want append-only", err)
			}
			var stray int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log_default`).Scan(&stray); err != nil || stray != 0 {
				t.Fatalf("%d old audit rows without their month's partition (%v)", stray, err)
			}
			conn, _ := testenv.ClickHouse(t)
			l := &loader.Loader{PG: pool, CH: conn, Keys: pseudonym.New([]byte("upgrade-test-pseudonym-key"))}
			st, err := l.Rebuild(ctx, loader.RebuildOptions{})
			if err != nil || st.Participants != 2 || st.Rows == 0 {
				t.Fatalf("rebuild after upgrade: %+v, %v", st, err)
			}
			diffs, _, err := l.Reconcile(ctx, "")
			if err != nil || len(diffs) != 0 {
				t.Fatalf("reconcile after upgrade: %v, %v", diffs, err)
			}
		})
	}
}

// columnsOf lists every table's columns (partitions left out: their parent holds them).
func columnsOf(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT c.relname::text, a.attname::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations'
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	return out
}

// rowDigests is each table's rows over the given columns, as sorted text.
func rowDigests(t *testing.T, pool *pgxpool.Pool, cols map[string][]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, cs := range cols {
		idents := make([]string, len(cs))
		for i, c := range cs {
			idents[i] = pgx.Identifier{c}.Sanitize()
		}
		rows, err := pool.Query(context.Background(), `SELECT row(`+strings.Join(idents, ", ")+`)::text AS r FROM `+
			pgx.Identifier{table}.Sanitize()+` ORDER BY 1`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		if len(got) > 0 {
			out[table] = got
		}
	}
	return out
}

// TestReleasedMigrationsUnchanged: a released migration is never edited (databases in
// production already ran it; a change would never reach them): released.sha256 lists
// every released migration with its checksum. A schema change is a new migration.
// What landed on main is released (a deployment may run any landed commit): append a
// stop's new migrations when it lands (sha256sum in migrations/). Listed: PostgreSQL
// 0001–0020 and ClickHouse 0001–0012, as landed by 2026-12-02's last stop.
func TestReleasedMigrationsUnchanged(t *testing.T) {
	list, err := os.ReadFile(filepath.Join("testdata", "upgrade", "released.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(list)), "\n")
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		body, err := os.ReadFile(filepath.Join("..", "..", "..", "migrations", name))
		if err != nil {
			t.Fatalf("released migration %s: %v", name, err)
		}
		if got := sha256.Sum256(body); hex.EncodeToString(got[:]) != sum {
			t.Errorf("released migration %s was edited: write a new migration instead", name)
		}
	}
	if len(lines) < 3 {
		t.Fatalf("only %d released migrations listed", len(lines))
	}
}
