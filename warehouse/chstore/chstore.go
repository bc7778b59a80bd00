// Package chstore is the ClickHouse adapter: connection, schema migrations, and the
// versioned row writes and reads the loader needs. Everything here runs on ClickHouse
// 18.16 and on a current server: rows are inserted only through PrepareBatch with a
// column list, and every call carries a deadline.
package chstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/migrations"
)

// Migrate applies the pending ClickHouse migrations. goose and golang-migrate trip over
// 18.16, so this small runner keeps its version table itself (written via PrepareBatch).
// It refuses an applied file that has changed since (its checksum is recorded) and a
// file whose ALTER changes more than one column, and records a file only after every
// one of its statements succeeded.
func Migrate(ctx context.Context, conn driver.Conn) ([]int, error) {
	return migrate(ctx, conn, migrations.ClickHouse)
}

// ChangedMigrationError says an applied migration's file is no longer what was applied.
type ChangedMigrationError struct {
	Name               string
	Recorded, Computed string
}

func (e *ChangedMigrationError) Error() string {
	return fmt.Sprintf("clickhouse migration %s was changed after it was applied (recorded checksum %.12s, file now %.12s): "+
		"restore the file and put the change in a new migration", e.Name, e.Recorded, e.Computed)
}

// correctedComments are the checksums files had before only their comments were
// corrected (no statement changed): a warehouse that recorded one of them has applied
// what the file says now.
var correctedComments = map[string][]string{
	// Issue #17: their comments on enrolment_outcome (read with FINAL, deduplicated)
	// were no longer true once migration 0011 recreated the table.
	"0001_snapshots":       {"92d435faf8ab0d5dea5f247c33f7b1169bb8084be11d0926c01170df1ff00331"},
	"0002_enrolment_facts": {"bb2ac792007e5a686405126ee1071f6c2c799617985c4baee1449e6e2e82d16b"},
}

func checksum(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func migrate(ctx context.Context, conn driver.Conn, fsys fs.FS) ([]int, error) {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	if err := conn.Exec(cctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := applyStatements(ctx, conn, []string{`ALTER TABLE schema_migrations ADD COLUMN checksum String DEFAULT ''`}); err != nil {
		return nil, fmt.Errorf("add schema_migrations.checksum: %w", err)
	}
	// A version may have several rows (a checksum recorded later); any non-empty one is it.
	recorded := map[int]string{}
	rows, err := conn.Query(cctx, "SELECT version, max(checksum) FROM schema_migrations GROUP BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		recorded[int(v)] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	files, err := readFiles(fsys)
	if err != nil {
		return nil, err
	}
	// Check everything before changing anything.
	for _, f := range files {
		sum, applied := recorded[f.version]
		switch {
		case applied && sum != "" && sum != f.checksum && !slices.Contains(correctedComments[f.name], sum):
			return nil, &ChangedMigrationError{Name: f.name, Recorded: sum, Computed: f.checksum}
		case !applied:
			if err := oneColumnPerAlter(f.statements); err != nil {
				return nil, fmt.Errorf("clickhouse migration %s: %w", f.name, err)
			}
		}
	}
	var done []int
	for _, f := range files {
		sum, applied := recorded[f.version]
		if applied && sum != "" {
			continue
		}
		if !applied {
			if err := applyFile(ctx, conn, f.statements); err != nil {
				return done, fmt.Errorf("clickhouse migration %s: %w", f.name, err)
			}
		}
		// Applied now, or applied before checksums were recorded: record (the checksum).
		if err := record(ctx, conn, f); err != nil {
			return done, fmt.Errorf("record clickhouse migration %s: %w", f.name, err)
		}
		if !applied {
			done = append(done, f.version)
		}
	}
	// A new warehouse has no rows that a "rebuild: required" migration could have changed
	// the meaning of: it counts as rebuilt at the version it was created with, so the
	// loader does not refuse to fill it.
	if len(recorded) == 0 && len(done) > 0 && slices.ContainsFunc(files, func(f migrationFile) bool { return f.rebuild }) {
		if err := recordNewWarehouse(ctx, conn, slices.Max(done)); err != nil {
			return done, fmt.Errorf("record new warehouse: %w", err)
		}
	}
	return done, nil
}

func recordNewWarehouse(ctx context.Context, conn driver.Conn, version int) error {
	return onFreshConnection(func() error { return recordNewWarehouseOnce(ctx, conn, version) })
}

func recordNewWarehouseOnce(ctx context.Context, conn driver.Conn, version int) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	batch, err := conn.PrepareBatch(cctx, "INSERT INTO warehouse_rebuild (finished_at, schema_version, participants, rows)")
	if err != nil {
		return err
	}
	if err := batch.Append(time.Now().UTC(), uint32(version), uint64(0), uint64(0)); err != nil {
		return err
	}
	return batch.Send()
}

type migrationFile struct {
	version    int
	name       string
	checksum   string
	statements []string
	rebuild    bool // the file says RebuildMarker
}

func readFiles(fsys fs.FS) ([]migrationFile, error) {
	entries, err := fs.ReadDir(fsys, "clickhouse")
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []migrationFile
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("clickhouse migration %s: bad version prefix", name)
		}
		body, err := fs.ReadFile(fsys, "clickhouse/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migrationFile{version: v, name: strings.TrimSuffix(name, ".sql"), checksum: checksum(body),
			statements: splitStatements(string(body)), rebuild: saysRebuild(string(body))})
	}
	return out, nil
}

func record(ctx context.Context, conn driver.Conn, f migrationFile) error {
	return onFreshConnection(func() error { return recordOnce(ctx, conn, f) })
}

// onFreshConnection runs an insert again, once, when the pooled connection it was given
// had been closed under it (seen after a migration's DDL on a loaded server: "use of
// closed network connection"). The driver drops a closed connection from its pool, so
// the second try runs on a fresh one; the inserts it guards are bookkeeping rows whose
// readers take the latest, so a duplicate is harmless.
func onFreshConnection(insert func() error) error {
	err := insert()
	if err != nil && (errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection")) {
		err = insert()
	}
	return err
}

func recordOnce(ctx context.Context, conn driver.Conn, f migrationFile) error {
	bctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	batch, err := conn.PrepareBatch(bctx, "INSERT INTO schema_migrations (version, name, applied_at, checksum)")
	if err != nil {
		return err
	}
	if err := batch.Append(uint32(f.version), f.name, time.Now().UTC(), f.checksum); err != nil {
		return err
	}
	return batch.Send()
}

var columnChange = regexp.MustCompile(`(?i)\b(ADD|DROP|MODIFY|CLEAR|COMMENT|RENAME)\s+COLUMN\b`)

// oneColumnPerAlter refuses an ALTER that changes several columns: 18.16 fails such a
// statement as a whole when one column already exists, which a rerun cannot tell from
// success.
func oneColumnPerAlter(statements []string) error {
	for _, stmt := range statements {
		if n := len(columnChange.FindAllString(stmt, -1)); n > 1 {
			first, _, _ := strings.Cut(stmt, "\n")
			return fmt.Errorf("%q changes %d columns in one statement: write one ALTER per column", first, n)
		}
	}
	return nil
}

// applyFile runs a migration's statements. They are idempotent (IF NOT EXISTS; an
// ADD COLUMN that finds its column already there counts as done), so a crash between
// them and the version row is repaired by running the file again; and a file that
// fails (ClickHouse 18.16 under concurrent DDL now and then answers a fresh table's
// ALTER with "doesn't exist") is run again from the top, up to three times.
func applyFile(ctx context.Context, conn driver.Conn, statements []string) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
		}
		if err = applyStatements(ctx, conn, statements); err == nil {
			return nil
		}
	}
	return err
}

func applyStatements(ctx context.Context, conn driver.Conn, statements []string) error {
	for _, stmt := range statements {
		sctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(sctx, stmt)
		cancel()
		var ex *clickhouse.Exception
		if errors.As(err, &ex) && columnExists(ex) {
			continue // applied by an earlier run of the file
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// columnExists recognises "the column is already there": DUPLICATE_COLUMN (15) on
// current servers, ILLEGAL_COLUMN (44) "already exists" on 18.16.
func columnExists(ex *clickhouse.Exception) bool {
	return ex.Code == 15 || (ex.Code == 44 && strings.Contains(ex.Message, "already exists"))
}

// splitStatements splits a file on semicolons at line ends, dropping comment lines.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Recreate drops the warehouse tables and creates them again from the migrations, for
// a rebuild from scratch. A loader writing meanwhile fails and retries its batch. The
// pre-aggregate's view goes first, so that nothing feeds enrolment_figures while it is
// dropped; migration 0012 makes both again, empty, and the rebuild's writes fill them.
func Recreate(ctx context.Context, conn driver.Conn) error {
	for _, table := range []string{"enrolment_figures_mv", "enrolment_figures", "participant_month", "enrolment_outcome"} {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(cctx, "DROP TABLE IF EXISTS "+table)
		cancel()
		if err != nil {
			return fmt.Errorf("drop %s: %w", table, err)
		}
	}
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		return err
	}
	for _, e := range entries {
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+e.Name())
		if err != nil {
			return err
		}
		for _, stmt := range splitStatements(string(body)) {
			cctx, cancel := context.WithTimeout(ctx, CallTimeout)
			err := conn.Exec(cctx, stmt)
			cancel()
			if err != nil {
				return fmt.Errorf("recreate from %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}
