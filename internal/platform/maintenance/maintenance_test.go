package maintenance_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/maintenance"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func run(t *testing.T, m *maintenance.Maintainer) []maintenance.Result {
	t.Helper()
	res, err := m.Run(context.Background())
	for _, r := range res {
		t.Log(r)
	}
	if err != nil {
		t.Fatalf("maintain: %v", err)
	}
	return res
}

func resultOf(res []maintenance.Result, task string) maintenance.Result {
	for _, r := range res {
		if r.Task == task {
			return r
		}
	}
	return maintenance.Result{}
}

// The outbox keeps pending events whatever their age and drops processed ones only
// after the retention; idempotency keys go after their TTL. The clock moves forward.
func TestOutboxAndIdempotencyPrunedAfterRetention(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	var org string
	if err := pool.QueryRow(ctx, `INSERT INTO organisation (code, name, kind) VALUES ('m-test', 'Maintenance kommun', 'municipality') RETURNING id`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	exec(t, pool, `INSERT INTO change_event (organisation_id, participant_id, entity, op, created_at, processed_at)
		VALUES ($1, gen_random_uuid(), 'participant', 'create', now(), now()),
		       ($1, gen_random_uuid(), 'participant', 'create', now() - interval '400 days', NULL)`, org)
	exec(t, pool, `INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
		VALUES ($1, 'k1', 'createParticipant', 'h', gen_random_uuid())`, org)

	now := time.Now()
	m := &maintenance.Maintainer{Pool: pool, Actor: "test", Now: func() time.Time { return now },
		Policy: maintenance.Policy{OutboxRetention: 30 * 24 * time.Hour, IdempotencyTTL: 7 * 24 * time.Hour}}
	res := run(t, m)
	if got := count(t, pool, `SELECT count(*) FROM change_event`); got != 2 {
		t.Fatalf("today: %d change events left, want both (the processed one is within retention)", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM idempotency_key`); got != 1 {
		t.Fatalf("today: %d idempotency keys, want 1", got)
	}
	if r := resultOf(res, maintenance.TaskOutbox); r.Count != 0 {
		t.Fatalf("today: outbox result %v", r)
	}

	now = now.Add(8 * 24 * time.Hour) // past the key's TTL, within the outbox retention
	run(t, m)
	if got := count(t, pool, `SELECT count(*) FROM idempotency_key`); got != 0 {
		t.Fatalf("after 8 days: %d idempotency keys, want 0", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM change_event`); got != 2 {
		t.Fatalf("after 8 days: %d change events, want 2", got)
	}

	now = now.Add(30 * 24 * time.Hour) // past the outbox retention
	res = run(t, m)
	if r := resultOf(res, maintenance.TaskOutbox); r.Count != 1 {
		t.Fatalf("after 38 days: outbox result %v, want 1 deleted", r)
	}
	if got := count(t, pool, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`); got != 1 {
		t.Fatalf("the pending event (400 days old) must stay until the loader has it; %d pending left", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM change_event WHERE processed_at IS NOT NULL`); got != 0 {
		t.Fatalf("%d processed events left, want 0", got)
	}
	// Audited, and recorded for /metrics.
	if got := count(t, pool, `SELECT count(*) FROM audit_log WHERE operation = 'maintain:outbox_prune' AND entity = 'change_event' AND subject = 'test'`); got != 1 {
		t.Fatalf("%d audit entries for the outbox prune, want 1", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_log WHERE operation = 'maintain:idempotency_expire'`); got != 1 {
		t.Fatalf("%d audit entries for the key expiry, want 1", got)
	}
	if got := count(t, pool, `SELECT last_count FROM maintenance_run WHERE task = 'outbox_prune' AND last_error = ''`); got != 1 {
		t.Fatalf("maintenance_run outbox last_count %d, want 1", got)
	}
}

// Audit months past retention are archived (JSON lines + SHA-256) and then dropped;
// rows of months without a partition wait in the default partition and move into
// their month's partition; the log stays append-only.
func TestAuditPartitionsArchivedThenDropped(t *testing.T) {
	t.Parallel()
	url, pool := testenv.PostgresWithURL(t)
	ctx := context.Background()
	// The API's role reaches the log only through audit_log, with SELECT and INSERT.
	for _, rel := range []string{"audit_log", "audit_log_default", "audit_log_y" + time.Now().UTC().Format("2006") + "m" + time.Now().UTC().Format("01")} {
		for _, priv := range []string{"UPDATE", "DELETE", "TRUNCATE"} {
			var has bool
			if err := pool.QueryRow(ctx, `SELECT has_table_privilege($1, $2, $3)`, testenv.APIRole, rel, priv).Scan(&has); err != nil || has {
				t.Fatalf("%s has %s on %s (%v)", testenv.APIRole, priv, rel, err)
			}
		}
	}
	// Rows 14 and 13 months old: the fresh database has no partition for them, so they
	// land in the default partition.
	exec(t, pool, `INSERT INTO audit_log (at, subject, role, action, entity, entity_id, operation, request_id)
		SELECT date_trunc('month', now()) - interval '14 months' + interval '3 days' + g * interval '1 hour',
		       'old-subject', 'admin', 'read', 'participant', 'p' || g, 'participant', 'r'
		  FROM generate_series(1, 3) g`)
	exec(t, pool, `INSERT INTO audit_log (at, subject, role, action, entity, entity_id, operation, request_id)
		SELECT date_trunc('month', now()) - interval '13 months' + interval '3 days' + g * interval '1 hour',
		       'old-subject', 'admin', 'read', 'participant', 'q' || g, 'participant', 'r'
		  FROM generate_series(1, 2) g`)
	if got := count(t, pool, `SELECT count(*) FROM audit_log_default`); got != 5 {
		t.Fatalf("%d rows in the default partition, want 5", got)
	}
	if err := audit.NewStore(pool).AppendSystem(ctx, "marker", "now-1", audit.Entry{Action: "write", Entity: "participant", EntityID: "now", Operation: "marker"}); err != nil {
		t.Fatal(err)
	}

	// The log stays append-only, on the parent and on a partition.
	for _, sql := range []string{`UPDATE audit_log SET subject = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err %v, want append-only", sql, err)
		}
	}
	parts, err := maintenance.Partitions(ctx, pool)
	if err != nil || len(parts) == 0 {
		t.Fatalf("partitions %v, err %v", parts, err)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE `+parts[0].Name); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("TRUNCATE %s: err %v, want append-only", parts[0].Name, err)
	}

	// /metrics reads as the API's role, on its scoped pool.
	apiPool, err := db.ConnectScoped(ctx, testenv.RoleURL(t, url, testenv.APIRole))
	if err != nil {
		t.Fatal(err)
	}
	defer apiPool.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(maintenance.NewCollector(apiPool))
	if got := gauge(t, reg, "outcomes_maintenance_stats_up", ""); got != 1 {
		t.Fatalf("outcomes_maintenance_stats_up = %v as the API's role", got)
	}
	if got := gauge(t, reg, "outcomes_audit_log_default_rows", ""); got != 5 {
		t.Fatalf("outcomes_audit_log_default_rows = %v, want 5", got)
	}
	archive := t.TempDir()
	now := time.Now()
	m := &maintenance.Maintainer{Pool: pool, Actor: "test", Now: func() time.Time { return now },
		Policy: maintenance.Policy{AuditRetentionMonths: 12, MonthsAhead: 2}}

	// No archive folder: months past retention stay, and the task says why.
	if _, err := m.Run(ctx); err == nil || !strings.Contains(err.Error(), "OUTCOMES_AUDIT_ARCHIVE_DIR") {
		t.Fatalf("without an archive folder: err %v, want it to name OUTCOMES_AUDIT_ARCHIVE_DIR", err)
	}
	if got := gauge(t, reg, "outcomes_maintenance_failing", "audit_archive"); got != 1 {
		t.Fatalf("outcomes_maintenance_failing{task=audit_archive} = %v, want 1", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_log WHERE subject = 'old-subject'`); got != 5 {
		t.Fatalf("without an archive folder %d old rows left, want 5", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_log_default`); got != 0 {
		t.Fatalf("after creating partitions %d rows still in the default partition, want 0", got)
	}

	m.Policy.ArchiveDir = archive
	res := run(t, m)
	if r := resultOf(res, maintenance.TaskAudit); r.Count != 2 {
		t.Fatalf("audit result %v, want 2 months archived", r)
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_log WHERE subject = 'old-subject'`); got != 0 {
		t.Fatalf("%d rows of archived months still in audit_log", got)
	}
	old := monthStart(now).AddDate(0, -14, 0)
	file := filepath.Join(archive, maintenance.ArchiveFileName(old))
	if err := maintenance.VerifyArchive(file, 3); err != nil {
		t.Fatalf("archive of %s: %v", old.Format("2006-01"), err)
	}
	if err := maintenance.VerifyArchive(filepath.Join(archive, maintenance.ArchiveFileName(old.AddDate(0, 1, 0))), 2); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, file)
	if !strings.Contains(lines[0], `"entity_id":"p1"`) || !strings.Contains(lines[0], `"subject":"old-subject"`) {
		t.Fatalf("first archived line %s: want entity_id p1 and every column", lines[0])
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_archive WHERE rows IN (2, 3)`); got != 2 {
		t.Fatalf("%d audit_archive rows, want 2", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM audit_log WHERE operation LIKE 'maintain:audit_archive rows=3 sha256=%'`); got != 1 {
		t.Fatalf("%d audit entries for the archived month, want 1", got)
	}
	if got := gauge(t, reg, "outcomes_maintenance_failing", "audit_archive"); got != 0 {
		t.Fatalf("after a good run outcomes_maintenance_failing = %v, want 0", got)
	}

	// A row of an archived month that comes late gets an archive of its own; the first
	// archive stays as it was.
	exec(t, pool, `INSERT INTO audit_log (at, subject, role, action, entity, entity_id, operation, request_id)
		VALUES (date_trunc('month', now()) - interval '14 months' + interval '20 days', 'late-subject', 'admin', 'read', 'participant', 'late', 'participant', 'r')`)
	res = run(t, m)
	if r := resultOf(res, maintenance.TaskAudit); r.Count != 1 {
		t.Fatalf("late row: audit result %v, want 1 month archived", r)
	}
	second := strings.TrimSuffix(file, ".jsonl") + "-2.jsonl"
	if err := maintenance.VerifyArchive(second, 1); err != nil {
		t.Fatalf("archive of the late row: %v", err)
	}
	if err := maintenance.VerifyArchive(file, 3); err != nil {
		t.Fatalf("first archive after the late row: %v", err)
	}

	// A tampered archive fails its check.
	if err := os.WriteFile(file, append([]byte(strings.Join(lines, "\n")), []byte("\n{}\n")...), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := maintenance.VerifyArchive(file, -1); err == nil {
		t.Fatal("a tampered archive passed its checksum")
	}

	// Thirteen months on, this month is past retention too: it goes with the marker.
	before := count(t, pool, `SELECT count(*) FROM audit_log WHERE at >= date_trunc('month', now())`)
	now = now.AddDate(0, 13, 0)
	res = run(t, m)
	if r := resultOf(res, maintenance.TaskAudit); r.Count < 1 {
		t.Fatalf("13 months on: audit result %v, want this month archived", r)
	}
	thisMonth := filepath.Join(archive, maintenance.ArchiveFileName(monthStart(time.Now())))
	if err := maintenance.VerifyArchive(thisMonth, -1); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, thisMonth)
	if int64(len(got)) < before || !strings.Contains(strings.Join(got, "\n"), `"operation":"marker"`) {
		t.Fatalf("this month's archive has %d lines (had %d rows before the run) and must hold the marker", len(got), before)
	}
	// Partitions exist ahead of the moved clock.
	parts, err = maintenance.Partitions(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	last := parts[len(parts)-1].Month
	if want := monthStart(now).AddDate(0, 2, 0); !last.Equal(want) {
		t.Fatalf("last partition %s, want %s", last.Format("2006-01"), want.Format("2006-01"))
	}
	if g := gauge(t, reg, "outcomes_table_bytes", "audit_log"); g <= 0 {
		t.Fatalf("outcomes_table_bytes{audit_log} = %v", g)
	}
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// gauge reads one series from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			if matches(m, label) {
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s{%s}", name, label)
	return 0
}

func matches(m *dto.Metric, label string) bool {
	if label == "" {
		return len(m.Label) == 0
	}
	for _, l := range m.Label {
		if l.GetValue() == label {
			return true
		}
	}
	return false
}
