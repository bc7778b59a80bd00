package chstore

import (
	"context"
	"fmt"
	"strings"
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
	// Fresh says the warehouse holds no rows of these persons yet (a rebuild into
	// recreated tables), so Write has no earlier enrolment rows to cancel.
	Fresh bool
}

// Len is the number of rows the batch writes.
func (r Rows) Len() int {
	return len(r.Months) + len(r.Enrolments) + len(r.DeletedMonths) + len(r.DeletedEnrolments)
}

// Write inserts the batch. Enrolments and DeletedEnrolments name whole persons: every
// enrolment row a person should have (the loader rebuilds a person entirely). Before the
// new enrolment rows go in, the live enrolment rows of those persons are cancelled (see
// cancelEnrolments), so re-writing the same batch, or an older one, changes nothing that
// a reader sees: participant_month readers take the row with the highest version per
// key, enrolment_outcome readers sum the rows' sign. A value the driver refuses (a
// RefusedError) stops an insert before the block holding it is sent; blocks sent before
// it may have been written, which is harmless for the same reasons.
func Write(ctx context.Context, conn driver.Conn, r Rows) error {
	return WriteMany(ctx, conn, []Rows{r})
}

// WriteMany is Write for several batches (each with its own version) in one INSERT per
// table. Every INSERT makes at least one part per partition it touches, and a part of
// the wide enrolment_outcome costs the server far more than its few rows (a file and a
// compression buffer per column): a rebuild gathers the enrolment rows of many pages
// into one INSERT.
func WriteMany(ctx context.Context, conn driver.Conn, rs []Rows) error {
	months := make([]segment[snapshot.MonthRow], 0, 2*len(rs))
	enrolments := make([]segment[snapshot.EnrolmentRow], 0, 2*len(rs))
	for _, r := range rs {
		months = append(months, segment[snapshot.MonthRow]{r.Version, 0, r.Months}, segment[snapshot.MonthRow]{r.Version, 1, r.DeletedMonths})
		enrolments = append(enrolments, segment[snapshot.EnrolmentRow]{r.Version, 0, r.Enrolments},
			segment[snapshot.EnrolmentRow]{r.Version, 1, r.DeletedEnrolments})
	}
	if err := insert(ctx, conn, Months, months); err != nil {
		return err
	}
	for _, r := range rs {
		if len(r.Enrolments)+len(r.DeletedEnrolments) > 0 && !r.Fresh {
			if err := cancelEnrolments(ctx, conn, r); err != nil {
				return err
			}
		}
	}
	return insert(ctx, conn, Enrolments, enrolments)
}

// segment is rows of one version, all data rows (deleted 0) or all tombstones (1, of
// which only the keys matter).
type segment[R any] struct {
	version uint64
	deleted uint8
	rows    []R
}

// blockRows is how many rows go in one native block. The driver's column buffers are
// reused from block to block, so they grow to one block's size once instead of doubling
// all the way to a whole batch (copying it several times over).
const blockRows = 1 << 14

// insert writes segments of rows and tombstones of one table in one INSERT, whole
// columns a block at a time: much cheaper than appending row by row, and the only
// insert path that works on ClickHouse 18.16 (PrepareBatch with a column list).
func insert[R any](ctx context.Context, conn driver.Conn, t Table[R], segments []segment[R]) error {
	n := 0
	for _, seg := range segments {
		n += len(seg.rows)
	}
	if n == 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	b, err := conn.PrepareBatch(cctx, t.insert())
	if err != nil {
		return fmt.Errorf("prepare batch: %w", err)
	}
	defer b.Abort() //nolint:errcheck // a no-op after Send
	names := t.ColumnNames()
	var cols []any // the column slices, refilled block after block
	for _, seg := range segments {
		rows := seg.rows
		if seg.deleted == 1 {
			rows = make([]R, len(seg.rows))
			for i, r := range seg.rows {
				rows[i] = t.Tombstone(r)
			}
		}
		for start := 0; start < len(rows); start += blockRows {
			block := rows[start:min(start+blockRows, len(rows))]
			cols = t.columns(seg.version, seg.deleted, block, cols)
			for i, col := range cols {
				if err := b.Column(i).Append(col); err != nil {
					return &RefusedError{Table: t.Name, Column: names[i], Type: string(b.Columns()[i].Type()), Err: err}
				}
			}
			if b.Rows() >= blockRows {
				if err := b.Flush(); err != nil {
					return fmt.Errorf("send block: %w", err)
				}
			}
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	return nil
}

// cancelEnrolmentsSQL copies every live row (sum of sign > 0) of the given persons
// back into enrolment_outcome with sign -1: enrolment_outcome is a CollapsingMergeTree
// (ClickHouse migration 0011), and a cancel row withdraws the row it copies from every
// sum(sign * x), before and after merges. Rows are grouped by their whole content, so a
// row written twice is cancelled twice. It runs in the server (INSERT … SELECT): the
// rows never travel to the loader and back.
var cancelEnrolmentsSQL = func() string {
	enrolmentColumnList := strings.Join(Enrolments.ColumnNames(), ", ")
	return `INSERT INTO enrolment_outcome (` + enrolmentColumnList + `, sign)
	SELECT ` + enrolmentColumnList + `, toInt8(-1) FROM (
		SELECT ` + enrolmentColumnList + `, sum(sign) AS x_live FROM enrolment_outcome
		WHERE org_id IN ? AND person_key IN ? AND deleted = 0
		GROUP BY ` + enrolmentColumnList + ` HAVING x_live > 0
	) ARRAY JOIN range(toUInt64(x_live)) AS x_copy`
}()

// cancelEnrolments writes the cancel rows of the live enrolment rows of the batch's
// persons. It comes first, in a part of its own: if the new rows then fail, the batch is
// retried, finds nothing live, and writes them again; if they went in but the batch is
// retried all the same, they are cancelled and written once more. Tombstones
// (deleted = 1) count in no figure and are never cancelled.
func cancelEnrolments(ctx context.Context, conn driver.Conn, r Rows) error {
	orgs, persons := map[string]bool{}, []any{}
	seen := map[string]bool{}
	for _, rows := range [][]snapshot.EnrolmentRow{r.Enrolments, r.DeletedEnrolments} {
		for _, e := range rows {
			orgs[e.OrgID] = true
			if !seen[e.PersonKey] {
				seen[e.PersonKey] = true
				persons = append(persons, e.PersonKey)
			}
		}
	}
	orgSet := clickhouse.GroupSet{}
	for o := range orgs {
		orgSet.Value = append(orgSet.Value, o)
	}
	// The keys travel in the statement's text, which the server limits (max_query_size,
	// 256 KiB by default): a bulk batch is cancelled in several statements.
	for lo := 0; lo < len(persons); lo += cancelPersonsPerStatement {
		chunk := clickhouse.GroupSet{Value: persons[lo:min(lo+cancelPersonsPerStatement, len(persons))]}
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(cctx, cancelEnrolmentsSQL, orgSet, chunk)
		cancel()
		if err != nil {
			return fmt.Errorf("cancel earlier enrolment rows: %w", err)
		}
	}
	return nil
}

// cancelPersonsPerStatement keeps a cancel statement well under 256 KiB with person keys
// of up to 64 characters and a few hundred organisation ids.
const cancelPersonsPerStatement = 2000

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

// EnrolmentVersionsAbove returns the persons that have an enrolment row (tombstones
// included) with a version above v, and their highest version. A rebuild that gathers
// pages' enrolment rows asks it just before writing them, so that rows a live loader
// wrote meanwhile from a later read are not joined by older ones (see
// loader.writeGathered). One scan of two columns, no list of keys in the statement.
func EnrolmentVersionsAbove(ctx context.Context, conn driver.Conn, v uint64) (map[string]uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, `SELECT person_key, max(version) FROM enrolment_outcome WHERE version > ? GROUP BY person_key`, v)
	if err != nil {
		return nil, fmt.Errorf("read enrolment versions: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var max uint64
		if err := rows.Scan(&k, &max); err != nil {
			return nil, err
		}
		out[k] = max
	}
	return out, rows.Err()
}
