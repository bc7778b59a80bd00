package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestAuditRecordsSurviveMigratingDown: migration 0013's down turns each record a
// person's read row lists into a row of its own (the shape before it), so going back
// loses no audited read; rows of the old shape stay as they were.
func TestAuditRecordsSurviveMigratingDown(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t) // migrated up, as the owner
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (subject, role, action, entity, entity_id, operation, request_id, records) VALUES
		('cw', 'caseworker', 'read', 'participant', 'p1', 'node', 'r1', '{enrolment:e1,referral:x1}'),
		('cw', 'caseworker', 'read', 'enrolment', 'e0', 'enrolments', 'r0', NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateDown(ctx, pool, 12); err != nil {
		t.Fatalf("down to 12: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT request_id || ' ' || operation || ' ' || entity || ' ' || entity_id FROM audit_log ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"r0 enrolments enrolment e0", "r1 node enrolment e1", "r1 node participant p1", "r1 node referral x1"}
	if !slices.Equal(got, want) {
		t.Errorf("audit rows after migrating down: %q, want %q", got, want)
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
