package participant

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// The bulk writes of a file import (internal/domain/importer): the same tables and
// change events as Create, one statement per chunk instead of one per person, inside
// the importer's transaction.

// IDsByNumber returns the ids of the participants of orgID with these personal
// identity numbers (canonical), by number; numbers without a participant are absent.
func IDsByNumber(ctx context.Context, tx pgx.Tx, orgID string, numbers []string) (map[string]string, error) {
	q, err := tx.Query(ctx, `SELECT personal_identity_number, id::text FROM participant
		WHERE organisation_id = $1 AND personal_identity_number = ANY($2)`, orgID, numbers)
	if err != nil {
		return nil, fmt.Errorf("look up participants: %w", err)
	}
	ids := map[string]string{}
	var n, id string
	if _, err := pgx.ForEachRow(q, []any{&n, &id}, func() error { ids[n] = id; return nil }); err != nil {
		return nil, fmt.Errorf("look up participants: %w", err)
	}
	return ids, nil
}

// NewParticipant is one participant of a bulk registration: a validated CreateInput
// (its Attributes, when given, with ValidFrom set) and the birth date its personal
// identity number gives.
type NewParticipant struct {
	Input     CreateInput
	BirthDate time.Time
}

// InsertMany registers participants of orgID inside tx with a statement per table
// (multi-row INSERT from arrays: COPY does not go through row-level security), their
// first attribute sets recorded by recordedBy, and a change event each. It returns
// their ids in insertion order.
func InsertMany(ctx context.Context, tx pgx.Tx, orgID string, ps []NewParticipant, recordedBy string) ([]string, error) {
	n := len(ps)
	pnrs, given, family, gender := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	births := make([]time.Time, n)
	for i, p := range ps {
		pnrs[i], given[i], family[i], gender[i] = p.Input.PersonalIdentityNumber, p.Input.GivenName, p.Input.FamilyName, string(p.Input.Gender)
		births[i] = p.BirthDate
	}
	q, err := tx.Query(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
		SELECT $1, u.pnr, u.given, u.family, u.gender, u.birth
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::date[]) AS u(pnr, given, family, gender, birth)
		RETURNING personal_identity_number, id::text`, orgID, pnrs, given, family, gender, births)
	if err != nil {
		return nil, db.MapError(err)
	}
	ids := make(map[string]string, n)
	list := make([]string, 0, n)
	var pnr, id string
	if _, err := pgx.ForEachRow(q, []any{&pnr, &id}, func() error { ids[pnr] = id; list = append(list, id); return nil }); err != nil {
		return nil, db.MapError(err)
	}
	if err := insertFirstAttributes(ctx, tx, orgID, ps, ids, recordedBy); err != nil {
		return nil, err
	}
	// One change event per participant, in one statement (the loader reads them like
	// any other write's).
	if err := changes.RecordParticipants(ctx, tx, orgID, list, changes.Create); err != nil {
		return nil, err
	}
	return list, nil
}

// insertFirstAttributes writes the first attribute set of the participants that gave one.
func insertFirstAttributes(ctx context.Context, tx pgx.Tx, orgID string, ps []NewParticipant, ids map[string]string, by string) error {
	var (
		pids, district, region, education, distance []*string
		from                                        []time.Time
		newlyArrived, atAf, assistance              []*bool
		days                                        []*int
	)
	for _, p := range ps {
		a := p.Input.Attributes
		if a == nil {
			continue
		}
		pid := ids[p.Input.PersonalIdentityNumber]
		pids = append(pids, &pid)
		from = append(from, *a.ValidFrom)
		district, region = append(district, a.District), append(region, a.BirthRegion)
		education, distance = append(education, a.EducationLevel), append(distance, a.DistanceCategory)
		newlyArrived, atAf, assistance = append(newlyArrived, a.NewlyArrived), append(atAf, a.RegisteredAtAf), append(assistance, a.SocialAssistance)
		days = append(days, a.GuaranteeDays)
	}
	if len(pids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, district,
			birth_region, newly_arrived, registered_at_af, social_assistance, guarantee_days, education_level,
			distance_category, recorded_by)
		SELECT $1, u.pid, u.valid_from, u.district, u.region, u.newly_arrived, u.at_af, u.assistance, u.days, u.education,
			u.distance, $12
		FROM unnest($2::uuid[], $3::date[], $4::text[], $5::text[], $6::boolean[], $7::boolean[], $8::boolean[],
			$9::integer[], $10::text[], $11::text[])
			AS u(pid, valid_from, district, region, newly_arrived, at_af, assistance, days, education, distance)`,
		orgID, pids, from, district, region, newlyArrived, atAf, assistance, days, education, distance, by)
	return db.MapError(err)
}
