// Package maintenance keeps the system of record from growing without bound: it prunes
// change events the warehouse already has, expires idempotency keys, and keeps
// audit_log's monthly partitions (created ahead of time; archived to a JSON-lines file
// with a SHA-256 checksum, then dropped, once past retention). Every task that changes
// something is audited and its last run is recorded for /metrics.
//
// It runs as the schema owner (outcomesctl maintain, on a timer): dropping an audit
// partition is DDL, which the API's role must not be able to do.
package maintenance

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
)

// Policy is how long things are kept.
type Policy struct {
	// OutboxRetention: processed change events older than this (by processed_at) are
	// deleted. Unprocessed events are never deleted, whatever their age.
	OutboxRetention time.Duration
	// IdempotencyTTL: idempotency keys older than this are deleted; a retry after that
	// is a new request.
	IdempotencyTTL time.Duration
	// AuditRetentionMonths: an audit month is archived and dropped once this many whole
	// months have followed it. 0 keeps every month.
	AuditRetentionMonths int
	// ArchiveDir receives audit archives. Without it no audit month is dropped (the
	// task fails and says so).
	ArchiveDir string
	// MonthsAhead: audit partitions are created this many months ahead of now.
	MonthsAhead int
}

// Task names, as recorded in maintenance_run and labelled in /metrics.
const (
	TaskPartitions  = "audit_partitions"
	TaskOutbox      = "outbox_prune"
	TaskIdempotency = "idempotency_expire"
	TaskAudit       = "audit_archive"
)

// Tasks lists every task in the order Run does them.
var Tasks = []string{TaskPartitions, TaskOutbox, TaskIdempotency, TaskAudit}

// The casework schedule that outcomesctl maintain runs after Tasks (exits from
// inactivity, each organisation's retention rule: gallring). Those jobs are the
// domain's, so Run does not do them; maintain records their runs with Record, and
// /metrics reports them beside Tasks: a retention rule that fails every hour must
// raise the same alert as a failing prune.
const (
	TaskInactivityExits = "inactivity_exits"
	TaskRetentionRules  = "retention_rules"
)

// Reported lists every task /metrics reports (outcomes_maintenance_*{task}).
var Reported = []string{TaskPartitions, TaskOutbox, TaskIdempotency, TaskAudit, TaskInactivityExits, TaskRetentionRules}

// Result is what one task did.
type Result struct {
	Task   string
	Count  int64  // partitions created, rows deleted, months archived
	Detail string // human-readable summary
	Err    error
}

func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: FAILED: %v", r.Task, r.Err)
	}
	return fmt.Sprintf("%s: %s", r.Task, r.Detail)
}

// Maintainer runs the tasks on a pool opened by the schema owner with db.Connect.
type Maintainer struct {
	Pool   *pgxpool.Pool
	Policy Policy
	Now    func() time.Time // injected in tests to move the clock forward
	Actor  string           // who runs it, for the audit log (e.g. "cli:root")
}

func (m *Maintainer) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Run does every task once. A failed task does not stop the others; the results say
// which failed, and err is the first failure.
func (m *Maintainer) Run(ctx context.Context) ([]Result, error) {
	now := m.now()
	runID := fmt.Sprintf("maintain-%d", now.UnixNano())
	var results []Result
	var first error
	for _, task := range Tasks {
		var r Result
		switch task {
		case TaskPartitions:
			r = m.ensurePartitions(ctx, now)
		case TaskOutbox:
			r = m.pruneOutbox(ctx, now)
		case TaskIdempotency:
			r = m.expireKeys(ctx, now)
		case TaskAudit:
			r = m.archiveAudit(ctx, now, runID)
		}
		r.Task = task
		if r.Err == nil && r.Count > 0 && task != TaskAudit { // audit months are audited one by one
			r.Err = m.audit(ctx, runID, audit.Entry{Action: audit.ActionWrite, Entity: entityOf(task), EntityID: r.Detail, Operation: "maintain:" + task})
		}
		if err := m.record(ctx, now, r); err != nil && r.Err == nil {
			r.Err = err
		}
		if r.Err != nil && first == nil {
			first = fmt.Errorf("%s: %w", task, r.Err)
		}
		results = append(results, r)
	}
	return results, first
}

func entityOf(task string) string {
	switch task {
	case TaskOutbox:
		return changes.Table
	case TaskIdempotency:
		return "idempotency_key"
	}
	return "audit_log"
}

func (m *Maintainer) audit(ctx context.Context, runID string, e audit.Entry) error {
	actor := m.Actor
	if actor == "" {
		actor = "maintenance"
	}
	return audit.NewStore(m.Pool).AppendSystem(ctx, actor, runID, e)
}

// Record notes the run of a task that Run does not do (TaskInactivityExits,
// TaskRetentionRules) in maintenance_run, as Run notes its own.
func (m *Maintainer) Record(ctx context.Context, r Result) error {
	return m.record(ctx, m.now(), r)
}

// record notes the task's run in maintenance_run.
func (m *Maintainer) record(ctx context.Context, now time.Time, r Result) error {
	msg := ""
	var okAt *time.Time
	if r.Err != nil {
		msg = r.Err.Error()
	} else {
		okAt = &now
	}
	_, err := m.Pool.Exec(ctx, `INSERT INTO maintenance_run (task, last_run_at, last_ok_at, last_count, last_error)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (task) DO UPDATE SET last_run_at = EXCLUDED.last_run_at,
			last_ok_at = coalesce(EXCLUDED.last_ok_at, maintenance_run.last_ok_at),
			last_count = EXCLUDED.last_count, last_error = EXCLUDED.last_error`,
		r.Task, now, okAt, r.Count, msg)
	if err != nil {
		return fmt.Errorf("record maintenance run: %w", err)
	}
	return nil
}

// monthStart is the first day of t's month (UTC).
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensurePartitions creates this month's audit partition and the next MonthsAhead, and
// one for every month whose rows wait in the default partition.
func (m *Maintainer) ensurePartitions(ctx context.Context, now time.Time) Result {
	ahead := m.Policy.MonthsAhead
	if ahead < 1 {
		ahead = 3
	}
	var months []time.Time
	for i := 0; i <= ahead; i++ {
		months = append(months, monthStart(now).AddDate(0, i, 0))
	}
	rows, err := m.Pool.Query(ctx, `SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM audit_log_default`)
	if err != nil {
		return Result{Err: fmt.Errorf("read default partition: %w", err)}
	}
	stray, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return Result{Err: fmt.Errorf("read default partition: %w", err)}
	}
	months = append(months, stray...)
	before, err := Partitions(ctx, m.Pool)
	if err != nil {
		return Result{Err: err}
	}
	have := map[string]bool{}
	for _, p := range before {
		have[p.Name] = true
	}
	var created int64
	var names []string
	for _, mo := range months {
		var name string
		if err := m.Pool.QueryRow(ctx, `SELECT audit_log_ensure_partition($1::date)`, mo).Scan(&name); err != nil {
			return Result{Count: created, Err: fmt.Errorf("create partition for %s: %w", mo.Format("2006-01"), err)}
		}
		if !have[name] {
			have[name] = true
			created++
			names = append(names, name)
		}
	}
	if created == 0 {
		return Result{Detail: "monthly partitions present up to " + months[ahead].Format("2006-01")}
	}
	return Result{Count: created, Detail: fmt.Sprintf("created %d partitions %v (up to %s)", created, names, months[ahead].Format("2006-01"))}
}

// pruneBatch bounds each DELETE so that a first run over years of events neither holds
// locks for long nor builds one huge transaction.
const pruneBatch = 10000

// pruneOutbox deletes processed change events older than the retention (see
// changes.PruneProcessed for why that loses nothing).
func (m *Maintainer) pruneOutbox(ctx context.Context, now time.Time) Result {
	if m.Policy.OutboxRetention <= 0 {
		return Result{Detail: "retention not set; nothing pruned"}
	}
	cutoff := now.Add(-m.Policy.OutboxRetention)
	var n int64
	for {
		k, err := changes.PruneProcessed(ctx, m.Pool, cutoff, pruneBatch)
		n += k
		if err != nil {
			return Result{Count: n, Err: fmt.Errorf("prune change events: %w", err)}
		}
		if k < pruneBatch {
			break
		}
	}
	return Result{Count: n, Detail: fmt.Sprintf("deleted %d processed change events processed before %s", n, cutoff.Format(time.RFC3339))}
}

// expireKeys deletes idempotency keys older than the TTL.
func (m *Maintainer) expireKeys(ctx context.Context, now time.Time) Result {
	if m.Policy.IdempotencyTTL <= 0 {
		return Result{Detail: "TTL not set; nothing expired"}
	}
	cutoff := now.Add(-m.Policy.IdempotencyTTL)
	n, err := deleteInBatches(ctx, m.Pool, `DELETE FROM idempotency_key WHERE (organisation_id, key) IN (
		SELECT organisation_id, key FROM idempotency_key WHERE created_at < $1 LIMIT $2)`, cutoff)
	if err != nil {
		return Result{Count: n, Err: fmt.Errorf("expire idempotency keys: %w", err)}
	}
	return Result{Count: n, Detail: fmt.Sprintf("deleted %d idempotency keys created before %s", n, cutoff.Format(time.RFC3339))}
}

func deleteInBatches(ctx context.Context, pool *pgxpool.Pool, sql string, cutoff time.Time) (int64, error) {
	var total int64
	for {
		tag, err := pool.Exec(ctx, sql, cutoff, pruneBatch)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
