package loader

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
)

// deadLetter is a participant the loader left out, and why (a column or class, never a
// value).
type deadLetter struct {
	orgID, participantID, reason string
}

// DeadLetter is an open dead letter (loader_dead_letter, migration 0004): a participant
// whose rows are kept out of the warehouse until a later change, or a retry after the
// cause is fixed, writes them.
type DeadLetter struct {
	ID            int64
	OrgID         string
	ParticipantID string
	Reason        string
	CreatedAt     time.Time
}

func (d DeadLetter) String() string {
	return fmt.Sprintf("dead letter %d: organisation %s participant %s since %s: %s", d.ID, d.OrgID, d.ParticipantID,
		d.CreatedAt.UTC().Format(time.RFC3339), d.Reason)
}

// recordDeadLetters stores the batch's refused participants (one open dead letter per
// participant and reason) and closes the open dead letters of the participants the batch
// wrote: a later fix resolves them.
func (l *Loader) recordDeadLetters(ctx context.Context, written []person, dead []deadLetter) error {
	// Cheap when none are open (a partial index holds only the open ones), and always
	// asked: dead letters may be recorded by another process (a rebuild).
	if len(written) > 0 {
		ids := make([]string, len(written))
		for i, p := range written {
			ids[i] = p.id
		}
		if _, err := l.PG.Exec(ctx, `UPDATE loader_dead_letter SET resolved_at = clock_timestamp()
			WHERE participant_id = ANY($1::uuid[]) AND resolved_at IS NULL`, ids); err != nil {
			return fmt.Errorf("resolve dead letters: %w", err)
		}
	}
	for _, d := range dead {
		tag, err := l.PG.Exec(ctx, `INSERT INTO loader_dead_letter (organisation_id, participant_id, reason)
			SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM loader_dead_letter
				WHERE participant_id = $2 AND resolved_at IS NULL AND reason = $3)`, d.orgID, d.participantID, d.reason)
		if err != nil {
			return fmt.Errorf("record dead letter: %w", err)
		}
		l.Metrics.DeadLetters.Inc()
		if tag.RowsAffected() > 0 {
			l.Log.Warn().Str("org", d.orgID).Str("reason", d.reason).Msg("a participant's rows cannot be written to ClickHouse; dead-lettered until fixed")
		}
	}
	return nil
}

// DeadLetters lists the open dead letters (of one organisation, or all when orgID is
// empty), oldest first.
func (l *Loader) DeadLetters(ctx context.Context, orgID string) ([]DeadLetter, error) {
	rows, err := l.PG.Query(ctx, `SELECT id, organisation_id::text, participant_id::text, reason, created_at
		FROM loader_dead_letter WHERE resolved_at IS NULL AND ($1 = '' OR organisation_id::text = $1) ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) {
		var d DeadLetter
		err := r.Scan(&d.ID, &d.OrgID, &d.ParticipantID, &d.Reason, &d.CreatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// RetryDeadLetters queues a change for the participants of the given open dead letters
// (all open ones, of one organisation or all, when ids is empty), so the loader tries their rows again: after the
// cause is fixed they are written and their dead letters resolved; if not, they stay
// open. An erased participant's dead letter is resolved at once (nothing is left to
// write). It returns how many participants were queued.
func (l *Loader) RetryDeadLetters(ctx context.Context, orgID string, ids []int64) (int64, error) {
	if ids == nil {
		ids = []int64{} // nil would be NULL, which matches nothing
	}
	tx, err := l.PG.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	rows, err := tx.Query(ctx, `SELECT DISTINCT participant_id::text FROM loader_dead_letter
		WHERE resolved_at IS NULL AND (cardinality($1::bigint[]) = 0 OR id = ANY($1))
		  AND ($2 = '' OR organisation_id::text = $2)`, ids, orgID)
	if err != nil {
		return 0, fmt.Errorf("read dead letters: %w", err)
	}
	people, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("read dead letters: %w", err)
	}
	if len(people) == 0 {
		return 0, nil
	}
	n, err := changes.Requeue(ctx, tx, people)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE loader_dead_letter d SET resolved_at = clock_timestamp()
		WHERE d.resolved_at IS NULL AND d.participant_id = ANY($1::uuid[])
		  AND NOT EXISTS (SELECT 1 FROM participant p WHERE p.id = d.participant_id)`, people); err != nil {
		return 0, fmt.Errorf("resolve erased dead letters: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return n, nil
}
