package importer

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/changes"
	"github.com/arbetsmarknad/outcomes/internal/db"
)

// Result says what an import did.
type Result struct {
	Imported int
	Skipped  int
	Bad      []LineError
}

// badRowsMessage is the INVALID error of an import that bad rows stopped.
const badRowsMessage = "%d bad rows; nothing was imported (fix them, or import with skip to leave them out)"

// ImportObservations writes the rows for one organisation in one transaction. Rows
// naming a person the organisation has not registered are bad rows too. With bad rows
// and skipBad false nothing is written; with skipBad the good rows are written and the
// bad ones reported. progress, when set, is called as rows are written.
func ImportObservations(ctx context.Context, pool *pgxpool.Pool, orgID string, rows []ObservationRow, bad []LineError,
	skipBad bool, progress func(done, total int)) (Result, error) {
	if !db.IsUUID(orgID) {
		return Result{}, apperr.NotFoundf("organisation", "organisation not found")
	}
	res := Result{Bad: append([]LineError(nil), bad...)}
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		ids, err := participantIDs(ctx, tx, orgID, rows)
		if err != nil {
			return err
		}
		good := rows[:0:0]
		for _, r := range rows {
			if ids[r.PersonalIdentityNumber] == "" {
				res.Bad = append(res.Bad, LineError{Line: r.Line, Column: "personal_identity_number", Reason: "no participant with this number in the organisation"})
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

func participantIDs(ctx context.Context, tx pgx.Tx, orgID string, rows []ObservationRow) (map[string]string, error) {
	numbers := make([]string, 0, len(rows))
	for _, r := range rows {
		numbers = append(numbers, r.PersonalIdentityNumber)
	}
	q, err := tx.Query(ctx, `SELECT personal_identity_number, id::text FROM participant
		WHERE organisation_id = $1 AND personal_identity_number = ANY($2)`, orgID, numbers)
	if err != nil {
		return nil, fmt.Errorf("look up participants: %w", err)
	}
	defer q.Close()
	ids := map[string]string{}
	for q.Next() {
		var n, id string
		if err := q.Scan(&n, &id); err != nil {
			return nil, err
		}
		ids[n] = id
	}
	return ids, q.Err()
}

func countLines(errs []LineError) int {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	return len(lines)
}
