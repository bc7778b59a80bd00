package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
)

// genders are the three gender columns of every table: women, men, and other or not
// stated (kept as a column of its own so that the total is the sum of what is shown).
const (
	gWomen = cohort.GenderRowWomen
	gMen   = cohort.GenderRowMen
	gOther = cohort.GenderRowOthers
)

// byGender is a count split into the three gender columns.
type byGender [3]int

func (g byGender) total() int { return g[0] + g[1] + g[2] }

// genderIndex is the column of a gender code: the steering groups' rows (cohort.GenderRow).
func genderIndex(code string) int { return cohort.GenderRow(code) }

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

// enrolmentCubeSQL counts the enrolments of organisations $1 that any flow of the
// period [$2, $3] can count (decided in it, or started by its end and not ended before
// it) in one scan, grouped by what the report splits by and by three months: of the
// decision (NULL outside the period), of the start and of the end (first days of
// months; a start before the period as $2 - 1, an end after it as $3 + 1, no end as
// NULL). Month precision is all the rules of FlowsVersion need: an enrolment is ongoing
// at the end of month m when its start month is m or earlier and its end month later.
//
// The enrolments are grouped by ids and codes first and named after (grouping 45,000
// rows by the names' text sorted them and took three times as long).
const enrolmentCubeSQL = `SELECT o.code, o.name, c.gender, mt.code, mt.swedish_name, mt.municipal_employment,
		coalesce(u.name, ''), c.exit_reason, c.dm, c.sm, c.em, c.n
	FROM (SELECT e.organisation_id, e.measure_type_id, e.unit_id, p.gender, coalesce(e.exit_reason, '') AS exit_reason,
			CASE WHEN e.decision_date BETWEEN $2 AND $3 THEN date_trunc('month', e.decision_date)::date END AS dm,
			least(greatest(date_trunc('month', e.start_date)::date, $2::date - 1), $3::date + 1) AS sm,
			least(date_trunc('month', e.end_date)::date, $3::date + 1) AS em,
			count(*)::int AS n
		FROM enrolment e JOIN participant p ON p.id = e.participant_id
		WHERE e.organisation_id = ANY($1::uuid[])
			AND (e.decision_date BETWEEN $2 AND $3 OR (e.start_date <= $3 AND (e.end_date IS NULL OR e.end_date >= $2)))
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) c
	JOIN measure_type mt ON mt.id = c.measure_type_id
	JOIN organisation o ON o.id = c.organisation_id
	LEFT JOIN unit u ON u.id = c.unit_id`

// measureNamesSQL names every measure code of organisations $1 as their catalogues do
// (the Swedish name), the first name where members name one code differently, as the
// flows' measure rows do.
const measureNamesSQL = `SELECT code, min(swedish_name) FROM measure_type WHERE organisation_id = ANY($1::uuid[]) GROUP BY code`

// referralFlowSQL counts referrals by their date, month and gender.
const referralFlowSQL = `SELECT to_char(r.referral_date, 'YYYY-MM'), p.gender, count(*)::int
	FROM referral r JOIN participant p ON p.id = r.participant_id
	WHERE r.organisation_id = ANY($1::uuid[]) AND r.referral_date BETWEEN $2 AND $3 GROUP BY 1, 2`

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

// flowCounts are the report's enrolment and referral aggregates of one period (the
// months of a year up to the report's month), counted by the rules of FlowsVersion.
type flowCounts struct {
	flows   map[flow]map[string]byGender // flow -> month ("2006-01") -> count
	ongoing map[string]byGender          // month -> enrolments ongoing at its end
	reasons map[string]byGender          // exit reason -> exits in the period
	groups  map[string][]groupRow        // "measure", "unit", "organisation" -> rows by key
}

// groupRow is one measure, unit or organisation with its counts for the period.
type groupRow struct {
	Key, Label                        string
	Decisions, Starts, Exits, Ongoing int
}

// flows counts every flow of orgIDs by month and gender, the enrolments ongoing at each
// month end, the exits by reason and the period's figures by measure, unit and
// organisation, for the months from..to (first days of months): two statements (the
// enrolments' and the referrals').
func (s store) flows(ctx context.Context, orgIDs []string, from, to time.Time) (*flowCounts, error) {
	end := to.AddDate(0, 1, -1)
	out := &flowCounts{flows: map[flow]map[string]byGender{}, ongoing: map[string]byGender{},
		reasons: map[string]byGender{}, groups: map[string][]groupRow{}}
	add := func(f flow, month string, gender string, n int) {
		m := out.flows[f]
		if m == nil {
			m = map[string]byGender{}
			out.flows[f] = m
		}
		g := m[month]
		g[genderIndex(gender)] += n
		m[month] = g
	}
	var months []time.Time
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	in := func(m *time.Time) bool { return m != nil && !m.Before(from) && !m.After(to) }
	groups := map[string]map[string]*groupRow{"measure": {}, "unit": {}, "organisation": {}}
	var orgCode, orgName, gender, mCode, mName, unit, reason string
	var ama bool
	var decided, started, ended *time.Time
	var n int
	if err := s.each(ctx, enrolmentCubeSQL, []any{db.ValidUUIDs(orgIDs), from, end},
		[]any{&orgCode, &orgName, &gender, &mCode, &mName, &ama, &unit, &reason, &decided, &started, &ended, &n}, func() error {
			var row groupRow
			if in(decided) {
				add(flowDecisions, decided.Format("2006-01"), gender, n)
				row.Decisions = n
			}
			if in(started) {
				add(flowStarts, started.Format("2006-01"), gender, n)
				if ama {
					add(flowAMAStarted, started.Format("2006-01"), gender, n)
				}
				row.Starts = n
			}
			if in(ended) {
				add(flowExits, ended.Format("2006-01"), gender, n)
				g := out.reasons[reason]
				g[genderIndex(gender)] += n
				out.reasons[reason] = g
				row.Exits = n
			}
			for _, m := range months {
				if !started.After(m) && (ended == nil || ended.After(m)) {
					g := out.ongoing[m.Format("2006-01")]
					g[genderIndex(gender)] += n
					out.ongoing[m.Format("2006-01")] = g
					if m.Equal(to) {
						row.Ongoing = n
					}
				}
			}
			for group, kl := range map[string][2]string{"measure": {mCode, mName}, "unit": {unit, unit}, "organisation": {orgCode, orgName}} {
				g := groups[group][kl[0]]
				if g == nil {
					g = &groupRow{Key: kl[0], Label: kl[1]}
					groups[group][kl[0]] = g
				} else if kl[1] < g.Label {
					g.Label = kl[1] // a regional report merges same-coded measures: the first name
				}
				g.Decisions, g.Starts, g.Exits, g.Ongoing = g.Decisions+row.Decisions, g.Starts+row.Starts, g.Exits+row.Exits, g.Ongoing+row.Ongoing
			}
			return nil
		}); err != nil {
		return nil, fmt.Errorf("count flows: %w", err)
	}
	// Groups with nothing to count are left out; the rest in the order of their keys.
	for group, m := range groups {
		for _, g := range m {
			if g.Decisions+g.Starts+g.Exits+g.Ongoing > 0 {
				out.groups[group] = append(out.groups[group], *g)
			}
		}
		sort.Slice(out.groups[group], func(i, j int) bool { return out.groups[group][i].Key < out.groups[group][j].Key })
	}
	var month string
	if err := s.each(ctx, referralFlowSQL, []any{db.ValidUUIDs(orgIDs), from, end}, []any{&month, &gender, &n}, func() error {
		add(flowReferrals, month, gender, n)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count referrals: %w", err)
	}
	return out, nil
}

// measureNames reads the catalogue names of orgIDs' measures by code: every section that
// names a measure by a code the warehouse gives (outcomes, costs) names it so.
func (s store) measureNames(ctx context.Context, orgIDs []string) (map[string]string, error) {
	names := map[string]string{}
	var code, name string
	if err := s.each(ctx, measureNamesSQL, []any{db.ValidUUIDs(orgIDs)}, []any{&code, &name}, func() error {
		names[code] = name
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read measure names: %w", err)
	}
	return names, nil
}

// each runs one counting statement in a transaction with JIT compilation off: on a
// large municipality the planner's cost passes the JIT thresholds, and compiling took
// 2 s of the 4.8 s the flows once cost where the whole scan takes a fraction of one
// (measured on 100,000 enrolments). The statements only scan, group and count.
func (s store) each(ctx context.Context, sql string, args []any, dest []any, row func() error) error {
	return db.WithTx(aggregateContext(ctx), s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
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
