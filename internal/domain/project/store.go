package project

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

const projectColumns = `id, organisation_id, name, funder, start_date, end_date, target_group, target_group_version, version`

func scanProject(r pgx.CollectableRow) (Project, error) {
	var p Project
	var funder string
	err := r.Scan(&p.ID, &p.OrganisationID, &p.Name, &funder, &p.StartDate, &p.EndDate, &p.TargetGroup,
		&p.TargetGroupVersion, &p.Version)
	p.Funder = Funder(funder)
	return p, err
}

// CreateProject creates a project; its name is unique in the organisation. A retry with
// the same idempotency key returns the first project and writes nothing.
func (s *Store) CreateProject(ctx context.Context, in CreateInput) (Project, error) {
	if err := in.Validate(); err != nil {
		return Project{}, err
	}
	var p Project
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createProject", Input: in,
			ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			rows, err := tx.Query(ctx, `INSERT INTO project (id, organisation_id, name, funder, start_date, end_date, target_group)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (organisation_id, name) DO NOTHING
				RETURNING `+projectColumns,
				id, in.OrganisationID, in.Name, string(in.Funder), in.StartDate, in.EndDate, in.TargetGroup)
			if err != nil {
				return "", err
			}
			ps, err := pgx.CollectRows(rows, scanProject)
			if err != nil {
				return "", db.MapError(err)
			}
			if len(ps) == 0 {
				return "", apperr.Conflictf("input.name", "a project with this name already exists")
			}
			p = ps[0]
			return p.ID, nil
		}, func(id string) (err error) {
			p, err = getProject(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return Project{}, fmt.Errorf("create project: %w", err)
	}
	return p, nil
}

// UpdateProject changes a project (optimistic locking). A target group that differs
// from the stored one raises target_group_version by one.
func (s *Store) UpdateProject(ctx context.Context, in UpdateInput) (Project, error) {
	if err := in.Validate(); err != nil {
		return Project{}, err
	}
	if !db.IsUUID(in.ID) {
		return Project{}, apperr.NotFoundf("input.id", "project not found")
	}
	var p Project
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE project SET name = coalesce($3, name), end_date = CASE WHEN $6 THEN NULL ELSE coalesce($4, end_date) END,
				target_group = coalesce($5, target_group),
				target_group_version = target_group_version + CASE WHEN $5 IS DISTINCT FROM target_group AND $5 IS NOT NULL THEN 1 ELSE 0 END,
				version = version + 1
			WHERE id = $1 AND version = $2 RETURNING `+projectColumns,
			in.ID, in.Version, in.Name, in.EndDate, in.TargetGroup, in.ClearEndDate)
		if err != nil {
			return err
		}
		ps, err := pgx.CollectRows(rows, scanProject)
		if err != nil {
			switch apperr.CodeOf(db.MapError(err)) {
			case apperr.Conflict:
				return apperr.Conflictf("input.name", "a project with this name already exists")
			case apperr.Invalid: // the only check an update can break
				return apperr.Invalidf("input.endDate", "end is before the start")
			}
			return err
		}
		if len(ps) == 0 {
			return db.StaleOrMissing(ctx, tx, "project", in.ID, "project")
		}
		p = ps[0]
		return nil
	})
	if err != nil {
		return Project{}, fmt.Errorf("update project: %w", err)
	}
	return p, nil
}

// Get returns one project.
func (s *Store) Get(ctx context.Context, id string) (Project, error) {
	ps, err := s.ByIDs(ctx, []string{id})
	return db.First(ps, err, "id", "project")
}

// ByIDs loads projects by id in one statement (dataloader).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Project, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+projectColumns+` FROM project WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load projects: %w", err)
	}
	return pgx.CollectRows(rows, scanProject)
}

// List returns an organisation's projects by start date, name and id.
func (s *Store) List(ctx context.Context, orgID string, req db.PageRequest) (db.Page[Project], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyText, db.KeyUUID)
	if err != nil {
		return db.Page[Project]{}, err
	}
	var out db.Page[Project]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+projectColumns+` FROM project WHERE organisation_id = $1
		AND ($2::text IS NULL OR (start_date, name, id) `+page.Cmp(">")+` ($2::date, $3, $4::uuid))
		ORDER BY `+page.Order("start_date, name, id")+` LIMIT $5`, orgID, page.AfterValue(0), page.AfterValue(1), page.AfterValue(2), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list projects: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanProject)
	if err != nil {
		return out, fmt.Errorf("list projects: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, p := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(p.StartDate.Format(time.DateOnly), p.Name, p.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM project WHERE organisation_id = $1`, orgID).Scan(&out.TotalCount)
	return out, err
}

func getProject(ctx context.Context, tx pgx.Tx, id string) (Project, error) {
	rows, err := tx.Query(ctx, `SELECT `+projectColumns+` FROM project WHERE id = $1`, id)
	return db.One(rows, err, scanProject, "id", "project")
}
