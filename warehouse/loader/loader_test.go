package loader_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

type fixture struct {
	pg     *pgxpool.Pool
	ch     driver.Conn
	l      *loader.Loader
	org    string
	serial int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	o := domaintest.OrganisationWith(t, pg, organisation.CreateInput{Code: "loaderkommun", Name: "Loaderkommun", Kind: organisation.Municipality})
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("loader-test-key-0123456789")), BatchSize: 100,
		Poll: 50 * time.Millisecond, Log: zerolog.Nop()}
	return &fixture{pg: pg, ch: ch, l: l, org: o.ID}
}

// person registers a participant with one exited enrolment and an observation.
func (f *fixture) person(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	f.serial++
	p, err := participant.NewStore(f.pg).Create(ctx, participant.CreateInput{OrganisationID: f.org,
		PersonalIdentityNumber: demo.Personnummer(time.Date(1980, 1, 1+f.serial%28, 0, 0, 0, 0, time.UTC), 100+f.serial),
		GivenName:              "Test", FamilyName: "Person", Gender: participant.Woman})
	if err != nil {
		t.Fatal(err)
	}
	end, reason := time.Date(2019, 3, 31, 0, 0, 0, 0, time.UTC), outcome.JobSeeking
	if _, err := enrolment.NewStore(f.pg).Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: "work_practice",
		StartDate: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: &end, ExitReason: &reason}); err != nil {
		t.Fatal(err)
	}
	if _, err := outcome.NewStore(f.pg).Record(ctx, outcome.RecordInput{ParticipantID: p.ID, Month: time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC),
		Status: outcome.Studies, Source: outcome.PhoneFollowUp}); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// drain processes batches until nothing is pending.
func (f *fixture) drain(t *testing.T) {
	t.Helper()
	for {
		n, err := f.l.ProcessOnce(context.Background())
		if err != nil {
			t.Fatalf("process: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

func (f *fixture) mustAgree(t *testing.T) {
	t.Helper()
	diffs, pending, err := f.l.Reconcile(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 || pending > 0 {
		t.Fatalf("reconcile: %d pending, differences %v", pending, diffs)
	}
}

// liveEnrolments counts deduplicated, not deleted enrolment rows for a participant.
func (f *fixture) liveEnrolments(t *testing.T, participantID string) uint64 {
	t.Helper()
	var n uint64
	err := f.ch.QueryRow(context.Background(), `SELECT count() FROM (
		SELECT enrolment_key, argMax(deleted, version) AS d FROM enrolment_outcome WHERE person_key = ? GROUP BY enrolment_key
	) WHERE d = 0`, f.l.Keys.Person(participantID)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Two transactions commit in the reverse order of their change ids; a loader that ran
// in between must still pick up the earlier id.
func TestOutOfOrderCommitsAreNotSkipped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.person(t), f.person(t)
	f.drain(t)

	txA, err := f.pg.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx) //nolint:errcheck
	var idA, idB int64
	if err := txA.QueryRow(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, op) VALUES ($1, $2, 'test', 'update') RETURNING id`, f.org, a).Scan(&idA); err != nil {
		t.Fatal(err)
	}
	if _, err := txA.Exec(ctx, `UPDATE enrolment SET exit_reason = 'studies' WHERE participant_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	txB, err := f.pg.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := txB.QueryRow(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, op) VALUES ($1, $2, 'test', 'update') RETURNING id`, f.org, b).Scan(&idB); err != nil {
		t.Fatal(err)
	}
	if _, err := txB.Exec(ctx, `UPDATE enrolment SET exit_reason = 'moved_away' WHERE participant_id = $1`, b); err != nil {
		t.Fatal(err)
	}
	if idA >= idB {
		t.Fatalf("ids %d, %d: want A's id below B's", idA, idB)
	}
	if err := txB.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f.drain(t) // sees only B's change: A's is not committed yet
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f.drain(t) // must still see A's, although its id is below one already processed

	reasons := map[string]string{}
	for _, id := range []string{a, b} {
		var r string
		if err := f.ch.QueryRow(ctx, `SELECT argMax(exit_reason, version) FROM enrolment_outcome WHERE person_key = ?`, f.l.Keys.Person(id)).Scan(&r); err != nil {
			t.Fatal(err)
		}
		reasons[id] = r
	}
	if reasons[a] != "studies" || reasons[b] != "moved_away" {
		t.Fatalf("warehouse exit reasons: A %q (want studies), B %q (want moved_away)", reasons[a], reasons[b])
	}
	f.mustAgree(t)
}

// A crash after ClickHouse took the batch but before the events were marked: the
// replay writes the rows again, and readers still count each once.
func TestReplayAfterCrashCountsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := []string{f.person(t), f.person(t), f.person(t)}
	orgOf := map[string]string{}
	for _, id := range ids {
		orgOf[id] = f.org
	}
	if _, err := f.l.Sync(ctx, orgOf); err != nil { // written, never marked: the "crash"
		t.Fatal(err)
	}
	maxVersion := func() uint64 {
		var v uint64
		if err := f.ch.QueryRow(ctx, `SELECT max(version) FROM enrolment_outcome`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	crashed := maxVersion()
	f.drain(t) // the restarted loader replays every pending event
	// The rows were written again under a newer version (ClickHouse may already have
	// merged the old copies away, so their physical count proves nothing either way).
	if replayed := maxVersion(); replayed <= crashed {
		t.Fatalf("replay wrote no newer version (%d after %d)", replayed, crashed)
	}
	for _, id := range ids {
		if n := f.liveEnrolments(t, id); n != 1 {
			t.Errorf("participant has %d live enrolments, want 1", n)
		}
	}
	f.mustAgree(t)
}

func TestMonthRolloverExtendsTimelines(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	f.l.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	id := f.person(t)
	runOnce := func() {
		// Run's loop does rollover then a batch; drive it briefly.
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		go f.l.Run(ctx) //nolint:errcheck
		<-ctx.Done()
		time.Sleep(100 * time.Millisecond)
	}
	lastMonth := func() string {
		var m time.Time
		if err := f.ch.QueryRow(ctx, `SELECT max(month) FROM participant_month WHERE person_key = ?`, f.l.Keys.Person(id)).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m.Format("2006-01")
	}
	runOnce()
	if got := lastMonth(); got != "2026-11" {
		t.Fatalf("timeline ends %s, want 2026-11", got)
	}
	mu.Lock()
	now = time.Date(2026, 12, 1, 0, 0, 5, 0, time.UTC)
	mu.Unlock()
	runOnce() // no write in PostgreSQL happened in between
	if got := lastMonth(); got != "2026-12" {
		t.Fatalf("after the month turned the timeline ends %s, want 2026-12", got)
	}
	f.mustAgree(t)
}

func TestErasureRemovesWarehouseRows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keep, gone := f.person(t), f.person(t)
	f.drain(t)
	if f.liveEnrolments(t, gone) != 1 {
		t.Fatal("person not in the warehouse before erasure")
	}
	if err := participant.NewStore(f.pg).Erase(ctx, gone); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	if n := f.liveEnrolments(t, gone); n != 0 {
		t.Errorf("erased person still has %d live enrolment rows", n)
	}
	var months uint64
	if err := f.ch.QueryRow(ctx, `SELECT count() FROM (SELECT month, argMax(deleted, version) AS d FROM participant_month
		WHERE person_key = ? GROUP BY month) WHERE d = 0`, f.l.Keys.Person(gone)).Scan(&months); err != nil {
		t.Fatal(err)
	}
	if months != 0 {
		t.Errorf("erased person still has %d live months", months)
	}
	if f.liveEnrolments(t, keep) != 1 {
		t.Error("the other person lost their rows")
	}
	f.mustAgree(t)
}

func TestReconcileReportsDifferences(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.person(t)
	f.drain(t)
	f.mustAgree(t)
	// A row PostgreSQL does not imply.
	b, err := f.ch.PrepareBatch(ctx, `INSERT INTO enrolment_outcome (org_id, enrolment_key, person_key, exited, exit_date, version, deleted)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(f.org, "stray", "stray-person", uint8(1), time.Date(2019, 5, 2, 0, 0, 0, 0, time.UTC), uint64(1), uint8(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	diffs, _, err := f.l.Reconcile(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s 2019-05 enrolments: postgresql 0, clickhouse 1", f.org)
	found := false
	for _, d := range diffs {
		found = found || d.String() == want
	}
	if !found {
		t.Fatalf("differences %v do not include %q", diffs, want)
	}
}

// One loader at a time: a second instance waits on the lock and takes over when the
// first stops.
func TestSecondLoaderTakesOver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := *f.l
	second := *f.l
	ctx1, stop1 := context.WithCancel(ctx)
	done1 := make(chan struct{})
	go func() { first.Run(ctx1); close(done1) }() //nolint:errcheck
	// Start the second only once the first holds the lock.
	waitFor(t, func() bool {
		var held int
		f.pg.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, loader.LockKey).Scan(&held) //nolint:errcheck
		return held == 1
	})
	ctx2, stop2 := context.WithCancel(ctx)
	defer stop2()
	processed2 := make(chan struct{})
	go func() { second.Run(ctx2); close(processed2) }() //nolint:errcheck

	a := f.person(t)
	waitFor(t, func() bool { return f.liveEnrolments(t, a) == 1 })
	if got := second.Metrics.EventsDone; got != nil && counterValue(got) != 0 {
		t.Fatalf("the waiting loader processed %v changes while the first held the lock", counterValue(got))
	}
	stop1()
	<-done1
	b := f.person(t)
	waitFor(t, func() bool { return f.liveEnrolments(t, b) == 1 })
	// The rows are visible a moment before the second loader counts the change as done.
	waitFor(t, func() bool { return counterValue(second.Metrics.EventsDone) > 0 })
	// Rows reach ClickHouse just before their changes are marked done: wait for the marks.
	waitFor(t, func() bool {
		var pending int
		f.pg.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending) //nolint:errcheck
		return pending == 0
	})
	stop2()
	<-processed2
	f.mustAgree(t)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}

// A rebuild from scratch while the live loader runs and people keep being written:
// afterwards the warehouse agrees with PostgreSQL.
func TestRebuildBesideRunningLoader(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		f.person(t)
	}
	live := *f.l
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { live.Run(runCtx); close(done) }() //nolint:errcheck
	writes := make(chan struct{})
	go func() {
		defer close(writes)
		for i := 0; i < 20; i++ {
			f.person(t)
		}
	}()
	if err := chstore.Recreate(ctx, f.ch); err != nil {
		t.Fatal(err)
	}
	st, err := f.l.Rebuild(ctx, loader.RebuildOptions{PageSize: 7, Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Participants < 30 || st.Rows == 0 {
		t.Errorf("rebuild stats %+v", st)
	}
	<-writes
	waitFor(t, func() bool {
		var pending int
		f.pg.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending) //nolint:errcheck
		return pending == 0
	})
	stop()
	<-done
	f.mustAgree(t)
}

// The loader refuses a warehouse older than its code, saying what to run.
func TestLoaderRefusesAnOlderWarehouse(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresURL(t)
	o := testenv.ClickHouseOptions(t)
	o.Database += "_old"                                                // created by the loader's connection, never migrated
	t.Cleanup(func() { chstore.DropDatabase(context.Background(), o) }) //nolint:errcheck
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": pgURL, "OUTCOMES_CLICKHOUSE_ADDR": o.Addr,
		"OUTCOMES_CLICKHOUSE_DATABASE": o.Database, "OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var logs strings.Builder
	err := loader.Run(ctx, func(k string) string { return env[k] }, &logs, nil)
	if err == nil || !strings.Contains(err.Error(), "older than this loader's") || !strings.Contains(err.Error(), "outcomesctl migrate") {
		t.Fatalf("loader against an unmigrated warehouse: %v", err)
	}
	if !strings.Contains(logs.String(), "loader refuses to run against this warehouse") {
		t.Fatalf("no log line says why: %s", logs.String())
	}
}
