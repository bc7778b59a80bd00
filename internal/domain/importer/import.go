package importer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
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
const badRowsMessage = "%d bad rows; nothing was imported (fix them, or leave them out: skipInvalid in the API, -skip-bad in outcomesctl)"

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
		obs := make([]outcome.RecordInput, len(good))
		for i, r := range good {
			obs[i] = r.Input
			obs[i].ParticipantID = ids[r.PersonalIdentityNumber]
		}
		err = outcome.RecordMany(ctx, tx, orgID, obs, func(done int) {
			res.Imported = done
			if progress != nil {
				progress(done, len(good))
			}
		})
		var be *outcome.BatchError
		if errors.As(err, &be) {
			return fmt.Errorf("import rows %d-%d: %w", good[be.From].Line, good[be.To].Line, be.Err)
		}
		return err
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
	ids, err := participant.IDsByNumber(ctx, tx, orgID, numbers)
	out := make(map[string]bool, len(ids))
	for n := range ids {
		out[n] = true
	}
	return out, err
}

// insertParticipants registers one chunk through the participant store's bulk write.
func insertParticipants(ctx context.Context, tx pgx.Tx, orgID string, rows []ParticipantRow, by string) ([]string, error) {
	ps := make([]participant.NewParticipant, len(rows))
	for i, r := range rows {
		ps[i] = participant.NewParticipant{Input: r.Input, BirthDate: r.BirthDate}
	}
	return participant.InsertMany(ctx, tx, orgID, ps, by)
}

// importedBy names who imported, for the attribute sets' recorded_by: the API caller,
// or the command line.
func importedBy(ctx context.Context) string {
	if p, ok := auth.From(ctx); ok && p.Subject != "" {
		return ImportedBy + ":" + p.Subject
	}
	return ImportedBy + ":cli"
}

// Service runs imports on one pool (the API's, scoped to the caller), so that its
// callers hold an importer rather than a database handle.
type Service struct{ pool *pgxpool.Pool }

// NewService returns a service importing through pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// Participants is ImportParticipants on the service's pool.
func (s *Service) Participants(ctx context.Context, orgID string, rows []ParticipantRow, bad []LineError, skipBad bool) (Result, error) {
	return ImportParticipants(ctx, s.pool, orgID, rows, bad, skipBad, nil)
}

// Observations is ImportObservations on the service's pool.
func (s *Service) Observations(ctx context.Context, orgID string, rows []ObservationRow, bad []LineError, skipBad bool) (Result, error) {
	return ImportObservations(ctx, s.pool, orgID, rows, bad, skipBad, nil)
}
