package outcome

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// Store reads and writes outcome observations.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `id, organisation_id, participant_id, month, status, social_assistance, employment_rate::float8, source, created_at`

func scan(r pgx.CollectableRow) (Observation, error) {
	var o Observation
	var st, src string
	err := r.Scan(&o.ID, &o.OrganisationID, &o.ParticipantID, &o.Month, &st, &o.SocialAssistance, &o.EmploymentRate, &src, &o.CreatedAt)
	o.Status, o.Source = Status(st), Source(src)
	return o, err
}

// upsert writes one observation; a second for the same participant, month and source
// replaces the first.
const upsert = `INSERT INTO outcome_observation
	(organisation_id, participant_id, month, status, social_assistance, employment_rate, source)
	VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (participant_id, month, source) DO UPDATE
	SET status = EXCLUDED.status, social_assistance = EXCLUDED.social_assistance,
	    employment_rate = EXCLUDED.employment_rate`

// RecordMany is Record for many observations of orgID inside tx (a file import):
// the same statement as Record, sent in batches of a thousand, and one change event per
// participant touched. progress, when set, is called after each batch with how many are
// written.
func RecordMany(ctx context.Context, tx pgx.Tx, orgID string, obs []RecordInput, progress func(done int)) error {
	touched := map[string]bool{}
	const chunk = 1000
	for start := 0; start < len(obs); start += chunk {
		end := min(start+chunk, len(obs))
		batch := &pgx.Batch{}
		for _, in := range obs[start:end] {
			batch.Queue(upsert, orgID, in.ParticipantID, in.Month, string(in.Status), in.SocialAssistance, in.EmploymentRate, string(in.Source))
			touched[in.ParticipantID] = true
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return &BatchError{From: start, To: end - 1, Err: db.MapError(err)}
		}
		if progress != nil {
			progress(end)
		}
	}
	for pid := range touched {
		if err := changes.Record(ctx, tx, orgID, pid, "outcome_observation", "", changes.Create); err != nil {
			return err
		}
	}
	return nil
}

// BatchError says which observations (indexes From to To of RecordMany's list) a
// failed batch held.
type BatchError struct {
	From, To int
	Err      error
}

func (e *BatchError) Error() string { return e.Err.Error() }
func (e *BatchError) Unwrap() error { return e.Err }

// Record stores an observation; a second observation for the same participant, month
// and source replaces the first (a corrected follow-up), and records the change.
func (s *Store) Record(ctx context.Context, in RecordInput) (Observation, error) {
	if err := in.Validate(s.now()); err != nil {
		return Observation{}, err
	}
	var o Observation
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		orgID, err := participant.LockForWrite(ctx, tx, in.ParticipantID, "input.participantId")
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, upsert+` RETURNING `+columns,
			orgID, in.ParticipantID, in.Month, string(in.Status), in.SocialAssistance, in.EmploymentRate, string(in.Source))
		if err != nil {
			return err
		}
		os, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return db.MapError(err)
		}
		o = os[0]
		return changes.Record(ctx, tx, orgID, in.ParticipantID, "outcome_observation", o.ID, changes.Create)
	})
	if err != nil {
		return Observation{}, fmt.Errorf("record observation: %w", err)
	}
	return o, nil
}

// ByParticipants loads the observations of several participants in one statement,
// ordered by month.
func (s *Store) ByParticipants(ctx context.Context, participantIDs []string) ([]Observation, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+columns+` FROM outcome_observation
		WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, month, source`, db.UUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load observations: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// LatestByParticipants loads each participant's latest observation in one statement.
// When several sources report the latest month, the one shown is the one whose status
// the month's rule (outcomes.StatusVersion, outcomes.Resolve) counts in every figure: a
// status that is not unknown before one that is, then the source ranked first by
// outcomes.SourcePrecedence, then the source's name. It used to be the one recorded
// last, so a caseworker could see a status that no figure counts.
func (s *Store) LatestByParticipants(ctx context.Context, participantIDs []string) ([]Observation, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT DISTINCT ON (participant_id) `+columns+` FROM outcome_observation
		WHERE participant_id = ANY($1::uuid[])
		ORDER BY participant_id, month DESC, status = $3, array_position($2::text[], source) NULLS LAST, source`,
		db.UUIDs(participantIDs), outcomes.SourcePrecedence, outcomes.StatusUnknown)
	if err != nil {
		return nil, fmt.Errorf("load latest observations: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}
