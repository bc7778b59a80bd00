package chstore

import (
	"context"
	"fmt"
	"time"

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
)

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
}

func add(t map[TallyKey]int64, k TallyKey, measure string, n int64) {
	if n == 0 {
		return
	}
	k.Measure = measure
	t[k] += n
}

// Tallies reads the same counts from the live (deduplicated, not deleted) rows.
func Tallies(ctx context.Context, conn driver.Conn, orgID string) (map[TallyKey]int64, error) {
	out := map[TallyKey]int64{}
	cctx, cancel := context.WithTimeout(ctx, 5*CallTimeout)
	defer cancel()
	rows, err := conn.Query(cctx, `
		SELECT org_id, month, count(), sum(im), countIf(st != 'unknown'), countIf(sa = 1)
		FROM (
		  SELECT org_id, person_key, month, argMax(in_measure, version) AS im, argMax(status, version) AS st,
		         argMax(social_assistance, version) AS sa, argMax(deleted, version) AS d
		  FROM participant_month WHERE ? = '' OR org_id = ?
		  GROUP BY org_id, person_key, month
		) WHERE d = 0 GROUP BY org_id, month`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("tally participant_month: %w", err)
	}
	for rows.Next() {
		var org string
		var month time.Time
		var n, im, known, sa uint64
		if err := rows.Scan(&org, &month, &n, &im, &known, &sa); err != nil {
			rows.Close()
			return nil, err
		}
		k := TallyKey{OrgID: org, Month: monthText(month)}
		add(out, k, personMonths, int64(n))
		add(out, k, monthsInMeasure, int64(im))
		add(out, k, monthsKnown, int64(known))
		add(out, k, monthsOnAssist, int64(sa))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = conn.Query(cctx, `
		SELECT org_id, exited, exit_date, count(), countIf(s6 != 'unknown'), countIf(s12 != 'unknown')
		FROM (
		  SELECT org_id, enrolment_key, argMax(exited, version) AS exited, argMax(exit_date, version) AS exit_date,
		         argMax(status_6, version) AS s6, argMax(status_12, version) AS s12, argMax(deleted, version) AS d
		  FROM enrolment_outcome WHERE ? = '' OR org_id = ?
		  GROUP BY org_id, enrolment_key
		) WHERE d = 0 GROUP BY org_id, exited, exit_date`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("tally enrolment_outcome: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var exited uint8
		var exit time.Time
		var n, k6, k12 uint64
		if err := rows.Scan(&org, &exited, &exit, &n, &k6, &k12); err != nil {
			return nil, err
		}
		k := TallyKey{OrgID: org, Month: exitMonth(exited, exit)}
		add(out, k, enrolments, int64(n))
		add(out, k, enrolmentsKnown6, int64(k6))
		add(out, k, enrolmentsKnown12, int64(k12))
	}
	return out, rows.Err()
}
