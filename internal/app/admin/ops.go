package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/backup"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/logging"
	"github.com/arbetsmarknad/outcomes/internal/platform/maintenance"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

func cliActor() string {
	user := os.Getenv("SUDO_USER")
	if user == "" {
		user = os.Getenv("USER")
	}
	if user == "" {
		user = "unknown"
	}
	return "cli:" + user
}

// maintain runs the maintenance tasks once, or every `every` until ctx ends. It runs as
// OUTCOMES_MIGRATE_DATABASE_URL's role, the schema owner: dropping an archived audit
// partition is DDL, which the API's role cannot do. A failed task makes the exit code 1 after the others have run.
// A one-off run says what it did in lines for a person; with every, a service, it writes
// JSON log lines instead (maintainOutput).
func maintain(ctx context.Context, cfg config.Config, every time.Duration, now func() time.Time, w io.Writer) error {
	out := newMaintainOutput(w, every, cfg.LogLevel)
	pool, err := db.Connect(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		out.fatal(err)
		return err
	}
	defer pool.Close()
	m := &maintenance.Maintainer{Pool: pool, Now: now, Actor: cliActor(), Policy: maintenance.Policy{
		OutboxRetention: cfg.OutboxRetention, IdempotencyTTL: cfg.IdempotencyTTL,
		AuditRetentionMonths: cfg.AuditRetentionMonths, ArchiveDir: cfg.AuditArchiveDir}}
	for {
		res, err := m.Run(ctx)
		if ctx.Err() == nil {
			for _, r := range res {
				out.result(r)
			}
			// The casework schedule (issue 16): exits from inactivity, retention rules.
			if cerr := scheduledCasework(ctx, m, now(), out); cerr != nil && err == nil {
				err = cerr
			}
			// Exits and erasures reach the loader now, not at its next poll; a failed
			// announcement only leaves them to that poll.
			actx, cancel := context.WithTimeout(ctx, 10*time.Second)
			changes.AnnounceOnce(actx, pool) //nolint:errcheck
			cancel()
		}
		if ctx.Err() != nil {
			// Stopped (make run's Ctrl-C, a service manager) while a run was under way:
			// the tasks it cut short did not fail, and they run again at the next start
			// (each is written to be run again). What finished is said.
			for _, r := range res {
				if r.Err == nil {
					out.result(r)
				}
			}
			out.say("maintenance stopped before it finished; the tasks it cut short run at the next start")
			if every <= 0 {
				return ctx.Err() // a single run asked for and not done
			}
			return nil
		}
		if every <= 0 {
			return err
		}
		if err != nil {
			out.runFailed(err, every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// maintainOutput is where maintain says what it did: lines for a person (a one-off run
// at a terminal or from cron), or, when it runs as a service (-every), JSON log lines
// through internal/platform/logging, as the API's and the loader's, whose stream its
// lines join (make run). Errors in log lines are redacted as every logged error is.
type maintainOutput struct {
	text io.Writer       // a one-off run's lines
	log  *zerolog.Logger // a service's log; nil for a one-off run
}

func newMaintainOutput(w io.Writer, every time.Duration, level string) maintainOutput {
	if every <= 0 {
		return maintainOutput{text: w}
	}
	log := logging.New(w, level, "maintain")
	return maintainOutput{text: w, log: &log}
}

// result says one task's result.
func (o maintainOutput) result(r maintenance.Result) {
	switch {
	case o.log == nil:
		fmt.Fprintln(o.text, r)
	case r.Err != nil:
		o.log.Error().Str("task", r.Task).Err(r.Err).Msg("maintenance task failed")
	default:
		o.log.Info().Str("task", r.Task).Int64("count", r.Count).Msg(r.Detail)
	}
}

// failed says that a task (a casework job) failed.
func (o maintainOutput) failed(task string, err error) {
	if o.log == nil {
		fmt.Fprintf(o.text, "%s failed: %v\n", task, err)
		return
	}
	o.log.Error().Str("task", task).Err(err).Msg("maintenance task failed")
}

// runFailed says that a scheduled run had failures and when the next one is.
func (o maintainOutput) runFailed(err error, every time.Duration) {
	if o.log == nil {
		fmt.Fprintf(o.text, "maintenance failed: %v (next run in %s)\n", err, every)
		return
	}
	o.log.Error().Err(err).Str("next_run_in", every.String()).Msg("maintenance failed")
}

// fatal says why maintain could not run at all.
func (o maintainOutput) fatal(err error) {
	if o.log != nil {
		o.log.Error().Err(err).Msg("maintenance cannot run")
	}
}

// say says a line of its own.
func (o maintainOutput) say(msg string) {
	if o.log == nil {
		fmt.Fprintln(o.text, msg)
		return
	}
	o.log.Info().Msg(msg)
}

// lines is a writer for the casework jobs' lines (which their stand-alone commands
// print as they are): as they are, or each line as a log line of the task, redacted as
// an error.
func (o maintainOutput) lines(task string) io.Writer {
	if o.log == nil {
		return o.text
	}
	return &logLines{log: o.log, task: task}
}

// logLines logs each whole line written to it.
type logLines struct {
	log  *zerolog.Logger
	task string
	part []byte
}

func (w *logLines) Write(p []byte) (int, error) {
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.log.Info().Str("task", w.task).Msg(logging.Redact(errors.New(string(w.part[:i]))))
		w.part = w.part[i+1:]
	}
}

// backupCmd dumps PostgreSQL with OUTCOMES_BACKUP_DATABASE_URL's role into dir.
func backupCmd(ctx context.Context, cfg config.Config, dir, binDir string, out io.Writer) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	start := time.Now()
	m, metaPath, err := backup.Create(ctx, cfg.BackupDatabaseURL, dir, binDir, start)
	if err != nil {
		return err
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := audit.NewStore(pool).AppendSystem(ctx, cliActor(), fmt.Sprintf("cli-%d", start.UnixNano()),
		audit.Entry{Action: audit.ActionRead, Entity: "database", EntityID: m.Database, Operation: "backup " + m.DumpFile + " sha256=" + m.SHA256}); err != nil {
		return err
	}
	fmt.Fprintf(out, "backup %s: %d bytes, schema migration %d, %d participants, sha256 %s, in %s\nmetadata %s\n",
		m.DumpFile, m.Bytes, m.PostgresMigration, m.Participants, m.SHA256, time.Since(start).Round(time.Millisecond), metaPath)
	return nil
}

// restoreCmd restores a backup into an empty database (OUTCOMES_BACKUP_DATABASE_URL's
// role loads it), brings the schema up to this release (OUTCOMES_MIGRATE_DATABASE_URL,
// the owner), and rebuilds the warehouse from it and reconciles, unless skipWarehouse.
func restoreCmd(ctx context.Context, cfg config.Config, file, binDir string, skipWarehouse bool, out io.Writer) error {
	if file == "" {
		return fmt.Errorf("-file is required (the backup's .json or .dump)")
	}
	latest, err := db.LatestMigration()
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Restore(ctx, cfg.BackupDatabaseURL, file, binDir, latest)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "restored %s (taken %s, schema migration %d, %d participants) in %s\n",
		m.DumpFile, m.CreatedAt.Format(time.RFC3339), m.PostgresMigration, m.Participants, time.Since(start).Round(time.Millisecond))
	pool, err := db.Connect(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := db.Migrate(ctx, pool)
	if err != nil {
		return fmt.Errorf("bring the restored schema up to this release: %w", err)
	}
	fmt.Fprintf(out, "postgresql: applied %s\n", versions(applied))
	if err := audit.NewStore(pool).AppendSystem(ctx, cliActor(), fmt.Sprintf("cli-%d", start.UnixNano()),
		audit.Entry{Action: audit.ActionWrite, Entity: "database", EntityID: m.Database, Operation: "restore " + m.DumpFile + " sha256=" + m.SHA256}); err != nil {
		return err
	}
	if skipWarehouse {
		fmt.Fprintln(out, "warehouse not touched: run `outcomesctl migrate` and `outcomesctl rebuild -fresh` before starting the loader")
		return nil
	}
	return withLoader(ctx, cfg, func(l *loader.Loader) error {
		wstart := time.Now()
		if _, err := l.Warehouse().Migrate(ctx); err != nil {
			return fmt.Errorf("clickhouse: %w", err)
		}
		if err := l.Warehouse().Recreate(ctx); err != nil {
			return err
		}
		st, err := l.Rebuild(ctx, loader.RebuildOptions{PageSize: 2000, Fresh: true})
		if err != nil {
			return err
		}
		if err := l.Warehouse().RecordRebuild(ctx, st.Participants, st.Rows); err != nil {
			return err
		}
		fmt.Fprintf(out, "warehouse rebuilt: %d participants, %d rows in %s\n", st.Participants, st.Rows, time.Since(wstart).Round(time.Millisecond))
		diffs, _, err := l.Reconcile(ctx, "")
		if err != nil {
			return err
		}
		if len(diffs) > 0 {
			for _, d := range diffs {
				fmt.Fprintln(out, d)
			}
			return fmt.Errorf("%d differences between PostgreSQL and the rebuilt warehouse", len(diffs))
		}
		fmt.Fprintf(out, "postgresql and clickhouse agree; restore done in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	})
}
