package actionplan

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Action plans keep their revisions (issue 16): every save writes the plan as saved,
// steps included, as one revision (action_plan_revision), in the save's transaction.
// Overdue plan reviews are plans whose next review date has passed.

// Revision is one saved version of a plan.
type Revision struct {
	PlanID         string
	ParticipantID  string
	Version        int
	Goal           string
	Responsible    string
	NextReviewDate *time.Time
	Steps          []Step
	SavedBy        string
	SavedAt        time.Time
}

type stepJSON struct {
	Position    int     `json:"position"`
	Description string  `json:"description"`
	Responsible string  `json:"responsible"`
	DueDate     *string `json:"dueDate"`
	DoneDate    *string `json:"doneDate"`
}

// saveRevision records the plan planID as it now stands.
func saveRevision(ctx context.Context, tx pgx.Tx, planID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO action_plan_revision (action_plan_id, version, organisation_id, participant_id, goal,
			responsible, next_review_date, steps, saved_by)
		SELECT p.id, p.version, p.organisation_id, p.participant_id, p.goal, p.responsible, p.next_review_date,
			coalesce((SELECT jsonb_agg(jsonb_build_object('position', s.position, 'description', s.description,
				'responsible', s.responsible, 'dueDate', s.due_date, 'doneDate', s.done_date) ORDER BY s.position)
				FROM action_plan_step s WHERE s.action_plan_id = p.id), '[]'::jsonb), $2
		FROM action_plan p WHERE p.id = $1`, planID, auth.Actor(ctx))
	return db.MapError(err)
}

func parseDay(s *string) *time.Time {
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil
	}
	return &t
}

// RevisionsByParticipants loads these participants' plan revisions, oldest first (dataloader).
func (s *Store) RevisionsByParticipants(ctx context.Context, participantIDs []string) ([]Revision, error) {
	rows, err := s.pool.Query(ctx, `SELECT action_plan_id, participant_id, version, goal, responsible, next_review_date, steps,
			saved_by, saved_at
		FROM action_plan_revision WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, version`, db.ValidUUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load plan revisions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Revision, error) {
		var v Revision
		var steps []byte
		if err := r.Scan(&v.PlanID, &v.ParticipantID, &v.Version, &v.Goal, &v.Responsible, &v.NextReviewDate, &steps,
			&v.SavedBy, &v.SavedAt); err != nil {
			return v, err
		}
		var js []stepJSON
		if err := json.Unmarshal(steps, &js); err != nil {
			return v, err
		}
		v.Steps = make([]Step, len(js))
		for i, s := range js {
			v.Steps[i] = Step{Position: s.Position, Description: s.Description, Responsible: s.Responsible,
				DueDate: parseDay(s.DueDate), DoneDate: parseDay(s.DoneDate)}
		}
		return v, nil
	})
}

// OverdueReview is a plan whose review date has passed.
type OverdueReview struct {
	Plan        Plan
	DaysOverdue int
}

// OverdueReviews lists an organisation's plans whose next review date is before asOf,
// most overdue first.
func (s *Store) OverdueReviews(ctx context.Context, orgID string, asOf time.Time) ([]OverdueReview, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	if !bounds.RecordYearOK(asOf.Year()) {
		return nil, apperr.Invalidf("asOf", "asOf must be %s", bounds.RecordYears())
	}
	rows, err := s.pool.Query(ctx, `SELECT participant_id::text, ($2::date - next_review_date)::int FROM action_plan
		WHERE organisation_id = $1 AND next_review_date < $2::date ORDER BY next_review_date, id`, orgID, asOf)
	if err != nil {
		return nil, fmt.Errorf("overdue plan reviews: %w", err)
	}
	type due struct {
		pid  string
		days int
	}
	dues, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		return d, r.Scan(&d.pid, &d.days)
	})
	if err != nil || len(dues) == 0 {
		return nil, err
	}
	ids := make([]string, len(dues))
	for i, d := range dues {
		ids[i] = d.pid
	}
	plans, err := plansOf(ctx, s.pool, ids)
	if err != nil {
		return nil, fmt.Errorf("overdue plan reviews: %w", err)
	}
	byP := map[string]Plan{}
	for _, p := range plans {
		byP[p.ParticipantID] = p
	}
	out := make([]OverdueReview, 0, len(dues))
	for _, d := range dues {
		if p, ok := byP[d.pid]; ok {
			out = append(out, OverdueReview{Plan: p, DaysOverdue: d.days})
		}
	}
	return out, nil
}
