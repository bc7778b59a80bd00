package recruitment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
)

// Store reads and writes this package's records in PostgreSQL.
//
// Invitations and interviews are not recorded in the change outbox: the warehouse holds
// no recruitment data. The enrolment an accepted offer leads to is recorded by the
// enrolment store.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, now: time.Now} }

const eventColumns = `id, organisation_id, kind, name, held_on, place, measure_type_id, version`

func scanEvent(r pgx.CollectableRow) (Event, error) {
	var e Event
	var kind string
	err := r.Scan(&e.ID, &e.OrganisationID, &kind, &e.Name, &e.HeldOn, &e.Place, &e.MeasureTypeID, &e.Version)
	e.Kind = Kind(kind)
	return e, err
}

const interviewColumns = `i.id, i.organisation_id, i.event_id, i.participant_id, i.employer_id, i.notes, i.offered,
	i.offer_date, i.accepted, i.enrolment_id, i.version`

func scanInterview(r pgx.CollectableRow) (Interview, error) {
	var i Interview
	err := r.Scan(&i.ID, &i.OrganisationID, &i.EventID, &i.ParticipantID, &i.EmployerID, &i.Notes, &i.Offered,
		&i.OfferDate, &i.Accepted, &i.EnrolmentID, &i.Version)
	return i, err
}

// CreateEvent creates an event with the places each employer offers, in one
// transaction. Employers must be the organisation's. A retry with the same idempotency
// key returns the first event and writes nothing.
func (s *Store) CreateEvent(ctx context.Context, in CreateEventInput) (Event, error) {
	if err := in.Validate(); err != nil {
		return Event{}, err
	}
	var e Event
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, in.OrganisationID, "input.organisationId"); err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: in.OrganisationID, Key: in.IdempotencyKey, Operation: "createRecruitmentEvent",
			Input: in, ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			measureTypeID, err := checkEventReferences(ctx, tx, in)
			if err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, `INSERT INTO recruitment_event (id, organisation_id, kind, name, held_on, place, measure_type_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+eventColumns,
				id, in.OrganisationID, string(in.Kind), in.Name, in.HeldOn, in.Place, measureTypeID)
			if err != nil {
				return "", err
			}
			es, err := pgx.CollectRows(rows, scanEvent)
			if err != nil {
				return "", db.MapError(err)
			}
			e = es[0]
			employers, places := make([]string, len(in.Places)), make([]int32, len(in.Places))
			for i, p := range in.Places {
				employers[i], places[i] = p.EmployerID, int32(p.Places)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO recruitment_place (event_id, employer_id, organisation_id, places)
				SELECT $1, x.employer_id, $2, x.places FROM unnest($3::uuid[], $4::int[]) AS x (employer_id, places)`,
				e.ID, e.OrganisationID, employers, places); err != nil {
				return "", db.MapError(err)
			}
			return e.ID, nil
		}, func(id string) (err error) {
			e, err = getEvent(ctx, tx, id, "id")
			return err
		})
	})
	if err != nil {
		return Event{}, fmt.Errorf("create recruitment event: %w", err)
	}
	return e, nil
}

// checkEventReferences resolves the measure code and checks that every employer is the
// organisation's, reporting every failure at once. It returns the measure type's id.
func checkEventReferences(ctx context.Context, tx pgx.Tx, in CreateEventInput) (*string, error) {
	var errs apperr.List
	measureTypeID, err := organisation.MeasureTypeID(ctx, tx, in.OrganisationID, in.MeasureTypeCode, "input.measureTypeCode")
	if e, ok := apperr.As(err); ok {
		errs.Add(e)
	} else if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Places))
	for i, p := range in.Places {
		ids[i] = p.EmployerID
	}
	known, err := existing(ctx, tx, `SELECT id::text FROM employer WHERE organisation_id = $1 AND id = ANY($2::uuid[])`,
		in.OrganisationID, ids)
	if err != nil {
		return nil, err
	}
	for i, p := range in.Places {
		if !known[strings.ToLower(p.EmployerID)] {
			errs.Add(apperr.NotFoundf(fmt.Sprintf("input.places[%d].employerId", i), "employer not found in the organisation"))
		}
	}
	return measureTypeID, errs.Err()
}

// existing runs q ($1 = organisation, $2 = the well-formed ids) and returns the ids it
// found, in lower case.
func existing(ctx context.Context, tx pgx.Tx, q, orgID string, ids []string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, q, orgID, db.ValidUUIDs(ids))
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// Invite invites job seekers of the event's organisation; people already invited are
// left as they are.
func (s *Store) Invite(ctx context.Context, in InviteInput) (Event, error) {
	if len(in.ParticipantIDs) == 0 {
		return Event{}, apperr.Invalidf("input.participantIds", "invite at least one participant")
	}
	if len(in.ParticipantIDs) > 1000 {
		return Event{}, apperr.Invalidf("input.participantIds", "invite at most 1000 participants at a time")
	}
	var e Event
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = getEvent(ctx, tx, in.EventID, "input.eventId"); err != nil {
			return err
		}
		// Row-level security hides other organisations' participants; the organisation
		// test also refuses a regional caller's participants of a member municipality.
		known, err := existing(ctx, tx, `SELECT id::text FROM participant WHERE organisation_id = $1 AND id = ANY($2::uuid[])`,
			e.OrganisationID, in.ParticipantIDs)
		if err != nil {
			return err
		}
		var errs apperr.List
		for i, id := range in.ParticipantIDs {
			if !known[strings.ToLower(id)] {
				errs.Add(apperr.NotFoundf(fmt.Sprintf("input.participantIds[%d]", i), "participant not found in the event's organisation"))
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO recruitment_invitation (event_id, participant_id, organisation_id)
			SELECT $1, p, $2 FROM unnest($3::uuid[]) AS p ON CONFLICT (event_id, participant_id) DO NOTHING`,
			e.ID, e.OrganisationID, in.ParticipantIDs)
		return db.MapError(err)
	})
	if err != nil {
		return Event{}, fmt.Errorf("invite to recruitment event: %w", err)
	}
	return e, nil
}

// RecordInterview records an interview of a candidate by an employer that offers places
// at the event. A candidate is interviewed once per employer and event.
func (s *Store) RecordInterview(ctx context.Context, in InterviewInput) (Interview, error) {
	in.Notes = strings.TrimSpace(in.Notes)
	if len([]rune(in.Notes)) > bounds.MaxNotes {
		return Interview{}, apperr.Invalidf("input.notes", "notes must be at most %d characters", bounds.MaxNotes)
	}
	var iv Interview
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		e, err := getEvent(ctx, tx, in.EventID, "input.eventId")
		if err != nil {
			return err
		}
		id := db.NewID()
		req := idempotency.Request{OrganisationID: e.OrganisationID, Key: in.IdempotencyKey, Operation: "recordInterview", Input: in,
			ResultID: id}
		return idempotency.Once(ctx, tx, req, func() (string, error) {
			if err := checkCandidate(ctx, tx, e, in); err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, `INSERT INTO interview AS i (id, organisation_id, event_id, participant_id, employer_id, notes)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, participant_id, employer_id) DO NOTHING
				RETURNING `+interviewColumns, id, e.OrganisationID, e.ID, in.ParticipantID, in.EmployerID, in.Notes)
			if err != nil {
				return "", err
			}
			ivs, err := pgx.CollectRows(rows, scanInterview)
			if err != nil {
				return "", db.MapError(err)
			}
			if len(ivs) == 0 {
				return "", apperr.Conflictf("input.employerId", "this employer has already interviewed this candidate at the event")
			}
			iv = ivs[0]
			return iv.ID, nil
		}, func(id string) (err error) {
			iv, err = getInterview(ctx, tx, id, "id")
			return err
		})
	})
	if err != nil {
		return Interview{}, fmt.Errorf("record interview: %w", err)
	}
	return iv, nil
}

// checkCandidate refuses a participant outside the event's organisation and an
// employer that offers no places at the event.
func checkCandidate(ctx context.Context, tx pgx.Tx, e Event, in InterviewInput) error {
	var errs apperr.List
	ok := db.IsUUID(in.ParticipantID)
	if ok {
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM participant WHERE id = $1 AND organisation_id = $2)`,
			in.ParticipantID, e.OrganisationID).Scan(&ok); err != nil {
			return err
		}
	}
	if !ok {
		errs.Add(apperr.NotFoundf("input.participantId", "participant not found in the event's organisation"))
	}
	if !db.IsUUID(in.EmployerID) {
		errs.Add(apperr.NotFoundf("input.employerId", "employer not found"))
		return errs.Err()
	}
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recruitment_place WHERE event_id = $1 AND employer_id = $2)`,
		e.ID, in.EmployerID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		errs.Add(apperr.Invalidf("input.employerId", "the employer offers no places at this event"))
	}
	return errs.Err()
}

// MakeOffer records an offer of employment after an interview (optimistic locking).
// The offer cannot predate the event, nor change once the candidate has answered.
func (s *Store) MakeOffer(ctx context.Context, in OfferInput) (Interview, error) {
	if in.OfferDate.IsZero() {
		return Interview{}, apperr.Invalidf("input.offerDate", "offer date is required")
	}
	if e := bounds.CheckPast("input.offerDate", "the offer date", in.OfferDate, s.now()); e != nil {
		return Interview{}, e
	}
	var iv Interview
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, heldOn, err := lockInterview(ctx, tx, in.InterviewID, in.Version)
		if err != nil {
			return err
		}
		if cur.Accepted != nil {
			return apperr.Conflictf("input.interviewId", "the candidate has already answered the offer")
		}
		if in.OfferDate.Before(heldOn) {
			return apperr.Invalidf("input.offerDate", "the offer is dated before the event (%s)", heldOn.Format(time.DateOnly))
		}
		iv, err = updateInterview(ctx, tx, `offered = true, offer_date = $2`, cur.ID, in.OfferDate)
		return err
	})
	if err != nil {
		return Interview{}, fmt.Errorf("make offer: %w", err)
	}
	return iv, nil
}

// AnswerOffer records the candidate's answer (optimistic locking). An acceptance
// creates its enrolment through enrolments in the same transaction, hosted by the
// interviewing employer: an enrolment that is refused (e.g. not eligible) leaves the
// answer unrecorded too. A decline may later turn into an acceptance; an acceptance is
// final, since an enrolment hangs on it.
func (s *Store) AnswerOffer(ctx context.Context, in AnswerInput, enrolments EnrolmentCreator) (Interview, error) {
	switch {
	case in.Accepted && in.Enrolment == nil:
		return Interview{}, apperr.Invalidf("input.enrolment", "an accepted offer needs the enrolment it leads to")
	case !in.Accepted && in.Enrolment != nil:
		return Interview{}, apperr.Invalidf("input.enrolment", "only an accepted offer leads to an enrolment")
	case in.Accepted && enrolments == nil:
		return Interview{}, fmt.Errorf("answer offer: no enrolment creator")
	}
	var iv Interview
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, _, err := lockInterview(ctx, tx, in.InterviewID, in.Version)
		if err != nil {
			return err
		}
		if !cur.Offered {
			return apperr.Invalidf("input.interviewId", "no offer has been made after this interview")
		}
		if cur.Accepted != nil && *cur.Accepted {
			return apperr.Conflictf("input.interviewId", "the offer has already been accepted")
		}
		var enrolmentID *string
		if in.Accepted {
			e := *in.Enrolment
			e.ParticipantID, e.HostEmployerID = cur.ParticipantID, &cur.EmployerID
			created, err := enrolments.CreateInTx(ctx, tx, e)
			if err != nil {
				return underEnrolment(err)
			}
			enrolmentID = &created.ID
		}
		iv, err = updateInterview(ctx, tx, `accepted = $2, enrolment_id = $3`, cur.ID, in.Accepted, enrolmentID)
		return err
	})
	if err != nil {
		return Interview{}, fmt.Errorf("answer offer: %w", err)
	}
	return iv, nil
}

// underEnrolment moves the enrolment's field paths under input.enrolment, where the
// caller gave them (input.startDate -> input.enrolment.startDate).
func underEnrolment(err error) error {
	all := apperr.All(err)
	if len(all) == 0 {
		return err
	}
	var out apperr.List
	for _, e := range all {
		moved := *e
		switch field := strings.TrimPrefix(e.Field, "input."); field {
		case "":
			moved.Field = "input.enrolment"
		default:
			moved.Field = "input.enrolment." + field
		}
		out.Add(&moved)
	}
	return out.Err()
}

// lockInterview locks an interview for a versioned change and returns it with its
// event's date. Another organisation's interview is invisible: NOT_FOUND.
func lockInterview(ctx context.Context, tx pgx.Tx, id string, version int) (Interview, time.Time, error) {
	var heldOn time.Time
	if !db.IsUUID(id) {
		return Interview{}, heldOn, apperr.NotFoundf("input.interviewId", "interview not found")
	}
	cur, err := getInterview(ctx, tx, id, "input.interviewId", "FOR UPDATE OF i")
	if err != nil {
		return Interview{}, heldOn, err
	}
	if cur.Version != version {
		return Interview{}, heldOn, apperr.Conflictf("input.version",
			"the interview was changed by someone else (now version %d); reload and try again", cur.Version)
	}
	err = tx.QueryRow(ctx, `SELECT held_on FROM recruitment_event WHERE id = $1`, cur.EventID).Scan(&heldOn)
	return cur, heldOn, err
}

// updateInterview applies set ($2... are args) to interview id and bumps its version.
// set is a constant of the caller's, never input.
func updateInterview(ctx context.Context, tx pgx.Tx, set, id string, args ...any) (Interview, error) {
	rows, err := tx.Query(ctx, `UPDATE interview AS i SET `+set+`, version = version + 1 WHERE id = $1
		RETURNING `+interviewColumns, append([]any{id}, args...)...)
	if err != nil {
		return Interview{}, err
	}
	ivs, err := pgx.CollectRows(rows, scanInterview)
	if err != nil {
		return Interview{}, db.MapError(err)
	}
	return ivs[0], nil
}

func getEvent(ctx context.Context, tx pgx.Tx, id, field string) (Event, error) {
	if !db.IsUUID(id) {
		return Event{}, apperr.NotFoundf(field, "recruitment event not found")
	}
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM recruitment_event WHERE id = $1`, id)
	return db.One(rows, err, scanEvent, field, "recruitment event")
}

func getInterview(ctx context.Context, tx pgx.Tx, id, field string, lock ...string) (Interview, error) {
	suffix := ""
	if len(lock) > 0 {
		suffix = " " + lock[0]
	}
	rows, err := tx.Query(ctx, `SELECT `+interviewColumns+` FROM interview i WHERE i.id = $1`+suffix, id)
	return db.One(rows, err, scanInterview, field, "interview")
}
