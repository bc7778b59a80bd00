package admin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
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
	cfg, ownerURL := maintainConfig(t)
	pool, err := db.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
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
	err = admin.Maintain(ctx, cfg, 0, time.Now, &out)
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
