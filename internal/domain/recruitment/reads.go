package recruitment

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Get returns one event.
func (s *Store) Get(ctx context.Context, id string) (Event, error) {
	es, err := s.EventsByIDs(ctx, []string{id})
	if err != nil {
		return Event{}, err
	}
	if len(es) == 0 {
		return Event{}, apperr.NotFoundf("id", "recruitment event not found")
	}
	return es[0], nil
}

// EventsByIDs loads events by id in one statement (dataloader).
func (s *Store) EventsByIDs(ctx context.Context, ids []string) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM recruitment_event WHERE id = ANY($1::uuid[])`, db.ValidUUIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load recruitment events: %w", err)
	}
	return pgx.CollectRows(rows, scanEvent)
}

// List returns an organisation's events, newest first (date, id descending), optionally
// of one kind.
func (s *Store) List(ctx context.Context, orgID string, kind *Kind, req db.PageRequest) (db.Page[Event], error) {
	// The cursor holds the sort key of the ORDER BY below.
	page, err := req.Parse(db.KeyDate, db.KeyUUID)
	if err != nil {
		return db.Page[Event]{}, err
	}
	var out db.Page[Event]
	if !db.IsUUID(orgID) {
		return out, apperr.NotFoundf("organisationId", "organisation not found")
	}
	var k *string
	if kind != nil {
		v := string(*kind)
		k = &v
	}
	where := `organisation_id = $1 AND ($2::text IS NULL OR kind = $2)`
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM recruitment_event WHERE `+where+`
		AND ($3::text IS NULL OR (held_on, id) `+page.Cmp("<")+` ($3::date, $4::uuid))
		ORDER BY `+page.Order("held_on DESC, id DESC")+` LIMIT $5`, orgID, k, page.AfterValue(0), page.AfterValue(1), page.First+1)
	if err != nil {
		return out, fmt.Errorf("list recruitment events: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return out, fmt.Errorf("list recruitment events: %w", err)
	}
	out.Items, out.HasNextPage, out.HasPreviousPage = db.Trim(items, page)
	for _, e := range out.Items {
		out.Cursors = append(out.Cursors, db.Cursor(e.HeldOn.Format(time.DateOnly), e.ID))
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM recruitment_event WHERE `+where, orgID, k).Scan(&out.TotalCount)
	return out, err
}

// PlacesOf loads the places offered at these events with the interviews, offers and
// acceptances per employer, in one statement, by event and employer name.
func (s *Store) PlacesOf(ctx context.Context, eventIDs []string) ([]Place, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.event_id, p.employer_id, p.places, count(i.id),
			count(i.id) FILTER (WHERE i.offered), count(i.id) FILTER (WHERE i.accepted)
		FROM recruitment_place p
		JOIN employer em ON em.id = p.employer_id
		LEFT JOIN interview i ON i.event_id = p.event_id AND i.employer_id = p.employer_id
		WHERE p.event_id = ANY($1::uuid[])
		GROUP BY p.event_id, p.employer_id, p.places, em.name
		ORDER BY p.event_id, em.name, p.employer_id`, db.ValidUUIDs(eventIDs))
	if err != nil {
		return nil, fmt.Errorf("load recruitment places: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Place, error) {
		var p Place
		err := r.Scan(&p.EventID, &p.EmployerID, &p.Places, &p.Interviews, &p.Offers, &p.Filled)
		return p, err
	})
}

// InvitationsOf loads these events' invitations in one statement, by event and name
// (participant.NameOrderSQL: a hidden identity by the blank names the caller sees).
func (s *Store) InvitationsOf(ctx context.Context, eventIDs []string) ([]Invitation, error) {
	p, _ := auth.From(ctx)
	rows, err := s.pool.Query(ctx, `SELECT i.event_id, i.participant_id, i.attended
		FROM recruitment_invitation i JOIN participant p ON p.id = i.participant_id
		WHERE i.event_id = ANY($1::uuid[])
		ORDER BY i.event_id, `+participant.NameOrderSQL("p", participant.SeesProtectedIdentity(p)), db.ValidUUIDs(eventIDs))
	if err != nil {
		return nil, fmt.Errorf("load invitations: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Invitation, error) {
		var x Invitation
		err := r.Scan(&x.EventID, &x.ParticipantID, &x.Attended)
		return x, err
	})
}

// InterviewsOf loads these events' interviews in one statement, in the order recorded.
func (s *Store) InterviewsOf(ctx context.Context, eventIDs []string) ([]Interview, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+interviewColumns+` FROM interview i
		WHERE i.event_id = ANY($1::uuid[]) ORDER BY i.event_id, i.created_at, i.id`, db.ValidUUIDs(eventIDs))
	if err != nil {
		return nil, fmt.Errorf("load interviews: %w", err)
	}
	return pgx.CollectRows(rows, scanInterview)
}

// InterviewsByParticipants loads these participants' interviews in one statement, by
// event date (dataloader).
func (s *Store) InterviewsByParticipants(ctx context.Context, participantIDs []string) ([]Interview, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+interviewColumns+` FROM interview i
		JOIN recruitment_event e ON e.id = i.event_id
		WHERE i.participant_id = ANY($1::uuid[])
		ORDER BY i.participant_id, e.held_on, i.created_at, i.id`, db.ValidUUIDs(participantIDs))
	if err != nil {
		return nil, fmt.Errorf("load interviews: %w", err)
	}
	return pgx.CollectRows(rows, scanInterview)
}

// GetInterview returns one interview.
func (s *Store) GetInterview(ctx context.Context, id string) (Interview, error) {
	var iv Interview
	err := db.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		iv, err = getInterview(ctx, tx, id, "id")
		return err
	})
	return iv, err
}

// Summary totals one event.
func (s *Store) Summary(ctx context.Context, eventID string) (Summary, error) {
	ss, err := s.SummariesOf(ctx, []string{eventID})
	if err != nil {
		return Summary{}, err
	}
	if len(ss) == 0 {
		return Summary{}, apperr.NotFoundf("id", "recruitment event not found")
	}
	return ss[0], nil
}

// SummariesOf totals these events in one statement (one summary per visible event).
// Places filled count at most the places each employer offered, so extra acceptances
// do not inflate it. Counting interviews through the places is complete:
// RecordInterview takes only employers with places at the event.
func (s *Store) SummariesOf(ctx context.Context, eventIDs []string) ([]Summary, error) {
	rows, err := s.pool.Query(ctx, `WITH per_employer AS (
			SELECT p.event_id, p.places, count(i.id) AS interviews, count(i.id) FILTER (WHERE i.offered) AS offers,
				count(i.id) FILTER (WHERE i.accepted) AS accepted
			FROM recruitment_place p
			LEFT JOIN interview i ON i.event_id = p.event_id AND i.employer_id = p.employer_id
			WHERE p.event_id = ANY($1::uuid[]) GROUP BY p.event_id, p.employer_id, p.places),
		per_event AS (
			SELECT event_id, sum(places) AS places, sum(interviews) AS interviews, sum(offers) AS offers,
				sum(accepted) AS accepted, sum(least(accepted, places)) AS filled
			FROM per_employer GROUP BY event_id),
		invited AS (
			SELECT event_id, count(*) AS n FROM recruitment_invitation WHERE event_id = ANY($1::uuid[]) GROUP BY event_id)
		SELECT e.id, coalesce(pe.places, 0)::int, coalesce(inv.n, 0)::int, coalesce(pe.interviews, 0)::int,
			coalesce(pe.offers, 0)::int, coalesce(pe.accepted, 0)::int, coalesce(pe.filled, 0)::int
		FROM recruitment_event e
		LEFT JOIN per_event pe ON pe.event_id = e.id
		LEFT JOIN invited inv ON inv.event_id = e.id
		WHERE e.id = ANY($1::uuid[])`, db.ValidUUIDs(eventIDs))
	if err != nil {
		return nil, fmt.Errorf("recruitment summary: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Summary, error) {
		var x Summary
		err := r.Scan(&x.EventID, &x.PlacesOffered, &x.Invited, &x.Interviews, &x.Offers, &x.Acceptances, &x.PlacesFilled)
		if x.PlacesOffered > 0 {
			v := float64(x.Interviews) / float64(x.PlacesOffered)
			x.InterviewsPerPlace = &v
		}
		return x, err
	})
}
