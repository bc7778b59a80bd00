package chstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

func TestSchemaCheck(t *testing.T) {
	s := chstore.Schema{Latest: 12, NeedsRebuild: []int{11}}
	for _, tc := range []struct {
		name string
		st   chstore.WarehouseState
		want string // "" for no error
	}{
		{"OK", chstore.WarehouseState{Version: 12, LastRebuild: 11}, ""},
		{"NewerWarehouse", chstore.WarehouseState{Version: 13, LastRebuild: 13}, ""},
		{"ErrOlder", chstore.WarehouseState{Version: 10, LastRebuild: 10}, "older than this loader's 12: run `outcomesctl migrate`"},
		{"ErrRebuildNeeded", chstore.WarehouseState{Version: 12, LastRebuild: 10}, "migration 11 needs a rebuild"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Check(tc.st)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check(%+v) = %v, want %q", tc.st, err, tc.want)
			}
		})
	}
}

// A migrated warehouse passes; an empty one (no migrations) is refused with what to run;
// a recorded full rebuild is read back.
func TestCheckSchemaAgainstWarehouse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, o := testenv.ClickHouse(t)
	if err := chstore.CheckSchema(ctx, conn); err != nil {
		t.Fatalf("migrated warehouse: %v", err)
	}
	if err := chstore.RecordRebuild(ctx, conn, 3, 30); err != nil {
		t.Fatal(err)
	}
	st, err := chstore.ReadState(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := chstore.EmbeddedSchema()
	if st.Version != latest.Latest || st.LastRebuild != latest.Latest {
		t.Fatalf("state %+v, want version and last rebuild %d", st, latest.Latest)
	}

	o.Database += "_empty"
	empty, err := chstore.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	t.Cleanup(func() { chstore.DropDatabase(context.Background(), o) }) //nolint:errcheck
	err = chstore.CheckSchema(ctx, empty)
	if err == nil || !strings.Contains(err.Error(), "warehouse schema is at version 0") {
		t.Fatalf("empty warehouse: %v", err)
	}
}
