package organisation

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// CreateMeasureType extends an organisation's catalogue; codes are unique within it.
func (s *Store) CreateMeasureType(ctx context.Context, in MeasureTypeInput) (MeasureType, error) {
	if err := in.Validate(); err != nil {
		return MeasureType{}, err
	}
	var m MeasureType
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO measure_type (organisation_id, code, name, swedish_name, category,
				subsidised, municipal_employment, eligibility_rule)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (organisation_id, code) DO NOTHING RETURNING `+measureColumns,
			in.OrganisationID, in.Code, in.Name, in.SwedishName, in.Category, in.Subsidised, in.MunicipalEmployment, in.EligibilityRule)
		if err != nil {
			return err
		}
		ms, err := pgx.CollectRows(rows, scanMeasure)
		if err != nil {
			return db.MapError(err)
		}
		if len(ms) == 0 {
			return apperr.Conflictf("input.code", "the catalogue already has a measure with this code")
		}
		m = ms[0]
		return nil
	})
	if err != nil {
		return MeasureType{}, fmt.Errorf("create measure type: %w", err)
	}
	return m, nil
}

// SetMeasureTypeActive retires a measure (it stays in history but takes no new
// enrolments) or brings it back.
func (s *Store) SetMeasureTypeActive(ctx context.Context, orgID, code string, active bool) (MeasureType, error) {
	if !db.IsUUID(orgID) {
		return MeasureType{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `UPDATE measure_type SET active = $3 WHERE organisation_id = $1 AND code = $2
		RETURNING `+measureColumns, orgID, code, active)
	if err != nil {
		return MeasureType{}, fmt.Errorf("set measure type active: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMeasure)
	if db.IsNoRows(err) {
		return MeasureType{}, apperr.NotFoundf("input.code", "no measure with this code in the organisation's catalogue")
	}
	if err != nil {
		return MeasureType{}, fmt.Errorf("set measure type active: %w", err)
	}
	return m, nil
}

// AddRegionalMember makes a municipality a member of a regional body
// (samordningsförbund) and returns the regional body. Adding a member twice is a no-op.
func (s *Store) AddRegionalMember(ctx context.Context, regionalID, memberID string) (Organisation, error) {
	var regional Organisation
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var errs apperr.List
		var err error
		regional, err = requireKind(ctx, tx, regionalID, RegionalBody, "regionalId", &errs)
		if err != nil {
			return err
		}
		if _, err := requireKind(ctx, tx, memberID, Municipality, "memberId", &errs); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO organisation_membership (regional_id, member_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, regionalID, memberID)
		return db.MapError(err)
	})
	if err != nil {
		return Organisation{}, fmt.Errorf("add regional member: %w", err)
	}
	return regional, nil
}

// requireKind loads an organisation and adds an error to errs when it is missing or of
// another kind; err is only for failures of the database.
func requireKind(ctx context.Context, tx pgx.Tx, id string, kind Kind, field string, errs *apperr.List) (Organisation, error) {
	if !db.IsUUID(id) {
		errs.Add(apperr.NotFoundf(field, "organisation not found"))
		return Organisation{}, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, code, name, kind FROM organisation WHERE id = $1`, id)
	if err != nil {
		return Organisation{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrganisation)
	switch {
	case db.IsNoRows(err):
		errs.Add(apperr.NotFoundf(field, "organisation not found"))
	case err != nil:
		return Organisation{}, err
	case o.Kind != kind:
		errs.Add(apperr.Invalidf(field, "the organisation must be a %s", kind))
	}
	return o, nil
}

// Members returns a regional body's member municipalities by name (none for a
// municipality).
func (s *Store) Members(ctx context.Context, regionalID string) ([]Organisation, error) {
	if !db.IsUUID(regionalID) {
		return nil, apperr.NotFoundf("id", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.code, o.name, o.kind FROM organisation_membership m
		JOIN organisation o ON o.id = m.member_id WHERE m.regional_id = $1 ORDER BY o.name, o.id`, regionalID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return pgx.CollectRows(rows, scanOrganisation)
}

// MeasureTypeID resolves an optional measure code in an organisation's catalogue, inside
// the caller's transaction: nil for no code, NOT_FOUND on field for a code the
// organisation does not have.
func MeasureTypeID(ctx context.Context, tx pgx.Tx, orgID string, code *string, field string) (*string, error) {
	if code == nil {
		return nil, nil
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM measure_type WHERE organisation_id = $1 AND code = $2`, orgID, *code).Scan(&id)
	if db.IsNoRows(err) {
		return nil, apperr.NotFoundf(field, "unknown measure type for this organisation")
	}
	if err != nil {
		return nil, fmt.Errorf("resolve measure type: %w", err)
	}
	return &id, nil
}

// Membership is one member municipality of a regional body.
type Membership struct {
	RegionalID string
	Member     Organisation
}

// MembersOf loads the members of several regional bodies in one statement, by name
// (dataloader).
func (s *Store) MembersOf(ctx context.Context, regionalIDs []string) ([]Membership, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.regional_id, o.id, o.code, o.name, o.kind FROM organisation_membership m
		JOIN organisation o ON o.id = m.member_id WHERE m.regional_id = ANY($1::uuid[]) ORDER BY m.regional_id, o.name, o.id`,
		db.ValidUUIDs(regionalIDs))
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Membership, error) {
		var m Membership
		var kind string
		err := r.Scan(&m.RegionalID, &m.Member.ID, &m.Member.Code, &m.Member.Name, &kind)
		m.Member.Kind = Kind(kind)
		return m, err
	})
}
