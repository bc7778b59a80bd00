package organisation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/eligibility"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Store reads and writes organisations and their catalogue in PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create adds an organisation with the default measure catalogue, in one transaction.
func (s *Store) Create(ctx context.Context, in CreateInput) (Organisation, error) {
	if err := in.Validate(); err != nil {
		return Organisation{}, err
	}
	o := Organisation{Code: in.Code, Name: in.Name, Kind: in.Kind}
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO organisation (code, name, kind) VALUES ($1, $2, $3) RETURNING id`,
			o.Code, o.Name, string(o.Kind)).Scan(&o.ID)
		if err != nil {
			if apperr.CodeOf(db.MapError(err)) == apperr.Conflict {
				return apperr.Conflictf("input.code", "an organisation with this code already exists")
			}
			return err
		}
		if o.Kind != Municipality {
			return nil
		}
		batch := &pgx.Batch{}
		for _, m := range DefaultCatalogue {
			rule := m.EligibilityRule
			if rule == "" {
				rule = eligibility.None
			}
			batch.Queue(`INSERT INTO measure_type (organisation_id, code, name, swedish_name, category, subsidised, municipal_employment, eligibility_rule)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, o.ID, m.Code, m.Name, m.SwedishName, m.Category, m.Subsidised, m.MunicipalEmployment, rule)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return Organisation{}, fmt.Errorf("create organisation: %w", err)
	}
	return o, nil
}

// Get returns one organisation.
func (s *Store) Get(ctx context.Context, id string) (Organisation, error) {
	os, err := s.ByIDs(ctx, []string{id})
	return db.First(os, err, "id", "organisation")
}

// ByCode returns the organisation with the given code.
func (s *Store) ByCode(ctx context.Context, code string) (Organisation, error) {
	var o Organisation
	var kind string
	err := s.pool.QueryRow(ctx, `SELECT id, code, name, kind FROM organisation WHERE code = $1`, code).Scan(&o.ID, &o.Code, &o.Name, &kind)
	if db.IsNoRows(err) {
		return o, apperr.NotFoundf("code", "organisation not found")
	}
	o.Kind = Kind(kind)
	return o, err
}

// ByIDs returns the organisations with the given ids (unknown or malformed ids are skipped).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Organisation, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, code, name, kind FROM organisation
		WHERE id = ANY($1::uuid[]) ORDER BY name`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load organisations: %w", err)
	}
	return pgx.CollectRows(rows, scanOrganisation)
}

// Page returns organisations by name and id, optionally of one kind.
func (s *Store) Page(ctx context.Context, kind *Kind, req db.PageRequest) (db.Page[Organisation], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyText, db.KeyUUID)
	if err != nil {
		return db.Page[Organisation]{}, err
	}
	var out db.Page[Organisation]
	var k *string
	if kind != nil {
		v := string(*kind)
		k = &v
	}
	rows, err := s.pool.Query(ctx, `SELECT id, code, name, kind FROM organisation
		WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR (name, id) `+page.Cmp(">")+` ($2, $3::uuid))
		ORDER BY `+page.Order("name, id")+` LIMIT $4`, k, page.AfterValue(0), page.AfterValue(1), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list organisations: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanOrganisation)
	if err != nil {
		return out, fmt.Errorf("list organisations: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, o := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(o.Name, o.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM organisation WHERE $1::text IS NULL OR kind = $1`, k).Scan(&out.TotalCount)
	return out, err
}

func scanOrganisation(r pgx.CollectableRow) (Organisation, error) {
	var o Organisation
	var kind string
	err := r.Scan(&o.ID, &o.Code, &o.Name, &kind)
	o.Kind = Kind(kind)
	return o, err
}

const measureColumns = `id, organisation_id, code, name, swedish_name, category, subsidised, municipal_employment, eligibility_rule, active`

func scanMeasure(r pgx.CollectableRow) (MeasureType, error) {
	var m MeasureType
	err := r.Scan(&m.ID, &m.OrganisationID, &m.Code, &m.Name, &m.SwedishName, &m.Category, &m.Subsidised, &m.MunicipalEmployment, &m.EligibilityRule, &m.Active)
	return m, err
}

// MeasureTypes returns an organisation's catalogue by code: the active measures, and
// the retired ones too when includeInactive.
func (s *Store) MeasureTypes(ctx context.Context, orgID string, includeInactive bool) ([]MeasureType, error) {
	if !db.IsUUID(orgID) {
		return nil, apperr.NotFoundf("organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT `+measureColumns+` FROM measure_type
		WHERE organisation_id = $1 AND (active OR $2) ORDER BY code`, orgID, includeInactive)
	if err != nil {
		return nil, fmt.Errorf("list measure types: %w", err)
	}
	return pgx.CollectRows(rows, scanMeasure)
}

// CheckMeasureCodes refuses measure codes that no catalogue of the organisations has,
// retired measures included: a cohort of an unknown code (a typo such as "extra_jobs")
// would answer n = 0 as if nobody had left the measure. The error is INVALID on
// field[i], i the code's position.
func (s *Store) CheckMeasureCodes(ctx context.Context, orgIDs, codes []string, field string) error {
	if len(codes) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT code FROM measure_type WHERE organisation_id = ANY($1::uuid[]) AND code = ANY($2)`,
		db.ValidUUIDs(orgIDs), codes)
	if err != nil {
		return fmt.Errorf("check measure codes: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("check measure codes: %w", err)
	}
	var errs apperr.List
	for i, c := range codes {
		if !slices.Contains(known, c) {
			errs.Add(apperr.Invalidf(fmt.Sprintf("%s[%d]", field, i), "no measure type has the code %q in the cohort's organisations", c))
		}
	}
	return errs.Err()
}

// ActiveMeasureTypesOf loads the active catalogues of several organisations in one
// statement, by code (dataloader).
func (s *Store) ActiveMeasureTypesOf(ctx context.Context, orgIDs []string) ([]MeasureType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+measureColumns+` FROM measure_type
		WHERE organisation_id = ANY($1::uuid[]) AND active ORDER BY organisation_id, code`, db.ValidUUIDs(orgIDs))
	if err != nil {
		return nil, fmt.Errorf("load measure types: %w", err)
	}
	return pgx.CollectRows(rows, scanMeasure)
}

// MeasureTypesByIDs loads measure types by id (for dataloaders).
func (s *Store) MeasureTypesByIDs(ctx context.Context, ids []string) ([]MeasureType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+measureColumns+` FROM measure_type WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load measure types: %w", err)
	}
	return pgx.CollectRows(rows, scanMeasure)
}

// ResolveOrganisations maps each reference (an organisation's id or its code) to the id
// of the organisation it names, in one statement; references that name none are absent.
// The API checks a token's organisations with it (auth.OrgDirectory).
func (s *Store) ResolveOrganisations(ctx context.Context, refs []string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, code FROM organisation WHERE id = ANY($1::uuid[]) OR code = ANY($2)`,
		db.ValidUUIDs(refs), refs)
	if err != nil {
		return nil, fmt.Errorf("resolve organisations: %w", err)
	}
	defer rows.Close()
	byRef := map[string]string{}
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, fmt.Errorf("resolve organisations: %w", err)
		}
		byRef[id], byRef[code] = id, id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resolve organisations: %w", err)
	}
	out := map[string]string{}
	for _, r := range refs {
		if id, ok := byRef[r]; ok {
			out[r] = id
		} else if id, ok := byRef[strings.ToLower(r)]; ok && db.IsUUID(r) {
			out[r] = id
		}
	}
	return out, nil
}
