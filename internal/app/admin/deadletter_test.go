package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestPoisonChangeIsDeadLetteredAndRetried: a change whose rows ClickHouse refuses (here
// the warehouse's gender column is narrowed to an Enum8 without 'other', so the driver
// refuses that participant's months) does not hold up the queue: the loader splits the
// batch, the participant lands in loader_dead_letter with the column as reason (never
// the value), the changes after it reach the warehouse, nothing stays pending, the
// metric counts it, and `outcomesctl reconcile` reports it. A retry before the fix
// leaves it open; once the cause is fixed,
// `outcomesctl dead-letters -retry` queues the participant again, the loader writes
// them and the dead letter closes.
func TestPoisonChangeIsDeadLetteredAndRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, pool := testenv.PostgresWithURL(t)
	ch, opts := testenv.ClickHouse(t)
	org := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: "giftkommun", Name: "Giftkommun", Kind: organisation.Municipality})
	mk := func(serial int, g participant.Gender) string {
		p, err := participant.NewStore(pool).Create(ctx, participant.CreateInput{OrganisationID: org.ID, Gender: g, GivenName: "Gift", FamilyName: "Prov",
			PersonalIdentityNumber: demo.Personnummer(time.Date(1985, 3, 3, 0, 0, 0, 0, time.UTC), serial)})
		if err != nil {
			t.Fatal(err)
		}
		end, reason := time.Date(2019, 3, 31, 0, 0, 0, 0, time.UTC), outcome.JobSeeking
		if _, err := enrolment.NewStore(pool).Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: "work_practice",
			StartDate: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: &end, ExitReason: &reason}); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	before, poison, after := mk(201, participant.Woman), mk(202, participant.Other), mk(203, participant.Man)

	alter := func(typ string) {
		t.Helper()
		if err := ch.Exec(ctx, "ALTER TABLE participant_month MODIFY COLUMN gender "+typ); err != nil {
			t.Fatalf("alter gender to %s: %v", typ, err)
		}
	}
	alter("Enum8('' = 0, 'woman' = 1, 'man' = 2)")

	key := "poison-test-pseudonym-key-0123456789"
	l := &loader.Loader{PG: pool, CH: ch, Keys: pseudonym.New([]byte(key)), BatchSize: 100, Log: zerolog.Nop(),
		Metrics: loader.NewMetrics(nil)}
	drain := func() {
		t.Helper()
		for {
			n, err := l.ProcessOnce(ctx)
			if err != nil {
				t.Fatalf("process: %v", err)
			}
			if n == 0 {
				return
			}
		}
	}
	months := func(participantID string) uint64 {
		t.Helper()
		var n uint64
		if err := ch.QueryRow(ctx, `SELECT count() FROM participant_month WHERE person_key = ?`, l.Keys.Person(participantID)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	drain()

	if months(before) == 0 || months(after) == 0 {
		t.Errorf("the changes around the poison did not reach the warehouse: %d and %d month rows", months(before), months(after))
	}
	if n := months(poison); n != 0 {
		t.Errorf("%d month rows of the refused participant reached ClickHouse", n)
	}
	if got := testutil.ToFloat64(l.Metrics.DeadLetters); got != 1 {
		t.Errorf("dead letters counted: %v, want 1", got)
	}
	var reason string
	if err := pool.QueryRow(ctx, `SELECT reason FROM loader_dead_letter WHERE participant_id = $1 AND resolved_at IS NULL`, poison).Scan(&reason); err != nil {
		t.Fatalf("no open dead letter for the poison: %v", err)
	}
	if !strings.Contains(reason, "participant_month.gender") || strings.Contains(reason, "other") {
		t.Errorf("reason %q: want the column, never the value", reason)
	}
	if pending, _, err := changes.Backlog(ctx, pool, ""); err != nil || pending != 0 {
		t.Errorf("%d changes left pending (%v): a dead letter must not block the queue", pending, err)
	}

	env := map[string]string{"OUTCOMES_DATABASE_URL": url, "OUTCOMES_ENV": "dev", "OUTCOMES_PSEUDONYM_KEY": key,
		"OUTCOMES_CLICKHOUSE_ADDR": opts.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": opts.Database}
	if _, err := config.Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) { code, out, errOut := ctl(env, args...); return code, out + errOut }
	// Retrying before the fix fails again, and the dead letter stays open.
	if code, out := run("dead-letters", "-retry"); code != 0 || !strings.Contains(out, "queued 1 participants") {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	drain()
	if n := months(poison); n != 0 {
		t.Fatalf("written before the fix: %d rows", n)
	}

	alter("String") // the fix (reconcile reads the column as the spec says it is)
	if code, out := run("reconcile"); code != 1 || !strings.Contains(out, "participant "+poison) || !strings.Contains(out, "1 open dead letters") {
		t.Fatalf("reconcile with a dead letter: exit %d, want 1 naming it\n%s", code, out)
	}
	if code, out := run("dead-letters"); code != 0 || !strings.Contains(out, poison) || !strings.Contains(out, "participant_month.gender") {
		t.Fatalf("dead-letters: exit %d\n%s", code, out)
	}
	if code, out := run("dead-letters", "-retry"); code != 0 || !strings.Contains(out, "queued 1 participants") {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}
	drain()
	if n := months(poison); n == 0 {
		t.Errorf("after the fix and the retry the participant has no rows in the warehouse")
	}
	var open int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM loader_dead_letter WHERE resolved_at IS NULL`).Scan(&open); err != nil || open != 0 {
		t.Errorf("%d dead letters still open after the retry (%v)", open, err)
	}
	if code, out := run("reconcile"); code != 0 || !strings.Contains(out, "agree") {
		t.Errorf("reconcile after the retry: exit %d\n%s", code, out)
	}
}
