// Package loader streams participant changes from PostgreSQL's transactional outbox
// into ClickHouse. For every batch of pending change events it re-reads the affected
// participants, rebuilds all their warehouse rows with a new version, writes them (and
// tombstones for rows no longer implied) in one ClickHouse batch per table, and only
// then marks the events processed. A crash anywhere leaves the events pending, and
// replaying them writes the same content under a newer version: nothing lost, nothing
// counted twice.
package loader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// LockKey is the advisory lock that keeps one loader active at a time.
const LockKey = 7361002

// Loader moves changes from PostgreSQL to ClickHouse.
type Loader struct {
	PG        *pgxpool.Pool
	CH        driver.Conn
	Keys      pseudonym.Keyer
	BatchSize int           // change events per batch: a batch is written once this many are pending,
	Linger    time.Duration // or this long after a notification said the first one arrived
	Poll      time.Duration // longest wait between checks when no notification arrives
	Log       zerolog.Logger
	Metrics   *Metrics
	Now       func() time.Time

	batchSeq    uint64
	rolledMonth time.Time
	// deadLetters says whether open dead letters may exist (nil: not looked yet), so a
	// batch spends no statement on resolving them when there are none. (One recorded by
	// a rebuild beside this loader is resolved after this loader's next start.)
	deadLetters *bool
}

type event struct {
	id            int64
	orgID         string
	participantID string
	createdAt     time.Time
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
	if _, err := conn.Exec(ctx, `LISTEN change_event`); err != nil {
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

// ProcessOnce handles one batch of pending change events and returns how many it
// marked processed. Events are chosen by "not yet processed", never by a high-water
// mark, because sequence ids commit out of order.
func (l *Loader) ProcessOnce(ctx context.Context) (int, error) {
	l.defaults()
	start := time.Now()
	events, err := l.pending(ctx)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("read").Inc()
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	l.batchSeq++
	log := l.Log.With().Uint64("batch", l.batchSeq).Logger()
	orgOf := map[string]string{}
	for _, e := range events {
		orgOf[e.participantID] = e.orgID
	}
	rows, err := l.Sync(ctx, orgOf)
	if err != nil {
		l.Metrics.RejectedBatches.Inc()
		return 0, err
	}
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.id
	}
	// Only now, after ClickHouse acknowledged the rows, do the events count as done; the
	// same statement tells the API processes which organisations' figures changed
	// (PostgreSQL delivers the notices when it commits).
	if _, err := l.PG.Exec(ctx, livefigures.NotifySQL, ids); err != nil {
		l.Metrics.Errors.WithLabelValues("mark").Inc()
		l.Metrics.RejectedBatches.Inc()
		return 0, fmt.Errorf("mark changes processed: %w", err)
	}
	l.Metrics.EventsDone.Add(float64(len(events)))
	l.Metrics.BatchSeconds.Observe(time.Since(start).Seconds())
	log.Info().Int("changes", len(events)).Int("participants", len(orgOf)).Int("rows", rows).
		Int64("first_change", ids[0]).Dur("took", time.Since(start)).
		Float64("oldest_change_age_s", time.Since(events[0].createdAt).Seconds()).Msg("batch written")
	return len(events), nil
}

func (l *Loader) pending(ctx context.Context) ([]event, error) {
	rows, err := l.PG.Query(ctx, `SELECT id, organisation_id, participant_id, created_at FROM change_event
		WHERE processed_at IS NULL ORDER BY id LIMIT $1`, l.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("read pending changes: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event, error) {
		var e event
		err := r.Scan(&e.id, &e.orgID, &e.participantID, &e.createdAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read pending changes: %w", err)
	}
	var n int64
	var oldest *time.Time
	if err := l.PG.QueryRow(ctx, `SELECT count(*), min(created_at) FROM change_event WHERE processed_at IS NULL`).Scan(&n, &oldest); err == nil {
		l.Metrics.Pending.Set(float64(n))
		if oldest != nil {
			l.Metrics.OldestPending.Set(time.Since(*oldest).Seconds())
		} else {
			l.Metrics.OldestPending.Set(0)
		}
	}
	return events, nil
}

// Sync rebuilds and writes the warehouse rows of the given participants (id ->
// organisation id), tombstoning rows PostgreSQL no longer implies. It returns the
// number of rows written.
func (l *Loader) Sync(ctx context.Context, orgOf map[string]string) (int, error) {
	return l.sync(ctx, orgOf, true)
}

// sync is Sync; lookupLive false skips the tombstone lookup, for rebuilds into freshly
// created (empty) tables.
func (l *Loader) sync(ctx context.Context, orgOf map[string]string, lookupLive bool) (int, error) {
	b, err := l.prepare(ctx, orgOf, lookupLive)
	if err != nil {
		return 0, err
	}
	return l.write(ctx, b)
}

// prepared is a batch ready for ClickHouse.
type prepared struct {
	rows         chstore.Rows
	erased       []string // person keys of participants no longer in PostgreSQL
	participants int
	// deadLetters are the people left out because ClickHouse cannot hold their rows;
	// written are those whose rows (or erasure) the batch carries.
	deadLetters []deadLetter
	written     []string
}

// deadLetter is a person the loader refused to write, and why (a column, never a value).
type deadLetter struct {
	orgID, participantID, reason string
}

// prepare reads the participants' histories and builds their rows, plus tombstones for
// live rows PostgreSQL no longer implies.
func (l *Loader) prepare(ctx context.Context, orgOf map[string]string, lookupLive bool) (prepared, error) {
	l.defaults()
	ids := make([]string, 0, len(orgOf))
	for id := range orgOf {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	version, persons, err := readHistories(ctx, l.PG, ids)
	if err != nil {
		l.Metrics.Errors.WithLabelValues("read").Inc()
		return prepared{}, err
	}
	asOf := snapshot.Month(calendar.Today(l.now()))
	out := prepared{rows: chstore.Rows{Version: version, Fresh: !lookupLive}}
	batch := &out.rows
	// Room for about ten years of months per person, so appends rarely copy.
	batch.Months = make([]snapshot.MonthRow, 0, len(ids)*120)
	batch.Enrolments = make([]snapshot.EnrolmentRow, 0, len(ids)*2)
	byOrg := map[string][]string{} // org -> person keys
	type implied struct {
		months     map[int64]bool
		enrolments map[string]bool
	}
	implies := map[string]implied{}
	for _, id := range ids {
		key := l.Keys.Person(id)
		org := orgOf[id]
		p := persons[id]
		if p == nil {
			out.erased = append(out.erased, key)
		} else {
			org = p.OrgID
			months, enrolments := snapshot.Build(*p, asOf, l.Keys)
			if err := chstore.Representable(months, enrolments); err != nil {
				// Left out, with its earlier rows untouched: the driver would wrap the value
				// into a wrong one. Recorded as a dead letter once the batch is written.
				out.deadLetters = append(out.deadLetters, deadLetter{orgID: org, participantID: id, reason: err.Error()})
				continue
			}
			batch.Months = append(batch.Months, months...)
			batch.Enrolments = append(batch.Enrolments, enrolments...)
			if lookupLive {
				im := implied{months: make(map[int64]bool, len(months)), enrolments: make(map[string]bool, len(enrolments))}
				for _, m := range months {
					im.months[m.Month.Unix()] = true
				}
				for _, e := range enrolments {
					im.enrolments[e.EnrolmentKey] = true
				}
				implies[key] = im
			}
		}
		byOrg[org] = append(byOrg[org], key)
		out.written = append(out.written, id)
	}
	if !lookupLive {
		return out, nil
	}
	for org, keys := range byOrg {
		live, err := chstore.Live(ctx, l.CH, org, keys)
		if err != nil {
			l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
			return prepared{}, err
		}
		for _, key := range keys {
			im := implies[key] // zero value for the erased: everything live is tombstoned
			for _, m := range live.Months[key] {
				if !im.months[snapshot.Month(m).Unix()] {
					batch.DeletedMonths = append(batch.DeletedMonths, snapshot.MonthRow{OrgID: org, PersonKey: key, Month: m})
				}
			}
			for _, e := range live.Enrolments[key] {
				if !im.enrolments[e] {
					batch.DeletedEnrolments = append(batch.DeletedEnrolments, snapshot.EnrolmentRow{OrgID: org, EnrolmentKey: e, PersonKey: key})
				}
			}
		}
	}
	return out, nil
}

// write sends a prepared batch to ClickHouse and returns the rows written.
func (l *Loader) write(ctx context.Context, b prepared) (int, error) {
	if err := chstore.Write(ctx, l.CH, b.rows); err != nil {
		l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
		return 0, err
	}
	// Erased people: the tombstones hide them at once; the mutation removes their data
	// rows physically when ClickHouse gets to it.
	if err := chstore.DeletePersons(ctx, l.CH, b.erased); err != nil {
		l.Metrics.Errors.WithLabelValues("clickhouse").Inc()
		return 0, err
	}
	if err := l.recordDeadLetters(ctx, b); err != nil {
		l.Metrics.Errors.WithLabelValues("dead_letter").Inc()
		return 0, err
	}
	n := b.rows.Len()
	l.Metrics.RowsWritten.Add(float64(n))
	l.Metrics.BatchSize.Observe(float64(n))
	return n, nil
}

// recordDeadLetters stores the batch's refused people (one open dead letter per person)
// and closes the open dead letters of the people the batch wrote: a later fix resolves
// them.
func (l *Loader) recordDeadLetters(ctx context.Context, b prepared) error {
	if l.deadLetters == nil {
		var open bool
		if err := l.PG.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM loader_dead_letter WHERE resolved_at IS NULL)`).Scan(&open); err != nil {
			return fmt.Errorf("look for dead letters: %w", err)
		}
		l.deadLetters = &open
	}
	if len(b.written) > 0 && *l.deadLetters {
		if _, err := l.PG.Exec(ctx, `UPDATE loader_dead_letter SET resolved_at = clock_timestamp()
			WHERE participant_id = ANY($1::uuid[]) AND resolved_at IS NULL`, b.written); err != nil {
			return fmt.Errorf("resolve dead letters: %w", err)
		}
	}
	for _, d := range b.deadLetters {
		tag, err := l.PG.Exec(ctx, `INSERT INTO loader_dead_letter (organisation_id, participant_id, reason)
			SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM loader_dead_letter
				WHERE participant_id = $2 AND resolved_at IS NULL AND reason = $3)`, d.orgID, d.participantID, d.reason)
		if err != nil {
			return fmt.Errorf("record dead letter: %w", err)
		}
		l.Metrics.DeadLetters.Inc()
		open := true
		l.deadLetters = &open
		if tag.RowsAffected() > 0 {
			l.Log.Warn().Str("org", d.orgID).Str("reason", d.reason).Msg("a participant's rows cannot be written to ClickHouse; dead-lettered until fixed")
		}
	}
	return nil
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
	tag, err := tx.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, op)
		SELECT p.organisation_id, p.id, 'participant', 'rollover' FROM participant p
		WHERE EXISTS (SELECT 1 FROM enrolment e WHERE e.participant_id = p.id)
		   OR EXISTS (SELECT 1 FROM outcome_observation o WHERE o.participant_id = p.id)`)
	if err != nil {
		return fmt.Errorf("queue rollover: %w", err)
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
		l.Log.Info().Str("month", cur).Int64("participants", tag.RowsAffected()).Msg("month rollover queued")
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
