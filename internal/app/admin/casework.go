package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	retentionrule "github.com/arbetsmarknad/outcomes/internal/domain/retention"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/maintenance"
)

// The scheduled casework jobs of issue 16: exits from inactivity and each
// organisation's retention rules. Both run from maintain's schedule and on their own
// (outcomesctl inactivity-exits, outcomesctl retention-rules); both are audited as
// writes of the CLI (cliWrite) and idempotent.

// InactivityExits exits every enrolment due under its organisation's inactivity rule
// (orgID "": all organisations) and prints what it did.
func InactivityExits(ctx context.Context, pool *pgxpool.Pool, orgID string, dryRun bool, now time.Time, out io.Writer) error {
	_, err := inactivityExits(ctx, pool, orgID, dryRun, now, out)
	return err
}

// inactivityExits is InactivityExits, also returning how many enrolments it exited.
func inactivityExits(ctx context.Context, pool *pgxpool.Pool, orgID string, dryRun bool, now time.Time, out io.Writer) (int64, error) {
	run, err := enrolment.NewStore(pool).RunInactivityExits(cliWrite(ctx, "inactivity-exits", "enrolment"), orgID, calendar.Today(now), dryRun)
	if err != nil {
		return 0, err
	}
	verb := "exited"
	if dryRun {
		verb = "would exit (dry run)"
	}
	perOrg := map[string]int{}
	for _, c := range run.Exited {
		perOrg[c.Enrolment.OrganisationID]++
	}
	for org, n := range perOrg {
		fmt.Fprintf(out, "organisation %s: %d\n", org, n)
	}
	fmt.Fprintf(out, "inactivity: %s %d enrolments, each dated back to its last activity\n", verb, len(run.Exited))
	return int64(len(run.Exited)), nil
}

// RetentionRules runs every organisation's retention rule: rules in dry-run mode count
// whom they would erase, active rules erase (the loader then removes the people's
// warehouse rows).
func RetentionRules(ctx context.Context, pool *pgxpool.Pool, now time.Time, out io.Writer) error {
	_, err := retentionRules(ctx, pool, now, out)
	return err
}

// retentionRules is RetentionRules, also returning how many people the rules erased.
func retentionRules(ctx context.Context, pool *pgxpool.Pool, now time.Time, out io.Writer) (int64, error) {
	outs, err := retentionrule.NewStore(pool).Run(cliWrite(ctx, "retention-rules", "retention_rule"), calendar.Today(now))
	dry, failed := 0, 0
	var erased int64
	for _, o := range outs {
		erased += int64(o.Erased)
		switch {
		case o.Err != nil:
			failed++
			fmt.Fprintf(out, "retention %s: failed (%d erased): %v\n", o.OrganisationID, o.Erased, o.Err)
		case o.Mode == retentionrule.DryRun:
			dry++
			fmt.Fprintf(out, "retention %s: dry run, would erase %d people inactive since before %s\n",
				o.OrganisationID, o.Candidates, o.Cutoff.Format(time.DateOnly))
		default:
			fmt.Fprintf(out, "retention %s: erased %d people inactive since before %s\n",
				o.OrganisationID, o.Erased, o.Cutoff.Format(time.DateOnly))
		}
	}
	var runErr *retentionrule.RunError
	if err == nil || errors.As(err, &runErr) {
		// Said even when no organisation has a rule, so that a run is never silent.
		fmt.Fprintf(out, "retention: %d rules run (%d dry runs, %d erasing)", len(outs)-failed, dry, len(outs)-failed-dry)
		if failed > 0 {
			fmt.Fprintf(out, ", %d failed", failed)
		}
		fmt.Fprintln(out)
	}
	return erased, err
}

func caseworkCommand(ctx context.Context, cfg config.Config, run func(*pgxpool.Pool) error) error {
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	return run(pool)
}

// scheduledCasework runs the casework jobs from maintain's schedule; each reports its
// own failure and the other still runs. Each run is recorded in maintenance_run (m), so
// that /metrics shows a failing job as it shows a failing maintenance task.
func scheduledCasework(ctx context.Context, m *maintenance.Maintainer, now time.Time, o maintainOutput) error {
	jobs := []struct {
		task string
		run  func(io.Writer) (int64, error)
	}{
		{maintenance.TaskInactivityExits, func(out io.Writer) (int64, error) { return inactivityExits(ctx, m.Pool, "", false, now, out) }},
		{maintenance.TaskRetentionRules, func(out io.Writer) (int64, error) { return retentionRules(ctx, m.Pool, now, out) }},
	}
	var first error
	for _, j := range jobs {
		n, err := j.run(o.lines(j.task))
		// A run cut short by a stop (ctx ended) is not a failure: maintain says so once.
		if ctx.Err() != nil {
			return err
		}
		if err != nil {
			o.failed(j.task, err)
		}
		if rerr := m.Record(ctx, maintenance.Result{Task: j.task, Count: n, Err: err}); rerr != nil && err == nil {
			o.failed(j.task, rerr)
			err = rerr
		}
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", j.task, err)
		}
	}
	return first
}
