// Package retention holds each organisation's retention rule (gallringsregel, issue 16):
// people whose last activity is more than the rule's number of years old are erased
// from both stores (from PostgreSQL here; the loader then tombstones and deletes their
// warehouse rows). A new or changed rule starts in dry-run mode, in which a run only
// counts whom it would erase; an admin activates it only after a dry run of the rule
// as it stands. Runs are scheduled (outcomesctl maintain, or outcomesctl
// retention-rules) and audited.
package retention

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Mode of a rule.
type Mode string

// The modes.
const (
	DryRun Mode = "dry_run"
	Active Mode = "active"
)

// The years after the last activity a rule may keep people (retention_rule.inactive_years's CHECK).
const (
	MinInactiveYears = 1
	MaxInactiveYears = 100
)

// Modes lists every mode (retention_rule.mode's CHECK list).
var Modes = []Mode{DryRun, Active}

// Rule is one organisation's retention rule.
type Rule struct {
	OrganisationID  string
	InactiveYears   int
	Mode            Mode
	LastDryRunAt    *time.Time
	LastDryRunCount *int
	LastRunAt       *time.Time
	LastRunErased   *int
	UpdatedBy       string
	UpdatedAt       time.Time
	Version         int
}

// Store keeps the rules and runs them.
type Store struct {
	pool         *pgxpool.Pool
	participants *participant.Store
	now          func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, participants: participant.NewStore(pool), now: time.Now}
}

const columns = `organisation_id, inactive_years, mode, last_dry_run_at, last_dry_run_count, last_run_at, last_run_erased,
	updated_by, updated_at, version`

func scan(r pgx.CollectableRow) (Rule, error) {
	var x Rule
	var mode string
	err := r.Scan(&x.OrganisationID, &x.InactiveYears, &mode, &x.LastDryRunAt, &x.LastDryRunCount, &x.LastRunAt, &x.LastRunErased,
		&x.UpdatedBy, &x.UpdatedAt, &x.Version)
	x.Mode = Mode(mode)
	return x, err
}

func get(ctx context.Context, q pgx.Tx, orgID string, lock bool) (Rule, error) {
	suffix := ""
	if lock {
		suffix = " FOR UPDATE"
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM retention_rule WHERE organisation_id = $1`+suffix, orgID)
	if err != nil {
		return Rule{}, err
	}
	rs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return Rule{}, err
	}
	if len(rs) == 0 {
		return Rule{}, apperr.NotFoundf("input.organisationId", "the organisation has no retention rule")
	}
	return rs[0], nil
}

// Set creates or changes an organisation's rule; it (re)starts in dry-run mode.
func (s *Store) Set(ctx context.Context, orgID string, years int) (Rule, error) {
	if err := auth.RequireAdmin(ctx, "input.organisationId"); err != nil {
		return Rule{}, err
	}
	if years < MinInactiveYears || years > MaxInactiveYears {
		return Rule{}, apperr.Invalidf("input.inactiveYears", "the rule keeps people for %d-%d years after their last activity", MinInactiveYears, MaxInactiveYears)
	}
	if !db.IsUUID(orgID) {
		return Rule{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	var out Rule
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation WHERE id = $1)`, orgID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.NotFoundf("input.organisationId", "organisation not found")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO retention_rule (organisation_id, inactive_years, updated_by) VALUES ($1, $2, $3)
			ON CONFLICT (organisation_id) DO UPDATE SET inactive_years = EXCLUDED.inactive_years, mode = 'dry_run',
				last_dry_run_at = NULL, last_dry_run_count = NULL, updated_by = EXCLUDED.updated_by, updated_at = now(),
				version = retention_rule.version + 1`, orgID, years, auth.Actor(ctx)); err != nil {
			return db.MapError(err)
		}
		var err error
		out, err = get(ctx, tx, orgID, false)
		return err
	})
	if err != nil {
		return Rule{}, fmt.Errorf("set retention rule: %w", err)
	}
	return out, nil
}

// Activate lets the rule erase, once it has had a dry run as it stands.
func (s *Store) Activate(ctx context.Context, orgID string, version int) (Rule, error) {
	if err := auth.RequireAdmin(ctx, "input.organisationId"); err != nil {
		return Rule{}, err
	}
	if !db.IsUUID(orgID) {
		return Rule{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	var out Rule
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := get(ctx, tx, orgID, true)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return apperr.Conflictf("input.version", "the rule was changed (version %d, you have %d): review its dry run again", cur.Version, version)
		}
		if cur.LastDryRunAt == nil {
			return apperr.Invalidf("input.organisationId", "run the rule as a dry run first (runRetentionDryRun) and review whom it would erase")
		}
		if _, err := tx.Exec(ctx, `UPDATE retention_rule SET mode = 'active', updated_by = $2, updated_at = now(), version = version + 1
			WHERE organisation_id = $1`, orgID, auth.Actor(ctx)); err != nil {
			return err
		}
		out, err = get(ctx, tx, orgID, false)
		return err
	})
	if err != nil {
		return Rule{}, fmt.Errorf("activate retention rule: %w", err)
	}
	return out, nil
}

// Rules lists the rules (admins only).
func (s *Store) Rules(ctx context.Context) ([]Rule, error) {
	if err := auth.RequireAdmin(ctx, ""); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM retention_rule ORDER BY organisation_id`)
	if err != nil {
		return nil, fmt.Errorf("retention rules: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// Outcome is what one run did for one organisation.
type Outcome struct {
	OrganisationID string
	Mode           Mode
	Cutoff         time.Time
	// Candidates is how many people the rule selects (a dry run's count); Erased how
	// many were erased.
	Candidates, Erased int
	// Err is why the rule's run failed (nil: it ran). It names no person: Run's
	// callers print and record it.
	Err error
}

// RunError is Run's error when some organisations' rules failed: the others still ran.
type RunError struct {
	Rules  int     // rules the run came to
	Failed []error // one per failed rule, each naming its organisation
}

func (e *RunError) Error() string {
	msgs := make([]string, len(e.Failed))
	for i, err := range e.Failed {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d of %d retention rules failed: %s", len(e.Failed), e.Rules, strings.Join(msgs, "; "))
}

func (e *RunError) Unwrap() []error { return e.Failed }

// DryRun counts whom an organisation's rule would erase today and records the count;
// admins only (the scheduled runs do the same for every rule in dry-run mode).
func (s *Store) DryRun(ctx context.Context, orgID string) (Rule, Outcome, error) {
	if err := auth.RequireAdmin(ctx, "organisationId"); err != nil {
		return Rule{}, Outcome{}, err
	}
	if !db.IsUUID(orgID) {
		return Rule{}, Outcome{}, apperr.NotFoundf("organisationId", "organisation not found")
	}
	out, err := s.runOne(ctx, orgID, calendar.Today(s.now()), true)
	if err != nil {
		return Rule{}, Outcome{}, err
	}
	var r Rule
	err = db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		r, err = get(ctx, tx, orgID, false)
		return err
	})
	return r, out, err
}

// Run runs every organisation's rule on today: rules in dry-run mode count, active
// rules erase. Call it under an audited context (audit.BeginWrite) as the system.
// One organisation's failure does not stop the others (their people must still be
// culled): every rule runs, a failed one's Outcome carries its Err, and the error is a
// *RunError counting the failures. Only ctx ending stops the run.
func (s *Store) Run(ctx context.Context, today time.Time) ([]Outcome, error) {
	rows, err := s.pool.Query(ctx, `SELECT organisation_id::text FROM retention_rule ORDER BY organisation_id`)
	if err != nil {
		return nil, fmt.Errorf("retention rules: %w", err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var outs []Outcome
	var failed []error
	for _, org := range orgs {
		o, err := s.runOne(ctx, org, today, false)
		if ctx.Err() != nil {
			return outs, ctx.Err()
		}
		if err != nil {
			o.OrganisationID, o.Err = org, err
			failed = append(failed, fmt.Errorf("organisation %s: %w", org, err))
		}
		outs = append(outs, o)
	}
	if len(failed) > 0 {
		return outs, &RunError{Rules: len(orgs), Failed: failed}
	}
	return outs, nil
}

// runOne runs one organisation's rule; forceDry counts even when the rule is active.
func (s *Store) runOne(ctx context.Context, orgID string, today time.Time, forceDry bool) (Outcome, error) {
	var rule Rule
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		rule, err = get(ctx, tx, orgID, false)
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	cutoff := today.AddDate(-rule.InactiveYears, 0, 0)
	out := Outcome{OrganisationID: orgID, Mode: rule.Mode, Cutoff: cutoff}
	stale, err := s.participants.Inactive(ctx, cutoff, today)
	if err != nil {
		return out, err
	}
	var ids []string
	for _, p := range stale {
		if p.OrganisationID == orgID {
			ids = append(ids, p.ID)
		}
	}
	out.Candidates = len(ids)
	if rule.Mode == DryRun || forceDry {
		out.Mode = DryRun
		err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE retention_rule SET last_dry_run_at = now(), last_dry_run_count = $2 WHERE organisation_id = $1`,
				orgID, len(ids))
			return err
		})
		return out, err
	}
	// A run that failed for some people is not recorded as the rule's last run; they
	// are selected again next time.
	out.Erased, err = EraseEach(ctx, s.participants, ids)
	if err != nil {
		return out, err
	}
	err = db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE retention_rule SET last_run_at = now(), last_run_erased = $2 WHERE organisation_id = $1`,
			orgID, out.Erased)
		return err
	})
	return out, err
}

// LockWait is how long erasing one person waits for a lock another transaction holds
// on their records (an edit under way, a session left open) before that person fails
// with a lock timeout and EraseEach goes on with the next.
const LockWait = 5 * time.Second

// EraseEach erases the people ids one by one, each in a transaction of its own that
// waits at most LockWait for a lock. One person who cannot be erased now does not keep
// the others from being erased: it returns how many were, and, when some were not, an
// error saying how many and why the first failed. It stops when ctx ends.
func EraseEach(ctx context.Context, ps *participant.Store, ids []string) (int, error) {
	bounded := db.WithLockWait(ctx, LockWait)
	var erased, failed int
	var first error
	for _, id := range ids {
		if err := ps.Erase(bounded, id); err != nil {
			if ctx.Err() != nil {
				return erased, ctx.Err()
			}
			if failed++; first == nil {
				first = err
			}
			continue
		}
		erased++
	}
	if failed > 0 {
		return erased, fmt.Errorf("%d of %d people could not be erased: %w", failed, len(ids), first)
	}
	return erased, nil
}
