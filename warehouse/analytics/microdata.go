package analytics

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/export"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// MicrodataTimeout bounds one microdata export: a large cohort streamed to a slow
// reader takes longer than an aggregate query.
const MicrodataTimeout = 10 * chstore.CallTimeout

// microdataFlushRows is how many rows are written between flushes of the CSV writer.
const microdataFlushRows = 500

// statusName decodes a status_after code.
func statusName(code uint8) string {
	if int(code) < len(snapshot.StatusCodes) {
		return snapshot.StatusCodes[code]
	}
	return outcomes.StatusUnknown
}

// Microdata writes the cohort's enrolments as CSV to w: the header MicrodataColumns,
// then one row per enrolment ordered by organisation code, exit date and enrolment key,
// streamed from ClickHouse row by row. Keys are the warehouse's pseudonymised keys; the
// warehouse holds nothing else that identifies a person. Coding: status_k is the status
// in calendar month exit + k ("unknown" when nobody observed it); sa_k and newly_arrived
// are -1 unknown, 0 no, 1 yes; status_k and sa_k are empty when month exit + k has not
// begun on the day of the export (Today; by default the Swedish date), the exits a
// figure at +k leaves out of n (outcomes.Due): not yet due is not unknown, so that n,
// known and the missing-data bounds computed from the file are outcomeFigures'. Dates
// are YYYY-MM-DD; an empty text value means not recorded.
func Microdata(ctx context.Context, conn chstore.Querier, cohort Cohort, w io.Writer, opts ...Option) error {
	if err := cohort.validate("cohort"); err != nil {
		return err
	}
	today := settingsOf(opts, calendar.Today(time.Now())).today
	query, args := microdataSQL(cohort)
	cctx, cancel := context.WithTimeout(ctx, MicrodataTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, query, args...)
	if err != nil {
		return fmt.Errorf("microdata query: %w", err)
	}
	defer rows.Close()
	// Text cells (unit and project names, measure codes) are typed by users: neutralise
	// formula injection so the file is safe to open in Excel.
	cw := export.NewCSVWriter(w)
	if err := cw.Write(MicrodataColumns); err != nil {
		return fmt.Errorf("microdata header: %w", err)
	}
	var (
		text         [15]string // enrolment_key .. exit_reason, newly_arrived in its own variable
		newlyArrived int8
		status       [4]uint8
		sa           [4]int8
	)
	dest := []any{&text[0], &text[1], &text[2], &text[3], &text[4], &text[5], &text[6], &text[7], &newlyArrived,
		&text[8], &text[9], &text[10], &text[11], &text[12], &text[13], &text[14]}
	for i := range status {
		dest = append(dest, &status[i])
	}
	for i := range sa {
		dest = append(dest, &sa[i])
	}
	record := make([]string, len(MicrodataColumns))
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("microdata row: %w", err)
		}
		copy(record[0:8], text[0:8])
		record[8] = strconv.Itoa(int(newlyArrived))
		copy(record[9:16], text[8:15])
		exit, err := time.Parse(time.DateOnly, text[13])
		if err != nil {
			return fmt.Errorf("microdata exit date %q: %w", text[13], err)
		}
		for i, k := range microdataHorizons {
			record[16+i], record[20+i] = "", "" // not yet due
			if outcomes.Due(outcomes.Enrolment{End: &exit}, k, today) {
				record[16+i], record[20+i] = statusName(status[i]), strconv.Itoa(int(sa[i]))
			}
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("microdata write: %w", err)
		}
		if n++; n%microdataFlushRows == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return fmt.Errorf("microdata write: %w", err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("microdata rows: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("microdata write: %w", err)
	}
	return nil
}
