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
	n := len(r.Months) + len(r.DeletedMonths)
	var (
		org, key, gender, status, measure, source = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		month                                     = make([]time.Time, 0, n)
		birth                                     = make([]uint16, 0, n)
		inMeasure, deleted                        = make([]uint8, 0, n), make([]uint8, 0, n)
		sa                                        = make([]int8, 0, n)
		version                                   = make([]uint64, 0, n)
	)
	for _, m := range r.Months {
		org, key, month, gender, birth = append(org, m.OrgID), append(key, m.PersonKey), append(month, m.Month), append(gender, m.Gender), append(birth, m.BirthYear)
		status, inMeasure, measure, sa, source = append(status, m.Status), append(inMeasure, m.InMeasure), append(measure, m.MeasureCode), append(sa, m.SocialAssistance), append(source, m.Source)
		version, deleted = append(version, r.Version), append(deleted, 0)
	}
	for _, m := range r.DeletedMonths {
		org, key, month, gender, birth = append(org, m.OrgID), append(key, m.PersonKey), append(month, m.Month), append(gender, ""), append(birth, 0)
		status, inMeasure, measure, sa, source = append(status, ""), append(inMeasure, 0), append(measure, ""), append(sa, -1), append(source, "")
		version, deleted = append(version, r.Version), append(deleted, 1)
	}
	return sendColumns(ctx, conn, `INSERT INTO participant_month (org_id, person_key, month, gender, birth_year,
		status, in_measure, measure_code, social_assistance, source, version, deleted)`,
		org, key, month, gender, birth, status, inMeasure, measure, sa, source, version, deleted)
}

func writeEnrolments(ctx context.Context, conn driver.Conn, r Rows) error {
	n := len(r.Enrolments) + len(r.DeletedEnrolments)
	var (
		org, ekey, pkey, gender, measure, reason = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		birth                                    = make([]uint16, 0, n)
		start, exit                              = make([]time.Time, 0, n), make([]time.Time, 0, n)
		exited, deleted                          = make([]uint8, 0, n), make([]uint8, 0, n)
		st                                       [4][]string
		sa                                       [4][]int8
		version                                  = make([]uint64, 0, n)
	)
	for i := range st {
		st[i], sa[i] = make([]string, 0, n), make([]int8, 0, n)
	}
	add := func(e snapshot.EnrolmentRow, del uint8) {
		org, ekey, pkey, gender, measure = append(org, e.OrgID), append(ekey, e.EnrolmentKey), append(pkey, e.PersonKey), append(gender, e.Gender), append(measure, e.MeasureCode)
		birth, start, exited, exit, reason = append(birth, e.BirthYear), append(start, e.Start), append(exited, e.Exited), append(exit, e.ExitDate), append(reason, e.ExitReason)
		for i := range st {
			st[i], sa[i] = append(st[i], e.Status[i]), append(sa[i], e.SA[i])
		}
		version, deleted = append(version, r.Version), append(deleted, del)
	}
	for _, e := range r.Enrolments {
		add(e, 0)
	}
	for _, e := range r.DeletedEnrolments {
		add(snapshot.EnrolmentRow{OrgID: e.OrgID, EnrolmentKey: e.EnrolmentKey, PersonKey: e.PersonKey,
			Start: snapshot.Epoch, ExitDate: snapshot.Epoch, SA: [4]int8{-1, -1, -1, -1}}, 1)
	}
	return sendColumns(ctx, conn, `INSERT INTO enrolment_outcome (org_id, enrolment_key, person_key, gender,
		birth_year, measure_code, start_date, exited, exit_date, exit_reason, status_3, status_6, status_12, status_24,
		sa_3, sa_6, sa_12, sa_24, version, deleted)`,
		org, ekey, pkey, gender, birth, measure, start, exited, exit, reason, st[0], st[1], st[2], st[3],
		sa[0], sa[1], sa[2], sa[3], version, deleted)
}

// sendColumns inserts whole columns in one batch: much cheaper than appending row by
// row, and the only insert path that works on ClickHouse 18.16 (PrepareBatch with a
// column list).
func sendColumns(ctx context.Context, conn driver.Conn, insert string, columns ...any) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	b, err := conn.PrepareBatch(cctx, insert)
	if err != nil {
		return fmt.Errorf("prepare batch: %w", err)
	}
	defer b.Abort() //nolint:errcheck // a no-op after Send
	for i, col := range columns {
		if err := b.Column(i).Append(col); err != nil {
			return fmt.Errorf("append column %d: %w", i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send batch: %w", err)
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
