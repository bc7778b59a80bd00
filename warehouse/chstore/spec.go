package chstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// The one description of each warehouse table the loader writes: every column's name,
// its ClickHouse type (as system.columns spells it) and how a row fills it. The insert
// column list (Table.insert), the column-wise batch (Table.columns) and the check of the
// live DDL against this code (CheckColumns) are all derived from it, so adding a column
// is one line here plus its migration in migrations/clickhouse. Every table ends with
// version and deleted, which the writer fills (a batch has one version; tombstones are
// deleted = 1).

// Column is one column of a table whose rows are Rs.
type Column[R any] struct {
	Name string
	Type string
	// fill returns the column's values for rows, in reuse (a slice fill returned before,
	// whose values the driver has copied) when it is large enough.
	fill func(rows []R, reuse any) any
}

// col describes a column whose Go values are Vs, read from a row by get.
func col[R, V any](name, typ string, get func(*R) V) Column[R] {
	return Column[R]{Name: name, Type: typ, fill: func(rows []R, reuse any) any {
		// One slice per column for a whole insert, sized once: growing slices was a third
		// of a rebuild's CPU, and a fresh slice per block was fresh memory to fault in.
		vals, _ := reuse.([]V)
		if cap(vals) < len(rows) {
			vals = make([]V, len(rows))
		}
		vals = vals[:len(rows)]
		for i := range rows {
			vals[i] = get(&rows[i])
		}
		return vals
	}}
}

// Table is a warehouse table whose rows are Rs.
type Table[R any] struct {
	Name    string
	Columns []Column[R] // content columns, in insert order; version and deleted follow
	// Tombstone turns a row (of which only the key fields matter) into the row that
	// marks it deleted, with the neutral values of the other columns.
	Tombstone func(R) R
}

// trailing are the columns every table ends with.
var trailing = []struct{ Name, Type string }{{"version", "UInt64"}, {"deleted", "UInt8"}}

// ColumnNames lists every column the loader writes, in insert order.
func (t Table[R]) ColumnNames() []string {
	names := make([]string, 0, len(t.Columns)+len(trailing))
	for _, c := range t.Columns {
		names = append(names, c.Name)
	}
	for _, c := range trailing {
		names = append(names, c.Name)
	}
	return names
}

// ColumnTypes maps every written column to its ClickHouse type.
func (t Table[R]) ColumnTypes() map[string]string {
	out := make(map[string]string, len(t.Columns)+len(trailing))
	for _, c := range t.Columns {
		out[c.Name] = c.Type
	}
	for _, c := range trailing {
		out[c.Name] = c.Type
	}
	return out
}

func (t Table[R]) insert() string {
	return "INSERT INTO " + t.Name + " (" + strings.Join(t.ColumnNames(), ", ") + ")"
}

// columns returns rows column by column (ClickHouse's native format), in the order of
// ColumnNames, with the batch's version and the deleted flag of them all. reuse is what
// an earlier call returned (or nil): its slices are refilled once the driver has copied
// their values.
func (t Table[R]) columns(version uint64, deleted uint8, rows []R, reuse []any) []any {
	out := reuse[:0]
	if cap(out) < len(t.Columns)+len(trailing) {
		out = make([]any, 0, len(t.Columns)+len(trailing))
	}
	prev := func(i int) any {
		if i < len(reuse) {
			return reuse[i]
		}
		return nil
	}
	for i, c := range t.Columns {
		out = append(out, c.fill(rows, prev(i)))
	}
	versions, _ := prev(len(t.Columns)).([]uint64)
	flags, _ := prev(len(t.Columns) + 1).([]uint8)
	if cap(versions) < len(rows) {
		versions, flags = make([]uint64, len(rows)), make([]uint8, len(rows))
	}
	versions, flags = versions[:len(rows)], flags[:len(rows)]
	for i := range rows {
		versions[i], flags[i] = version, deleted
	}
	return append(out, versions, flags)
}

type (
	monthRow     = snapshot.MonthRow
	enrolmentRow = snapshot.EnrolmentRow
)

// Months is participant_month: one row per person and calendar month.
var Months = Table[monthRow]{
	Name: "participant_month",
	Columns: []Column[monthRow]{
		col("org_id", "String", func(r *monthRow) string { return r.OrgID }),
		col("person_key", "String", func(r *monthRow) string { return r.PersonKey }),
		col("month", "Date", func(r *monthRow) time.Time { return r.Month }),
		col("gender", "String", func(r *monthRow) string { return r.Gender }),
		col("birth_year", "UInt16", func(r *monthRow) uint16 { return r.BirthYear }),
		col("status", "String", func(r *monthRow) string { return r.Status }),
		col("in_measure", "UInt8", func(r *monthRow) uint8 { return r.InMeasure }),
		col("measure_code", "String", func(r *monthRow) string { return r.MeasureCode }),
		col("social_assistance", "Int8", func(r *monthRow) int8 { return r.SocialAssistance }),
		col("source", "String", func(r *monthRow) string { return r.Source }),
	},
	Tombstone: func(r monthRow) monthRow {
		return monthRow{OrgID: r.OrgID, PersonKey: r.PersonKey, Month: r.Month, SocialAssistance: -1}
	},
}

// Enrolments is enrolment_outcome: one row per enrolment with its outcomes and facts.
var Enrolments = Table[enrolmentRow]{
	Name: "enrolment_outcome",
	Columns: []Column[enrolmentRow]{
		col("org_id", "String", func(r *enrolmentRow) string { return r.OrgID }),
		col("enrolment_key", "String", func(r *enrolmentRow) string { return r.EnrolmentKey }),
		col("person_key", "String", func(r *enrolmentRow) string { return r.PersonKey }),
		col("gender", "String", func(r *enrolmentRow) string { return r.Gender }),
		col("birth_year", "UInt16", func(r *enrolmentRow) uint16 { return r.BirthYear }),
		col("measure_code", "String", func(r *enrolmentRow) string { return r.MeasureCode }),
		col("start_date", "Date", func(r *enrolmentRow) time.Time { return r.Start }),
		col("exited", "UInt8", func(r *enrolmentRow) uint8 { return r.Exited }),
		col("exit_date", "Date", func(r *enrolmentRow) time.Time { return r.ExitDate }),
		col("exit_reason", "String", func(r *enrolmentRow) string { return r.ExitReason }),
		col("status_3", "String", func(r *enrolmentRow) string { return r.Status[0] }),
		col("status_6", "String", func(r *enrolmentRow) string { return r.Status[1] }),
		col("status_12", "String", func(r *enrolmentRow) string { return r.Status[2] }),
		col("status_24", "String", func(r *enrolmentRow) string { return r.Status[3] }),
		col("sa_3", "Int8", func(r *enrolmentRow) int8 { return r.SA[0] }),
		col("sa_6", "Int8", func(r *enrolmentRow) int8 { return r.SA[1] }),
		col("sa_12", "Int8", func(r *enrolmentRow) int8 { return r.SA[2] }),
		col("sa_24", "Int8", func(r *enrolmentRow) int8 { return r.SA[3] }),
		col("org_code", "String", func(r *enrolmentRow) string { return r.Facts.OrgCode }),
		col("age_at_start", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.AgeAtStart }),
		col("age_band", "String", func(r *enrolmentRow) string { return r.Facts.AgeBand }),
		col("measure_category", "String", func(r *enrolmentRow) string { return r.Facts.Category }),
		col("municipal_employment", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.MunicipalEmployment }),
		col("project", "String", func(r *enrolmentRow) string { return r.Facts.Project }),
		col("unit", "String", func(r *enrolmentRow) string { return r.Facts.Unit }),
		col("newly_arrived", "Int8", func(r *enrolmentRow) int8 { return r.Facts.NewlyArrived }),
		col("birth_region", "String", func(r *enrolmentRow) string { return r.Facts.BirthRegion }),
		col("education_level", "String", func(r *enrolmentRow) string { return r.Facts.EducationLevel }),
		col("distance_category", "String", func(r *enrolmentRow) string { return r.Facts.DistanceCategory }),
		col("referral_source", "String", func(r *enrolmentRow) string { return r.Facts.ReferralSource }),
		col("status_after", "Array(UInt8)", func(r *enrolmentRow) []uint8 { return statusCodes(r.Facts.StatusAfter) }),
		col("sa_after", "Array(Int8)", func(r *enrolmentRow) []int8 {
			if r.Facts.SAAfter == nil {
				return []int8{}
			}
			return r.Facts.SAAfter
		}),
		col("job_months_from_start", "Int16", func(r *enrolmentRow) int16 { return r.Facts.JobMonthsFromStart }),
		col("job_event_from_start", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.JobEventFromStart }),
		col("job_months_from_exit", "Int16", func(r *enrolmentRow) int16 { return r.Facts.JobMonthsFromExit }),
		col("job_event_from_exit", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.JobEventFromExit }),
		col("returned_sa_12", "Int8", func(r *enrolmentRow) int8 { return r.Facts.ReturnedSA12 }),
		col("reentry_12", "Int8", func(r *enrolmentRow) int8 { return r.Facts.Reentry12 }),
		col("entry_number", "UInt16", func(r *enrolmentRow) uint16 { return r.Facts.EntryNumber }),
		col("kolada_work_or_studies", "Int8", func(r *enrolmentRow) int8 { return r.Facts.Kolada }),
		col("sus_before", "String", func(r *enrolmentRow) string { return r.Facts.SUSBefore }),
		col("sus_after", "String", func(r *enrolmentRow) string { return r.Facts.SUSAfter }),
		col("wioa_exit", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.WIOAExit }),
		col("wioa_exit_date", "Date", func(r *enrolmentRow) time.Time {
			if r.Facts.WIOAExitDate.IsZero() {
				return snapshot.Epoch
			}
			return r.Facts.WIOAExitDate
		}),
		col("wioa_q2", "Int8", func(r *enrolmentRow) int8 { return r.Facts.WIOAQ2 }),
		col("wioa_q4", "Int8", func(r *enrolmentRow) int8 { return r.Facts.WIOAQ4 }),
		col("esf_last_spell", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.ESFLastSpell }),
		col("esf_entry_age_band", "String", func(r *enrolmentRow) string { return r.Facts.ESFEntryAgeBand }),
		col("esf_immediate", "String", func(r *enrolmentRow) string { return r.Facts.ESFImmediate }),
		col("esf_six_month", "String", func(r *enrolmentRow) string { return r.Facts.ESFSixMonth }),
		col("esf_complete", "UInt8", func(r *enrolmentRow) uint8 { return r.Facts.ESFComplete }),
	},
	Tombstone: func(r enrolmentRow) enrolmentRow {
		return enrolmentRow{OrgID: r.OrgID, EnrolmentKey: r.EnrolmentKey, PersonKey: r.PersonKey,
			Start: snapshot.Epoch, ExitDate: snapshot.Epoch, SA: [4]int8{-1, -1, -1, -1}, Facts: snapshot.EmptyFacts()}
	},
}

func statusCodes(statuses []string) []uint8 {
	codes := make([]uint8, len(statuses))
	for i, st := range statuses {
		codes[i] = snapshot.StatusCode(st)
	}
	return codes
}

// ColumnMismatch says that the warehouse's DDL and this binary's column spec disagree.
type ColumnMismatch struct {
	Table, Column string
	Want, Have    string // Have is "" when the column is missing
}

func (e *ColumnMismatch) Error() string {
	if e.Have == "" {
		return fmt.Sprintf("warehouse table %s has no column %s (%s) that this loader writes: a migration is missing", e.Table, e.Column, e.Want)
	}
	return fmt.Sprintf("warehouse column %s.%s is %s, this loader writes %s: the migrations and chstore's column spec disagree", e.Table, e.Column, e.Have, e.Want)
}

// CheckColumns compares the live tables with the column spec: every column the loader
// writes must exist with the spec's type. Columns the loader does not write may exist
// (ClickHouse fills their defaults).
func CheckColumns(ctx context.Context, conn driver.Conn) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, `SELECT table, name, type FROM system.columns
		WHERE database = currentDatabase() AND table IN (?, ?)`, Months.Name, Enrolments.Name)
	if err != nil {
		return fmt.Errorf("read warehouse columns: %w", err)
	}
	defer rows.Close()
	have := map[string]map[string]string{}
	for rows.Next() {
		var table, name, typ string
		if err := rows.Scan(&table, &name, &typ); err != nil {
			return fmt.Errorf("read warehouse columns: %w", err)
		}
		if have[table] == nil {
			have[table] = map[string]string{}
		}
		have[table][name] = typ
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read warehouse columns: %w", err)
	}
	for _, t := range []struct {
		name  string
		names []string
		types map[string]string
	}{{Months.Name, Months.ColumnNames(), Months.ColumnTypes()}, {Enrolments.Name, Enrolments.ColumnNames(), Enrolments.ColumnTypes()}} {
		for _, c := range t.names {
			if got := have[t.name][c]; got != t.types[c] {
				return &ColumnMismatch{Table: t.name, Column: c, Want: t.types[c], Have: got}
			}
		}
	}
	return nil
}
