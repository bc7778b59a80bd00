package enrolment

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Exits from inactivity (the WIOA rule): when an organisation sets a gap, an ongoing
// enrolment with no activity for more than that many days is exited, dated back to its
// last activity, with the destination unknown. The job (outcomesctl inactivity-exits,
// and each run of outcomesctl maintain) is idempotent: an exited enrolment is no longer
// ongoing, so a second run finds nothing; each exit is audited and kept in the
// enrolment's history (kind inactivity_exit).

// InactivityExitReason is the destination recorded for an exit from inactivity: nobody
// knows where the person went.
const InactivityExitReason = outcome.Unknown

// lastActivitySQL is the one definition of an enrolment's last activity: its start, a
// change of its employment rate, a follow-up meeting of the person (about this
// enrolment or none in particular), a revision of the person's action plan, and a
// recruitment interview of the person. It reads the enrolment as e.
const lastActivitySQL = `greatest(e.start_date,
	(SELECT max(r.valid_from) FROM enrolment_rate r WHERE r.enrolment_id = e.id),
	(SELECT max(f.held_on) FROM follow_up f WHERE f.participant_id = e.participant_id AND (f.enrolment_id IS NULL OR f.enrolment_id = e.id)),
	(SELECT max(pr.saved_at)::date FROM action_plan_revision pr WHERE pr.participant_id = e.participant_id),
	(SELECT max(iv.created_at)::date FROM interview iv WHERE iv.participant_id = e.participant_id))`

// InactivityRule is an organisation's gap.
type InactivityRule struct {
	OrganisationID string
	GapDays        int
	UpdatedBy      string
	UpdatedAt      time.Time
}

// Candidate is an ongoing enrolment the rule will exit, or has become due to exit.
type Candidate struct {
	Enrolment    Enrolment
	LastActivity time.Time
	// DueOn is the first day the job exits it: last activity + gap + 1.
	DueOn time.Time
}

// The gaps without activity an inactivity rule may have, in days (inactivity_rule.gap_days's CHECK).
const (
	MinGapDays = 30
	MaxGapDays = 730
)

// SetInactivityRule sets (gapDays not nil) or removes an organisation's rule; admins only.
func (s *Store) SetInactivityRule(ctx context.Context, orgID string, gapDays *int) (*InactivityRule, error) {
	if err := auth.RequireAdmin(ctx, "input.organisationId"); err != nil {
		return nil, err
	}
	if gapDays != nil && (*gapDays < MinGapDays || *gapDays > MaxGapDays) {
		return nil, apperr.Invalidf("input.gapDays", "the gap must be %d-%d days (WIOA: 90)", MinGapDays, MaxGapDays)
	}
	if !db.IsUUID(orgID) {
		return nil, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	var out *InactivityRule
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation WHERE id = $1)`, orgID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.NotFoundf("input.organisationId", "organisation not found")
		}
		if gapDays == nil {
			_, err := tx.Exec(ctx, `DELETE FROM inactivity_rule WHERE organisation_id = $1`, orgID)
			return err
		}
		r := InactivityRule{OrganisationID: orgID}
		err := tx.QueryRow(ctx, `INSERT INTO inactivity_rule (organisation_id, gap_days, updated_by) VALUES ($1, $2, $3)
			ON CONFLICT (organisation_id) DO UPDATE SET gap_days = EXCLUDED.gap_days, updated_by = EXCLUDED.updated_by,
				updated_at = now(), version = inactivity_rule.version + 1
			RETURNING gap_days, updated_by, updated_at`, orgID, *gapDays, auth.Actor(ctx)).Scan(&r.GapDays, &r.UpdatedBy, &r.UpdatedAt)
		out = &r
		return db.MapError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("set inactivity rule: %w", err)
	}
	return out, nil
}

// InactivityRuleOf returns an organisation's rule, or nil when it has none.
func (s *Store) InactivityRuleOf(ctx context.Context, orgID string) (*InactivityRule, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	r := InactivityRule{OrganisationID: orgID}
	err := s.pool.QueryRow(ctx, `SELECT gap_days, updated_by, updated_at FROM inactivity_rule WHERE organisation_id = $1`, orgID).
		Scan(&r.GapDays, &r.UpdatedBy, &r.UpdatedAt)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inactivity rule: %w", err)
	}
	return &r, nil
}

// candidates lists the organisation's ongoing enrolments due for an exit from
// inactivity by the day `until` (inclusive), most overdue first. orgID "" means every
// organisation with a rule.
func candidates(ctx context.Context, q pgx.Tx, orgID string, until time.Time, lock bool) ([]Candidate, error) {
	suffix := ""
	if lock {
		// An enrolment an edit (or a session left open) holds locked is left for the
		// next run, instead of holding this one, and every other exit, until it ends.
		suffix = " FOR UPDATE OF e SKIP LOCKED"
	}
	rows, err := q.Query(ctx, `SELECT `+columns+`, la.last_activity, (la.last_activity + ir.gap_days + 1)::date
		`+from+` JOIN inactivity_rule ir ON ir.organisation_id = e.organisation_id
		CROSS JOIN LATERAL (SELECT `+lastActivitySQL+` AS last_activity) la
		WHERE e.end_date IS NULL AND ($1 = '' OR e.organisation_id = $1::uuid)
		  AND la.last_activity + ir.gap_days + 1 <= $2::date
		ORDER BY la.last_activity, e.id`+suffix, orgID, until)
	if err != nil {
		return nil, fmt.Errorf("inactive enrolments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Candidate, error) {
		var c Candidate
		var reason *string
		e := &c.Enrolment
		err := r.Scan(&e.ID, &e.OrganisationID, &e.ParticipantID, &e.MeasureTypeID, &e.MeasureCode, &e.DecisionDate,
			&e.StartDate, &e.PlannedEndDate, &e.EndDate, &reason, &e.UnitID, &e.HostEmployerID, &e.ProjectID, &e.Occupation,
			&e.WagePayer, &e.Subsidised, &e.Eligibility.Rule, &e.Eligibility.Basis, &e.Eligibility.OverrideReason,
			&e.Eligibility.OverrideBy, &e.Eligibility.OverrideAt, &e.SocialAssistanceAtExit, &e.Version, &c.LastActivity, &c.DueOn)
		return c, err
	})
}

// UpcomingInactivityExits lists whom the job will exit by asOf + withinDays, including
// those already due (the job has not run yet), so that a caseworker can act first.
func (s *Store) UpcomingInactivityExits(ctx context.Context, orgID string, asOf time.Time, withinDays int) ([]Candidate, error) {
	if err := auth.RequireOrgPersonalData(ctx, orgID, "organisationId"); err != nil {
		return nil, err
	}
	if withinDays < 0 || withinDays > 365 {
		return nil, apperr.Invalidf("withinDays", "withinDays must be 0-365")
	}
	var out []Candidate
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = candidates(ctx, tx, orgID, asOf.AddDate(0, 0, withinDays), false)
		return err
	})
	return out, err
}

// InactivityRun is what one run of the job did.
type InactivityRun struct {
	Exited []Candidate
	DryRun bool
}

// RunInactivityExits exits every enrolment due on today (orgID "": every organisation
// with a rule), each dated back to its last activity, in one transaction; one locked
// by another transaction is left for the next run. Under a
// context from audit.BeginWrite the exits are audited with it. dryRun only lists them.
func (s *Store) RunInactivityExits(ctx context.Context, orgID string, today time.Time, dryRun bool) (InactivityRun, error) {
	run := InactivityRun{DryRun: dryRun}
	if orgID != "" && !db.IsUUID(orgID) {
		return run, apperr.NotFoundf("organisationId", "organisation not found")
	}
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		due, err := candidates(ctx, tx, orgID, today, !dryRun)
		if err != nil {
			return err
		}
		run.Exited = due
		if dryRun {
			return nil
		}
		for _, c := range due {
			cur := c.Enrolment
			if _, err := tx.Exec(ctx, `UPDATE enrolment SET end_date = $2, exit_reason = $3, version = version + 1, updated_at = now()
				WHERE id = $1`, cur.ID, c.LastActivity, string(InactivityExitReason)); err != nil {
				return db.MapError(err)
			}
			after, err := get(ctx, tx, cur.ID)
			if err != nil {
				return err
			}
			st := stateOf(after)
			reason := fmt.Sprintf("no activity since %s: more than the organisation's gap of %d days",
				c.LastActivity.Format(time.DateOnly), int(c.DueOn.Sub(c.LastActivity).Hours()/24)-1)
			if err := recordChange(ctx, tx, cur, ChangeInactivityExit, reason, "system:inactivity", stateOf(cur), &st); err != nil {
				return err
			}
			if err := changes.Record(ctx, tx, cur.OrganisationID, cur.ParticipantID, "enrolment", cur.ID, changes.Update); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return InactivityRun{}, fmt.Errorf("exit inactive enrolments: %w", err)
	}
	return run, nil
}
