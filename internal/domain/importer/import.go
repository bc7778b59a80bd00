package importer

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Result says what an import did.
type Result struct {
	Imported int
	Skipped  int
	Bad      []LineError
	// ParticipantIDs are the participants a participant import registered (for the
	// audit log: who registered whom).
	ParticipantIDs []string
}

// badRowsMessage is the INVALID error of an import that bad rows stopped.
const badRowsMessage = "%d bad rows; nothing was imported (fix them, or import with skip to leave them out)"

// ImportObservations writes the rows for one organisation in one transaction. Rows
// naming a person the organisation has not registered are bad rows too. With bad rows
// and skipBad false nothing is written; with skipBad the good rows are written and the
// bad ones reported. progress, when set, is called as rows are written.
func ImportObservations(ctx context.Context, pool *pgxpool.Pool, orgID string, rows []ObservationRow, bad []LineError,
	skipBad bool, progress func(done, total int)) (Result, error) {
	return importObservations(ctx, pool, orgID, rows, bad, skipBad, progress, "")
}

// ImportRegisterReturn imports a register linkage's returned file (ParseRegisterReturn)
// all or nothing: rows naming someone who may not be linked on the import day
// (consent.LinkableSQL: no register-linkage consent, consent withdrawn, protected
// identity) are bad rows like unknown numbers, so nothing is written while one exists.
func ImportRegisterReturn(ctx context.Context, pool *pgxpool.Pool, orgID string, rows []ObservationRow, bad []LineError,
	today time.Time) (Result, error) {
	return importObservations(ctx, pool, orgID, rows, bad, false, nil, consent.LinkableSQL("$3::date"), today)
}

// importObservations is ImportObservations; with linkable set (a condition over
// participant p, its day as $3) rows of people it excludes are bad rows.
func importObservations(ctx context.Context, pool *pgxpool.Pool, orgID string, rows []ObservationRow, bad []LineError,
	skipBad bool, progress func(done, total int), linkable string, day ...time.Time) (Result, error) {
	if !db.IsUUID(orgID) {
		return Result{}, apperr.NotFoundf("organisation", "organisation not found")
	}
	res := Result{Bad: append([]LineError(nil), bad...)}
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		ids, unlinkable, err := participantIDs(ctx, tx, orgID, rows, linkable, day...)
		if err != nil {
			return err
		}
		good := rows[:0:0]
		for _, r := range rows {
			if ids[r.PersonalIdentityNumber] == "" {
				res.Bad = append(res.Bad, r.src.at(r.Line, "personal_identity_number", "no participant with this number in the organisation"))
				continue
			}
			if unlinkable[r.PersonalIdentityNumber] {
				res.Bad = append(res.Bad, r.src.at(r.Line, "personal_identity_number",
					"this person may not be linked: no register-linkage consent (or it was withdrawn), or protected identity"))
				continue
			}
			good = append(good, r)
		}
		sort.Slice(res.Bad, func(i, j int) bool { return res.Bad[i].Line < res.Bad[j].Line })
		if len(res.Bad) > 0 && !skipBad {
			return apperr.Invalidf("file", badRowsMessage, countLines(res.Bad))
		}
		res.Skipped = countLines(res.Bad)
		touched := map[string]bool{}
		const chunk = 1000
		for start := 0; start < len(good); start += chunk {
			end := min(start+chunk, len(good))
			batch := &pgx.Batch{}
			for _, r := range good[start:end] {
				pid := ids[r.PersonalIdentityNumber]
				in := r.Input
				batch.Queue(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, social_assistance, employment_rate, source)
					VALUES ($1, $2, $3, $4, $5, $6, $7)
					ON CONFLICT (participant_id, month, source) DO UPDATE
					SET status = EXCLUDED.status, social_assistance = EXCLUDED.social_assistance, employment_rate = EXCLUDED.employment_rate`,
					orgID, pid, in.Month, string(in.Status), in.SocialAssistance, in.EmploymentRate, string(in.Source))
				touched[pid] = true
			}
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return fmt.Errorf("import rows %d-%d: %w", good[start].Line, good[end-1].Line, db.MapError(err))
			}
			res.Imported = end
			if progress != nil {
				progress(end, len(good))
			}
		}
		for pid := range touched {
			if err := changes.Record(ctx, tx, orgID, pid, "outcome_observation", "", changes.Create); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{Bad: res.Bad}, fmt.Errorf("import observations: %w", err)
	}
	return res, nil
}

// participantIDs maps the rows' numbers to participant ids; with linkable (see
// importObservations) it also returns the numbers of those it excludes.
func participantIDs(ctx context.Context, tx pgx.Tx, orgID string, rows []ObservationRow, linkable string, day ...time.Time) (map[string]string, map[string]bool, error) {
	numbers := make([]string, 0, len(rows))
	for _, r := range rows {
		numbers = append(numbers, r.PersonalIdentityNumber)
	}
	cond, args := "true", []any{orgID, numbers}
	if linkable != "" {
		cond, args = linkable, append(args, day[0])
	}
	q, err := tx.Query(ctx, `SELECT p.personal_identity_number, p.id::text, `+cond+` FROM participant p
		WHERE p.organisation_id = $1 AND p.personal_identity_number = ANY($2)`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("look up participants: %w", err)
	}
	defer q.Close()
	ids, excluded := map[string]string{}, map[string]bool{}
	for q.Next() {
		var n, id string
		var ok bool
		if err := q.Scan(&n, &id, &ok); err != nil {
			return nil, nil, err
		}
		ids[n] = id
		if !ok {
			excluded[n] = true
		}
	}
	return ids, excluded, q.Err()
}

func countLines(errs []LineError) int {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	return len(lines)
}

// participantChunk is how many participants one INSERT writes: large enough that a file
// of 100,000 lines takes a few dozen statements, small enough for steady progress.
const participantChunk = 2000

// ImportParticipants registers the rows in one organisation in one transaction. A
// personal identity number the organisation has already registered makes a bad row,
// found before anything is written. With bad rows and skipBad false nothing is written;
// with skipBad the good rows are written and the bad ones reported. Each participant
// gets their attribute set (when the line gave one) and a change event. progress, when
// set, is called as rows are written.
func ImportParticipants(ctx context.Context, pool *pgxpool.Pool, orgID string, rows []ParticipantRow, bad []LineError,
	skipBad bool, progress func(done, total int)) (Result, error) {
	if !db.IsUUID(orgID) {
		return Result{}, apperr.NotFoundf("organisationId", "organisation not found")
	}
	res := Result{Bad: append([]LineError(nil), bad...)}
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if err := organisation.Require(ctx, tx, orgID, "organisationId"); err != nil {
			return err
		}
		registered, err := registeredNumbers(ctx, tx, orgID, rows)
		if err != nil {
			return err
		}
		good := rows[:0:0]
		for _, r := range rows {
			if registered[r.Input.PersonalIdentityNumber] {
				res.Bad = append(res.Bad, r.src.at(r.Line, "personal_identity_number",
					"a participant with this personal identity number is already registered in the organisation"))
				continue
			}
			good = append(good, r)
		}
		sort.SliceStable(res.Bad, func(i, j int) bool { return res.Bad[i].Line < res.Bad[j].Line })
		if len(res.Bad) > 0 && !skipBad {
			return apperr.Invalidf("file", badRowsMessage, countLines(res.Bad))
		}
		res.Skipped = countLines(res.Bad)
		for start := 0; start < len(good); start += participantChunk {
			chunk := good[start:min(start+participantChunk, len(good))]
			ids, err := insertParticipants(ctx, tx, orgID, chunk, importedBy(ctx))
			if err != nil {
				return fmt.Errorf("import lines %d-%d: %w", chunk[0].Line, chunk[len(chunk)-1].Line, err)
			}
			res.Imported = start + len(chunk)
			res.ParticipantIDs = append(res.ParticipantIDs, ids...)
			if progress != nil {
				progress(res.Imported, len(good))
			}
		}
		return nil
	})
	if err != nil {
		return Result{Bad: res.Bad}, fmt.Errorf("import participants: %w", err)
	}
	return res, nil
}

// registeredNumbers returns which of the rows' numbers the organisation already has.
func registeredNumbers(ctx context.Context, tx pgx.Tx, orgID string, rows []ParticipantRow) (map[string]bool, error) {
	numbers := make([]string, len(rows))
	for i, r := range rows {
		numbers[i] = r.Input.PersonalIdentityNumber
	}
	q, err := tx.Query(ctx, `SELECT personal_identity_number FROM participant
		WHERE organisation_id = $1 AND personal_identity_number = ANY($2)`, orgID, numbers)
	if err != nil {
		return nil, fmt.Errorf("look up participants: %w", err)
	}
	found, err := pgx.CollectRows(q, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up participants: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, n := range found {
		out[n] = true
	}
	return out, nil
}

// insertParticipants writes one chunk with a statement per table (multi-row INSERT from
// arrays: COPY does not go through row-level security), then a change event each.
func insertParticipants(ctx context.Context, tx pgx.Tx, orgID string, rows []ParticipantRow, by string) ([]string, error) {
	n := len(rows)
	pnrs, given, family, gender := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	births := make([]time.Time, n)
	for i, r := range rows {
		pnrs[i], given[i], family[i], gender[i] = r.Input.PersonalIdentityNumber, r.Input.GivenName, r.Input.FamilyName, string(r.Input.Gender)
		births[i] = r.BirthDate
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
	if err := insertImportedAttributes(ctx, tx, orgID, rows, ids, by); err != nil {
		return nil, err
	}
	// One change event per participant, in one statement (the loader reads them like
	// any other write's).
	if err := changes.RecordParticipants(ctx, tx, orgID, list, changes.Create); err != nil {
		return nil, err
	}
	return list, nil
}

// importedBy names who imported, for the attribute sets' recorded_by: the API caller,
// or the command line.
func importedBy(ctx context.Context) string {
	if p, ok := auth.From(ctx); ok && p.Subject != "" {
		return ImportedBy + ":" + p.Subject
	}
	return ImportedBy + ":cli"
}

// insertImportedAttributes writes the first attribute set of the rows that gave one.
func insertImportedAttributes(ctx context.Context, tx pgx.Tx, orgID string, rows []ParticipantRow, ids map[string]string, by string) error {
	var (
		pids, district, region, education, distance []*string
		from                                        []time.Time
		newlyArrived, atAf, assistance              []*bool
		days                                        []*int
	)
	for _, r := range rows {
		a := r.Input.Attributes
		if a == nil {
			continue
		}
		pid := ids[r.Input.PersonalIdentityNumber]
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
