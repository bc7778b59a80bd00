package participant

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/changes"
	"github.com/arbetsmarknad/outcomes/internal/db"
)

// Store reads and writes participants in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const columns = `id, organisation_id, personal_identity_number, given_name, family_name, gender, birth_date, version, created_at`

func scan(r pgx.CollectableRow) (Participant, error) {
	var p Participant
	var g string
	err := r.Scan(&p.ID, &p.OrganisationID, &p.PersonalIdentityNumber, &p.GivenName, &p.FamilyName, &g, &p.BirthDate, &p.Version, &p.CreatedAt)
	p.Gender = Gender(g)
	return p, err
}

// Create registers a participant and records the change, in one transaction.
func (s *Store) Create(ctx context.Context, in CreateInput) (Participant, error) {
	birth, err := in.Validate(s.now())
	if err != nil {
		return Participant{}, err
	}
	if !db.IsUUID(in.OrganisationID) {
		return Participant{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	var p Participant
	err = db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisation WHERE id = $1)`, in.OrganisationID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.NotFoundf("input.organisationId", "organisation not found")
		}
		rows, err := tx.Query(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (organisation_id, personal_identity_number) DO NOTHING
			RETURNING `+columns,
			in.OrganisationID, in.PersonalIdentityNumber, in.GivenName, in.FamilyName, string(in.Gender), birth)
		if err != nil {
			return err
		}
		ps, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return db.MapError(err)
		}
		if len(ps) == 0 {
			return apperr.Conflictf("input.personalIdentityNumber", "a participant with this personal identity number is already registered")
		}
		p = ps[0]
		return changes.Record(ctx, tx, p.OrganisationID, p.ID, "participant", p.ID, changes.Create)
	})
	if err != nil {
		return Participant{}, fmt.Errorf("create participant: %w", err)
	}
	return p, nil
}

// Get returns one participant.
func (s *Store) Get(ctx context.Context, id string) (Participant, error) {
	ps, err := s.ByIDs(ctx, []string{id})
	if err != nil {
		return Participant{}, err
	}
	if len(ps) == 0 {
		return Participant{}, apperr.NotFoundf("id", "participant not found")
	}
	return ps[0], nil
}

// ByIDs loads participants by id in one statement (for dataloaders).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Participant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM participant WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load participants: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// Page is one page of a participant list in a stable order (by id).
type Page struct {
	Items       []Participant
	HasNextPage bool
	TotalCount  int
}

// Cursor encodes a participant's position in the list.
func Cursor(p Participant) string { return base64.RawURLEncoding.EncodeToString([]byte(p.ID)) }

// List returns up to first participants of an organisation after the cursor.
func (s *Store) List(ctx context.Context, orgID string, first int, after string) (Page, error) {
	if first < 1 || first > 200 {
		return Page{}, apperr.Invalidf("first", "first must be between 1 and 200")
	}
	var afterID *string
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !db.IsUUID(string(b)) {
			return Page{}, apperr.Invalidf("after", "malformed cursor")
		}
		id := string(b)
		afterID = &id
	}
	if !db.IsUUID(orgID) {
		return Page{}, apperr.NotFoundf("organisationId", "organisation not found")
	}
	var page Page
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM participant
		WHERE organisation_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid)
		ORDER BY id LIMIT $3`, orgID, afterID, first+1)
	if err != nil {
		return page, fmt.Errorf("list participants: %w", err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return page, fmt.Errorf("list participants: %w", err)
	}
	if len(items) > first {
		page.HasNextPage = true
		items = items[:first]
	}
	page.Items = items
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE organisation_id = $1`, orgID).Scan(&page.TotalCount)
	return page, err
}

// Erase removes a participant and everything recorded about them (GDPR erasure), and
// records the change so that the loader removes their warehouse rows too.
func (s *Store) Erase(ctx context.Context, id string) error {
	if !db.IsUUID(id) {
		return apperr.NotFoundf("id", "participant not found")
	}
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var org string
		err := tx.QueryRow(ctx, `DELETE FROM participant WHERE id = $1 RETURNING organisation_id`, id).Scan(&org)
		if db.IsNoRows(err) {
			return apperr.NotFoundf("id", "participant not found")
		}
		if err != nil {
			return err
		}
		return changes.Record(ctx, tx, org, id, "participant", id, changes.Delete)
	})
	if err != nil {
		return fmt.Errorf("erase participant: %w", err)
	}
	return nil
}

// Inactive returns the participants whose last activity — registration, the start or
// end of any enrolment (an open enrolment is activity today), any observation — is
// before cutoff: the candidates for retention (gallring).
func (s *Store) Inactive(ctx context.Context, cutoff time.Time) ([]Participant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM participant p
		WHERE greatest(
		    p.created_at::date,
		    (SELECT max(coalesce(e.end_date, current_date)) FROM enrolment e WHERE e.participant_id = p.id),
		    (SELECT max(e.start_date) FROM enrolment e WHERE e.participant_id = p.id),
		    (SELECT max(o.month) FROM outcome_observation o WHERE o.participant_id = p.id)
		) < $1
		ORDER BY organisation_id, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("find inactive participants: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// LockForWrite locks a participant row inside tx before a write that belongs to them
// (an enrolment, an observation) and returns their organisation. Row-level security
// makes another organisation's participant look absent: NOT_FOUND on field.
func LockForWrite(ctx context.Context, tx pgx.Tx, participantID, field string) (string, error) {
	if !db.IsUUID(participantID) {
		return "", apperr.NotFoundf(field, "participant not found")
	}
	var orgID string
	err := tx.QueryRow(ctx, `SELECT organisation_id FROM participant WHERE id = $1 FOR UPDATE`, participantID).Scan(&orgID)
	if db.IsNoRows(err) {
		return "", apperr.NotFoundf(field, "participant not found")
	}
	return orgID, err
}

// AttributesByParticipants loads these participants' attribute history in one statement, by date.
func (s *Store) AttributesByParticipants(ctx context.Context, participantIDs []string) ([]Attributes, error) {
	return nil, errors.New("not implemented")
}
