package actionplan

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes this package's records in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Save creates the participant's plan (no version) or revises it (the current
// version), replacing the whole list of steps, in one transaction. A participant has
// one plan: creating a second is a CONFLICT.
func (s *Store) Save(ctx context.Context, in SaveInput) (Plan, error) {
	if err := in.Validate(s.now()); err != nil {
		return Plan{}, err
	}
	var p Plan
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The participant's lock also serialises two saves of the same plan. The
		// idempotency claim names the row the save writes (idempotency.Request.ResultID),
		// as every create's does: for a create, the new plan's id, made here (where the
		// participant has a plan already the create is refused, its claim rolled back
		// with it); for a revision, the participant's plan's, read after the lock in the
		// lock's round trip, so that no other save can come between.
		lock := participant.LockForWriteLater(ctx, tx, in.ParticipantID, "input.participantId")
		planID := db.NewID()
		plan := func() error { return nil }
		if in.Version != nil && in.IdempotencyKey != "" && db.IsUUID(in.ParticipantID) {
			plan = db.FetchRow(ctx, tx, "find action plan", func(row pgx.Row) error { return row.Scan(&planID) },
				`SELECT id::text FROM action_plan WHERE participant_id = $1`, in.ParticipantID)
		}
		orgID, err := lock()
		if err != nil {
			return err
		}
		// No plan to revise: the revision fails as staleOrMissing says.
		if err := plan(); err != nil && !db.IsNoRows(err) {
			return err
		}
		req := idempotency.Request{OrganisationID: orgID, Key: in.IdempotencyKey, Operation: "saveActionPlan", Input: in,
			ResultID: planID}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			id, op, err := upsertPlan(ctx, tx, planID, orgID, in)
			if err != nil {
				return "", err
			}
			if err := replaceSteps(ctx, tx, id, orgID, in.Steps); err != nil {
				return "", err
			}
			if err := saveRevision(ctx, tx, id); err != nil {
				return "", err
			}
			if err := changes.Record(ctx, tx, orgID, in.ParticipantID, "action_plan", id, op); err != nil {
				return "", err
			}
			plans, err := plansOf(ctx, tx, []string{in.ParticipantID})
			if err != nil {
				return "", err
			}
			p = plans[0]
			return id, nil
		}, func(string) error {
			plans, err := plansOf(ctx, tx, []string{in.ParticipantID})
			if err == nil {
				p = plans[0]
			}
			return err
		})
	})
	if err != nil {
		return Plan{}, fmt.Errorf("save action plan: %w", err)
	}
	return p, nil
}

// upsertPlan writes the plan's own row, created with planID or revised (the
// participant's plan), and returns its id and what happened to it.
func upsertPlan(ctx context.Context, tx pgx.Tx, planID, orgID string, in SaveInput) (string, changes.Op, error) {
	var id string
	if in.Version == nil {
		err := tx.QueryRow(ctx, `INSERT INTO action_plan (id, organisation_id, participant_id, goal, responsible, next_review_date)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (participant_id) DO NOTHING RETURNING id`,
			planID, orgID, in.ParticipantID, in.Goal, in.Responsible, in.NextReviewDate).Scan(&id)
		if db.IsNoRows(err) {
			return "", "", apperr.Conflictf("input.version", "the participant already has an action plan: give its version to revise it")
		}
		return id, changes.Create, db.MapError(err)
	}
	err := tx.QueryRow(ctx, `UPDATE action_plan SET goal = $3, responsible = $4, next_review_date = $5,
			version = version + 1, updated_at = now()
		WHERE participant_id = $1 AND version = $2 RETURNING id`,
		in.ParticipantID, *in.Version, in.Goal, in.Responsible, in.NextReviewDate).Scan(&id)
	if db.IsNoRows(err) {
		return "", "", staleOrMissing(ctx, tx, in.ParticipantID, *in.Version)
	}
	return id, changes.Update, db.MapError(err)
}

// staleOrMissing explains why a versioned update of the participant's plan touched no row.
func staleOrMissing(ctx context.Context, tx pgx.Tx, participantID string, version int) error {
	var current int
	err := tx.QueryRow(ctx, `SELECT version FROM action_plan WHERE participant_id = $1`, participantID).Scan(&current)
	if db.IsNoRows(err) {
		return apperr.NotFoundf("input.version", "the participant has no action plan yet: save it without a version to create it")
	}
	if err != nil {
		return err
	}
	return apperr.Conflictf("input.version", "the action plan was changed by someone else (now version %d, you have %d); reload and try again",
		current, version)
}

// replaceSteps swaps the plan's steps for steps, numbered 1..n in the given order.
func replaceSteps(ctx context.Context, tx pgx.Tx, planID, orgID string, steps []StepInput) error {
	if _, err := tx.Exec(ctx, `DELETE FROM action_plan_step WHERE action_plan_id = $1`, planID); err != nil {
		return err
	}
	if len(steps) == 0 {
		return nil
	}
	desc := make([]string, len(steps))
	resp := make([]string, len(steps))
	due := make([]*time.Time, len(steps))
	done := make([]*time.Time, len(steps))
	for i, st := range steps {
		desc[i], resp[i], due[i], done[i] = st.Description, st.Responsible, st.DueDate, st.DoneDate
	}
	_, err := tx.Exec(ctx, `INSERT INTO action_plan_step (action_plan_id, organisation_id, position, description, responsible, due_date, done_date)
		SELECT $1, $2, s.position, s.description, s.responsible, s.due_date, s.done_date
		FROM unnest($3::text[], $4::text[], $5::date[], $6::date[]) WITH ORDINALITY
			AS s(description, responsible, due_date, done_date, position)`,
		planID, orgID, desc, resp, due, done)
	return db.MapError(err)
}

// PlansByParticipants loads these participants' plans with their steps in a constant number of statements (dataloader).
func (s *Store) PlansByParticipants(ctx context.Context, participantIDs []string) ([]Plan, error) {
	plans, err := plansOf(ctx, s.pool, participantIDs)
	if err != nil {
		return nil, fmt.Errorf("load action plans: %w", err)
	}
	return plans, nil
}

// plansOf reads plans and steps in one statement (a join), so a plan and its steps
// always come from the same snapshot even outside a transaction.
func plansOf(ctx context.Context, q querier, participantIDs []string) ([]Plan, error) {
	rows, err := q.Query(ctx, `SELECT p.id, p.organisation_id, p.participant_id, p.goal, p.responsible, p.next_review_date,
			p.version, s.position, s.description, s.responsible, s.due_date, s.done_date
		FROM action_plan p LEFT JOIN action_plan_step s ON s.action_plan_id = p.id
		WHERE p.participant_id = ANY($1::uuid[])
		ORDER BY p.participant_id, s.position`, db.ValidUUIDs(participantIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plans []Plan
	for rows.Next() {
		var p Plan
		var pos *int
		var desc, resp *string
		var st Step
		if err := rows.Scan(&p.ID, &p.OrganisationID, &p.ParticipantID, &p.Goal, &p.Responsible, &p.NextReviewDate,
			&p.Version, &pos, &desc, &resp, &st.DueDate, &st.DoneDate); err != nil {
			return nil, err
		}
		if n := len(plans); n == 0 || plans[n-1].ID != p.ID {
			p.Steps = []Step{}
			plans = append(plans, p)
		}
		if pos != nil { // a plan without steps joins one row of NULLs
			st.Position, st.Description, st.Responsible = *pos, *desc, *resp
			last := &plans[len(plans)-1]
			last.Steps = append(last.Steps, st)
		}
	}
	return plans, rows.Err()
}

const followUpColumns = `id, organisation_id, participant_id, enrolment_id, held_on, attendees, notes, next_due_date`

func scanFollowUp(r pgx.CollectableRow) (FollowUp, error) {
	var f FollowUp
	err := r.Scan(&f.ID, &f.OrganisationID, &f.ParticipantID, &f.EnrolmentID, &f.HeldOn, &f.Attendees, &f.Notes, &f.NextDueDate)
	return f, err
}

const followUpOp = "recordFollowUp"

// RecordFollowUp records a meeting with a participant the caller can see. The next
// meeting is due as given, or by the cadence (NextDue). A retry with the same
// idempotency key returns the first record and writes nothing.
func (s *Store) RecordFollowUp(ctx context.Context, in FollowUpInput) (FollowUp, error) {
	if err := in.Validate(s.now()); err != nil {
		return FollowUp{}, err
	}
	var f FollowUp
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		orgID, err := participant.LockForWrite(ctx, tx, in.ParticipantID, "input.participantId")
		if err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: orgID, Key: in.IdempotencyKey, Operation: followUpOp, Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			start, err := enrolmentStart(ctx, tx, in.ParticipantID, in.EnrolmentID)
			if err != nil {
				return "", err
			}
			if start != nil && in.HeldOn.Before(*start) {
				return "", apperr.Invalidf("input.heldOn", "the meeting is before the enrolment started")
			}
			next := NextDue(in.HeldOn, start)
			if in.NextDueDate != nil {
				next = *in.NextDueDate
			}
			rows, err := tx.Query(ctx, `INSERT INTO follow_up (id, organisation_id, participant_id, enrolment_id, held_on, attendees, notes,
					next_due_date)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+followUpColumns,
				id, orgID, in.ParticipantID, in.EnrolmentID, in.HeldOn, in.Attendees, in.Notes, next)
			if err != nil {
				return "", err
			}
			if f, err = pgx.CollectExactlyOneRow(rows, scanFollowUp); err != nil {
				return "", db.MapError(err)
			}
			return f.ID, changes.Record(ctx, tx, orgID, f.ParticipantID, "follow_up", f.ID, changes.Create)
		}, func(id string) (err error) {
			f, err = getFollowUp(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return FollowUp{}, fmt.Errorf("record follow-up: %w", err)
	}
	return f, nil
}

// enrolmentStart returns the start of the participant's enrolment id (nil when no
// enrolment is named); an enrolment of someone else is NOT_FOUND.
func enrolmentStart(ctx context.Context, tx pgx.Tx, participantID string, enrolmentID *string) (*time.Time, error) {
	if enrolmentID == nil {
		return nil, nil
	}
	var start time.Time
	err := pgx.ErrNoRows
	if db.IsUUID(*enrolmentID) {
		err = tx.QueryRow(ctx, `SELECT start_date FROM enrolment WHERE id = $1 AND participant_id = $2`,
			*enrolmentID, participantID).Scan(&start)
	}
	if db.IsNoRows(err) {
		return nil, apperr.NotFoundf("input.enrolmentId", "the participant has no such enrolment")
	}
	if err != nil {
		return nil, err
	}
	return &start, nil
}

func getFollowUp(ctx context.Context, tx pgx.Tx, id string) (FollowUp, error) {
	rows, err := tx.Query(ctx, `SELECT `+followUpColumns+` FROM follow_up WHERE id = $1`, id)
	if err != nil {
		return FollowUp{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFollowUp)
	if db.IsNoRows(err) {
		return FollowUp{}, apperr.NotFoundf("id", "follow-up not found")
	}
	return f, err
}

// FollowUpsByParticipants loads these participants' follow-up meetings in one statement, by date (dataloader).
func (s *Store) FollowUpsByParticipants(ctx context.Context, participantIDs []string) ([]FollowUp, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+followUpColumns+` FROM follow_up WHERE participant_id = ANY($1::uuid[])
		ORDER BY participant_id, held_on, id`, db.ValidUUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load follow-ups: %w", err)
	}
	return pgx.CollectRows(rows, scanFollowUp)
}

// dueSQL is, for each enrolment of organisation $1 ongoing on $2, when its next
// follow-up is due: what the last meeting held by $2 (since the enrolment started,
// about this enrolment or about no particular one) set, or a month after the start when
// there has been none. $2 bounds the meetings too, so a past asOf sees the list as it
// stood that day.
const dueSQL = `SELECT e.id AS enrolment_id, e.participant_id, f.held_on AS last_held_on,
		coalesce(f.next_due_date, (e.start_date + interval '1 month')::date) AS due_date
	FROM enrolment e
	LEFT JOIN LATERAL (
		SELECT fu.held_on, fu.next_due_date FROM follow_up fu
		WHERE fu.participant_id = e.participant_id AND (fu.enrolment_id = e.id OR fu.enrolment_id IS NULL)
			AND fu.held_on >= e.start_date AND fu.held_on <= $2
		ORDER BY fu.held_on DESC, fu.created_at DESC, fu.id DESC LIMIT 1) f ON true
	WHERE e.organisation_id = ANY($1::uuid[]) AND e.start_date <= $2 AND (e.end_date IS NULL OR e.end_date > $2)`

// CountOverdueByGender counts the enrolments of the organisations, ongoing on asOf,
// whose follow-up was due before asOf (the rule of Overdue), by the participant's gender
// code: aggregates for the steering report.
func CountOverdueByGender(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, orgIDs []string, asOf time.Time) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT p.gender, count(*)::int FROM (`+dueSQL+`) d JOIN participant p ON p.id = d.participant_id
		WHERE d.due_date < $2 GROUP BY p.gender`, db.ValidUUIDs(orgIDs), asOf)
	if err != nil {
		return nil, fmt.Errorf("count overdue follow-ups: %w", err)
	}
	out := map[string]int{}
	var g string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&g, &n}, func() error { out[g] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count overdue follow-ups: %w", err)
	}
	return out, nil
}

// Overdue lists the enrolments of an organisation, ongoing on asOf, whose follow-up was
// due before asOf: the most overdue first (due date, then enrolment id).
func (s *Store) Overdue(ctx context.Context, orgID string, asOf time.Time, req db.PageRequest) (db.Page[Overdue], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Overdue]{}, err
	}
	var out db.Page[Overdue]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT d.enrolment_id, d.participant_id, d.last_held_on, d.due_date, $2::date - d.due_date
		FROM (`+dueSQL+`) d
		WHERE d.due_date < $2 AND ($3::text IS NULL OR (d.due_date, d.enrolment_id) `+page.Cmp(">")+` ($3::date, $4::uuid))
		ORDER BY `+page.Order("d.due_date, d.enrolment_id")+` LIMIT $5`, []string{orgID}, asOf, page.AfterValue(0), page.AfterValue(1), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list overdue follow-ups: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Overdue, error) {
		var o Overdue
		err := r.Scan(&o.EnrolmentID, &o.ParticipantID, &o.LastHeldOn, &o.DueDate, &o.DaysOverdue)
		return o, err
	})
	if err != nil {
		return out, fmt.Errorf("list overdue follow-ups: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, o := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(o.DueDate.Format(time.DateOnly), o.EnrolmentID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM (`+dueSQL+`) d WHERE d.due_date < $2`, []string{orgID}, asOf).Scan(&out.TotalCount)
	if err != nil {
		return out, fmt.Errorf("count overdue follow-ups: %w", err)
	}
	return out, nil
}
