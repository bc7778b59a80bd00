package chstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// The column spec and the migrations agree; a column whose type drifts from the spec is
// found and named; a column the loader does not write is allowed.
func TestColumnSpecAgainstDDL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, _ := testenv.ClickHouse(t)
	if err := chstore.CheckColumns(ctx, conn); err != nil {
		t.Fatalf("migrated warehouse: %v", err)
	}
	if err := conn.Exec(ctx, "ALTER TABLE enrolment_outcome ADD COLUMN not_written String DEFAULT ''"); err != nil {
		t.Fatal(err)
	}
	if err := chstore.CheckColumns(ctx, conn); err != nil {
		t.Fatalf("an extra column the loader does not write: %v", err)
	}
	if err := conn.Exec(ctx, "ALTER TABLE participant_month MODIFY COLUMN birth_year UInt32"); err != nil {
		t.Fatal(err)
	}
	var m *chstore.ColumnMismatch
	err := chstore.CheckColumns(ctx, conn)
	if !errors.As(err, &m) || m.Table != "participant_month" || m.Column != "birth_year" || m.Want != "UInt16" || m.Have != "UInt32" {
		t.Fatalf("drifted column: %v", err)
	}
	if err := conn.Exec(ctx, "ALTER TABLE participant_month DROP COLUMN source"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "ALTER TABLE participant_month MODIFY COLUMN birth_year UInt16"); err != nil {
		t.Fatal(err)
	}
	err = chstore.CheckColumns(ctx, conn)
	if !errors.As(err, &m) || m.Column != "source" || m.Have != "" {
		t.Fatalf("missing column: %v", err)
	}
}

// The insert column lists are derived from the spec: every table ends with version and
// deleted, and no column is named twice.
func TestColumnListsFromSpec(t *testing.T) {
	t.Parallel()
	for _, names := range [][]string{chstore.Months.ColumnNames(), chstore.Enrolments.ColumnNames()} {
		if len(names) < 3 || names[len(names)-2] != "version" || names[len(names)-1] != "deleted" {
			t.Fatalf("columns %v: want version and deleted last", names)
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("column %s named twice", n)
			}
			seen[n] = true
		}
	}
}
