// Command analyticsbench measures cohort queries on a generated warehouse (figures, not
// tests):
//
//  1. generates N enrolment rows (default 1,000,000) with their 37 months of status and
//     social assistance after exit (the monthly snapshots the figures read) and every
//     per-enrolment fact, and writes them to ClickHouse's enrolment_outcome through the
//     loader's own writer, and the same rows into a PostgreSQL table;
//  2. runs each cohort query through warehouse/analytics (what the GraphQL API serves)
//     and the same figure as one SQL statement in PostgreSQL, checks that both answers
//     agree, and prints the median times and their ratio.
//
// Run it with `make bench-analytics`; results go to standard output.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

const benchDB = "outcomes_analytics_bench"

func main() {
	n := flag.Int("enrolments", 1_000_000, "enrolment rows to generate")
	runs := flag.Int("runs", 5, "timed runs per query (the median is reported)")
	flag.Parse()
	if err := run(*n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "analyticsbench:", err)
		os.Exit(1)
	}
}

var (
	orgs     = []string{"00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b", "00000000-0000-0000-0000-00000000000c"}
	measures = []string{"extra_job", "labour_market_employment", "work_practice", "supported_employment", "work_training"}
	genders  = []string{"woman", "woman", "man", "man", "man", "other", "not_stated"}
	statuses = []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "subsidised_employment", "studies",
		"job_seeking", "sick_leave", "other_measure", "unknown", "unknown", "unknown"}
	exitReasons = []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "studies", "job_seeking",
		"job_seeking", "sick_leave", "dropped_out", "unknown"}
)

// row generates enrolment i: exits spread over 2015-2021, statuses that persist from
// month to month with some churn, a third of months unobserved.
func row(rng *rand.Rand, i int) snapshot.EnrolmentRow {
	start := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365*7))
	end := start.AddDate(0, 3+rng.IntN(12), rng.IntN(28))
	f := snapshot.EmptyFacts()
	f.OrgCode = []string{"a", "b", "c"}[i%3]
	age := 18 + rng.IntN(47)
	f.AgeAtStart, f.AgeBand = uint8(age), snapshot.AgeBand(age)
	f.Category = "employment"
	f.NewlyArrived = int8(rng.IntN(3) - 1)
	f.BirthRegion = []string{"sweden", "europe", "outside_europe", ""}[rng.IntN(4)]
	f.EducationLevel = []string{"pre_upper_secondary", "upper_secondary", "post_secondary_long", ""}[rng.IntN(4)]
	f.DistanceCategory = []string{"green", "yellow", "red"}[rng.IntN(3)]
	f.ReferralSource = []string{"social_services", "af", "self", ""}[rng.IntN(4)]
	f.StatusAfter, f.SAAfter = make([]string, snapshot.MonthsAfterExit+1), make([]int8, snapshot.MonthsAfterExit+1)
	cur := statuses[rng.IntN(len(statuses))]
	for k := range f.StatusAfter {
		if rng.IntN(6) == 0 {
			cur = statuses[rng.IntN(len(statuses))]
		}
		f.StatusAfter[k], f.SAAfter[k] = cur, int8(rng.IntN(3)-1)
		if cur == "unknown" {
			f.SAAfter[k] = -1
		}
	}
	f.JobMonthsFromExit, f.JobEventFromExit = int16(rng.IntN(37)), uint8(rng.IntN(2))
	f.JobMonthsFromStart, f.JobEventFromStart = f.JobMonthsFromExit+int16(rng.IntN(15)), f.JobEventFromExit
	f.ReturnedSA12, f.Kolada = int8(rng.IntN(3)-1), int8(rng.IntN(4)-2) // -2: moved on to another measure
	f.Reentry12, f.EntryNumber = int8(rng.IntN(3)-1), uint16(1+rng.IntN(4))
	f.SUSBefore, f.SUSAfter = []string{"paid_work", "studies", "seeking_work", "other", "unknown"}[rng.IntN(5)], []string{"paid_work", "studies", "seeking_work", "other", "unknown"}[rng.IntN(5)]
	if rng.IntN(2) == 0 {
		f.WIOAExit, f.WIOAExitDate, f.WIOAQ2, f.WIOAQ4 = 1, end, int8(rng.IntN(3)-1), int8(rng.IntN(3)-1)
	}
	return snapshot.EnrolmentRow{OrgID: orgs[i%3], EnrolmentKey: fmt.Sprintf("e%09d", i), PersonKey: fmt.Sprintf("p%09d", i/2),
		Gender: genders[rng.IntN(len(genders))], BirthYear: uint16(start.Year() - age), MeasureCode: measures[rng.IntN(len(measures))],
		Start: start, Exited: 1, ExitDate: end, ExitReason: exitReasons[rng.IntN(len(exitReasons))],
		Status: [4]string{f.StatusAfter[3], f.StatusAfter[6], f.StatusAfter[12], f.StatusAfter[24]},
		SA:     [4]int8{f.SAAfter[3], f.SAAfter[6], f.SAAfter[12], f.SAAfter[24]}, Facts: f}
}

func run(n, runs int) error {
	ctx := context.Background()
	admin, appURL := os.Getenv("OUTCOMES_PG_ADMIN_URL"), os.Getenv("OUTCOMES_DATABASE_URL")
	if admin == "" || appURL == "" || os.Getenv("OUTCOMES_CLICKHOUSE_ADDR") == "" {
		return fmt.Errorf("run through `make bench-analytics` (needs the stack's environment)")
	}
	pg, err := freshPostgres(ctx, admin, appURL)
	if err != nil {
		return err
	}
	defer pg.Close()
	ch, err := freshClickHouse(ctx)
	if err != nil {
		return err
	}
	defer ch.Close()

	fmt.Printf("generating %d enrolments ...\n", n)
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(2018, 1))
	const chunk = 50_000
	for lo := 0; lo < n; lo += chunk {
		rows := make([]snapshot.EnrolmentRow, 0, chunk)
		for i := lo; i < min(lo+chunk, n); i++ {
			rows = append(rows, row(rng, i))
		}
		if err := chstore.Write(ctx, ch, chstore.Rows{Version: 1, Enrolments: rows}); err != nil {
			return fmt.Errorf("clickhouse insert: %w", err)
		}
		if err := copyToPostgres(ctx, pg, rows); err != nil {
			return fmt.Errorf("postgres copy: %w", err)
		}
	}
	if _, err := pg.Exec(ctx, `ANALYZE bench_enrolment_outcome`); err != nil {
		return err
	}
	// Merge ClickHouse's parts so FINAL has little to do, as after a loader's quiet hours.
	octx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	err = ch.Exec(octx, `OPTIMIZE TABLE enrolment_outcome FINAL`)
	cancel()
	if err != nil {
		return err
	}
	fmt.Printf("loaded in %s\n\n", time.Since(t0).Round(time.Second))

	fmt.Println("| query | ClickHouse (analytics) | PostgreSQL (same figure, SQL) | PostgreSQL / ClickHouse | rows in cohort |")
	fmt.Println("|---|---|---|---|---|")
	for _, q := range queries {
		var chFigs []analytics.Figure
		chTime, err := median(runs, func() error {
			var err error
			chFigs, err = analytics.Figures(ctx, ch, q.cohorts, q.def, q.by)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s on clickhouse: %w", q.name, err)
		}
		var pgFigs map[string][3]int
		pgTime, err := median(3, func() error { // an odd count: the median is a run, not the slower of two
			var err error
			pgFigs, err = pgFigures(ctx, pg, q)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s on postgresql: %w", q.name, err)
		}
		if diff := compare(chFigs, pgFigs); diff != "" {
			return fmt.Errorf("%s: the stores disagree: %s", q.name, diff)
		}
		total := 0
		for _, f := range chFigs {
			if len(f.Group) == 0 {
				total += f.N
			}
		}
		fmt.Printf("| %s | %s | %s | %.1f× | %d |\n", q.name, chTime.Round(time.Millisecond), pgTime.Round(time.Millisecond),
			float64(pgTime)/float64(chTime), total)
	}
	return nil
}

func median(runs int, f func() error) (time.Duration, error) {
	if err := f(); err != nil { // warm-up, not timed
		return 0, err
	}
	times := make([]time.Duration, runs)
	for i := range times {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		times[i] = time.Since(t)
	}
	slices.Sort(times)
	return times[runs/2], nil
}

func freshPostgres(ctx context.Context, admin, app string) (*pgxpool.Pool, error) {
	u, err := url.Parse(app)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)") //nolint:errcheck
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+benchDB+" OWNER "+u.User.Username()); err != nil {
		return nil, err
	}
	conn.Close(ctx)
	u.Path = "/" + benchDB
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return nil, err
	}
	// The same columns as ClickHouse's table (the figures need these), one row per
	// enrolment, arrays as PostgreSQL arrays (1-based there too).
	_, err = pool.Exec(ctx, `CREATE TABLE bench_enrolment_outcome (
		org_id uuid, enrolment_key text, gender text, measure_code text, age_band text, exit_date date,
		status_after text[], sa_after smallint[], kolada_work_or_studies smallint, wioa_exit smallint,
		wioa_exit_date date, wioa_q2 smallint)`)
	return pool, err
}

func copyToPostgres(ctx context.Context, pg *pgxpool.Pool, rows []snapshot.EnrolmentRow) error {
	_, err := pg.CopyFrom(ctx, pgx.Identifier{"bench_enrolment_outcome"}, []string{"org_id", "enrolment_key", "gender",
		"measure_code", "age_band", "exit_date", "status_after", "sa_after", "kolada_work_or_studies", "wioa_exit",
		"wioa_exit_date", "wioa_q2"}, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		sa := make([]int16, len(r.Facts.SAAfter))
		for k, v := range r.Facts.SAAfter {
			sa[k] = int16(v)
		}
		return []any{r.OrgID, r.EnrolmentKey, r.Gender, r.MeasureCode, r.Facts.AgeBand, r.ExitDate, r.Facts.StatusAfter, sa,
			int16(r.Facts.Kolada), int16(r.Facts.WIOAExit), r.Facts.WIOAExitDate, int16(r.Facts.WIOAQ2)}, nil
	}))
	return err
}

func freshClickHouse(ctx context.Context) (driver.Conn, error) {
	o := chstore.Options{Addr: os.Getenv("OUTCOMES_CLICKHOUSE_ADDR"), Database: benchDB}
	if err := chstore.DropDatabase(ctx, o); err != nil {
		return nil, err
	}
	conn, err := chstore.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, err := chstore.Migrate(ctx, conn); err != nil {
		return nil, err
	}
	return conn, nil
}

type query struct {
	name    string
	cohorts []analytics.Cohort
	def     analytics.Definition
	by      []analytics.Dimension
	// pgKnown and pgHit are the same fact in PostgreSQL SQL; pgGroup the breakdown
	// expressions; pgWIOA counts WIOA exits on their date instead of enrolments.
	pgKnown, pgHit string
	pgGroup        []string
	pgWIOA         bool
	// pgRowFilter leaves rows out of the indicator's population (Kolada: not a leaving).
	pgRowFilter string
}

func year(y int) (time.Time, time.Time) {
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
}

func cohort(label string, from, to time.Time, measures ...string) analytics.Cohort {
	return analytics.Cohort{Label: label, OrgIDs: orgs, ExitFrom: from, ExitTo: to, MeasureCodes: measures}
}

var (
	from18, to18 = year(2018)
	from15, _    = year(2015)
	_, to21      = year(2021)
	workOrStudy  = outcomes.WorkOrStudiesSet.SQLList() // the one set, as the PostgreSQL peer's text list
	lastingFail  = `((status_after[7] <> 'unknown' AND status_after[7] NOT IN ` + workOrStudy + `) OR sa_after[7] = 1 OR
		(status_after[13] <> 'unknown' AND status_after[13] NOT IN ` + workOrStudy + `) OR sa_after[13] = 1)`
	lastingAll = `(status_after[7] <> 'unknown' AND sa_after[7] <> -1 AND status_after[13] <> 'unknown' AND sa_after[13] <> -1)`
)

var queries = []query{
	{name: "in work or studies at +6, 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", from18, to18)},
		def: analytics.InWorkOrStudiesAt(6), by: []analytics.Dimension{analytics.DimGender},
		pgKnown: `status_after[7] <> 'unknown'`, pgHit: `status_after[7] IN ` + workOrStudy, pgGroup: []string{"gender"}},
	{name: "lasting attachment (default), 2018 exits, by gender × measure", cohorts: []analytics.Cohort{cohort("2018", from18, to18)},
		def: analytics.LastingAttachment(nil), by: []analytics.Dimension{analytics.DimGender, analytics.DimMeasure},
		pgKnown: lastingFail + ` OR ` + lastingAll, pgHit: `NOT ` + lastingFail + ` AND ` + lastingAll, pgGroup: []string{"gender", "measure_code"}},
	{name: "extra jobs vs work practice 2018, in work or studies at +12, by age band", cohorts: []analytics.Cohort{
		cohort("extra jobs", from18, to18, "extra_job"), cohort("work practice", from18, to18, "work_practice")},
		def: analytics.InWorkOrStudiesAt(12), by: []analytics.Dimension{analytics.DimAgeBand},
		pgKnown: `status_after[13] <> 'unknown'`, pgHit: `status_after[13] IN ` + workOrStudy, pgGroup: []string{"age_band"}},
	{name: "Kolada result at exit, 2015-2020, by exit year × gender", cohorts: []analytics.Cohort{cohort("2015-2020", from15, to21)},
		def: analytics.Definition{Kind: analytics.KindKoladaResultAtExit}, by: []analytics.Dimension{analytics.DimExitYear, analytics.DimGender},
		pgKnown: `kolada_work_or_studies <> -1`, pgHit: `kolada_work_or_studies = 1`, pgRowFilter: `kolada_work_or_studies <> -2`, pgGroup: []string{"extract(year FROM exit_date)::int::text", "gender"}},
	{name: "WIOA employed in Q2 after exit, 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", from18, to18)},
		def: analytics.Definition{Kind: analytics.KindWIOAQ2}, by: []analytics.Dimension{analytics.DimGender},
		pgKnown: `wioa_q2 <> -1`, pgHit: `wioa_q2 = 1`, pgGroup: []string{"gender"}, pgWIOA: true},
}

// pgFigures computes q's figures in PostgreSQL, keyed like key(figure).
func pgFigures(ctx context.Context, pg *pgxpool.Pool, q query) (map[string][3]int, error) {
	out := map[string][3]int{}
	for _, c := range q.cohorts {
		dateCol, extra := "exit_date", ""
		if q.pgWIOA {
			dateCol, extra = "wioa_exit_date", " AND wioa_exit = 1"
		}
		if q.pgRowFilter != "" {
			extra += " AND " + q.pgRowFilter
		}
		groups := strings.Join(q.pgGroup, ", ")
		sql := `SELECT ` + groups + `, grouping(` + groups + `) = 0 AS grouped, count(*),
				count(*) FILTER (WHERE ` + q.pgKnown + `), count(*) FILTER (WHERE (` + q.pgKnown + `) AND (` + q.pgHit + `))
			FROM bench_enrolment_outcome
			WHERE org_id = ANY($1::uuid[]) AND ` + dateCol + ` >= $2 AND ` + dateCol + ` < $3` + extra + `
				AND (cardinality($4::text[]) = 0 OR measure_code = ANY($4::text[]))
			GROUP BY GROUPING SETS ((` + groups + `), ())`
		measures := c.MeasureCodes
		if measures == nil {
			measures = []string{}
		}
		rows, err := pg.Query(ctx, sql, orgs, c.ExitFrom, c.ExitTo, measures)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			vals := make([]any, len(q.pgGroup)+4)
			groupVals := make([]*string, len(q.pgGroup))
			for i := range groupVals {
				vals[i] = &groupVals[i]
			}
			var grouped bool
			var n, known, hit int
			vals[len(q.pgGroup)], vals[len(q.pgGroup)+1], vals[len(q.pgGroup)+2], vals[len(q.pgGroup)+3] = &grouped, &n, &known, &hit
			if err := rows.Scan(vals...); err != nil {
				rows.Close()
				return nil, err
			}
			k := c.Label + "|"
			if grouped {
				for _, g := range groupVals {
					k += deref(g) + "|"
				}
			}
			out[k] = [3]int{n, known, hit}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// compare checks that every ClickHouse figure equals PostgreSQL's.
func compare(figs []analytics.Figure, pg map[string][3]int) string {
	var diffs []string
	for _, f := range figs {
		k := f.Cohort + "|"
		for _, g := range f.Group {
			k += g.Value + "|"
		}
		if got, want := [3]int{f.N, f.Known, f.Count}, pg[k]; got != want {
			diffs = append(diffs, fmt.Sprintf("%s: clickhouse %v, postgresql %v", k, got, want))
		}
	}
	if len(figs) != len(pg) {
		diffs = append(diffs, fmt.Sprintf("%d figures from clickhouse, %d from postgresql", len(figs), len(pg)))
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}
