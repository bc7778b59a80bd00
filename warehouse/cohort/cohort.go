// Package cohort answers outcome questions about exit cohorts from the warehouse.
package cohort

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// DefinitionVersion names the rules below; it is shown on every figure so that figures
// computed under different rules are never compared by mistake.
//
// exit-cohort/1:
//   - exit cohort: enrolments whose actual end date falls in the calendar year;
//   - status at +k: the observed status in calendar month (exit month + k); when nothing
//     was observed but the person was in another of our measures that month, "other
//     measure"; otherwise unknown;
//   - in work or studies: unsubsidised employment (full or part time) or studies;
//   - n counts the enrolments whose month +k has begun (as of asOf); known those of them
//     with a known status; share = in work or studies / known (null when none known).
const DefinitionVersion = "exit-cohort/1"

// Figure is one outcome share with its counts.
type Figure struct {
	MonthsAfterExit int
	N               int // exits whose +k month has come
	Known           int
	Unknown         int
	InWorkOrStudies int
	Share           *float64 // InWorkOrStudies / Known
}

// Breakdown holds the figures of one group ("" gender = all).
type Breakdown struct {
	Gender  string
	Exits   int
	Figures []Figure // at +6 and +12
}

// Result is an exit cohort's outcome.
type Result struct {
	ExitYear          int
	AsOf              time.Time
	DefinitionVersion string
	Total             Breakdown
	ByGender          []Breakdown
}

// Horizons are the months after exit this query reports.
var Horizons = []int{6, 12}

const workOrStudies = `('unsubsidised_employment_full', 'unsubsidised_employment_part', 'studies')`

// ExitYear computes the outcome at +6 and +12 months for the enrolments of the given
// organisations (one municipality, or the members of a regional body) that ended in
// exitYear, by gender. It reads the deduplicated enrolment_outcome rows (argMax over
// version per enrolment, no FINAL).
func ExitYear(ctx context.Context, conn driver.Conn, orgIDs []string, exitYear int, asOf time.Time) (Result, error) {
	asOf = snapshot.Month(asOf)
	if len(orgIDs) == 0 {
		return Result{}, apperr.Invalidf("organisationId", "no organisation to report on")
	}
	res := Result{ExitYear: exitYear, AsOf: asOf, DefinitionVersion: DefinitionVersion}
	cctx, cancel := context.WithTimeout(ctx, chstore.CallTimeout)
	defer cancel()
	asOfText := asOf.Format("2006-01-02")
	rows, err := conn.Query(cctx, `
		SELECT gender, count() AS exits,
		  countIf(addMonths(toStartOfMonth(exit_date), 6) <= toDate(?)) AS n6,
		  countIf(addMonths(toStartOfMonth(exit_date), 6) <= toDate(?) AND s6 != 'unknown') AS known6,
		  countIf(addMonths(toStartOfMonth(exit_date), 6) <= toDate(?) AND s6 IN `+workOrStudies+`) AS ws6,
		  countIf(addMonths(toStartOfMonth(exit_date), 12) <= toDate(?)) AS n12,
		  countIf(addMonths(toStartOfMonth(exit_date), 12) <= toDate(?) AND s12 != 'unknown') AS known12,
		  countIf(addMonths(toStartOfMonth(exit_date), 12) <= toDate(?) AND s12 IN `+workOrStudies+`) AS ws12
		FROM (
		  SELECT enrolment_key,
		    argMax(gender, version) AS gender, argMax(exited, version) AS exited,
		    argMax(exit_date, version) AS exit_date, argMax(status_6, version) AS s6,
		    argMax(status_12, version) AS s12, argMax(deleted, version) AS deleted
		  FROM enrolment_outcome WHERE org_id IN ? GROUP BY enrolment_key
		)
		WHERE deleted = 0 AND exited = 1 AND toYear(exit_date) = ?
		GROUP BY gender ORDER BY gender`,
		asOfText, asOfText, asOfText, asOfText, asOfText, asOfText, groupSet(orgIDs), exitYear)
	if err != nil {
		return res, fmt.Errorf("exit cohort query: %w", err)
	}
	defer rows.Close()
	res.Total.Figures = []Figure{{MonthsAfterExit: 6}, {MonthsAfterExit: 12}}
	for rows.Next() {
		var gender string
		var exits, n6, k6, w6, n12, k12, w12 uint64
		if err := rows.Scan(&gender, &exits, &n6, &k6, &w6, &n12, &k12, &w12); err != nil {
			return res, fmt.Errorf("exit cohort row: %w", err)
		}
		b := Breakdown{Gender: gender, Exits: int(exits), Figures: []Figure{
			figure(6, n6, k6, w6), figure(12, n12, k12, w12),
		}}
		res.ByGender = append(res.ByGender, b)
		res.Total.Exits += b.Exits
		for i, f := range b.Figures {
			t := &res.Total.Figures[i]
			t.N += f.N
			t.Known += f.Known
			t.InWorkOrStudies += f.InWorkOrStudies
		}
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	for i := range res.Total.Figures {
		t := &res.Total.Figures[i]
		*t = figure(t.MonthsAfterExit, uint64(t.N), uint64(t.Known), uint64(t.InWorkOrStudies))
	}
	return res, nil
}

func figure(k int, n, known, ws uint64) Figure {
	f := Figure{MonthsAfterExit: k, N: int(n), Known: int(known), Unknown: int(n - known), InWorkOrStudies: int(ws)}
	if known > 0 {
		s := float64(ws) / float64(known)
		f.Share = &s
	}
	return f
}

// ValidateYear rejects exit years outside the range the system can hold.
func ValidateYear(year int) error {
	if year < 2000 || year > 2100 {
		return apperr.Invalidf("exitYear", "exit year must be between 2000 and 2100")
	}
	return nil
}

func groupSet(ids []string) clickhouse.GroupSet {
	set := clickhouse.GroupSet{Value: make([]any, len(ids))}
	for i, id := range ids {
		set.Value[i] = id
	}
	return set
}
