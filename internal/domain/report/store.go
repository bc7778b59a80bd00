package report

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// genders are the three gender columns of every table: women, men, and other or not
// stated (kept as a column of its own so that the total is the sum of what is shown).
const (
	gWomen = iota
	gMen
	gOther
)

// byGender is a count split into the three gender columns.
type byGender [3]int

func (g byGender) total() int { return g[0] + g[1] + g[2] }

func genderIndex(code string) int {
	switch code {
	case "woman":
		return gWomen
	case "man":
		return gMen
	}
	return gOther
}

// FlowsVersion names the flow rules below (steering-flows/1): a decision counts on the
// enrolment's decision date, a start on its start date, an exit on its actual end date,
// a referral on its referral date; a labour-market employment started is a start in a
// measure the catalogue marks as the municipality's own employment
// (arbetsmarknadsanställning); an enrolment is ongoing at a month end when it started on
// or before that day and had not ended by it. Each counts enrolments (or referrals), not
// people, so that months add up to the year and measures to the total.
const FlowsVersion = "steering-flows/1"

// flow is one counted event of an enrolment or a referral.
type flow string

const (
	flowReferrals  flow = "referrals"
	flowDecisions  flow = "decisions"
	flowStarts     flow = "starts"
	flowExits      flow = "exits"
	flowAMAStarted flow = "ama_started"
)

// scopedSQL are the organisations' enrolments (with their measure's employment flag)
// and participants' genders, each read once: row-level security is evaluated once per
// row here, and the joins below are plain hash joins over the materialised rows.
const scopedSQL = `WITH e AS MATERIALIZED (
		SELECT e.participant_id, e.decision_date, e.start_date, e.end_date, e.exit_reason, mt.municipal_employment
		FROM enrolment e JOIN measure_type mt ON mt.id = e.measure_type_id WHERE e.organisation_id = ANY($1::uuid[])),
	p AS MATERIALIZED (SELECT id, gender FROM participant WHERE organisation_id = ANY($1::uuid[])) `

// enrolmentFlowsSQL counts the enrolment flows of organisations $1 between dates $2
// and $3 by flow, month and gender in one scan: each enrolment gives one date per flow
// (the VALUES list is where the flows' dates are defined), NULL when it has none.
const enrolmentFlowsSQL = scopedSQL + `SELECT f, to_char(m, 'YYYY-MM'), gender, n FROM (
	SELECT v.f, date_trunc('month', v.d) AS m, p.gender, count(*)::int AS n
	FROM e JOIN p ON p.id = e.participant_id
	CROSS JOIN LATERAL (VALUES ('decisions', e.decision_date), ('starts', e.start_date), ('exits', e.end_date),
		('ama_started', CASE WHEN e.municipal_employment THEN e.start_date END)) AS v(f, d)
	WHERE v.d BETWEEN $2 AND $3 GROUP BY 1, 2, 3) x`

// referralFlowSQL counts referrals by their date, month and gender.
const referralFlowSQL = `SELECT 'referrals', to_char(r.referral_date, 'YYYY-MM'), p.gender, count(*)::int
	FROM referral r JOIN participant p ON p.id = r.participant_id
	WHERE r.organisation_id = ANY($1::uuid[]) AND r.referral_date BETWEEN $2 AND $3 GROUP BY 1, 2, 3`

// ongoingAt is the rule "ongoing at the day $d" on enrolment e.
func ongoingAt(d string) string {
	return `e.start_date <= ` + d + ` AND (e.end_date IS NULL OR e.end_date > ` + d + `)`
}

// store reads the report's aggregates from PostgreSQL. Every statement groups and
// counts; none returns a row about a person.
type store struct{ pool *pgxpool.Pool }

// aggregateContext lets the report's counting statements see every organisation's
// rows through row-level security: the caller was checked for the organisations
// (CanReadAggregates) before, and the statements only return counts of those.
func aggregateContext(ctx context.Context) context.Context {
	p, _ := auth.From(ctx)
	return auth.With(ctx, auth.Principal{Subject: p.Subject, System: true})
}

// flows counts every flow by month ("2006-01") and gender between from and to (dates).
func (s store) flows(ctx context.Context, orgIDs []string, from, to time.Time) (map[flow]map[string]byGender, error) {
	out := map[flow]map[string]byGender{}
	for _, q := range []string{enrolmentFlowsSQL, referralFlowSQL} {
		var f, month, gender string
		var n int
		if err := s.each(ctx, q, []any{db.ValidUUIDs(orgIDs), from, to}, []any{&f, &month, &gender, &n}, func() error {
			m := out[flow(f)]
			if m == nil {
				m = map[string]byGender{}
				out[flow(f)] = m
			}
			g := m[month]
			g[genderIndex(gender)] += n
			m[month] = g
			return nil
		}); err != nil {
			return nil, fmt.Errorf("count flows: %w", err)
		}
	}
	return out, nil
}

// ongoing counts enrolments ongoing at each month end of months, by gender.
func (s store) ongoing(ctx context.Context, orgIDs []string, monthEnds []time.Time) (map[string]byGender, error) {
	out := map[string]byGender{}
	var month, gender string
	var n int
	if err := s.each(ctx, scopedSQL+`SELECT to_char(d.day, 'YYYY-MM'), p.gender, count(*)::int
		FROM unnest($2::date[]) AS d(day)
		JOIN e ON `+ongoingAt("d.day")+`
		JOIN p ON p.id = e.participant_id GROUP BY 1, 2`, []any{db.ValidUUIDs(orgIDs), monthEnds}, []any{&month, &gender, &n}, func() error {
		g := out[month]
		g[genderIndex(gender)] += n
		out[month] = g
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count ongoing: %w", err)
	}
	return out, nil
}

// groupRow is one measure or unit with its counts for the year to date.
type groupRow struct {
	Key, Label                        string
	Decisions, Starts, Exits, Ongoing int
}

// groupSQL: per grouping, the enrolments of organisations $1 with their group (the
// measure's catalogue code and Swedish name, or the unit's name, ” for none) and dates.
var groupSQL = map[string]string{
	"measure": `SELECT mt.code AS k, mt.swedish_name AS l, e.decision_date AS dd, e.start_date AS sd, e.end_date AS ed
		FROM enrolment e JOIN measure_type mt ON mt.id = e.measure_type_id WHERE e.organisation_id = ANY($1::uuid[])`,
	"organisation": `SELECT o.code AS k, o.name AS l, e.decision_date AS dd, e.start_date AS sd, e.end_date AS ed
		FROM enrolment e JOIN organisation o ON o.id = e.organisation_id WHERE e.organisation_id = ANY($1::uuid[])`,
	"unit": `SELECT coalesce(u.name, '') AS k, coalesce(u.name, '') AS l, e.decision_date AS dd, e.start_date AS sd,
		e.end_date AS ed FROM enrolment e LEFT JOIN unit u ON u.id = e.unit_id WHERE e.organisation_id = ANY($1::uuid[])`,
}

// byGroup counts decisions, starts and exits in [from, to] and enrolments ongoing on to
// (the rules of FlowsVersion) by measure or by unit; groups with nothing to count are
// left out. A regional report merges same-coded measures and same-named units.
func (s store) byGroup(ctx context.Context, group string, orgIDs []string, from, to time.Time) ([]groupRow, error) {
	rows, err := s.pool.Query(aggregateContext(ctx), `SELECT k, min(l),
			count(*) FILTER (WHERE dd BETWEEN $2 AND $3)::int,
			count(*) FILTER (WHERE sd BETWEEN $2 AND $3)::int,
			count(*) FILTER (WHERE ed BETWEEN $2 AND $3)::int,
			count(*) FILTER (WHERE sd <= $3 AND (ed IS NULL OR ed > $3))::int
		FROM (`+groupSQL[group]+`) y GROUP BY k
		HAVING count(*) FILTER (WHERE dd BETWEEN $2 AND $3 OR sd BETWEEN $2 AND $3 OR ed BETWEEN $2 AND $3
			OR (sd <= $3 AND (ed IS NULL OR ed > $3))) > 0
		ORDER BY k`, db.ValidUUIDs(orgIDs), from, to)
	if err != nil {
		return nil, fmt.Errorf("count by %s: %w", group, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (groupRow, error) {
		var g groupRow
		err := r.Scan(&g.Key, &g.Label, &g.Decisions, &g.Starts, &g.Exits, &g.Ongoing)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("count by %s: %w", group, err)
	}
	return out, nil
}

// exitReasons counts exits in [from, to] by exit reason and gender.
func (s store) exitReasons(ctx context.Context, orgIDs []string, from, to time.Time) (map[string]byGender, error) {
	out := map[string]byGender{}
	var reason, gender string
	var n int
	if err := s.each(ctx, scopedSQL+`SELECT e.exit_reason, p.gender, count(*)::int
		FROM e JOIN p ON p.id = e.participant_id WHERE e.end_date BETWEEN $2 AND $3 GROUP BY 1, 2`,
		[]any{db.ValidUUIDs(orgIDs), from, to}, []any{&reason, &gender, &n}, func() error {
			g := out[reason]
			g[genderIndex(gender)] += n
			out[reason] = g
			return nil
		}); err != nil {
		return nil, fmt.Errorf("count exit reasons: %w", err)
	}
	return out, nil
}

// each runs one counting statement in a transaction with nested loops off:
// row-level security makes the planner expect a handful of rows where there are
// thousands, and the nested loops it then picks over 100,000 enrolments take seconds
// where hash joins take a fraction. The statements only scan, group and count.
func (s store) each(ctx context.Context, sql string, args []any, dest []any, row func() error) error {
	return db.WithTx(aggregateContext(ctx), s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_nestloop = off`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '32MB'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, dest, row)
		return err
	})
}

// freshness reads how far the warehouse has come: the newest change it has taken in
// and how many are still waiting (the loader's outbox).
func (s store) freshness(ctx context.Context) (*time.Time, int, error) {
	return changes.Freshness(aggregateContext(ctx), s.pool)
}
