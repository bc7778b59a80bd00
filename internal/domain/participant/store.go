package participant

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/personnummer"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes participants in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

// columns are read by scan; an anonymous participant has no number (NULL), read as "".
var (
	columns  = cols("")
	prefixed = cols("p.")
)

func cols(p string) string {
	return p + `id, ` + p + `organisation_id, coalesce(` + p + `personal_identity_number, ''), ` + p + `given_name, ` +
		p + `family_name, ` + p + `gender, ` + p + `birth_date, ` + p + `case_status, ` + p + `caseworker_id, ` + p + `phone, ` +
		p + `email, ` + p + `protected_identity, ` + p + `anonymous, ` + p + `version, ` + p + `created_at`
}

func scan(r pgx.CollectableRow) (Participant, error) {
	var p Participant
	var g, cs string
	err := r.Scan(&p.ID, &p.OrganisationID, &p.PersonalIdentityNumber, &p.GivenName, &p.FamilyName, &g, &p.BirthDate,
		&cs, &p.CaseworkerID, &p.Phone, &p.Email, &p.ProtectedIdentity, &p.Anonymous, &p.Version, &p.CreatedAt)
	p.Gender, p.CaseStatus = Gender(g), CaseStatus(cs)
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
		// The organisation's existence is its foreign key's to check: an INSERT in an
		// unknown organisation fails it (NOT_FOUND, insert) and rolls back, claim and
		// event included; no key of such an organisation can have been committed, so a
		// replay is of an existing one. A caseworker, when given, is looked up in the
		// organisation first, so then the organisation is checked ahead, in the claim's
		// round trip, for the error to name it. The participant's id is made here, so
		// that the claim is the key's row itself (idempotency.Request.ResultID).
		orgExists := func() error { return nil }
		if in.CaseworkerID != nil {
			orgExists = organisation.RequireLater(ctx, tx, in.OrganisationID, "input.organisationId")
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createParticipant",
			Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			if err := orgExists(); err != nil {
				return "", err
			}
			var err error
			p, err = s.insert(ctx, tx, id, in, birth)
			return p.ID, err
		}, func(id string) (err error) {
			p, err = getTx(ctx, tx, id)
			return err
		})
	})
	if err != nil {
		return Participant{}, fmt.Errorf("create participant: %w", err)
	}
	return Reveal(ctx, p), nil
}

// insert records the change and writes a new participant, with id, and their first
// attributes.
func (s *Store) insert(ctx context.Context, tx pgx.Tx, id string, in CreateInput, birth time.Time) (Participant, error) {
	if err := checkCaseworker(ctx, tx, in.OrganisationID, in.CaseworkerID, "input.caseworkerId"); err != nil {
		return Participant{}, err
	}
	// The change event is the outbox trigger's, written within the INSERT's statement
	// (changes.Created); a refused insert writes neither.
	changes.Created(ctx, "participant", id, id)
	sql := `INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name,
			gender, birth_date, phone, email, caseworker_id, protected_identity, anonymous)
		VALUES ($1, $2, nullif($3, ''), $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (organisation_id, personal_identity_number) DO NOTHING
		RETURNING ` + columns
	args := []any{id, in.OrganisationID, in.PersonalIdentityNumber, in.GivenName, in.FamilyName, string(in.Gender), birth,
		in.Phone, in.Email, in.CaseworkerID, in.ProtectedIdentity, in.Anonymous}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return Participant{}, err
	}
	ps, err := pgx.CollectRows(rows, scan)
	if db.ConstraintOf(err) == "participant_organisation_id_fkey" {
		return Participant{}, apperr.NotFoundf("input.organisationId", "organisation not found")
	}
	if err != nil {
		return Participant{}, db.MapError(err)
	}
	if len(ps) == 0 {
		return Participant{}, apperr.Conflictf("input.personalIdentityNumber", "a participant with this personal identity number is already registered")
	}
	p := ps[0]
	if in.Attributes != nil {
		from := today(s.now())
		if in.Attributes.ValidFrom != nil {
			from = *in.Attributes.ValidFrom
		}
		a := in.Attributes.Merge(nil, from)
		if err := insertAttributes(ctx, tx, p, a, in.RecordedBy); err != nil {
			return Participant{}, err
		}
	}
	return p, nil
}

// Get returns one participant.
func (s *Store) Get(ctx context.Context, id string) (Participant, error) {
	ps, err := s.ByIDs(ctx, []string{id})
	return db.First(ps, err, "id", "participant")
}

// ByIDs loads participants by id in one statement (for dataloaders).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]Participant, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+columns+` FROM participant WHERE id = ANY($1::uuid[])`, db.UUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load participants: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scan)
	return revealAll(ctx, ps), err
}

// Filter is a caseworker's search; every given criterion must match.
type Filter struct {
	// Search matches part of the name, or a personal identity number in any accepted form.
	Search           string
	District         *string
	CaseStatus       *CaseStatus
	DistanceCategory *string
	CaseworkerID     *string
}

// List returns an organisation's participants matching f, by family name, given name
// and id (NameOrderSQL: a hidden identity by the blank names it shows). District and
// distance category match the attributes in force today.
func (s *Store) List(ctx context.Context, orgID string, f Filter, req db.PageRequest) (db.Page[Participant], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyUUID)
	if err != nil {
		return db.Page[Participant]{}, err
	}
	var out db.Page[Participant]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	if f.CaseworkerID != nil && !db.IsUUID(*f.CaseworkerID) {
		return out, nil
	}
	var pnr, name *string
	if q := strings.TrimSpace(f.Search); q != "" {
		if n, err := personnummer.Parse(q, s.now()); err == nil {
			v := n.String()
			pnr = &v
		} else {
			v := "%" + escapeLike(q) + "%"
			name = &v
		}
	}
	var status *string
	if f.CaseStatus != nil {
		v := string(*f.CaseStatus)
		status = &v
	}
	where := `p.organisation_id = $1
		AND ($2::text IS NULL OR p.personal_identity_number = $2 AND (NOT p.protected_identity OR $9::boolean))
		AND ($3::text IS NULL OR ((p.given_name || ' ' || p.family_name) ILIKE $3 OR (p.family_name || ' ' || p.given_name) ILIKE $3)
			AND (NOT p.protected_identity OR $9::boolean))
		AND ($4::text IS NULL OR p.case_status = $4)
		AND ($5::uuid IS NULL OR p.caseworker_id = $5)
		AND ($6::text IS NULL AND $7::text IS NULL OR EXISTS (
			SELECT 1 FROM (SELECT a.district, a.distance_category FROM participant_attributes a
				WHERE a.participant_id = p.id AND a.valid_from <= $8 ORDER BY a.valid_from DESC LIMIT 1) cur
			WHERE ($6::text IS NULL OR lower(cur.district) = lower($6)) AND ($7::text IS NULL OR cur.distance_category = $7)))`
	// $9: whether the caller may find protected people by name or number.
	args := []any{orgID, pnr, name, status, f.CaseworkerID, f.District, f.DistanceCategory, today(s.now()), seesProtected(ctx)}
	q := db.Reader(ctx, s.pool)
	order := NameOrderSQL("p", seesProtected(ctx))
	rows, err := q.Query(ctx, `SELECT `+prefixed+` FROM participant p WHERE `+where+`
		AND ($10::uuid IS NULL OR (`+order+`) `+page.Cmp(">")+`
			(SELECT `+NameOrderSQL("c", seesProtected(ctx))+` FROM participant c WHERE c.id = $10::uuid))
		ORDER BY `+page.Order(order)+` LIMIT $11`,
		append(args, page.AfterValue(0), page.First+1)...)
	if err != nil {
		return out, fmt.Errorf("list participants: %w", err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return out, fmt.Errorf("list participants: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(revealAll(ctx, items), page)
	if f.Search != "" {
		// A search by name or personnummer tells whether the person is a client, even
		// when only totalCount is asked for: the matches are reads of those people.
		for _, p := range out.Items {
			audit.Record(ctx, audit.ActionRead, "participant", p.ID, "participants")
		}
	}
	for _, p := range out.Items {
		// The cursor is the id alone: names are personal data and must not travel in
		// cursors (URLs, client logs). The sort key is looked up from the row; a page
		// after a participant erased meanwhile is empty.
		out.Cursors = append(out.Cursors, db.Cursor(p.ID))
	}
	if page.SkipCount {
		return out, nil
	}
	err = q.QueryRow(ctx, `SELECT count(*) FROM participant p WHERE `+where, args...).Scan(&out.TotalCount)
	return out, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func today(now time.Time) time.Time { return calendar.Today(now) }

func getTx(ctx context.Context, tx pgx.Tx, id string) (Participant, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM participant WHERE id = $1`, id)
	return db.One(rows, err, scan, "id", "participant")
}

func checkCaseworker(ctx context.Context, tx pgx.Tx, orgID string, id *string, field string) error {
	if id == nil {
		return nil
	}
	ok := db.IsUUID(*id)
	if ok {
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_user WHERE id = $1 AND organisation_id = $2)`, *id, orgID).Scan(&ok); err != nil {
			return err
		}
	}
	if !ok {
		return apperr.NotFoundf(field, "no such staff user in the participant's organisation")
	}
	return nil
}

// Update changes contact details, case status or caseworker (optimistic locking).
func (s *Store) Update(ctx context.Context, in UpdateInput) (Participant, error) {
	if err := in.Validate(); err != nil {
		return Participant{}, err
	}
	if !db.IsUUID(in.ID) {
		return Participant{}, apperr.NotFoundf("input.id", "participant not found")
	}
	var p Participant
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := getTx(ctx, tx, in.ID)
		if err != nil {
			return apperr.NotFoundf("input.id", "participant not found")
		}
		if err := checkCaseworker(ctx, tx, cur.OrganisationID, in.CaseworkerID, "input.caseworkerId"); err != nil {
			return err
		}
		if err := in.checkAnonymous(cur); err != nil {
			return err
		}
		var status *string
		if in.CaseStatus != nil {
			v := string(*in.CaseStatus)
			status = &v
		}
		rows, err := tx.Query(ctx, `UPDATE participant SET given_name = coalesce($3, given_name),
				family_name = coalesce($4, family_name), phone = coalesce($5, phone), email = coalesce($6, email),
				case_status = coalesce($7, case_status),
				caseworker_id = CASE WHEN $9 THEN NULL ELSE coalesce($8, caseworker_id) END,
				version = version + 1, updated_at = now()
			WHERE id = $1 AND version = $2 RETURNING `+columns,
			in.ID, in.Version, in.GivenName, in.FamilyName, in.Phone, in.Email, status, in.CaseworkerID, in.ClearCaseworker)
		if err != nil {
			return db.MapError(err)
		}
		ps, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return db.MapError(err)
		}
		if len(ps) == 0 {
			return db.StaleOrMissing(ctx, tx, "participant", in.ID, "participant")
		}
		p = ps[0]
		return changes.Record(ctx, tx, p.OrganisationID, p.ID, "participant", p.ID, changes.Update)
	})
	if err != nil {
		return Participant{}, fmt.Errorf("update participant: %w", err)
	}
	return Reveal(ctx, p), nil
}

// RecordAttributes records a set of attributes from a date. Values not given carry over
// from the set in force on that date; a set recorded again for the same date replaces it.
// Later sets are left as they are: history is corrected, not rewritten.
func (s *Store) RecordAttributes(ctx context.Context, participantID string, in AttributesInput, recordedBy string) (Participant, error) {
	if err := in.Validate(s.now(), "input.attributes."); err != nil {
		return Participant{}, err
	}
	var p Participant
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := LockForWrite(ctx, tx, participantID, "input.participantId"); err != nil {
			return err
		}
		var err error
		if p, err = getTx(ctx, tx, participantID); err != nil {
			return err
		}
		from := today(s.now())
		if in.ValidFrom != nil {
			from = *in.ValidFrom
		}
		rows, err := tx.Query(ctx, `SELECT `+attributeColumns+` FROM participant_attributes
			WHERE participant_id = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1`, participantID, from)
		if err != nil {
			return err
		}
		prev, err := pgx.CollectRows(rows, scanAttributes)
		if err != nil {
			return err
		}
		var base *Attributes
		if len(prev) > 0 {
			base = &prev[0]
		}
		if err := insertAttributes(ctx, tx, p, in.Merge(base, from), recordedBy); err != nil {
			return err
		}
		return changes.Record(ctx, tx, p.OrganisationID, p.ID, "participant", p.ID, changes.Update)
	})
	if err != nil {
		return Participant{}, fmt.Errorf("record attributes: %w", err)
	}
	return Reveal(ctx, p), nil
}

const attributeColumns = `id, participant_id, valid_from, district, birth_region, newly_arrived, residence_permit_date,
	residence_permit_kind, introduction_plan, registered_at_af, guarantee_days, social_assistance, disability,
	education_level, swedish_level, distance_category, school_programme, labour_market_status, support_source,
	recorded_by, recorded_at`

func scanAttributes(r pgx.CollectableRow) (Attributes, error) {
	var a Attributes
	err := r.Scan(&a.ID, &a.ParticipantID, &a.ValidFrom, &a.District, &a.BirthRegion, &a.NewlyArrived, &a.ResidencePermitDate,
		&a.ResidencePermitKind, &a.IntroductionPlan, &a.RegisteredAtAf, &a.GuaranteeDays, &a.SocialAssistance, &a.Disability,
		&a.EducationLevel, &a.SwedishLevel, &a.DistanceCategory, &a.SchoolProgramme, &a.LabourMarketStatus, &a.SupportSource,
		&a.RecordedBy, &a.RecordedAt)
	return a, err
}

func insertAttributes(ctx context.Context, tx pgx.Tx, p Participant, a Attributes, recordedBy string) error {
	_, err := tx.Exec(ctx, `INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, district,
			birth_region, newly_arrived, residence_permit_date, residence_permit_kind, introduction_plan, registered_at_af,
			guarantee_days, social_assistance, disability, education_level, swedish_level, distance_category,
			school_programme, recorded_by, labour_market_status, support_source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (participant_id, valid_from) DO UPDATE SET district = EXCLUDED.district,
			birth_region = EXCLUDED.birth_region, newly_arrived = EXCLUDED.newly_arrived,
			residence_permit_date = EXCLUDED.residence_permit_date, residence_permit_kind = EXCLUDED.residence_permit_kind,
			introduction_plan = EXCLUDED.introduction_plan, registered_at_af = EXCLUDED.registered_at_af,
			guarantee_days = EXCLUDED.guarantee_days, social_assistance = EXCLUDED.social_assistance,
			disability = EXCLUDED.disability, education_level = EXCLUDED.education_level,
			swedish_level = EXCLUDED.swedish_level, distance_category = EXCLUDED.distance_category,
			school_programme = EXCLUDED.school_programme, recorded_by = EXCLUDED.recorded_by,
			labour_market_status = EXCLUDED.labour_market_status, support_source = EXCLUDED.support_source,
			recorded_at = clock_timestamp()`,
		p.OrganisationID, p.ID, a.ValidFrom, a.District, a.BirthRegion, a.NewlyArrived, a.ResidencePermitDate,
		a.ResidencePermitKind, a.IntroductionPlan, a.RegisteredAtAf, a.GuaranteeDays, a.SocialAssistance, a.Disability,
		a.EducationLevel, a.SwedishLevel, a.DistanceCategory, a.SchoolProgramme, recordedBy, a.LabourMarketStatus, a.SupportSource)
	return db.MapError(err)
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
// before cutoff: the candidates for retention (gallring). today is the Swedish date
// (calendar.Today), not the database server's current_date.
func (s *Store) Inactive(ctx context.Context, cutoff, today time.Time) ([]Participant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM participant p
		WHERE greatest(
		    p.created_at::date,
		    (SELECT max(coalesce(e.end_date, $2::date)) FROM enrolment e WHERE e.participant_id = p.id),
		    (SELECT max(e.start_date) FROM enrolment e WHERE e.participant_id = p.id),
		    (SELECT max(o.month) FROM outcome_observation o WHERE o.participant_id = p.id)
		) < $1
		ORDER BY organisation_id, id`, cutoff, today)
	if err != nil {
		return nil, fmt.Errorf("find inactive participants: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// LockForWrite locks a participant row inside tx before a write that belongs to them
// (an enrolment, an observation) and returns their organisation. Row-level security
// makes another organisation's participant look absent: NOT_FOUND on field.
func LockForWrite(ctx context.Context, tx pgx.Tx, participantID, field string) (string, error) {
	return LockForWriteLater(ctx, tx, participantID, field)()
}

// LockForWriteLater is LockForWrite with its statement queued for the transaction's
// next round trip (db.FetchRow), so that statements that need not wait for its answer
// go with it; wait sends it if it has not gone yet and returns LockForWrite's answer.
func LockForWriteLater(ctx context.Context, tx pgx.Tx, participantID, field string) (wait func() (string, error)) {
	if !db.IsUUID(participantID) {
		return func() (string, error) { return "", apperr.NotFoundf(field, "participant not found") }
	}
	var orgID string
	fetched := db.FetchRow(ctx, tx, "lock participant", func(r pgx.Row) error { return r.Scan(&orgID) },
		`SELECT organisation_id FROM participant WHERE id = $1 FOR UPDATE`, participantID)
	return func() (string, error) {
		err := fetched()
		if db.IsNoRows(err) {
			return "", apperr.NotFoundf(field, "participant not found")
		}
		if err != nil {
			return "", err
		}
		// Row-level security already hides other organisations' people; this gives a
		// caller who sees the person but may not write about them a clear FORBIDDEN.
		return orgID, auth.RequirePersonalData(ctx, orgID, field)
	}
}

// AttributesByParticipants loads these participants' attribute history in one statement, by date.
func (s *Store) AttributesByParticipants(ctx context.Context, participantIDs []string) ([]Attributes, error) {
	rows, err := db.Reader(ctx, s.pool).Query(ctx, `SELECT `+attributeColumns+` FROM participant_attributes
		WHERE participant_id = ANY($1::uuid[]) ORDER BY participant_id, valid_from`, db.UUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load attributes: %w", err)
	}
	return pgx.CollectRows(rows, scanAttributes)
}
