package admin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/admin"
	"github.com/arbetsmarknad/outcomes/internal/db"
	"github.com/arbetsmarknad/outcomes/internal/demo"
	"github.com/arbetsmarknad/outcomes/internal/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/organisation"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/participant"
	"github.com/arbetsmarknad/outcomes/internal/testenv"
)

func TestRetentionDryRunThenErase(t *testing.T) {
	url := testenv.PostgresURL(t)
	ctx := context.Background()
	pool, err := db.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	org, err := organisation.NewStore(pool).Create(ctx, organisation.CreateInput{Code: "gallring", Name: "Gallring", Kind: organisation.Municipality})
	if err != nil {
		t.Fatal(err)
	}
	ps := participant.NewStore(pool)
	mk := func(serial int, end time.Time, observed *time.Time) string {
		p, err := ps.Create(ctx, participant.CreateInput{OrganisationID: org.ID, Gender: participant.Man,
			PersonalIdentityNumber: demo.Personnummer(time.Date(1970, 5, 5, 0, 0, 0, 0, time.UTC), serial)})
		if err != nil {
			t.Fatal(err)
		}
		reason := outcome.JobSeeking
		if _, err := enrolment.NewStore(pool).Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: "work_practice",
			StartDate: end.AddDate(0, -6, 0), EndDate: &end, ExitReason: &reason}); err != nil {
			t.Fatal(err)
		}
		if observed != nil {
			if _, err := outcome.NewStore(pool).Record(ctx, outcome.RecordInput{ParticipantID: p.ID, Month: *observed, Status: outcome.Studies, Source: outcome.AFData}); err != nil {
				t.Fatal(err)
			}
		}
		// Registered long ago, as the stale ones were.
		if _, err := pool.Exec(ctx, `UPDATE participant SET created_at = '2012-01-01' WHERE id = $1`, p.ID); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	old := mk(101, time.Date(2013, 6, 30, 0, 0, 0, 0, time.UTC), nil)
	followedUp := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	oldButFollowedUp := mk(102, time.Date(2013, 6, 30, 0, 0, 0, 0, time.UTC), &followedUp)
	recent := mk(103, time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC), nil)

	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev"}
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := admin.Run(ctx, args, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	exists := func(id string) bool {
		var n int
		pool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE id = $1`, id).Scan(&n) //nolint:errcheck
		return n == 1
	}
	env["OUTCOMES_RETENTION_YEARS"] = "10" // the configured rule; -years overrides it
	if out := run("retention", "-dry-run"); !strings.Contains(out, "would erase (dry run) 1 participants") {
		t.Errorf("dry run said: %s", out)
	}
	if !exists(old) {
		t.Fatal("dry run erased someone")
	}
	if out := run("retention", "-years", "10"); !strings.Contains(out, "erased 1 participants") {
		t.Errorf("retention said: %s", out)
	}
	if exists(old) || !exists(oldButFollowedUp) || !exists(recent) {
		t.Errorf("after retention: old %v, followed up %v, recent %v; want only the old one gone", exists(old), exists(oldButFollowedUp), exists(recent))
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity_id = $1 AND operation = 'retention' AND action = 'write'`, old).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("retention erasure audited %d times (err %v), want 1", audited, err)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE participant_id = $1 AND op = 'delete'`, old).Scan(&events); err != nil || events != 1 {
		t.Errorf("erasure queued %d warehouse deletions (err %v), want 1", events, err)
	}
}

// The CLI's rebuild and reconcile on real stores: agreement exits 0; a row ClickHouse
// holds that PostgreSQL does not imply is printed and exits 1.
func TestRebuildThenReconcileExitCodes(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	ch, opts := testenv.ClickHouse(t)
	pool, err := db.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := demo.Seed(ctx, pool, 20); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev",
		"OUTCOMES_CLICKHOUSE_ADDR": opts.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": opts.Database}
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := admin.Run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := run("rebuild", "-fresh"); code != 0 || !strings.Contains(out, "rebuilt 20 participants") || !strings.Contains(out, "rows/s") {
		t.Fatalf("rebuild: exit %d\n%s", code, out)
	}
	// The rebuild wrote what the outbox asked for: mark it done, as the loader would.
	if _, err := pool.Exec(ctx, `UPDATE change_event SET processed_at = now()`); err != nil {
		t.Fatal(err)
	}
	if code, out := run("reconcile"); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("reconcile after rebuild: exit %d\n%s", code, out)
	}
	b, err := ch.PrepareBatch(ctx, `INSERT INTO participant_month (org_id, person_key, month, status, version, deleted)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("00000000-0000-0000-0000-00000000000f", "stray", time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC), "unknown", uint64(1), uint8(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	code, out := run("reconcile")
	if code != 1 || !strings.Contains(out, "00000000-0000-0000-0000-00000000000f 2018-03 person_months: postgresql 0, clickhouse 1") {
		t.Fatalf("reconcile with a stray row: exit %d\n%s", code, out)
	}
}
