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
// key, enrolment_outcome readers sum the rows' sign.
func Write(ctx context.Context, conn driver.Conn, r Rows) error {
	if len(r.Months)+len(r.DeletedMonths) > 0 {
		if err := writeMonths(ctx, conn, r); err != nil {
			return err
		}
	}
	if len(r.Enrolments)+len(r.DeletedEnrolments) > 0 {
		if !r.Fresh {
			if err := cancelEnrolments(ctx, conn, r); err != nil {
				return err
			}
		}
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
	c := newColumns(n)
	for _, e := range r.Enrolments {
		c.add(e, r.Version, 0)
	}
	for _, e := range r.DeletedEnrolments {
		c.add(snapshot.EnrolmentRow{OrgID: e.OrgID, EnrolmentKey: e.EnrolmentKey, PersonKey: e.PersonKey,
			Start: snapshot.Epoch, ExitDate: snapshot.Epoch, SA: [4]int8{-1, -1, -1, -1}, Facts: snapshot.EmptyFacts()}, r.Version, 1)
	}
	return sendColumns(ctx, conn, `INSERT INTO enrolment_outcome (`+enrolmentColumnList+`)`, c.all()...)
}

// cancelEnrolmentsSQL copies every live row (sum of sign > 0) of the given persons
// back into enrolment_outcome with sign -1: enrolment_outcome is a CollapsingMergeTree
// (ClickHouse migration 0011), and a cancel row withdraws the row it copies from every
// sum(sign * x), before and after merges. Rows are grouped by their whole content, so a
// row written twice is cancelled twice. It runs in the server (INSERT … SELECT): the
// rows never travel to the loader and back.
var cancelEnrolmentsSQL = `INSERT INTO enrolment_outcome (` + enrolmentColumnList + `, sign)
	SELECT ` + enrolmentColumnList + `, toInt8(-1) FROM (
		SELECT ` + enrolmentColumnList + `, sum(sign) AS x_live FROM enrolment_outcome
		WHERE org_id IN ? AND person_key IN ? AND deleted = 0
		GROUP BY ` + enrolmentColumnList + ` HAVING x_live > 0
	) ARRAY JOIN range(toUInt64(x_live)) AS x_copy`

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

// enrolmentColumnList names every enrolment_outcome column, in the order
// enrolmentColumns.all returns them.
const enrolmentColumnList = `org_id, enrolment_key, person_key, gender, birth_year, measure_code, start_date, exited,
	exit_date, exit_reason, status_3, status_6, status_12, status_24, sa_3, sa_6, sa_12, sa_24, version, deleted,
	org_code, age_at_start, age_band, measure_category, municipal_employment, project, unit, newly_arrived,
	birth_region, education_level, distance_category, referral_source, status_after, sa_after,
	job_months_from_start, job_event_from_start, job_months_from_exit, job_event_from_exit, returned_sa_12,
	reentry_12, entry_number, kolada_work_or_studies, sus_before, sus_after, wioa_exit, wioa_exit_date, wioa_q2,
	wioa_q4, esf_last_spell, esf_entry_age_band, esf_immediate, esf_six_month, esf_complete`

// enrolmentColumns holds a batch column by column (ClickHouse's native format).
type enrolmentColumns struct {
	org, ekey, pkey, gender, measure, reason                                    []string
	orgCode, ageBand, category, project, unit, region, education, distance, ref []string
	susBefore, susAfter, esfAgeBand, esfImmediate, esfSix                       []string
	birth, entryNumber                                                          []uint16
	start, exit, wioaDate                                                       []time.Time
	exited, deleted, ageAtStart, municipal, jobEventStart, jobEventExit         []uint8
	wioaExit, esfLast, esfComplete                                              []uint8
	newly, returnedSA, reentry, kolada, wioaQ2, wioaQ4                          []int8
	jobStart, jobExit                                                           []int16
	st                                                                          [4][]string
	sa                                                                          [4][]int8
	statusAfter                                                                 [][]uint8
	saAfter                                                                     [][]int8
	version                                                                     []uint64
}

func newColumns(n int) *enrolmentColumns {
	c := &enrolmentColumns{}
	for _, p := range []*[]string{&c.org, &c.ekey, &c.pkey, &c.gender, &c.measure, &c.reason, &c.orgCode, &c.ageBand,
		&c.category, &c.project, &c.unit, &c.region, &c.education, &c.distance, &c.ref, &c.susBefore, &c.susAfter,
		&c.esfAgeBand, &c.esfImmediate, &c.esfSix, &c.st[0], &c.st[1], &c.st[2], &c.st[3]} {
		*p = make([]string, 0, n)
	}
	return c
}

func (c *enrolmentColumns) add(e snapshot.EnrolmentRow, version uint64, deleted uint8) {
	f := e.Facts
	c.org, c.ekey, c.pkey, c.gender, c.measure = append(c.org, e.OrgID), append(c.ekey, e.EnrolmentKey), append(c.pkey, e.PersonKey), append(c.gender, e.Gender), append(c.measure, e.MeasureCode)
	c.birth, c.start, c.exited, c.exit, c.reason = append(c.birth, e.BirthYear), append(c.start, e.Start), append(c.exited, e.Exited), append(c.exit, e.ExitDate), append(c.reason, e.ExitReason)
	for i := range c.st {
		c.st[i], c.sa[i] = append(c.st[i], e.Status[i]), append(c.sa[i], e.SA[i])
	}
	c.version, c.deleted = append(c.version, version), append(c.deleted, deleted)
	c.orgCode, c.ageAtStart, c.ageBand, c.category = append(c.orgCode, f.OrgCode), append(c.ageAtStart, f.AgeAtStart), append(c.ageBand, f.AgeBand), append(c.category, f.Category)
	c.municipal, c.project, c.unit, c.newly = append(c.municipal, f.MunicipalEmployment), append(c.project, f.Project), append(c.unit, f.Unit), append(c.newly, f.NewlyArrived)
	c.region, c.education, c.distance, c.ref = append(c.region, f.BirthRegion), append(c.education, f.EducationLevel), append(c.distance, f.DistanceCategory), append(c.ref, f.ReferralSource)
	statusAfter, saAfter := make([]uint8, len(f.StatusAfter)), f.SAAfter
	for i, st := range f.StatusAfter {
		statusAfter[i] = snapshot.StatusCode(st)
	}
	if saAfter == nil {
		saAfter = []int8{}
	}
	c.statusAfter, c.saAfter = append(c.statusAfter, statusAfter), append(c.saAfter, saAfter)
	c.jobStart, c.jobEventStart, c.jobExit, c.jobEventExit = append(c.jobStart, f.JobMonthsFromStart), append(c.jobEventStart, f.JobEventFromStart), append(c.jobExit, f.JobMonthsFromExit), append(c.jobEventExit, f.JobEventFromExit)
	c.returnedSA, c.reentry, c.entryNumber, c.kolada = append(c.returnedSA, f.ReturnedSA12), append(c.reentry, f.Reentry12), append(c.entryNumber, f.EntryNumber), append(c.kolada, f.Kolada)
	c.susBefore, c.susAfter = append(c.susBefore, f.SUSBefore), append(c.susAfter, f.SUSAfter)
	wioaDate := f.WIOAExitDate
	if wioaDate.IsZero() {
		wioaDate = snapshot.Epoch
	}
	c.wioaExit, c.wioaDate, c.wioaQ2, c.wioaQ4 = append(c.wioaExit, f.WIOAExit), append(c.wioaDate, wioaDate), append(c.wioaQ2, f.WIOAQ2), append(c.wioaQ4, f.WIOAQ4)
	c.esfLast, c.esfAgeBand, c.esfImmediate, c.esfSix, c.esfComplete = append(c.esfLast, f.ESFLastSpell), append(c.esfAgeBand, f.ESFEntryAgeBand), append(c.esfImmediate, f.ESFImmediate), append(c.esfSix, f.ESFSixMonth), append(c.esfComplete, f.ESFComplete)
}

func (c *enrolmentColumns) all() []any {
	return []any{c.org, c.ekey, c.pkey, c.gender, c.birth, c.measure, c.start, c.exited, c.exit, c.reason,
		c.st[0], c.st[1], c.st[2], c.st[3], c.sa[0], c.sa[1], c.sa[2], c.sa[3], c.version, c.deleted,
		c.orgCode, c.ageAtStart, c.ageBand, c.category, c.municipal, c.project, c.unit, c.newly,
		c.region, c.education, c.distance, c.ref, c.statusAfter, c.saAfter,
		c.jobStart, c.jobEventStart, c.jobExit, c.jobEventExit, c.returnedSA,
		c.reentry, c.entryNumber, c.kolada, c.susBefore, c.susAfter, c.wioaExit, c.wioaDate, c.wioaQ2,
		c.wioaQ4, c.esfLast, c.esfAgeBand, c.esfImmediate, c.esfSix, c.esfComplete}
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
// and while it runs the tombstones are what keeps participant_month's readers from
// seeing the rows again. A tombstone holds only keys and a version. In enrolment_outcome
// the batch before it has already cancelled the persons' rows (their sum is zero); the
// mutation removes the rows and their cancel rows, and while it runs (part by part) a
// figure can count an erased person's enrolments, or minus them, until it completes.
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
