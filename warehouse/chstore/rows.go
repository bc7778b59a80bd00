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

// Write inserts the batch, one insert per table. Every table's columns are appended
// before any is sent, so a value the driver refuses (a RefusedError) leaves the
// warehouse untouched. Re-writing the same batch, or an older one, changes nothing that
// a reader sees: readers take the row with the highest version per key.
func Write(ctx context.Context, conn driver.Conn, r Rows) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	var batches []driver.Batch
	defer func() {
		for _, b := range batches {
			b.Abort() //nolint:errcheck // a no-op after Send
		}
	}()
	if len(r.Months)+len(r.DeletedMonths) > 0 {
		b, err := prepare(cctx, conn, Months.Name, Months.insert(), Months.ColumnNames(), Months.columns(r.Version, r.Months, r.DeletedMonths))
		if err != nil {
			return err
		}
		batches = append(batches, b)
	}
	if len(r.Enrolments)+len(r.DeletedEnrolments) > 0 {
		b, err := prepare(cctx, conn, Enrolments.Name, Enrolments.insert(), Enrolments.ColumnNames(),
			Enrolments.columns(r.Version, r.Enrolments, r.DeletedEnrolments))
		if err != nil {
			return err
		}
		batches = append(batches, b)
	}
	for _, b := range batches {
		if err := b.Send(); err != nil {
			return fmt.Errorf("send batch: %w", err)
		}
	}
	return nil
}

// RefusedError says that the driver refused a column's values for the column's type
// before anything was sent: a property of the rows, not of the connection. It names
// the column and its type, never a value.
type RefusedError struct {
	Table, Column, Type string
	Err                 error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s.%s (%s) refused a value", e.Table, e.Column, e.Type)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// prepare starts an insert and appends whole columns to it: much cheaper than appending
// row by row, and the only insert path that works on ClickHouse 18.16 (PrepareBatch with
// a column list).
func prepare(ctx context.Context, conn driver.Conn, table, insert string, names []string, columns []any) (driver.Batch, error) {
	b, err := conn.PrepareBatch(ctx, insert)
	if err != nil {
		return nil, fmt.Errorf("prepare batch: %w", err)
	}
	for i, col := range columns {
		if err := b.Column(i).Append(col); err != nil {
			b.Abort() //nolint:errcheck
			return nil, &RefusedError{Table: table, Column: names[i], Type: string(b.Columns()[i].Type()), Err: err}
		}
	}
	return b, nil
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
