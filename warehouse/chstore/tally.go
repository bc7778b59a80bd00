package chstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/cityhash102"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// TallyKey names one reconciled count.
type TallyKey struct {
	OrgID   string
	Month   string
	Measure string
}

// The counts reconcile compares. Each is computed the same way from rows built in Go
// (TallyMonth, TallyEnrolment) and from ClickHouse (Tallies).
const (
	personMonths      = "person_months"
	monthsInMeasure   = "months_in_measure"
	monthsKnown       = "months_status_known"
	monthsOnAssist    = "months_social_assistance"
	enrolments        = "enrolments"
	enrolmentsKnown6  = "enrolments_known_at_6"
	enrolmentsKnown12 = "enrolments_known_at_12"
	// Content: the wrapping sum of a hash of every live row's content, so a row whose
	// values differ (not only a missing or extra row) shows up.
	monthsChecksum     = "person_months_checksum"
	enrolmentsChecksum = "enrolments_checksum"
)

// IsChecksum reports whether a measure is a content checksum (shown in hex).
func IsChecksum(measure string) bool {
	return measure == monthsChecksum || measure == enrolmentsChecksum
}

// The content of a row as one string, built alike here and in ClickHouse (monthContentSQL,
// enrolmentContentSQL): every value in its ClickHouse text form, joined by '|'. Dates go
// as day numbers: 18.16 prints the zero date as 0000-00-00, newer servers as 1970-01-01.
func monthContent(m snapshot.MonthRow) string {
	return strings.Join([]string{m.PersonKey, dayNumber(m.Month), m.Gender, strconv.Itoa(int(m.BirthYear)), m.Status,
		strconv.Itoa(int(m.InMeasure)), m.MeasureCode, strconv.Itoa(int(m.SocialAssistance)), m.Source}, "|")
}

const monthContentSQL = `concat(person_key, '|', toString(toUInt16(month)), '|', gender, '|', toString(birth_year), '|', status, '|',
	toString(in_measure), '|', measure_code, '|', toString(social_assistance), '|', source)`

func enrolmentContent(e snapshot.EnrolmentRow) string {
	parts := []string{e.EnrolmentKey, e.PersonKey, e.Gender, strconv.Itoa(int(e.BirthYear)), e.MeasureCode,
		dayNumber(e.Start), strconv.Itoa(int(e.Exited)), dayNumber(e.ExitDate), e.ExitReason}
	parts = append(parts, e.Status[:]...)
	for _, sa := range e.SA {
		parts = append(parts, strconv.Itoa(int(sa)))
	}
	codes := make([]string, len(e.Facts.StatusAfter))
	for i, st := range e.Facts.StatusAfter {
		codes[i] = strconv.Itoa(int(snapshot.StatusCode(st)))
	}
	sas := make([]string, len(e.Facts.SAAfter))
	for i, sa := range e.Facts.SAAfter {
		sas[i] = strconv.Itoa(int(sa))
	}
	parts = append(parts, strings.Join(codes, ","), strings.Join(sas, ","), e.Facts.OrgCode, e.Facts.Category,
		e.Facts.Project, e.Facts.Unit, strconv.Itoa(int(e.Facts.Kolada)), strconv.Itoa(int(e.Facts.Reentry12)))
	return strings.Join(parts, "|")
}

const enrolmentContentSQL = `concat(enrolment_key, '|', person_key, '|', gender, '|', toString(birth_year), '|', measure_code, '|',
	toString(toUInt16(start_date)), '|', toString(exited), '|', toString(toUInt16(exit_date)), '|', exit_reason, '|',
	status_3, '|', status_6, '|', status_12, '|', status_24, '|',
	toString(sa_3), '|', toString(sa_6), '|', toString(sa_12), '|', toString(sa_24), '|',
	arrayStringConcat(arrayMap(x -> toString(x), status_after), ','), '|', arrayStringConcat(arrayMap(x -> toString(x), sa_after), ','), '|',
	org_code, '|', measure_category, '|', project, '|', unit, '|', toString(kolada_work_or_studies), '|', toString(reentry_12))`

// dayNumber is a date as ClickHouse's toUInt16(Date): days since 1970-01-01.
func dayNumber(t time.Time) string {
	return strconv.FormatInt(int64(t.Sub(snapshot.Epoch).Hours()/24), 10)
}

func contentHash(s string) int64 {
	b := []byte(s)
	return int64(cityhash102.CityHash64(b, uint32(len(b)))) // the bits of ClickHouse's UInt64; sums wrap alike
}

func monthText(t time.Time) string { return t.Format("2006-01") }

func exitMonth(exited uint8, exit time.Time) string {
	if exited == 0 {
		return "open"
	}
	return monthText(exit)
}

// TallyMonth adds one participant_month row to t.
func TallyMonth(t map[TallyKey]int64, m snapshot.MonthRow) {
	k := TallyKey{OrgID: m.OrgID, Month: monthText(m.Month)}
	add(t, k, personMonths, 1)
	add(t, k, monthsInMeasure, int64(m.InMeasure))
	if m.Status != "unknown" {
		add(t, k, monthsKnown, 1)
	}
	if m.SocialAssistance == 1 {
		add(t, k, monthsOnAssist, 1)
	}
	add(t, k, monthsChecksum, contentHash(monthContent(m)))
}

// TallyEnrolment adds one enrolment_outcome row to t.
func TallyEnrolment(t map[TallyKey]int64, e snapshot.EnrolmentRow) {
	k := TallyKey{OrgID: e.OrgID, Month: exitMonth(e.Exited, e.ExitDate)}
	add(t, k, enrolments, 1)
	if e.Status[1] != "unknown" {
		add(t, k, enrolmentsKnown6, 1)
	}
	if e.Status[2] != "unknown" {
		add(t, k, enrolmentsKnown12, 1)
	}
	add(t, k, enrolmentsChecksum, contentHash(enrolmentContent(e)))
}

func add(t map[TallyKey]int64, k TallyKey, measure string, n int64) {
	if n == 0 {
		return
	}
	k.Measure = measure
	t[k] += n // checksums wrap, as ClickHouse's UInt64 sum does
	if t[k] == 0 {
		delete(t, k)
	}
}

// Tallies reads the same counts from the live (deduplicated, not deleted) rows.
func Tallies(ctx context.Context, conn driver.Conn, orgID string) (map[TallyKey]int64, error) {
	out := map[TallyKey]int64{}
	cctx, cancel := context.WithTimeout(ctx, 5*CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, `
		SELECT org_id, month, count(), sum(im), countIf(st != 'unknown'), countIf(sa = 1), sum(cityHash64(c))
		FROM (
		  SELECT org_id, person_key, month, argMax(in_measure, version) AS im, argMax(status, version) AS st,
		         argMax(social_assistance, version) AS sa, argMax(deleted, version) AS d,
		         argMax(`+monthContentSQL+`, version) AS c
		  FROM participant_month WHERE ? = '' OR org_id = ?
		  GROUP BY org_id, person_key, month
		) WHERE d = 0 GROUP BY org_id, month`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("tally participant_month: %w", err)
	}
	for rows.Next() {
		var org string
		var month time.Time
		var n, im, known, sa, sum uint64
		if err := rows.Scan(&org, &month, &n, &im, &known, &sa, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		k := TallyKey{OrgID: org, Month: monthText(month)}
		add(out, k, personMonths, int64(n))
		add(out, k, monthsInMeasure, int64(im))
		add(out, k, monthsKnown, int64(known))
		add(out, k, monthsOnAssist, int64(sa))
		add(out, k, monthsChecksum, int64(sum))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = conn.Query(cctx, `
		SELECT org_id, ex, xd, count(), countIf(s6 != 'unknown'), countIf(s12 != 'unknown'), sum(cityHash64(c))
		FROM (
		  SELECT org_id, enrolment_key, argMax(exited, version) AS ex, argMax(exit_date, version) AS xd,
		         argMax(status_6, version) AS s6, argMax(status_12, version) AS s12, argMax(deleted, version) AS d,
		         argMax(`+enrolmentContentSQL+`, version) AS c
		  FROM enrolment_outcome WHERE ? = '' OR org_id = ?
		  GROUP BY org_id, enrolment_key
		) WHERE d = 0 GROUP BY org_id, ex, xd`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("tally enrolment_outcome: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var exited uint8
		var exit time.Time
		var n, k6, k12, sum uint64
		if err := rows.Scan(&org, &exited, &exit, &n, &k6, &k12, &sum); err != nil {
			return nil, err
		}
		k := TallyKey{OrgID: org, Month: exitMonth(exited, exit)}
		add(out, k, enrolments, int64(n))
		add(out, k, enrolmentsKnown6, int64(k6))
		add(out, k, enrolmentsKnown12, int64(k12))
		add(out, k, enrolmentsChecksum, int64(sum))
	}
	return out, rows.Err()
}
