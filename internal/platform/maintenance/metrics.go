package maintenance

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
)

// TableStat is the size and age of one growing table.
type TableStat struct {
	Table         string
	Bytes         int64   // on disk, indexes and partitions included
	RowsEstimate  int64   // the planner's estimate (pg_class.reltuples): counting would scan
	OldestSeconds float64 // age of the oldest row; 0 when empty
}

// TaskStat is the last run of one maintenance task.
type TaskStat struct {
	Task          string
	SinceOK       float64 // seconds since it last succeeded; -1 never
	Failing       bool    // its last run failed
	LastCount     int64
	LastError     string
	LastRunAt     time.Time
	EverSucceeded bool
}

// Stats is what /metrics shows about growth and maintenance.
type Stats struct {
	Tables           []TableStat
	Tasks            []TaskStat
	AuditDefaultRows int64 // audit rows of months without their partition
}

// oldestSQL reads each table's oldest row cheaply (by an index).
var oldestSQL = map[string]string{
	"audit_log":       `SELECT at FROM audit_log ORDER BY id LIMIT 1`,
	changes.Table:     changes.OldestSQL,
	"idempotency_key": `SELECT created_at FROM idempotency_key ORDER BY created_at LIMIT 1`,
}

// GrowingTables are the tables maintenance bounds.
var GrowingTables = []string{"audit_log", changes.Table, "idempotency_key"}

// ReadStats reads the stats at now. ctx should carry a system principal when pool is the
// API's scoped pool (idempotency keys are under row-level security).
func ReadStats(ctx context.Context, pool *pgxpool.Pool, now time.Time) (Stats, error) {
	var s Stats
	for _, t := range GrowingTables {
		ts := TableStat{Table: t}
		// Sizes summed over the table and its partitions (a plain table is its own tree).
		if err := pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint,
				coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
			FROM pg_partition_tree($1::regclass) pt JOIN pg_class c ON c.oid = pt.relid`, t).Scan(&ts.Bytes, &ts.RowsEstimate); err != nil {
			return s, fmt.Errorf("size of %s: %w", t, err)
		}
		var oldest *time.Time
		rows, err := pool.Query(ctx, oldestSQL[t])
		if err != nil {
			return s, fmt.Errorf("oldest %s: %w", t, err)
		}
		for rows.Next() {
			if err := rows.Scan(&oldest); err != nil {
				rows.Close()
				return s, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s, fmt.Errorf("oldest %s: %w", t, err)
		}
		if oldest != nil {
			ts.OldestSeconds = now.Sub(*oldest).Seconds()
		}
		s.Tables = append(s.Tables, ts)
	}
	// Rows outside the monthly partitions' span are the default partition's; counted
	// through audit_log (the partition itself is the owner's alone), where the range
	// prunes the query to the default partition.
	parts, err := Partitions(ctx, pool)
	if err != nil {
		return s, err
	}
	lo, hi := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	if len(parts) > 0 {
		lo, hi = parts[0].Month, parts[len(parts)-1].Month.AddDate(0, 1, 0)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE at < $1 OR at >= $2`, lo, hi).Scan(&s.AuditDefaultRows); err != nil {
		return s, fmt.Errorf("audit rows without a partition: %w", err)
	}
	runs := map[string]TaskStat{}
	rows, err := pool.Query(ctx, `SELECT task, last_run_at, last_ok_at, last_count, last_error FROM maintenance_run`)
	if err != nil {
		return s, fmt.Errorf("maintenance runs: %w", err)
	}
	for rows.Next() {
		var ts TaskStat
		var ok *time.Time
		if err := rows.Scan(&ts.Task, &ts.LastRunAt, &ok, &ts.LastCount, &ts.LastError); err != nil {
			rows.Close()
			return s, err
		}
		ts.SinceOK = -1
		if ok != nil {
			ts.SinceOK, ts.EverSucceeded = now.Sub(*ok).Seconds(), true
		}
		ts.Failing = ts.LastError != ""
		runs[ts.Task] = ts
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	for _, task := range Reported {
		ts, ok := runs[task]
		if !ok {
			ts = TaskStat{Task: task, SinceOK: -1}
		}
		s.Tasks = append(s.Tasks, ts)
	}
	return s, nil
}

// Collector exposes Stats on /metrics, read once per scrape.
type Collector struct {
	pool *pgxpool.Pool
	now  func() time.Time

	bytes, rows, oldest, defaultRows, sinceOK, failing, up *prometheus.Desc
}

// NewCollector reads stats from pool (the API's scoped pool is fine: the collector reads
// as the system).
func NewCollector(pool *pgxpool.Pool) *Collector {
	return &Collector{pool: pool, now: time.Now,
		bytes: prometheus.NewDesc("outcomes_table_bytes", "Size on disk of a growing table, indexes and partitions included.", []string{"table"}, nil),
		rows:  prometheus.NewDesc("outcomes_table_rows_estimate", "Rows in a growing table (the planner's estimate).", []string{"table"}, nil),
		oldest: prometheus.NewDesc("outcomes_table_oldest_row_seconds", "Age of the oldest row of a growing table (0: empty).",
			[]string{"table"}, nil),
		defaultRows: prometheus.NewDesc("outcomes_audit_log_default_rows",
			"Audit rows in the default partition: months without their own partition (maintenance is not running).", nil, nil),
		sinceOK: prometheus.NewDesc("outcomes_maintenance_last_success_seconds",
			"Seconds since the maintenance task last succeeded (-1: never).", []string{"task"}, nil),
		failing: prometheus.NewDesc("outcomes_maintenance_failing", "1 when the maintenance task's last run failed.", []string{"task"}, nil),
		up:      prometheus.NewDesc("outcomes_maintenance_stats_up", "1 when the growth and maintenance stats could be read.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytes, c.rows, c.oldest, c.defaultRows, c.sinceOK, c.failing, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(auth.With(context.Background(), auth.Principal{Subject: "metrics", System: true}), 3*time.Second)
	defer cancel()
	s, err := ReadStats(ctx, c.pool, c.now())
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, t := range s.Tables {
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(t.Bytes), t.Table)
		ch <- prometheus.MustNewConstMetric(c.rows, prometheus.GaugeValue, float64(t.RowsEstimate), t.Table)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, t.OldestSeconds, t.Table)
	}
	ch <- prometheus.MustNewConstMetric(c.defaultRows, prometheus.GaugeValue, float64(s.AuditDefaultRows))
	for _, t := range s.Tasks {
		failing := 0.0
		if t.Failing {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(c.sinceOK, prometheus.GaugeValue, t.SinceOK, t.Task)
		ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, failing, t.Task)
	}
}
