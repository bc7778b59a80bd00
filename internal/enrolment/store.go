package enrolment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/changes"
	"github.com/arbetsmarknad/outcomes/internal/db"
	"github.com/arbetsmarknad/outcomes/internal/outcome"
	"github.com/arbetsmarknad/outcomes/internal/participant"
)

// Store reads and writes enrolments.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `e.id, e.organisation_id, e.participant_id, e.measure_type_id, m.code, e.decision_date, e.start_date,
	e.planned_end_date, e.end_date, e.exit_reason, e.version`

const from = ` FROM enrolment e JOIN measure_type m ON m.id = e.measure_type_id `

func scan(r pgx.CollectableRow) (Enrolment, error) {
	var e Enrolment
	var reason *string
	err := r.Scan(&e.ID, &e.OrganisationID, &e.ParticipantID, &e.MeasureTypeID, &e.MeasureCode, &e.DecisionDate,
		&e.StartDate, &e.PlannedEndDate, &e.EndDate, &reason, &e.Version)
	if reason != nil {
		s := outcome.Status(*reason)
		e.ExitReason = &s
	}
	return e, err
}

// Create decides and starts an enrolment and records the change, in one transaction.
func (s *Store) Create(ctx context.Context, in CreateInput) (Enrolment, error) {
	if err := in.Validate(s.now()); err != nil {
		return Enrolment{}, err
	}
	var e Enrolment
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		orgID, err := participant.LockForWrite(ctx, tx, in.ParticipantID, "input.participantId")
		if err != nil {
			return err
		}
		var measureID string
		err = tx.QueryRow(ctx, `SELECT id FROM measure_type WHERE organisation_id = $1 AND code = $2`, orgID, in.MeasureTypeCode).Scan(&measureID)
		if db.IsNoRows(err) {
			return apperr.Invalidf("input.measureTypeCode", "unknown measure type for this organisation")
		}
		if err != nil {
			return err
		}
		var reason *string
		if in.ExitReason != nil {
			r := string(*in.ExitReason)
			reason = &r
		}
		var id string
		err = tx.QueryRow(ctx, `INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, decision_date,
			start_date, planned_end_date, end_date, exit_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			orgID, in.ParticipantID, measureID, in.DecisionDate, in.StartDate, in.PlannedEndDate, in.EndDate, reason).Scan(&id)
		if err != nil {
			return db.MapError(err)
		}
		if e, err = get(ctx, tx, id); err != nil {
			return err
		}
		return changes.Record(ctx, tx, orgID, in.ParticipantID, "enrolment", id, changes.Create)
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("create enrolment: %w", err)
	}
	return e, nil
}

// Exit ends an open enrolment with its destination.
func (s *Store) Exit(ctx context.Context, in ExitInput) (Enrolment, error) {
	if err := in.Validate(s.now()); err != nil {
		return Enrolment{}, err
	}
	if !db.IsUUID(in.EnrolmentID) {
		return Enrolment{}, apperr.NotFoundf("input.enrolmentId", "enrolment not found")
	}
	var e Enrolment
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := get(ctx, tx, in.EnrolmentID, "FOR UPDATE OF e")
		if err != nil {
			return err
		}
		if in.Version != nil && *in.Version != cur.Version {
			return apperr.Conflictf("input.version", "the enrolment was changed by someone else (version %d, you have %d)", cur.Version, *in.Version)
		}
		if cur.EndDate != nil {
			return apperr.Conflictf("input.enrolmentId", "the enrolment has already ended")
		}
		if in.EndDate.Before(cur.StartDate) {
			return apperr.Invalidf("input.endDate", "end is before the start")
		}
		_, err = tx.Exec(ctx, `UPDATE enrolment SET end_date = $2, exit_reason = $3, version = version + 1, updated_at = now()
			WHERE id = $1`, in.EnrolmentID, in.EndDate, string(in.ExitReason))
		if err != nil {
			return db.MapError(err)
		}
		if e, err = get(ctx, tx, in.EnrolmentID); err != nil {
			return err
		}
		return changes.Record(ctx, tx, e.OrganisationID, e.ParticipantID, "enrolment", e.ID, changes.Update)
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("exit enrolment: %w", err)
	}
	return e, nil
}

func get(ctx context.Context, q pgx.Tx, id string, lock ...string) (Enrolment, error) {
	suffix := ""
	if len(lock) > 0 {
		suffix = " " + lock[0]
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+`WHERE e.id = $1`+suffix, id)
	if err != nil {
		return Enrolment{}, err
	}
	es, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return Enrolment{}, err
	}
	if len(es) == 0 {
		return Enrolment{}, apperr.NotFoundf("input.enrolmentId", "enrolment not found")
	}
	return es[0], nil
}

// Get returns one enrolment.
func (s *Store) Get(ctx context.Context, id string) (Enrolment, error) {
	if !db.IsUUID(id) {
		return Enrolment{}, apperr.NotFoundf("id", "enrolment not found")
	}
	var e Enrolment
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		e, err = get(ctx, tx, id)
		return err
	})
	return e, err
}

// ByParticipants loads the enrolments of several participants in one statement,
// ordered by start.
func (s *Store) ByParticipants(ctx context.Context, participantIDs []string) ([]Enrolment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+from+`WHERE e.participant_id = ANY($1::uuid[])
		ORDER BY e.participant_id, e.start_date, e.id`, db.ValidUUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load enrolments: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// RatesByEnrolments loads these enrolments' employment rates in one statement, by date.
func (s *Store) RatesByEnrolments(ctx context.Context, enrolmentIDs []string) ([]Rate, error) {
	return nil, errors.New("not implemented")
}
