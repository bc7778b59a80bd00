package chstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// Rows is one batch of versioned warehouse rows, including tombstones (deleted = 1) for
// rows that PostgreSQL no longer implies.
type Rows struct {
	Version           uint64
	Months            []snapshot.MonthRow
	Enrolments        []snapshot.EnrolmentRow
	DeletedMonths     []snapshot.MonthRow // only the key fields matter
	DeletedEnrolments []snapshot.EnrolmentRow
}

// Len is the number of rows the batch writes.
func (r Rows) Len() int {
	return len(r.Months) + len(r.Enrolments) + len(r.DeletedMonths) + len(r.DeletedEnrolments)
}

// Write inserts the batch. Re-writing the same batch, or an older one, changes nothing
// that a reader sees: readers take the row with the highest version per key.
func Write(ctx context.Context, conn driver.Conn, r Rows) error {
	if len(r.Months)+len(r.DeletedMonths) > 0 {
		if err := writeMonths(ctx, conn, r); err != nil {
			return err
		}
	}
	if len(r.Enrolments)+len(r.DeletedEnrolments) > 0 {
		if err := writeEnrolments(ctx, conn, r); err != nil {
			return err
		}
	}
	return nil
}

func writeMonths(ctx context.Context, conn driver.Conn, r Rows) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	b, err := conn.PrepareBatch(cctx, `INSERT INTO participant_month (org_id, person_key, month, gender, birth_year,
		status, in_measure, measure_code, social_assistance, source, version, deleted)`)
	if err != nil {
		return fmt.Errorf("prepare participant_month batch: %w", err)
	}
	defer b.Abort() //nolint:errcheck // a no-op after Send
	for _, m := range r.Months {
		if err := b.Append(m.OrgID, m.PersonKey, m.Month, m.Gender, m.BirthYear, m.Status, m.InMeasure,
			m.MeasureCode, m.SocialAssistance, m.Source, r.Version, uint8(0)); err != nil {
			return fmt.Errorf("append participant_month: %w", err)
		}
	}
	for _, m := range r.DeletedMonths {
		if err := b.Append(m.OrgID, m.PersonKey, m.Month, "", uint16(0), "", uint8(0), "", int8(-1), "", r.Version, uint8(1)); err != nil {
			return fmt.Errorf("append participant_month tombstone: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send participant_month batch: %w", err)
	}
	return nil
}

func writeEnrolments(ctx context.Context, conn driver.Conn, r Rows) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	b, err := conn.PrepareBatch(cctx, `INSERT INTO enrolment_outcome (org_id, enrolment_key, person_key, gender,
		birth_year, measure_code, start_date, exited, exit_date, exit_reason, status_3, status_6, status_12, status_24,
		sa_3, sa_6, sa_12, sa_24, version, deleted)`)
	if err != nil {
		return fmt.Errorf("prepare enrolment_outcome batch: %w", err)
	}
	defer b.Abort() //nolint:errcheck
	for _, e := range r.Enrolments {
		if err := b.Append(e.OrgID, e.EnrolmentKey, e.PersonKey, e.Gender, e.BirthYear, e.MeasureCode, e.Start,
			e.Exited, e.ExitDate, e.ExitReason, e.Status[0], e.Status[1], e.Status[2], e.Status[3],
			e.SA[0], e.SA[1], e.SA[2], e.SA[3], r.Version, uint8(0)); err != nil {
			return fmt.Errorf("append enrolment_outcome: %w", err)
		}
	}
	for _, e := range r.DeletedEnrolments {
		if err := b.Append(e.OrgID, e.EnrolmentKey, e.PersonKey, "", uint16(0), "", snapshot.Epoch, uint8(0),
			snapshot.Epoch, "", "", "", "", "", int8(-1), int8(-1), int8(-1), int8(-1), r.Version, uint8(1)); err != nil {
			return fmt.Errorf("append enrolment_outcome tombstone: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send enrolment_outcome batch: %w", err)
	}
	return nil
}

// LiveKeys are the rows the warehouse currently shows for some persons.
type LiveKeys struct {
	Months     map[string][]time.Time // person key -> months
	Enrolments map[string][]string    // person key -> enrolment keys
}

// Live returns the keys of the non-deleted rows of the given persons in one
// organisation, so the loader can tombstone those PostgreSQL no longer implies.
func Live(ctx context.Context, conn driver.Conn, orgID string, personKeys []string) (LiveKeys, error) {
	out := LiveKeys{Months: map[string][]time.Time{}, Enrolments: map[string][]string{}}
	if len(personKeys) == 0 {
		return out, nil
	}
	set := clickhouse.GroupSet{Value: make([]any, len(personKeys))}
	for i, k := range personKeys {
		set.Value[i] = k
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, `SELECT person_key, month FROM participant_month
		WHERE org_id = ? AND person_key IN ?
		GROUP BY person_key, month HAVING argMax(deleted, version) = 0`, orgID, set)
	if err != nil {
		return out, fmt.Errorf("read live months: %w", err)
	}
	for rows.Next() {
		var k string
		var m time.Time
		if err := rows.Scan(&k, &m); err != nil {
			rows.Close()
			return out, err
		}
		out.Months[k] = append(out.Months[k], m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	rows, err = conn.Query(cctx, `SELECT pk, enrolment_key FROM (
			SELECT enrolment_key, argMax(person_key, version) AS pk, argMax(deleted, version) AS d
			FROM enrolment_outcome WHERE org_id = ? AND person_key IN ? GROUP BY enrolment_key
		) WHERE d = 0`, orgID, set)
	if err != nil {
		return out, fmt.Errorf("read live enrolments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, e string
		if err := rows.Scan(&k, &e); err != nil {
			return out, err
		}
		out.Enrolments[k] = append(out.Enrolments[k], e)
	}
	return out, rows.Err()
}

// DeletePersons removes the data rows of the given persons physically (an asynchronous
// ALTER TABLE … DELETE mutation). The tombstones stay: a mutation works part by part,
// and while it runs the tombstones are what keeps readers from seeing the rows again.
// A tombstone holds only keys and a version.
func DeletePersons(ctx context.Context, conn driver.Conn, personKeys []string) error {
	if len(personKeys) == 0 {
		return nil
	}
	set := clickhouse.GroupSet{Value: make([]any, len(personKeys))}
	for i, k := range personKeys {
		set.Value[i] = k
	}
	for _, table := range []string{"participant_month", "enrolment_outcome"} {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(cctx, "ALTER TABLE "+table+" DELETE WHERE person_key IN ? AND deleted = 0", set)
		cancel()
		if err != nil {
			return fmt.Errorf("delete erased persons from %s: %w", table, err)
		}
	}
	return nil
}
