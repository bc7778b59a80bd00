package organisation

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Units and staff. The unit table has no row-level security (units are not personal
// data); staff_user has, so through the API's pool a caseworker sees only their own
// organisation's staff.

func scanUnit(r pgx.CollectableRow) (Unit, error) {
	var u Unit
	err := r.Scan(&u.ID, &u.OrganisationID, &u.Name)
	return u, err
}

const staffColumns = `id, organisation_id, unit_id, name, email, title, version`

func scanStaff(r pgx.CollectableRow) (StaffUser, error) {
	var u StaffUser
	err := r.Scan(&u.ID, &u.OrganisationID, &u.UnitID, &u.Name, &u.Email, &u.Title, &u.Version)
	return u, err
}

// Require refuses an unknown or malformed organisation id (NOT_FOUND on field), inside
// the caller's transaction. Organisations have no row-level security: every create that
// names one checks it here first.
func Require(ctx context.Context, tx pgx.Tx, orgID, field string) error {
	return RequireLater(ctx, tx, orgID, field)()
}

// RequireLater is Require with its query queued for the transaction's next round trip
// (db.FetchRow) instead of one of its own: check, called before anything is written,
// waits for it and returns Require's answer.
func RequireLater(ctx context.Context, tx pgx.Tx, orgID, field string) (check func() error) {
	notFound := apperr.NotFoundf(field, "organisation not found")
	if !db.IsUUID(orgID) {
		return func() error { return notFound }
	}
	var ok bool
	wait := db.FetchRow(ctx, tx, "organisation", func(r pgx.Row) error { return r.Scan(&ok) },
		`SELECT EXISTS (SELECT 1 FROM organisation WHERE id = $1)`, orgID)
	return func() error {
		if err := wait(); err != nil {
			return err
		}
		if !ok {
			return notFound
		}
		return nil
	}
}

// CreateUnit adds a unit; names are unique within an organisation. A retry with the
// same idempotency key returns the first unit and writes nothing.
func (s *Store) CreateUnit(ctx context.Context, in UnitInput) (Unit, error) {
	if err := in.Validate(); err != nil {
		return Unit{}, err
	}
	var u Unit
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createUnit", Input: in,
			ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			err := tx.QueryRow(ctx, `INSERT INTO unit (id, organisation_id, name) VALUES ($1, $2, $3)
				ON CONFLICT (organisation_id, name) DO NOTHING RETURNING id, organisation_id, name`,
				id, in.OrganisationID, in.Name).Scan(&u.ID, &u.OrganisationID, &u.Name)
			if db.IsNoRows(err) {
				return "", apperr.Conflictf("input.name", "a unit with this name already exists")
			}
			return u.ID, db.MapError(err)
		}, func(id string) error {
			return tx.QueryRow(ctx, `SELECT id, organisation_id, name FROM unit WHERE id = $1`, id).Scan(&u.ID, &u.OrganisationID, &u.Name)
		})
	})
	if err != nil {
		return Unit{}, fmt.Errorf("create unit: %w", err)
	}
	return u, nil
}

// Units returns an organisation's units by name.
func (s *Store) Units(ctx context.Context, orgID string) ([]Unit, error) {
	if !db.IsUUID(orgID) {
		return nil, apperr.NotFoundf("organisationId", "organisation not found")
	}
	rows, err := s.pool.Query(ctx, `SELECT id, organisation_id, name FROM unit WHERE organisation_id = $1 ORDER BY name, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return pgx.CollectRows(rows, scanUnit)
}

// UnitsByIDs loads units by id in one statement (dataloader).
func (s *Store) UnitsByIDs(ctx context.Context, ids []string) ([]Unit, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, organisation_id, name FROM unit WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	return pgx.CollectRows(rows, scanUnit)
}

// CreateStaffUser adds a member of staff, optionally to a unit of the same
// organisation. A retry with the same idempotency key returns the first staff user and
// writes nothing.
func (s *Store) CreateStaffUser(ctx context.Context, in StaffInput) (StaffUser, error) {
	if err := in.Validate(); err != nil {
		return StaffUser{}, err
	}
	var u StaffUser
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createStaffUser",
			Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			if in.UnitID != nil {
				ok := db.IsUUID(*in.UnitID)
				if ok {
					if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM unit WHERE id = $1 AND organisation_id = $2)`,
						*in.UnitID, in.OrganisationID).Scan(&ok); err != nil {
						return "", err
					}
				}
				if !ok {
					return "", apperr.NotFoundf("input.unitId", "no such unit in this organisation")
				}
			}
			rows, err := tx.Query(ctx, `INSERT INTO staff_user (id, organisation_id, unit_id, name, email, title)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+staffColumns, id, in.OrganisationID, in.UnitID, in.Name, in.Email, in.Title)
			if err != nil {
				return "", err
			}
			u, err = pgx.CollectExactlyOneRow(rows, scanStaff)
			return u.ID, db.MapError(err)
		}, func(id string) (err error) {
			u, err = getStaff(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return StaffUser{}, fmt.Errorf("create staff user: %w", err)
	}
	return u, nil
}

func getStaff(ctx context.Context, tx pgx.Tx, id string) (StaffUser, error) {
	rows, err := tx.Query(ctx, `SELECT `+staffColumns+` FROM staff_user WHERE id = $1`, id)
	if err != nil {
		return StaffUser{}, err
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanStaff)
	if db.IsNoRows(err) {
		return StaffUser{}, apperr.NotFoundf("id", "staff user not found")
	}
	return u, err
}

// StaffByIDs loads staff users by id in one statement (dataloader).
func (s *Store) StaffByIDs(ctx context.Context, ids []string) ([]StaffUser, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff_user WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load staff users: %w", err)
	}
	return pgx.CollectRows(rows, scanStaff)
}

// StaffOfUnits loads the staff of these units in one statement, by name (dataloader
// shape: group the result by UnitID).
func (s *Store) StaffOfUnits(ctx context.Context, unitIDs []string) ([]StaffUser, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff_user
		WHERE unit_id = ANY($1::uuid[]) ORDER BY unit_id, name, id`, db.ValidUUIDs(unitIDs))
	if err != nil {
		return nil, fmt.Errorf("load staff of units: %w", err)
	}
	return pgx.CollectRows(rows, scanStaff)
}

// ListStaff returns an organisation's staff, optionally of one unit, by name and id,
// one page at a time, with the number of matches.
func (s *Store) ListStaff(ctx context.Context, orgID string, unitID *string, req db.PageRequest) (db.Page[StaffUser], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyText, db.KeyUUID)
	if err != nil {
		return db.Page[StaffUser]{}, err
	}
	var out db.Page[StaffUser]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if unitID != nil && !db.IsUUID(*unitID) {
		return out, nil // an unknown unit has no staff
	}
	where := `organisation_id = $1 AND ($2::uuid IS NULL OR unit_id = $2)`
	args := []any{orgID, unitID}
	rows, err := s.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff_user WHERE `+where+`
		AND ($3::text IS NULL OR (name, id) `+page.Cmp(">")+` ($3, $4::uuid))
		ORDER BY `+page.Order("name, id")+` LIMIT $5`, append(args, page.AfterValue(0), page.AfterValue(1), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list staff: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanStaff)
	if err != nil {
		return out, fmt.Errorf("list staff: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, u := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(u.Name, u.ID))
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM staff_user WHERE `+where, args...).Scan(&out.TotalCount); err != nil {
		return out, fmt.Errorf("count staff: %w", err)
	}
	return out, nil
}

// UnitsOf loads the units of several organisations in one statement, by name
// (dataloader).
func (s *Store) UnitsOf(ctx context.Context, orgIDs []string) ([]Unit, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, organisation_id, name FROM unit WHERE organisation_id = ANY($1::uuid[])
		ORDER BY organisation_id, name, id`, db.ValidUUIDs(orgIDs))
	if err != nil {
		return nil, fmt.Errorf("load units: %w", err)
	}
	return pgx.CollectRows(rows, scanUnit)
}
