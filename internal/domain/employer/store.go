package employer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes this package's records in PostgreSQL. Every table it touches
// has row-level security: through the API's pool a caseworker sees and writes only
// their own organisation's employers, and another tenant's employer reads as not found.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id, organisation_id, kind, name, org_number, headcount, notes, version`

func scan(r pgx.CollectableRow) (Employer, error) {
	var e Employer
	var kind string
	err := r.Scan(&e.ID, &e.OrganisationID, &kind, &e.Name, &e.OrgNumber, &e.Headcount, &e.Notes, &e.Version)
	e.Kind = Kind(kind)
	return e, err
}

// querier is what reads need: the pool, or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// getOne loads one employer; lock is "" or a row-locking clause. field names the input
// that carried the id, for the NOT_FOUND error.
func getOne(ctx context.Context, q querier, id, field, lock string) (Employer, error) {
	if !db.IsUUID(id) {
		return Employer{}, apperr.NotFoundf(field, "employer not found")
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM employer WHERE id = $1 `+lock, id)
	return db.One(rows, err, scan, field, "employer")
}

// Create registers an employer. Names are unique within an organisation. A retry with
// the same idempotency key returns the first employer and writes nothing.
func (s *Store) Create(ctx context.Context, in CreateInput) (Employer, error) {
	if err := in.Validate(); err != nil {
		return Employer{}, err
	}
	if !db.IsUUID(in.OrganisationID) {
		return Employer{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	var e Employer
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createEmployer",
			Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			// ON CONFLICT keeps the transaction usable and names the field, instead of a bare
			// unique violation.
			rows, err := tx.Query(ctx, `INSERT INTO employer (id, organisation_id, kind, name, org_number, headcount, notes)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (organisation_id, name) DO NOTHING
				RETURNING `+columns,
				id, in.OrganisationID, string(in.Kind), in.Name, in.OrgNumber, in.Headcount, in.Notes)
			if err != nil {
				return "", err
			}
			es, err := pgx.CollectRows(rows, scan)
			if err != nil {
				return "", db.MapError(err)
			}
			if len(es) == 0 {
				return "", apperr.Conflictf("input.name", "an employer with this name is already registered")
			}
			e = es[0]
			return e.ID, nil
		}, func(id string) (err error) {
			e, err = getOne(ctx, tx, id, "input.idempotencyKey", "")
			return err
		})
	})
	if err != nil {
		return Employer{}, fmt.Errorf("create employer: %w", err)
	}
	return e, nil
}

// Update changes the fields given, provided the caller's version is current; the
// version moves on by one.
func (s *Store) Update(ctx context.Context, in UpdateInput) (Employer, error) {
	if err := in.Validate(); err != nil {
		return Employer{}, err
	}
	if !db.IsUUID(in.ID) {
		return Employer{}, apperr.NotFoundf("input.id", "employer not found")
	}
	var kind *string
	if in.Kind != nil {
		k := string(*in.Kind)
		kind = &k
	}
	var e Employer
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE employer SET kind = coalesce($3, kind), name = coalesce($4, name),
				org_number = coalesce($5, org_number), headcount = CASE WHEN $8 THEN NULL ELSE coalesce($6, headcount) END,
				notes = coalesce($7, notes), version = version + 1
			WHERE id = $1 AND version = $2 RETURNING `+columns,
			in.ID, in.Version, kind, in.Name, in.OrgNumber, in.Headcount, in.Notes, in.ClearHeadcount)
		var es []Employer
		if err == nil {
			es, err = pgx.CollectRows(rows, scan)
		}
		if err != nil {
			if err = db.MapError(err); apperr.CodeOf(err) == apperr.Conflict {
				// The only unique key an update can hit is the name.
				return apperr.Conflictf("input.name", "an employer with this name is already registered")
			}
			return err
		}
		if len(es) == 0 {
			return db.StaleOrMissing(ctx, tx, "employer", in.ID, "employer")
		}
		e = es[0]
		return nil
	})
	if err != nil {
		return Employer{}, fmt.Errorf("update employer: %w", err)
	}
	return e, nil
}

// AddContact adds a contact person and returns the employer.
func (s *Store) AddContact(ctx context.Context, in ContactInput) (Employer, error) {
	if err := in.Validate(); err != nil {
		return Employer{}, err
	}
	var e Employer
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = getOne(ctx, tx, in.EmployerID, "input.employerId", ""); err != nil {
			return err
		}
		// A retry returns the employer as it is: nothing to replay.
		contactID := db.NewID()
		req := idempotency.Request{OrganisationID: e.OrganisationID, Key: in.IdempotencyKey, Operation: "addEmployerContact",
			Input: in, ResultID: contactID}
		return idempotency.Once(ctx, tx, req, func() (id string, err error) {
			err = tx.QueryRow(ctx, `INSERT INTO employer_contact (id, employer_id, organisation_id, name, role, phone, email)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, contactID, e.ID, e.OrganisationID, in.Name, in.Role, in.Phone,
				in.Email).Scan(&id)
			return id, db.MapError(err)
		}, func(string) error { return nil })
	})
	if err != nil {
		return Employer{}, fmt.Errorf("add employer contact: %w", err)
	}
	return e, nil
}

// AddNote adds a dated note signed by the caller and returns the employer. The author
// comes from the authenticated caller, never from input, so a note cannot be forged.
func (s *Store) AddNote(ctx context.Context, employerID, body, idempotencyKey string) (Employer, error) {
	caller, err := auth.Require(ctx)
	if err != nil {
		return Employer{}, err
	}
	body, err = ValidateNote(body)
	if err != nil {
		return Employer{}, err
	}
	var e Employer
	err = db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = getOne(ctx, tx, employerID, "input.employerId", ""); err != nil {
			return err
		}
		noteID := db.NewID()
		req := idempotency.Request{OrganisationID: e.OrganisationID, Key: idempotencyKey, Operation: "addEmployerNote",
			Input: []string{employerID, body}, ResultID: noteID}
		return idempotency.Once(ctx, tx, req, func() (id string, err error) {
			// created_at defaults to clock_timestamp(), so notes added in one transaction
			// still come back in the order they were written.
			err = tx.QueryRow(ctx, `INSERT INTO employer_note (id, employer_id, organisation_id, author, body)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`, noteID, e.ID, e.OrganisationID, caller.Subject, body).Scan(&id)
			return id, db.MapError(err)
		}, func(string) error { return nil })
	})
	if err != nil {
		return Employer{}, fmt.Errorf("add employer note: %w", err)
	}
	return e, nil
}

// Get returns one employer.
func (s *Store) Get(ctx context.Context, id string) (Employer, error) {
	return getOne(ctx, s.pool, id, "id", "")
}

// ByIDs loads employers by id in one statement (dataloader).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Employer, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM employer WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load employers: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// ContactsOf loads the contacts of these employers in one statement, by name
// (dataloader).
func (s *Store) ContactsOf(ctx context.Context, employerIDs []string) ([]Contact, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, employer_id, name, role, phone, email FROM employer_contact
		WHERE employer_id = ANY($1::uuid[]) ORDER BY employer_id, name, id`, db.ValidUUIDs(employerIDs))
	if err != nil {
		return nil, fmt.Errorf("load employer contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) {
		var c Contact
		err := r.Scan(&c.ID, &c.EmployerID, &c.Name, &c.Role, &c.Phone, &c.Email)
		return c, err
	})
}

// NotesOf loads the notes of these employers in one statement, newest first (dataloader).
func (s *Store) NotesOf(ctx context.Context, employerIDs []string) ([]Note, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, employer_id, author, body, created_at FROM employer_note
		WHERE employer_id = ANY($1::uuid[]) ORDER BY employer_id, created_at DESC, id DESC`, db.ValidUUIDs(employerIDs))
	if err != nil {
		return nil, fmt.Errorf("load employer notes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) {
		var n Note
		err := r.Scan(&n.ID, &n.EmployerID, &n.Author, &n.Body, &n.At)
		return n, err
	})
}

// List returns an organisation's register matching f, by name and id, one page at a
// time, with the number of matches.
func (s *Store) List(ctx context.Context, orgID string, f Filter, req db.PageRequest) (db.Page[Employer], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyText, db.KeyUUID)
	if err != nil {
		return db.Page[Employer]{}, err
	}
	var out db.Page[Employer]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	var kind, name *string
	if f.Kind != nil {
		k := string(*f.Kind)
		kind = &k
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		v := "%" + escapeLike(q) + "%"
		name = &v
	}
	where := `organisation_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR name ILIKE $3)`
	args := []any{orgID, kind, name}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM employer WHERE `+where+`
		AND ($4::text IS NULL OR (name, id) `+page.Cmp(">")+` ($4, $5::uuid))
		ORDER BY `+page.Order("name, id")+` LIMIT $6`, append(args, page.AfterValue(0), page.AfterValue(1), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list employers: %w", err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return out, fmt.Errorf("list employers: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, e := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(e.Name, e.ID))
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM employer WHERE `+where, args...).Scan(&out.TotalCount); err != nil {
		return out, fmt.Errorf("count employers: %w", err)
	}
	return out, nil
}

// escapeLike makes a search term match literally inside ILIKE '%...%'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
