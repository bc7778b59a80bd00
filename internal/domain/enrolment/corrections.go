package enrolment

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Corrections keep their history (issue 16): an exit's date or reason may be corrected
// and an enrolment entered in error voided, and each change is kept with who made it,
// when, why, and the record before and after (enrolment_change). A voided enrolment is
// removed from the enrolment table, so every count, report, target and the warehouse
// (the loader tombstones its rows) follow without a filter of their own; its record
// lives on in its history.

// ChangeKind is what a history row records.
type ChangeKind string

// The kinds of change.
const (
	ChangeExitCorrected  ChangeKind = "exit_corrected"
	ChangeVoided         ChangeKind = "voided"
	ChangeInactivityExit ChangeKind = "inactivity_exit"
)

// ChangeKinds lists every kind of change (enrolment_change.kind's CHECK list).
var ChangeKinds = []ChangeKind{ChangeExitCorrected, ChangeVoided, ChangeInactivityExit}

// State is an enrolment as a history row shows it before or after a change.
type State struct {
	MeasureCode            string          `json:"measureCode"`
	StartDate              string          `json:"startDate"`
	PlannedEndDate         *string         `json:"plannedEndDate,omitempty"`
	EndDate                *string         `json:"endDate,omitempty"`
	ExitReason             *outcome.Status `json:"exitReason,omitempty"`
	SocialAssistanceAtExit *bool           `json:"socialAssistanceAtExit,omitempty"`
	Version                int             `json:"version"`
	// Record is the whole voided enrolment, kept so that a voided record can be read
	// back in full.
	Record *Enrolment `json:"record,omitempty"`
	// Rates are a voided enrolment's employment rates, or those a corrected exit ended
	// (dated after its new end: endRatesAfter).
	Rates []Rate `json:"rates,omitempty"`
}

func stateOf(e Enrolment) State {
	s := State{MeasureCode: e.MeasureCode, StartDate: e.StartDate.Format(time.DateOnly), ExitReason: e.ExitReason,
		SocialAssistanceAtExit: e.SocialAssistanceAtExit, Version: e.Version}
	if e.PlannedEndDate != nil {
		d := e.PlannedEndDate.Format(time.DateOnly)
		s.PlannedEndDate = &d
	}
	if e.EndDate != nil {
		d := e.EndDate.Format(time.DateOnly)
		s.EndDate = &d
	}
	return s
}

// Change is one row of an enrolment's history.
type Change struct {
	ID             int64
	OrganisationID string
	ParticipantID  string
	EnrolmentID    string
	Kind           ChangeKind
	Reason         string
	ChangedBy      string
	ChangedAt      time.Time
	Before         State
	After          *State
}

// CorrectExitInput corrects a recorded exit's date, reason or social assistance status.
type CorrectExitInput struct {
	EnrolmentID            string
	Version                int
	EndDate                time.Time
	ExitReason             outcome.Status
	SocialAssistanceAtExit *bool
	Reason                 string
}

// VoidInput voids an enrolment entered in error (registrerad i fel).
type VoidInput struct {
	EnrolmentID string
	Version     int
	Reason      string
}

// minReason is the shortest reason a correction accepts: a word or two, not a letter.
const minReason = 5

func checkReason(reason *string) error {
	*reason = strings.TrimSpace(*reason)
	if n := len([]rune(*reason)); n < minReason || n > bounds.MaxLongText {
		return apperr.Invalidf("input.reason", "say why, in %d-%d characters", minReason, bounds.MaxLongText)
	}
	return nil
}

// CorrectExit corrects the exit of an ended enrolment and records the change.
func (s *Store) CorrectExit(ctx context.Context, in CorrectExitInput) (Enrolment, error) {
	var errs apperr.List
	if err := checkReason(&in.Reason); err != nil {
		errs = append(errs, apperr.All(err)...)
	}
	if in.EndDate.IsZero() {
		errs.Add(apperr.Invalidf("input.endDate", "end date is required"))
	} else if err := checkExit(&in.EndDate, &in.ExitReason, s.now(), "input."); err != nil {
		errs = append(errs, apperr.All(err)...)
	}
	if err := errs.Err(); err != nil {
		return Enrolment{}, err
	}
	var e Enrolment
	err := s.locked(ctx, in.EnrolmentID, &in.Version, func(tx pgx.Tx, cur Enrolment) error {
		if cur.EndDate == nil {
			return apperr.Invalidf("input.enrolmentId", "the enrolment has not ended: record the exit with exitEnrolment")
		}
		if in.EndDate.Before(cur.StartDate) {
			return apperr.Invalidf("input.endDate", "end is before the start")
		}
		before := stateOf(cur)
		// Rates from after the corrected end never took effect; the history keeps them.
		ended, err := endRatesAfter(ctx, tx, cur.ID, in.EndDate)
		if err != nil {
			return err
		}
		before.Rates = ended
		_, err = tx.Exec(ctx, `UPDATE enrolment SET end_date = $2, exit_reason = $3, social_assistance_at_exit = $4,
			version = version + 1, updated_at = now() WHERE id = $1`, cur.ID, in.EndDate, string(in.ExitReason), in.SocialAssistanceAtExit)
		if err != nil {
			if db.ConstraintOf(err) == "enrolment_no_overlap_in_measure" {
				return apperr.Conflictf("input.endDate", "the corrected exit overlaps another spell in the same measure")
			}
			return db.MapError(err)
		}
		if e, err = updated(ctx, tx, cur.ID); err != nil {
			return err
		}
		after := stateOf(e)
		return recordChange(ctx, tx, cur, ChangeExitCorrected, in.Reason, auth.Actor(ctx), before, &after)
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("correct exit: %w", err)
	}
	return e, nil
}

// Void removes an enrolment entered in error and keeps the whole record in its history.
// Follow-up meetings that named it stay with the participant; its employment rates and
// costs go with it (they are kept in the history row).
func (s *Store) Void(ctx context.Context, in VoidInput) (Change, error) {
	if err := checkReason(&in.Reason); err != nil {
		return Change{}, err
	}
	var c Change
	err := s.locked(ctx, in.EnrolmentID, &in.Version, func(tx pgx.Tx, cur Enrolment) error {
		before := stateOf(cur)
		before.Record = &cur
		rows, err := tx.Query(ctx, `SELECT enrolment_id, valid_from, rate FROM enrolment_rate WHERE enrolment_id = $1 ORDER BY valid_from`, cur.ID)
		if err != nil {
			return err
		}
		if before.Rates, err = pgx.CollectRows(rows, scanRate); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE follow_up SET enrolment_id = NULL WHERE enrolment_id = $1`, cur.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM enrolment WHERE id = $1`, cur.ID); err != nil {
			return db.MapError(err)
		}
		if err := recordChange(ctx, tx, cur, ChangeVoided, in.Reason, auth.Actor(ctx), before, nil); err != nil {
			return err
		}
		if err := changes.Record(ctx, tx, cur.OrganisationID, cur.ParticipantID, "enrolment", cur.ID, changes.Delete); err != nil {
			return err
		}
		hs, err := history(ctx, tx, cur.ID)
		if err != nil {
			return err
		}
		c = hs[len(hs)-1]
		return nil
	})
	if err != nil {
		return Change{}, fmt.Errorf("void enrolment: %w", err)
	}
	return c, nil
}

func recordChange(ctx context.Context, tx pgx.Tx, e Enrolment, kind ChangeKind, reason, by string, before State, after *State) error {
	b, err := json.Marshal(before)
	if err != nil {
		return err
	}
	var a []byte
	if after != nil {
		if a, err = json.Marshal(after); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO enrolment_change (organisation_id, participant_id, enrolment_id, kind, reason, changed_by, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.OrganisationID, e.ParticipantID, e.ID, string(kind), reason, by, b, a)
	return db.MapError(err)
}

const changeColumns = `id, organisation_id, participant_id, enrolment_id, kind, reason, changed_by, changed_at, before, after`

func scanChange(r pgx.CollectableRow) (Change, error) {
	var c Change
	var kind string
	var before, after []byte
	if err := r.Scan(&c.ID, &c.OrganisationID, &c.ParticipantID, &c.EnrolmentID, &kind, &c.Reason, &c.ChangedBy, &c.ChangedAt,
		&before, &after); err != nil {
		return c, err
	}
	c.Kind = ChangeKind(kind)
	if err := json.Unmarshal(before, &c.Before); err != nil {
		return c, err
	}
	if after != nil {
		c.After = &State{}
		if err := json.Unmarshal(after, c.After); err != nil {
			return c, err
		}
	}
	return c, nil
}

func history(ctx context.Context, q pgx.Tx, enrolmentID string) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT `+changeColumns+` FROM enrolment_change WHERE enrolment_id = $1 ORDER BY id`, enrolmentID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanChange)
}

// History returns an enrolment's changes, oldest first; a voided enrolment's too. An
// enrolment of another organisation has no history the caller can see (row-level
// security): an empty list, like one never corrected.
func (s *Store) History(ctx context.Context, enrolmentID string) ([]Change, error) {
	if !db.IsUUID(enrolmentID) {
		return nil, apperr.NotFoundf("enrolmentId", "enrolment not found")
	}
	var out []Change
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = history(ctx, tx, enrolmentID)
		return err
	})
	return out, err
}

// HistoryByEnrolments loads the changes of several enrolments in one statement (dataloader).
func (s *Store) HistoryByEnrolments(ctx context.Context, ids []string) ([]Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+changeColumns+` FROM enrolment_change WHERE enrolment_id = ANY($1::uuid[]) ORDER BY enrolment_id, id`,
		db.UUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load enrolment history: %w", err)
	}
	return pgx.CollectRows(rows, scanChange)
}

// Changes lists an organisation's corrections, voids and inactivity exits, newest first.
func (s *Store) Changes(ctx context.Context, orgID string, kind *ChangeKind, limit int) ([]Change, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var k *string
	if kind != nil {
		s := string(*kind)
		k = &s
	}
	rows, err := s.pool.Query(ctx, `SELECT `+changeColumns+` FROM enrolment_change
		WHERE organisation_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY id DESC LIMIT $3`, orgID, k, limit)
	if err != nil {
		return nil, fmt.Errorf("list enrolment changes: %w", err)
	}
	return pgx.CollectRows(rows, scanChange)
}
