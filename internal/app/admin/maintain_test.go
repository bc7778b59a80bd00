package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/maintenance"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// TestMaintainStoppedMidRunIsNotAFailure: `maintain -every` (which make run starts)
// stopped while its tasks run (Ctrl-C) says that it stopped and what it finished, not
// that every task it cut short FAILED with "context canceled", and ends without an
// error; a single run cut short still ends with one. The stop comes from maintain's
// clock, which the run reads first, so it lands inside the run every time.
func TestMaintainStoppedMidRunIsNotAFailure(t *testing.T) {
	t.Parallel()
	cfg, _ := maintainConfig(t)
	for _, every := range []time.Duration{time.Hour, 0} {
		ctx, stop := context.WithCancel(context.Background())
		now := func() time.Time { stop(); return time.Now() }
		var out bytes.Buffer
		err := admin.Maintain(ctx, cfg, every, now, &out)
		stop()
		text := out.String()
		if strings.Contains(text, "FAILED") || strings.Contains(text, "failed") || strings.Contains(text, "context canceled") {
			t.Errorf("every %s: a stopped run reads as failures:\n%s", every, text)
		}
		if !strings.Contains(text, "maintenance stopped before it finished") {
			t.Errorf("every %s: the stop is not said:\n%s", every, text)
		}
		if (err != nil) != (every == 0) {
			t.Errorf("every %s: maintain returned %v; want an error only for a single run", every, err)
		}
	}
}

// TestScheduledCaseworkIsOnMetrics: the casework that maintain runs after its four
// tasks (exits from inactivity, the retention rules: gallring) is recorded and
// reported as those tasks are, so that a retention rule failing every hour raises
// outcomes_maintenance_failing{task="retention_rules"} instead of a line in a log
// nobody reads. The failure is made by taking the rules' table away.
func TestScheduledCaseworkIsOnMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, pool := maintainConfigPool(t)
	tasks := func() map[string]maintenance.TaskStat {
		t.Helper()
		s, err := maintenance.ReadStats(ctx, pool, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]maintenance.TaskStat{}
		for _, ts := range s.Tasks {
			m[ts.Task] = ts
		}
		return m
	}
	casework := []string{maintenance.TaskInactivityExits, maintenance.TaskRetentionRules}
	for _, task := range casework {
		if ts, ok := tasks()[task]; !ok || ts.SinceOK != -1 {
			t.Errorf("before any run: %s is %+v (reported %v); want it reported as never run (-1)", task, ts, ok)
		}
	}
	var out bytes.Buffer
	if err := admin.Maintain(ctx, cfg, 0, time.Now, &out); err != nil {
		t.Fatalf("maintain: %v\n%s", err, out.String())
	}
	for _, task := range casework {
		if ts := tasks()[task]; !ts.EverSucceeded || ts.Failing {
			t.Errorf("after a good run: %s is %+v; want a success recorded", task, ts)
		}
	}

	if _, err := pool.Exec(ctx, `ALTER TABLE retention_rule RENAME TO retention_rule_gone`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := admin.Maintain(ctx, cfg, 0, time.Now, &out)
	if err == nil || !strings.Contains(err.Error(), maintenance.TaskRetentionRules) {
		t.Errorf("maintain with the retention rules failing returned %v; want an error naming %s\n%s", err, maintenance.TaskRetentionRules, out.String())
	}
	now := tasks()
	if ts := now[maintenance.TaskRetentionRules]; !ts.Failing || !strings.Contains(ts.LastError, "retention_rule") || !ts.EverSucceeded {
		t.Errorf("retention rules failing: recorded %+v; want failing with the error, the last success kept", ts)
	}
	if ts := now[maintenance.TaskInactivityExits]; ts.Failing {
		t.Errorf("inactivity exits ran well but are recorded as failing: %+v", ts)
	}
}

// maintainConfigPool is maintainConfig with a pool as the owner on its database.
func maintainConfigPool(t *testing.T) (config.Config, *pgxpool.Pool) {
	t.Helper()
	cfg, ownerURL := maintainConfig(t)
	pool, err := db.Connect(context.Background(), ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return cfg, pool
}

// maintainConfig is maintain's configuration on a new database as production's roles
// (the owner maintains), and the owner's URL.
func maintainConfig(t *testing.T) (config.Config, string) {
	t.Helper()
	ownerURL := testenv.PostgresURL(t)
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_MIGRATE_DATABASE_URL": ownerURL,
		"OUTCOMES_DATABASE_URL": testenv.RoleURL(t, ownerURL, testenv.APIRole), "OUTCOMES_AUDIT_ARCHIVE_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg, ownerURL
}

// TestRetentionRulesRunEveryOrganisation: one organisation's rule failing does not keep
// the others from culling (gallring). The failure is one a deployment meets: a person
// due for erasure is locked by an edit under way (or a session left open), and the
// database sets no lock_timeout of its own: erasing that person waits
// retention.LockWait, not as long as the lock is held. The failing organisation is the
// first the run comes to. maintain names it (and no person), says how many rules
// failed, and records retention_rules as failing.
func TestRetentionRulesRunEveryOrganisation(t *testing.T) {
	t.Parallel()
	// Without the bound the run waits for the lock until this ends (and fails below).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, pool := maintainConfigPool(t)
	ps := participant.NewStore(pool)
	var orgs, people, pnrs []string
	for i, code := range []string{"gallra1", "gallra2", "gallra3"} {
		org := testenv.Organisation(t, pool, code)
		// Two people each, registered long ago and never active since: every rule
		// selects both.
		var pnr string
		var p participant.Participant
		var err error
		for j := 0; j < 2; j++ {
			pnr = demo.Personnummer(time.Date(1960, 3, 3, 0, 0, 0, 0, time.UTC), 200+10*i+j)
			p, err = ps.Create(ctx, participant.CreateInput{OrganisationID: org, Gender: participant.Woman,
				GivenName: "Gallringsfall", FamilyName: "Efternamnsson", PersonalIdentityNumber: pnr})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `UPDATE participant SET created_at = '2012-01-01' WHERE id = $1`, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := pool.Exec(ctx, `INSERT INTO retention_rule (organisation_id, inactive_years, mode, last_dry_run_at, last_dry_run_count, updated_by)
			VALUES ($1, 5, 'active', now(), 1, 'test')`, org); err != nil {
			t.Fatal(err)
		}
		orgs, people, pnrs = append(orgs, org), append(people, p.ID), append(pnrs, pnr)
	}
	// The run goes by organisation id: lock a person of the first it comes to; the
	// other person of that organisation is still erased.
	first := 0
	for i := range orgs {
		if orgs[i] < orgs[first] {
			first = i
		}
	}
	edit, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer edit.Rollback(context.Background()) //nolint:errcheck
	if _, err := edit.Exec(ctx, `SELECT 1 FROM participant WHERE id = $1 FOR UPDATE`, people[first]); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	err = admin.Maintain(ctx, cfg, 0, time.Now, &out)
	text, errText := out.String(), fmt.Sprint(err)
	t.Logf("maintain said:\n%s", text)
	if err == nil || !strings.Contains(err.Error(), maintenance.TaskRetentionRules) || !strings.Contains(err.Error(), "1 of 3 retention rules failed") {
		t.Errorf("maintain returned %v; want an error naming %s and saying 1 of 3 rules failed\n%s", err, maintenance.TaskRetentionRules, text)
	}
	if ctx.Err() != nil {
		t.Fatalf("maintain waited for the locked person until the test's deadline: %v", err)
	}
	if err := edit.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for i, org := range orgs {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, org).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[i == first]; n != want {
			t.Errorf("organisation %d (failing: %v): %d people left, want %d\n%s", i, i == first, n, want, text)
		}
	}
	if !strings.Contains(text, "retention "+orgs[first]+": failed") || !strings.Contains(text, "lock timeout") ||
		!strings.Contains(text, "retention: 2 rules run (0 dry runs, 2 erasing), 1 failed") {
		t.Errorf("the failure is not reported naming the organisation:\n%s", text)
	}
	if !strings.Contains(text, "1 of 2 people could not be erased") {
		t.Errorf("the failing organisation's report does not say how many people were left:\n%s", text)
	}
	var recorded string
	if err := pool.QueryRow(ctx, `SELECT last_error FROM maintenance_run WHERE task = $1`, maintenance.TaskRetentionRules).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(recorded, "1 of 3 retention rules failed") || !strings.Contains(recorded, orgs[first]) {
		t.Errorf("maintenance_run records %q for %s", recorded, maintenance.TaskRetentionRules)
	}
	for _, personal := range append(pnrs, "Gallringsfall", "Efternamnsson", people[first]) {
		if strings.Contains(text, personal) || strings.Contains(errText, personal) || strings.Contains(recorded, personal) {
			t.Errorf("the report names a person (%q):\n%s", personal, text)
		}
	}
}

// stopOn passes what is written to it on to w and calls stop at the first line holding
// marker.
type stopOn struct {
	w      *bytes.Buffer
	marker string
	stop   func()
}

func (s *stopOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), s.marker) {
		defer s.stop()
	}
	return s.w.Write(p)
}

// TestScheduledMaintainLogsJSONLines: `outcomesctl maintain -every 1h` is a service
// (make run starts it beside the API and the loader, whose zerolog JSON lines share its
// stderr): everything it says is a JSON log line, its failures at level error with the
// task named. The run's retention rules fail (their table taken away); the service is
// stopped once it has said so.
func TestScheduledMaintainLogsJSONLines(t *testing.T) {
	t.Parallel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ownerURL := testenv.PostgresURL(t)
	pool, err := db.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `ALTER TABLE retention_rule RENAME TO retention_rule_gone`); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_MIGRATE_DATABASE_URL": ownerURL,
		"OUTCOMES_DATABASE_URL": testenv.RoleURL(t, ownerURL, testenv.APIRole), "OUTCOMES_AUDIT_ARCHIVE_DIR": t.TempDir()}
	var stdout, stderr bytes.Buffer
	// Stopped whichever stream says it (the plain lines went to standard output).
	code := admin.Run(ctx, []string{"maintain", "-every", "1h"}, func(k string) string { return env[k] },
		&stopOn{w: &stdout, marker: "maintenance failed", stop: stop}, &stopOn{w: &stderr, marker: "maintenance failed", stop: stop})
	t.Logf("maintain -every logged:\n%s", stderr.String())
	if code != 0 || stdout.Len() != 0 {
		t.Errorf("maintain -every: exit %d, standard output %q; want 0 and nothing (the log is on stderr)", code, stdout.String())
	}
	seen := map[string]string{} // task or message: level
	for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		var e struct{ Level, Service, Time, Message, Task, Error string }
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Service != "maintain" || e.Level == "" || e.Time == "" || e.Message == "" {
			t.Fatalf("not a JSON log line of the service (%v): %q\nall:\n%s", err, line, stderr.String())
		}
		if e.Task != "" {
			seen[e.Task] = e.Level
		} else {
			seen[e.Message] = e.Level
		}
	}
	for key, level := range map[string]string{maintenance.TaskOutbox: "info", maintenance.TaskInactivityExits: "info",
		maintenance.TaskRetentionRules: "error", "maintenance failed": "error"} {
		if seen[key] != level {
			t.Errorf("%s logged at %q, want %q:\n%s", key, seen[key], level, stderr.String())
		}
	}
}
