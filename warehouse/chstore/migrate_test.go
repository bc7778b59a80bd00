package chstore_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/testenv"
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
