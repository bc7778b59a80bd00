package loader_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

// sql runs a statement as a person at a psql prompt would: outside the API, with no
// change event of its own.
func (f *fixture) sql(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.pg.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// exitReason is the live exit reason of a participant's only enrolment in ClickHouse.
func (f *fixture) exitReason(t *testing.T, participantID string) string {
	t.Helper()
	var reason string
	err := f.ch.QueryRow(context.Background(), `SELECT r FROM (
		SELECT enrolment_key, argMax(exit_reason, version) AS r, argMax(deleted, version) AS d
		FROM enrolment_outcome WHERE person_key = ? GROUP BY enrolment_key) WHERE d = 0`, f.l.Keys.Person(participantID)).Scan(&reason)
	if err != nil {
		t.Fatal(err)
	}
	return reason
}

// TestManualSQLFixReachesTheWarehouse: a sanctioned fix made in SQL (an UPDATE, and a
// DELETE that cascades through the person's tables) writes change events by itself and
// reaches ClickHouse. It runs as docs/DATABASE.md shows it, on a session of its own as
// psql opens one (not the system pool, whose sessions get their scope on connect):
// without the scope line row-level security leaves the fix nothing to change (or, for
// a superuser, the outbox refuses its event), so nothing is half done; with it, it
// applies.
func TestManualSQLFixReachesTheWarehouse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fixed, erased := f.person(t), f.person(t)
	f.drain(t)
	if got := f.exitReason(t, fixed); got != "job_seeking" {
		t.Fatalf("loaded exit reason %q", got)
	}
	conn, err := pgx.ConnectConfig(ctx, f.pg.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	fix := func(scope string) error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if scope != "" {
			if _, err := tx.Exec(ctx, scope); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE enrolment SET exit_reason = 'studies' WHERE participant_id = $1`, fixed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM participant WHERE id = $1`, erased); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	// Without the scope: an error or nothing changed, never part of it.
	_ = fix("")
	var reason string
	var people int
	if err := f.pg.QueryRow(ctx, `SELECT (SELECT exit_reason FROM enrolment WHERE participant_id = $1),
		(SELECT count(*) FROM participant WHERE id = $2)`, fixed, erased).Scan(&reason, &people); err != nil {
		t.Fatal(err)
	}
	if reason != "job_seeking" || people != 1 {
		t.Fatalf("the fix without the scope line changed rows: exit reason %q, erased person's rows %d", reason, people)
	}
	if err := fix(`SET LOCAL app.org_ids = '*'`); err != nil {
		t.Fatalf("the fix as documented: %v", err)
	}
	var events int
	if err := f.pg.QueryRow(context.Background(), `SELECT count(*) FROM change_event WHERE processed_at IS NULL
		AND participant_id = ANY($1::uuid[])`, []string{fixed, erased}).Scan(&events); err != nil || events != 2 {
		t.Fatalf("the fix queued %d change events (%v); want one per person", events, err)
	}
	f.drain(t)
	if got := f.exitReason(t, fixed); got != "studies" {
		t.Errorf("after the SQL fix ClickHouse says %q, want studies", got)
	}
	if n := f.liveEnrolments(t, erased); n != 0 {
		t.Errorf("the person deleted in SQL still has %d live enrolments in ClickHouse", n)
	}
	f.mustAgree(t)
}

// TestUnrepresentableValueIsDeadLettered: a date ClickHouse's Date cannot hold (before
// 1970; PostgreSQL's range allows it from 1900) is not wrapped into another date: the
// person is left out, recorded as a dead letter and counted, the rest of the batch is
// written, and a later fix resolves it.
func TestUnrepresentableValueIsDeadLettered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.l.Metrics = loader.NewMetrics(nil)
	good, bad := f.person(t), f.person(t)
	f.sql(t, `UPDATE enrolment SET start_date = '1965-01-01' WHERE participant_id = $1`, bad)
	f.drain(t)
	if got := testutil.ToFloat64(f.l.Metrics.DeadLetters); got != 1 {
		t.Errorf("dead letters counted: %v, want 1", got)
	}
	var reason string
	if err := f.pg.QueryRow(context.Background(), `SELECT reason FROM loader_dead_letter WHERE participant_id = $1 AND resolved_at IS NULL`,
		bad).Scan(&reason); err != nil {
		t.Fatalf("no open dead letter: %v", err)
	}
	if !strings.Contains(reason, "outside the ClickHouse Date range") || strings.Contains(reason, "1965") {
		t.Errorf("reason %q: want the column and range, never the value", reason)
	}
	if n := f.liveEnrolments(t, good); n != 1 {
		t.Errorf("the rest of the batch: %d live enrolments of the good person, want 1", n)
	}
	var wrapped uint64
	if err := f.ch.QueryRow(context.Background(), `SELECT count() FROM enrolment_outcome WHERE person_key = ?`,
		f.l.Keys.Person(bad)).Scan(&wrapped); err != nil || wrapped != 0 {
		t.Errorf("%d rows of the refused person reached ClickHouse (%v)", wrapped, err)
	}
	var pending int
	if err := f.pg.QueryRow(context.Background(), `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d changes left pending: a dead letter must not block the queue", pending)
	}

	f.sql(t, `UPDATE enrolment SET start_date = '2018-01-01' WHERE participant_id = $1`, bad)
	f.drain(t)
	var open int
	if err := f.pg.QueryRow(context.Background(), `SELECT count(*) FROM loader_dead_letter WHERE resolved_at IS NULL`).Scan(&open); err != nil || open != 0 {
		t.Errorf("%d dead letters still open after the fix", open)
	}
	if n := f.liveEnrolments(t, bad); n != 1 {
		t.Errorf("after the fix: %d live enrolments, want 1", n)
	}
	f.mustAgree(t)
}

// TestReconcileComparesContent: a row whose values differ (same counts) is found.
func TestReconcileComparesContent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.person(t)
	f.drain(t)
	f.mustAgree(t)
	ctx := context.Background()
	rows, err := chstore.Live(ctx, f.ch, f.org, []string{f.l.Keys.Person(p)})
	if err != nil {
		t.Fatal(err)
	}
	months := rows.Months[f.l.Keys.Person(p)]
	if len(months) == 0 {
		t.Fatal("no live months")
	}
	// Rewrite one month with a newer version and another measure code: no count changes.
	var m struct {
		gender, status, measure, source string
		birth                           uint16
		in                              uint8
		sa                              int8
	}
	if err := f.ch.QueryRow(ctx, `SELECT argMax(gender, version), argMax(birth_year, version), argMax(status, version),
		argMax(in_measure, version), argMax(measure_code, version), argMax(social_assistance, version), argMax(source, version)
		FROM participant_month WHERE person_key = ? AND month = toDate(?)`, f.l.Keys.Person(p), months[0].Format("2006-01-02")).
		Scan(&m.gender, &m.birth, &m.status, &m.in, &m.measure, &m.sa, &m.source); err != nil {
		t.Fatal(err)
	}
	ins, err := f.ch.PrepareBatch(ctx, `INSERT INTO participant_month (org_id, person_key, month, gender, birth_year,
		status, in_measure, measure_code, social_assistance, source, version, deleted)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := ins.Append(f.org, f.l.Keys.Person(p), months[0], m.gender, m.birth, m.status, m.in, m.measure+"_x", m.sa, m.source,
		uint64(1)<<40, uint8(0)); err != nil {
		t.Fatal(err)
	}
	if err := ins.Send(); err != nil {
		t.Fatal(err)
	}
	diffs, _, err := f.l.Reconcile(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || diffs[0].Measure != "person_months_checksum" || diffs[0].Month != months[0].Format("2006-01") {
		t.Fatalf("differences %v; want exactly the content checksum of %s", diffs, months[0].Format("2006-01"))
	}
	t.Logf("found: %s", diffs[0])
}

// TestMonthEdgeUsesTheSwedishDate: at 00:30 Swedish time on the 1st (still the last day
// of the previous month in UTC) the loader's current month is the new one: the
// rollover is recorded for it and the timelines reach it.
func TestMonthEdgeUsesTheSwedishDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.person(t)
	edge := time.Date(2026, time.March, 1, 0, 30, 0, 0, calendar.Sweden)
	if edge.UTC().Month() != time.February {
		t.Fatalf("the test instant %s is not in February in UTC", edge.UTC())
	}
	f.l.Now = func() time.Time { return edge }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.l.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	var month string
	for time.Now().Before(deadline) && month != "2026-03" {
		f.pg.QueryRow(context.Background(), `SELECT value FROM loader_state WHERE name = 'rollover_month'`).Scan(&month) //nolint:errcheck
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if month != "2026-03" {
		t.Fatalf("rollover month %q at %s; want 2026-03", month, edge)
	}
	f.drain(t)
	var last time.Time
	if err := f.ch.QueryRow(context.Background(), `SELECT max(month) FROM participant_month WHERE person_key = ?`,
		f.l.Keys.Person(p)).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last.Format("2006-01") != "2026-03" {
		t.Errorf("timeline ends %s; want 2026-03", last.Format("2006-01"))
	}
	f.mustAgree(t)
}
