// Package loader streams participant changes from PostgreSQL's transactional outbox
// into ClickHouse. For every batch of pending change events it re-reads the affected
// participants, rebuilds all their warehouse rows with a new version, writes them (and
// tombstones for rows no longer implied) in one ClickHouse batch per table, and only
// then marks the events processed. A crash anywhere leaves the events pending, and
// replaying them writes the same content under a newer version: nothing lost, nothing
// counted twice.
//
// The live loop and the rebuild run the same pipeline (pipeline.go): read ‖ build ‖
// write. Errors are classified (classify.go): a transient one leaves the batch to be
// retried with growing waits; a permanent one (a row ClickHouse refuses, a snapshot that
// cannot be built) is narrowed down to the participant whose change causes it, who
// becomes a dead letter (deadletter.go) while the rest of the batch, and the queue, move
// on.
package loader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// LockKey is the advisory lock that keeps one loader active at a time.
const LockKey = 7361002

// Loader moves changes from PostgreSQL to ClickHouse.
type Loader struct {
	PG        *pgxpool.Pool
	CH        driver.Conn      // rows are read and written here: one server, or a cluster's front
	Cluster   *chstore.Cluster // the shards behind CH (nil: one server), for the erasure's mutation
	Keys      pseudonym.Keyer
	BatchSize int           // change events per batch: a batch is written once this many are pending,
	Linger    time.Duration // or this long after a notification said the first one arrived
	Poll      time.Duration // longest wait between checks when no notification arrives
	Log       zerolog.Logger
	Metrics   *Metrics
	Now       func() time.Time

	batchSeq    uint64
	rolledMonth time.Time
}

// Warehouse is the loader's ClickHouse as chstore.Warehouse, for the work every server
// does itself (migrations, schema check, rebuild bookkeeping, erasure).
func (l *Loader) Warehouse() chstore.Warehouse {
	return chstore.Warehouse{Conn: l.CH, Cluster: l.Cluster}
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Loader) defaults() {
	if l.BatchSize <= 0 {
		l.BatchSize = 500
	}
	if l.Poll <= 0 {
		l.Poll = time.Second
	}
	if l.Metrics == nil {
		l.Metrics = NewMetrics(nil)
	}
}

// Run processes changes until ctx ends. It holds the loader lock on a dedicated
// connection (so a second loader waits, and takes over when this one dies), listens for
// new-change notifications on it, and polls as a fallback. Errors are logged and
// retried with growing waits; Run returns only when ctx ends.
func (l *Loader) Run(ctx context.Context) error {
	l.defaults()
	backoff := newBackoff()
	for ctx.Err() == nil {
		err := l.runLocked(ctx, backoff)
		if ctx.Err() != nil {
			break
		}
		wait := backoff.next()
		l.Metrics.Errors.WithLabelValues("connection").Inc()
		l.Log.Warn().Err(err).Dur("retry_in", wait).Msg("loader lost its PostgreSQL session; reconnecting")
		sleep(ctx, wait)
	}
	return nil
}

func (l *Loader) runLocked(ctx context.Context, backoff *backoff) error {
	conn, err := pgx.ConnectConfig(ctx, l.PG.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	waiting := false
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, LockKey).Scan(&got); err != nil {
			return fmt.Errorf("try loader lock: %w", err)
		}
		if got {
			break
		}
		if !waiting {
			l.Log.Info().Msg("another loader holds the lock; waiting to take over")
			waiting = true
		}
		if !sleep(ctx, l.Poll) {
			return ctx.Err()
		}
	}
	l.Log.Info().Msg("loader lock taken; processing changes")
	if _, err := conn.Exec(ctx, "LISTEN "+changes.Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	for ctx.Err() == nil {
		if err := l.rollover(ctx); err != nil {
			l.Metrics.Errors.WithLabelValues("rollover").Inc()
			l.Log.Warn().Err(err).Msg("month rollover failed; will retry")
		}
		n, err := l.ProcessOnce(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			wait := backoff.next()
			l.Log.Warn().Err(err).Dur("retry_in", wait).Msg("batch failed; its changes stay pending and will be retried")
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
			if err := conn.Ping(ctx); err != nil {
				return fmt.Errorf("lock connection: %w", err)
			}
			continue
		}
		backoff.reset()
		if n >= l.BatchSize {
			continue // more is waiting
		}
		wctx, cancel := context.WithTimeout(ctx, l.Poll)
		_, err = conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("wait for notification: %w", err)
		}
		if err == nil && l.Linger > 0 {
			// Let the changes of a burst gather into one batch (a full batch goes at once:
			// the loop above does not wait when BatchSize changes were pending).
			sleep(ctx, l.Linger)
		}
	}
	return ctx.Err()
}

// rollover extends every open timeline when a new month begins: it queues a change for
// every participant with a history, once per month, so the new month's rows appear
// without anyone writing in PostgreSQL.
func (l *Loader) rollover(ctx context.Context) error {
	month := snapshot.Month(calendar.Today(l.now()))
	if l.rolledMonth.Equal(month) {
		return nil
	}
	tx, err := l.PG.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var last string
	err = tx.QueryRow(ctx, `SELECT value FROM loader_state WHERE name = 'rollover_month' FOR UPDATE`).Scan(&last)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read rollover state: %w", err)
	}
	cur := month.Format("2006-01")
	if last == cur {
		l.rolledMonth = month
		return nil
	}
	queued, err := changes.QueueRollover(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO loader_state (name, value) VALUES ('rollover_month', $1)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, cur); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	l.rolledMonth = month
	if last != "" {
		l.Log.Info().Str("month", cur).Int64("participants", queued).Msg("month rollover queued")
	}
	return nil
}

type backoff struct{ cur time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = 250 * time.Millisecond
	case b.cur < 15*time.Second:
		b.cur *= 2
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
