package quota

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
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

const columns = `id, organisation_id, name, total, period_start, period_end, measure_type_id, version`

func scan(r pgx.CollectableRow) (Quota, error) {
	var q Quota
	err := r.Scan(&q.ID, &q.OrganisationID, &q.Name, &q.Total, &q.PeriodStart, &q.PeriodEnd, &q.MeasureTypeID, &q.Version)
	return q, err
}

// Create creates a quota. A retry with the same idempotency key returns the first
// quota and writes nothing.
func (s *Store) Create(ctx context.Context, in CreateInput) (Quota, error) {
	if err := in.Validate(); err != nil {
		return Quota{}, err
	}
	var q Quota
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createQuota", Input: in,
			ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			measureTypeID, err := organisation.MeasureTypeID(ctx, tx, in.OrganisationID, in.MeasureTypeCode, "input.measureTypeCode")
			if err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, `INSERT INTO quota (id, organisation_id, name, total, period_start, period_end, measure_type_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+columns,
				id, in.OrganisationID, in.Name, in.Total, in.PeriodStart, in.PeriodEnd, measureTypeID)
			if err != nil {
				return "", err
			}
			qs, err := pgx.CollectRows(rows, scan)
			if err != nil {
				return "", db.MapError(err)
			}
			q = qs[0]
			return q.ID, nil
		}, func(id string) (err error) {
			q, err = get(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return Quota{}, fmt.Errorf("create quota: %w", err)
	}
	return q, nil
}

func get(ctx context.Context, tx pgx.Tx, id string) (Quota, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM quota WHERE id = $1`, id)
	return db.One(rows, err, scan, "id", "quota")
}

// Get returns one quota.
func (s *Store) Get(ctx context.Context, id string) (Quota, error) {
	if !db.IsUUID(id) {
		return Quota{}, apperr.NotFoundf("id", "quota not found")
	}
	var q Quota
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		q, err = get(ctx, tx, id)
		return err
	})
	return q, err
}

// ActiveIn returns the quotas of the organisations whose period overlaps [from, to]
// (dates), by organisation, period start and id.
func (s *Store) ActiveIn(ctx context.Context, orgIDs []string, from, to time.Time) ([]Quota, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM quota WHERE organisation_id = ANY($1::uuid[])
		AND period_start <= $3 AND period_end >= $2 ORDER BY organisation_id, period_start, name, id`,
		db.ValidUUIDs(orgIDs), from, to)
	if err != nil {
		return nil, fmt.Errorf("active quotas: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// List returns an organisation's quotas by period start and id.
func (s *Store) List(ctx context.Context, orgID string, req db.PageRequest) (db.Page[Quota], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Quota]{}, err
	}
	var out db.Page[Quota]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM quota WHERE organisation_id = $1
		AND ($2::text IS NULL OR (period_start, id) `+page.Cmp(">")+` ($2::date, $3::uuid))
		ORDER BY `+page.Order("period_start, id")+` LIMIT $4`, orgID, page.AfterValue(0), page.AfterValue(1), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list quotas: %w", err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return out, fmt.Errorf("list quotas: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, q := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(q.PeriodStart.Format(time.DateOnly), q.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM quota WHERE organisation_id = $1`, orgID).Scan(&out.TotalCount)
	return out, err
}

// Allocations spreads q over the organisation's municipal departments with a headcount,
// by department name, and counts what each delivered: enrolments it hosts whose
// decision (or, lacking one, start) falls in the period up to asOf, in the quota's
// measure when it has one. One statement.
func (s *Store) Allocations(ctx context.Context, q Quota, asOf time.Time) ([]Allocation, error) {
	end := q.PeriodEnd
	if asOf.Before(end) {
		end = asOf
	}
	rows, err := s.pool.Query(ctx, `SELECT d.id, d.name, d.headcount,
			(SELECT count(*) FROM enrolment e WHERE e.host_employer_id = d.id
				-- coalesce(decision_date, start_date) in the period, spelt so that the
				-- index on (host_employer_id, decision_date) serves both halves.
				AND (e.decision_date BETWEEN $2 AND $3 OR (e.decision_date IS NULL AND e.start_date BETWEEN $2 AND $3))
				AND ($4::uuid IS NULL OR e.measure_type_id = $4))::int
		FROM employer d
		WHERE d.organisation_id = $1 AND d.kind = 'municipal_department' AND d.headcount > 0
		ORDER BY d.name, d.id`, q.OrganisationID, q.PeriodStart, end, q.MeasureTypeID)
	if err != nil {
		return nil, fmt.Errorf("quota allocations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Allocation, error) {
		var a Allocation
		err := r.Scan(&a.EmployerID, &a.Name, &a.Headcount, &a.Delivered)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("quota allocations: %w", err)
	}
	headcounts := make([]int, len(out))
	for i, a := range out {
		headcounts[i] = a.Headcount
	}
	for i, n := range Allocate(q.Total, headcounts) {
		out[i].Quota = n
	}
	return out, nil
}
