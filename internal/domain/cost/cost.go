// Package cost records what measures cost (cost items per enrolment: wage, wage subsidy
// received, supervision, other) and each project's budget by funder, and computes cost
// per participant, per completed measure and per person in lasting attachment, by
// measure and by project (issue 16).
package cost

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Kind of cost item.
type Kind string

// The kinds. A wage subsidy received (lönebidrag, AF's ersättning) is income: it is
// subtracted from the other kinds to give the net cost.
const (
	Wage                Kind = "wage"
	WageSubsidyReceived Kind = "wage_subsidy_received"
	Supervision         Kind = "supervision"
	Other               Kind = "other"
)

// MaxNote is the longest note on a cost item, in characters (enrolment_cost.note's CHECK).
const MaxNote = 500

// Kinds lists every kind of cost item (enrolment_cost.kind's CHECK list).
var Kinds = []Kind{Wage, WageSubsidyReceived, Supervision, Other}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Item is one cost of an enrolment in one month, in kronor.
type Item struct {
	ID            string
	EnrolmentID   string
	ParticipantID string
	Kind          Kind
	Month         time.Time
	Amount        float64
	Note          string
	RecordedBy    string
	CreatedAt     time.Time
}

// Funding is one funder's part of a project's budget, in kronor.
type Funding struct {
	ID         string
	ProjectID  string
	Funder     string
	Amount     float64
	RecordedBy string
}

// Store reads and writes costs and budgets.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// AddInput records one cost item.
type AddInput struct {
	EnrolmentID string
	Kind        Kind
	Month       time.Time
	Amount      float64
	Note        string
}

// MaxAmount bounds every amount, in kronor, from above (exclusive): enrolment_cost.amount's
// CHECK. A project's funding is held to it too, though its column would take more.
const MaxAmount = 1e8

// checkAmount: kronor with at most two decimals, 0 to 100 million.
func checkAmount(field string, v float64, allowZero bool) *apperr.Error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (!allowZero && v == 0) || v >= MaxAmount {
		return apperr.Invalidf(field, "the amount must be kronor from %s up to 100 million", map[bool]string{true: "0", false: "0.01"}[allowZero])
	}
	if math.Abs(v*100-math.Round(v*100)) > 1e-6 {
		return apperr.Invalidf(field, "the amount has at most two decimals (öre)")
	}
	return nil
}

// Add records a cost item of an enrolment the caller can see.
func (s *Store) Add(ctx context.Context, in AddInput) (Item, error) {
	var errs apperr.List
	if !in.Kind.Valid() {
		errs.Add(apperr.Invalidf("input.kind", "unknown cost kind"))
	}
	if e := checkAmount("input.amount", in.Amount, true); e != nil {
		errs.Add(e)
	}
	if !bounds.RecordYearOK(in.Month.Year()) {
		errs.Add(apperr.Invalidf("input.month", "the month must be %s", bounds.RecordYears()))
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > MaxNote {
		errs.Add(apperr.Invalidf("input.note", "the note must be at most %d characters", MaxNote))
	}
	if err := errs.Err(); err != nil {
		return Item{}, err
	}
	if !db.IsUUID(in.EnrolmentID) {
		return Item{}, apperr.NotFoundf("input.enrolmentId", "enrolment not found")
	}
	month := time.Date(in.Month.Year(), in.Month.Month(), 1, 0, 0, 0, 0, time.UTC)
	var it Item
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var orgID string
		err := tx.QueryRow(ctx, `SELECT organisation_id, participant_id FROM enrolment WHERE id = $1 FOR UPDATE`, in.EnrolmentID).
			Scan(&orgID, &it.ParticipantID)
		if db.IsNoRows(err) {
			return apperr.NotFoundf("input.enrolmentId", "enrolment not found")
		}
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO enrolment_cost (organisation_id, participant_id, enrolment_id, kind, month, amount, note, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
			orgID, it.ParticipantID, in.EnrolmentID, string(in.Kind), month, in.Amount, in.Note, auth.Actor(ctx)).Scan(&it.ID, &it.CreatedAt)
		if err != nil {
			return db.MapError(err)
		}
		audit.Touched(ctx, "enrolment_cost", it.ID, it.ParticipantID)
		return nil
	})
	if err != nil {
		return Item{}, fmt.Errorf("add cost: %w", err)
	}
	it.EnrolmentID, it.Kind, it.Month, it.Amount, it.Note, it.RecordedBy = in.EnrolmentID, in.Kind, month, in.Amount, in.Note, auth.Actor(ctx)
	return it, nil
}

// ByEnrolments loads the cost items of these enrolments, by month (dataloader).
func (s *Store) ByEnrolments(ctx context.Context, ids []string) ([]Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, enrolment_id, participant_id, kind, month, amount::float8, note, recorded_by, created_at
		FROM enrolment_cost WHERE enrolment_id = ANY($1::uuid[]) ORDER BY enrolment_id, month, created_at, id`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load costs: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Item, error) {
		var it Item
		var kind string
		err := r.Scan(&it.ID, &it.EnrolmentID, &it.ParticipantID, &kind, &it.Month, &it.Amount, &it.Note, &it.RecordedBy, &it.CreatedAt)
		it.Kind = Kind(kind)
		return it, err
	})
}

// FundingInput sets one funder's part of a project's budget; Amount 0 removes it.
type FundingInput struct {
	ProjectID string
	Funder    string
	Amount    float64
}

// SetFunding sets one funder's part of a project's budget and returns the whole budget.
func (s *Store) SetFunding(ctx context.Context, in FundingInput) ([]Funding, error) {
	var errs apperr.List
	in.Funder = strings.TrimSpace(in.Funder)
	errs.Add(bounds.Name("input.funder", in.Funder, bounds.MaxRecordName))
	if e := checkAmount("input.amount", in.Amount, true); e != nil {
		errs.Add(e)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if !db.IsUUID(in.ProjectID) {
		return nil, apperr.NotFoundf("input.projectId", "project not found")
	}
	var out []Funding
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var orgID string
		err := tx.QueryRow(ctx, `SELECT organisation_id FROM project WHERE id = $1 FOR UPDATE`, in.ProjectID).Scan(&orgID)
		if db.IsNoRows(err) {
			return apperr.NotFoundf("input.projectId", "project not found")
		}
		if err != nil {
			return err
		}
		if err := auth.RequireOrgPersonalData(ctx, orgID, "input.projectId"); err != nil {
			return err
		}
		if in.Amount == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM project_funding WHERE project_id = $1 AND funder = $2`, in.ProjectID, in.Funder)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO project_funding (organisation_id, project_id, funder, amount, recorded_by)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, funder) DO UPDATE SET amount = EXCLUDED.amount,
					recorded_by = EXCLUDED.recorded_by`, orgID, in.ProjectID, in.Funder, in.Amount, auth.Actor(ctx))
		}
		if err != nil {
			return db.MapError(err)
		}
		out, err = fundingOf(ctx, tx, []string{in.ProjectID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set project funding: %w", err)
	}
	return out, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func fundingOf(ctx context.Context, q querier, projectIDs []string) ([]Funding, error) {
	rows, err := q.Query(ctx, `SELECT id, project_id, funder, amount::float8, recorded_by FROM project_funding
		WHERE project_id = ANY($1::uuid[]) ORDER BY project_id, funder`, db.ValidUUIDs(projectIDs))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Funding, error) {
		var f Funding
		return f, r.Scan(&f.ID, &f.ProjectID, &f.Funder, &f.Amount, &f.RecordedBy)
	})
}

// FundingByProjects loads these projects' budgets (dataloader).
func (s *Store) FundingByProjects(ctx context.Context, projectIDs []string) ([]Funding, error) {
	out, err := fundingOf(ctx, s.pool, projectIDs)
	if err != nil {
		return nil, fmt.Errorf("load project funding: %w", err)
	}
	return out, nil
}
