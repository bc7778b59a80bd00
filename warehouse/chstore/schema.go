package chstore

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/migrations"
)

// RebuildMarker is the line a ClickHouse migration carries when the rows already in the
// warehouse must be rebuilt from PostgreSQL after it (it changes what a column means,
// or adds one that old rows leave empty).
const RebuildMarker = "-- rebuild: required"

// Schema describes the embedded ClickHouse migrations.
type Schema struct {
	Latest       int   // the highest migration version this binary carries
	NeedsRebuild []int // versions that say RebuildMarker
}

// EmbeddedSchema reads the migrations compiled into this binary.
func EmbeddedSchema() (Schema, error) {
	var s Schema
	entries, err := fs.ReadDir(migrations.ClickHouse, "clickhouse")
	if err != nil {
		return s, err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return s, fmt.Errorf("clickhouse migration %s: bad version prefix", name)
		}
		body, err := fs.ReadFile(migrations.ClickHouse, "clickhouse/"+name)
		if err != nil {
			return s, err
		}
		s.Latest = max(s.Latest, v)
		if saysRebuild(string(body)) {
			s.NeedsRebuild = append(s.NeedsRebuild, v)
		}
	}
	return s, nil
}

// saysRebuild reports whether a migration file carries RebuildMarker on a line.
func saysRebuild(body string) bool {
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == RebuildMarker {
			return true
		}
	}
	return false
}

// WarehouseState is what the warehouse records about its schema and rebuilds.
type WarehouseState struct {
	Version     int // highest applied migration (0: none)
	LastRebuild int // schema version of the last completed full rebuild (0: none)
}

// ReadState reads the warehouse's applied migrations and last rebuild.
func ReadState(ctx context.Context, conn driver.Conn) (WarehouseState, error) {
	var st WarehouseState
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	var exists uint8
	if err := conn.QueryRow(cctx, `SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return st, fmt.Errorf("read warehouse schema: %w", err)
	}
	if exists == 0 {
		return st, nil
	}
	var v uint32
	if err := conn.QueryRow(cctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return st, fmt.Errorf("read warehouse schema version: %w", err)
	}
	st.Version = int(v)
	if err := conn.QueryRow(cctx, `SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'warehouse_rebuild'`).Scan(&exists); err != nil {
		return st, err
	}
	if exists == 1 {
		var r uint32
		if err := conn.QueryRow(cctx, `SELECT max(schema_version) FROM warehouse_rebuild`).Scan(&r); err != nil {
			return st, fmt.Errorf("read warehouse rebuilds: %w", err)
		}
		st.LastRebuild = int(r)
	}
	return st, nil
}

// Check says whether code built with schema s may run against a warehouse in state st:
// never against an older schema (its inserts would name columns the tables lack), nor
// after a migration that needs a rebuild until one has completed.
func (s Schema) Check(st WarehouseState) error {
	if st.Version < s.Latest {
		return fmt.Errorf("the warehouse schema is at version %d, older than this loader's %d: run `outcomesctl migrate` first (then `outcomesctl rebuild -fresh` if it says a rebuild is needed)", st.Version, s.Latest)
	}
	for _, v := range s.NeedsRebuild {
		if v <= st.Version && v > st.LastRebuild {
			return fmt.Errorf("warehouse migration %d needs a rebuild and none has completed since: run `outcomesctl rebuild -fresh`", v)
		}
	}
	return nil
}

// CheckSchema checks the warehouse behind conn against this binary's schema.
func CheckSchema(ctx context.Context, conn driver.Conn) error {
	s, err := EmbeddedSchema()
	if err != nil {
		return err
	}
	st, err := ReadState(ctx, conn)
	if err != nil {
		return err
	}
	return s.Check(st)
}

// RecordRebuild notes a completed full rebuild at this binary's schema version.
func RecordRebuild(ctx context.Context, conn driver.Conn, participants, rows int) error {
	s, err := EmbeddedSchema()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	batch, err := conn.PrepareBatch(cctx, "INSERT INTO warehouse_rebuild (finished_at, schema_version, participants, rows)")
	if err != nil {
		return fmt.Errorf("record rebuild: %w", err)
	}
	if err := batch.Append(time.Now().UTC(), uint32(s.Latest), uint64(participants), uint64(rows)); err != nil {
		return fmt.Errorf("record rebuild: %w", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record rebuild: %w", err)
	}
	return nil
}
