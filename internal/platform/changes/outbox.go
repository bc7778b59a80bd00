package changes

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Table is the outbox table's name, for code that lists tables (maintenance's growth
// metrics) without writing SQL on it.
const Table = "change_event"

// Channel is the notification channel on which committed change events are announced
// (Announcer; the loader LISTENs on it so that it need not wait for its poll).
const Channel = "change_event"

// DB is what the outbox statements run on: a pool, a connection or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Event is a pending change as the loader sees it.
type Event struct {
	ID            int64
	OrgID         string
	ParticipantID string
	CreatedAt     time.Time
}

// Pending returns up to limit unprocessed events, oldest first. Events are chosen by
// "not yet processed", never by a high-water mark, because sequence ids commit out of
// order.
func Pending(ctx context.Context, db DB, limit int) ([]Event, error) {
	rows, err := db.Query(ctx, `SELECT id, organisation_id, participant_id, created_at FROM change_event
		WHERE processed_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending changes: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.OrgID, &e.ParticipantID, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read pending changes: %w", err)
	}
	return events, nil
}

// Backlog counts the unprocessed events (of one organisation, or all when orgID is
// empty) and returns the creation time of the oldest (nil when none).
func Backlog(ctx context.Context, db DB, orgID string) (int64, *time.Time, error) {
	var n int64
	var oldest *time.Time
	if err := db.QueryRow(ctx, `SELECT count(*), min(created_at) FROM change_event WHERE processed_at IS NULL
		AND ($1 = '' OR organisation_id::text = $1)`, orgID).Scan(&n, &oldest); err != nil {
		return 0, nil, fmt.Errorf("count pending changes: %w", err)
	}
	return n, oldest, nil
}

// Freshness says how far the warehouse has come: when the newest processed event was
// processed (nil: none yet) and how many events wait.
func Freshness(ctx context.Context, db DB) (*time.Time, int, error) {
	var loaded *time.Time
	var pending int
	if err := db.QueryRow(ctx, `SELECT (SELECT max(processed_at) FROM change_event),
		(SELECT count(*)::int FROM change_event WHERE processed_at IS NULL)`).Scan(&loaded, &pending); err != nil {
		return nil, 0, fmt.Errorf("warehouse freshness: %w", err)
	}
	return loaded, pending, nil
}

// MarkProcessed marks events processed (only once the warehouse acknowledged them) and,
// in the same statement, sends one notification per organisation whose events these
// were on notifyChannel (delivered when the statement commits).
func MarkProcessed(ctx context.Context, db DB, ids []int64, notifyChannel string) error {
	if _, err := db.Exec(ctx, `WITH done AS (
			UPDATE change_event SET processed_at = clock_timestamp() WHERE id = ANY($1) RETURNING organisation_id)
		SELECT count(pg_notify($2, o::text)) FROM (SELECT DISTINCT organisation_id AS o FROM done) d`, ids, notifyChannel); err != nil {
		return fmt.Errorf("mark changes processed: %w", err)
	}
	return nil
}

// MarkAllProcessed marks every pending event processed (benchmarks, after a rebuild
// from scratch has written everything).
func MarkAllProcessed(ctx context.Context, db DB) error {
	if _, err := db.Exec(ctx, `UPDATE change_event SET processed_at = clock_timestamp() WHERE processed_at IS NULL`); err != nil {
		return fmt.Errorf("mark all changes processed: %w", err)
	}
	return nil
}

// QueueRollover queues a rollover event for every participant with a history (a new
// month extends every open timeline) and returns how many.
func QueueRollover(ctx context.Context, tx pgx.Tx) (int64, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, op)
		SELECT p.organisation_id, p.id, 'participant', $1 FROM participant p
		WHERE EXISTS (SELECT 1 FROM enrolment e WHERE e.participant_id = p.id)
		   OR EXISTS (SELECT 1 FROM outcome_observation o WHERE o.participant_id = p.id)`, string(Rollover))
	if err != nil {
		return 0, fmt.Errorf("queue rollover: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Requeue queues a rebuild event for each of the given participants that still exists
// (outcomesctl's retry of dead letters); erased ones need none, and it returns how
// many it queued.
func Requeue(ctx context.Context, db DB, participantIDs []string) (int64, error) {
	tag, err := db.Exec(ctx, `INSERT INTO change_event (organisation_id, participant_id, entity, entity_id, op)
		SELECT p.organisation_id, p.id, 'participant', p.id, $2 FROM participant p WHERE p.id = ANY($1::uuid[])`,
		participantIDs, string(Rebuild))
	if err != nil {
		return 0, fmt.Errorf("requeue changes: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PruneProcessed deletes up to limit events processed before cutoff and returns how
// many. processed_at is set only after ClickHouse acknowledged an event's batch, so a
// deleted event is always already in the warehouse; pending events are never touched.
func PruneProcessed(ctx context.Context, db DB, cutoff time.Time, limit int) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM change_event WHERE id IN (
		SELECT id FROM change_event WHERE processed_at IS NOT NULL AND processed_at < $1 LIMIT $2)`, cutoff, limit)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// OldestSQL reads the creation time of the oldest event by an index (maintenance's
// growth metrics).
const OldestSQL = `SELECT created_at FROM change_event ORDER BY id LIMIT 1`

// Latency returns the median and 95th percentile of the time from creation to
// processing of the events created since from (benchmarks).
func Latency(ctx context.Context, db DB, from time.Time) (p50, p95 time.Duration, err error) {
	var s50, s95 float64
	err = db.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - created_at)),
		percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - created_at))
		FROM change_event WHERE created_at >= $1 AND processed_at IS NOT NULL`, from).Scan(&s50, &s95)
	return time.Duration(s50 * float64(time.Second)), time.Duration(s95 * float64(time.Second)), err
}
