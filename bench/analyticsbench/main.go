// Command analyticsbench measures cohort queries on a generated national warehouse
// (figures, not tests):
//
//  1. generates enrolments the way a country's municipalities would have them over a
//     decade: every organisation has the same number of enrolments (17,241; 290
//     organisations make 5,000,000), exits from 2015 to 2024, each with its 37 months of
//     status and social assistance after exit and every per-enrolment fact. A larger
//     warehouse is more organisations, so the benchmark's municipality group (8
//     organisations, a samordningsförbund) is a cohort of fixed size at every scale;
//  2. writes them to ClickHouse through the loader's own writer (chstore.Write), in
//     batches of whole organisations that leave many parts and are never merged by hand:
//     first as a rebuild writes new persons, then a tenth of the persons again with
//     corrected rows (new exit dates, new months) as the live loader writes a later
//     follow-up, cancelling their earlier rows; PostgreSQL gets the final rows by COPY, into one table with
//     an index on (org_id, exit_date);
//  3. runs each cohort query through warehouse/analytics (what outcomeFigures serves)
//     and the same figure as one SQL statement in PostgreSQL, checks that both answer
//     alike, and times them in interleaved pairs (ClickHouse, PostgreSQL, ClickHouse,
//     ...), printing every pair and the ratios;
//  4. grows the warehouse to the next scale and measures again (the scale curve).
//
// Run it with `make bench-analytics`; results go to standard output. Generated data
// stays in the local stack's databases (under .data/, outside git).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// benchDB names the PostgreSQL and ClickHouse databases the run writes (-db): one per
// scale lets the curve's warehouses be written once and measured again later (-reuse).
var benchDB = "outcomes_analytics_bench"

const (
	// perOrg enrolments per organisation: 290 organisations (Sweden's municipalities)
	// make 5,000,000.
	perOrg = 17_241
	// groupOrgs is the municipality group every scale has: a cohort of fixed size.
	groupOrgs = 8
)

func main() {
	scales := flag.String("scales", "1000000,3000000,5000000", "enrolment counts to measure at, ascending (the warehouse grows from one to the next)")
	pairs := flag.Int("pairs", 3, "interleaved ClickHouse/PostgreSQL pairs per query and scale (0: write the warehouse, measure nothing)")
	flag.StringVar(&benchDB, "db", benchDB, "database (PostgreSQL and ClickHouse) holding the generated warehouse")
	orgsPerBatch := flag.Int("orgs-per-batch", 3, "organisations per writer call (about 17,000 enrolments each)")
	reuse := flag.Bool("reuse", false, "keep the warehouse an earlier run left and only add what a scale lacks (measure again without generating)")
	perScale := flag.Bool("per-scale", false, "one warehouse per scale (database <db>_1m for -scales 1000000) instead of one grown from scale to scale, so that each can be measured again with -reuse")
	flag.Parse()
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(benchDB) {
		fmt.Fprintf(os.Stderr, "analyticsbench: bad -db %q (lower-case letters, digits, underscore)\n", benchDB)
		os.Exit(2)
	}
	var ns []int
	for _, s := range strings.Split(*scales, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < perOrg*groupOrgs || (len(ns) > 0 && n <= ns[len(ns)-1]) {
			fmt.Fprintf(os.Stderr, "analyticsbench: bad -scales %q (ascending, each at least %d)\n", *scales, perOrg*groupOrgs)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if err := run(ns, *pairs, *orgsPerBatch, *reuse, *perScale); err != nil {
		fmt.Fprintln(os.Stderr, "analyticsbench:", err)
		os.Exit(1)
	}
}

var (
	measures = []string{"extra_job", "labour_market_employment", "work_practice", "supported_employment", "work_training"}
	genders  = []string{"woman", "woman", "man", "man", "man", "other", "not_stated"}
	statuses = []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "subsidised_employment", "studies",
		"job_seeking", "sick_leave", "other_measure", "unknown", "unknown", "unknown"}
	exitReasons = []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "studies", "job_seeking",
		"job_seeking", "sick_leave", "dropped_out", "unknown"}
	decadeStart = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
)

func orgID(i int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", i) }

// organisation generates organisation i's enrolments, the same at every scale (seeded by
// i): exits spread over 2015-2024, statuses that persist from month to month with some
// churn, a third of months unobserved; two enrolments per person.
func organisation(i int) []snapshot.EnrolmentRow {
	rng := rand.New(rand.NewPCG(uint64(i), 2018))
	rows := make([]snapshot.EnrolmentRow, perOrg)
	for j := range rows {
		rows[j] = enrolment(rng, i, j)
	}
	return rows
}

func enrolment(rng *rand.Rand, org, j int) snapshot.EnrolmentRow {
	end := decadeStart.AddDate(0, 0, rng.IntN(3652))
	start := end.AddDate(0, -3-rng.IntN(12), -rng.IntN(28))
	f := snapshot.EmptyFacts()
	f.OrgCode = fmt.Sprintf("k%03d", org)
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
	sus := []string{"paid_work", "studies", "seeking_work", "other", "unknown"}
	f.SUSBefore, f.SUSAfter = sus[rng.IntN(5)], sus[rng.IntN(5)]
	if rng.IntN(2) == 0 {
		f.WIOAExit, f.WIOAExitDate, f.WIOAQ2, f.WIOAQ4 = 1, end, int8(rng.IntN(3)-1), int8(rng.IntN(3)-1)
	}
	r := snapshot.EnrolmentRow{OrgID: orgID(org), EnrolmentKey: fmt.Sprintf("e%03d-%06d", org, j), PersonKey: fmt.Sprintf("p%03d-%06d", org, j/2),
		Gender: genders[rng.IntN(len(genders))], BirthYear: uint16(start.Year() - age), MeasureCode: measures[rng.IntN(len(measures))],
		Start: start, Exited: 1, ExitDate: end, ExitReason: exitReasons[rng.IntN(len(exitReasons))], Facts: f}
	return withHorizons(r)
}

func withHorizons(r snapshot.EnrolmentRow) snapshot.EnrolmentRow {
	f := r.Facts
	r.Status = [4]string{f.StatusAfter[3], f.StatusAfter[6], f.StatusAfter[12], f.StatusAfter[24]}
	r.SA = [4]int8{f.SAAfter[3], f.SAAfter[6], f.SAAfter[12], f.SAAfter[24]}
	return r
}

// corrected is r as a later load writes it: the exit date moved (another sort key,
// sometimes another partition) and the months after exit re-observed.
func corrected(r snapshot.EnrolmentRow) snapshot.EnrolmentRow {
	f := r.Facts
	f.StatusAfter, f.SAAfter = slices.Clone(f.StatusAfter), slices.Clone(f.SAAfter)
	for k := 4; k < len(f.StatusAfter); k += 2 {
		f.StatusAfter[k], f.SAAfter[k] = "unsubsidised_employment_full", 0
	}
	r.Facts, r.ExitDate = f, r.ExitDate.AddDate(0, 0, 20)
	if f.WIOAExit == 1 {
		r.Facts.WIOAExitDate = r.ExitDate
	}
	return withHorizons(r)
}

// rewritten says whether the person of enrolment j is written a second time.
func rewritten(j int) bool { return (j/2)%10 == 0 }

func run(scales []int, pairs, orgsPerBatch int, reuse, perScale bool) error {
	ctx := context.Background()
	admin, appURL := os.Getenv("OUTCOMES_PG_ADMIN_URL"), os.Getenv("OUTCOMES_DATABASE_URL")
	if admin == "" || appURL == "" || os.Getenv("OUTCOMES_CLICKHOUSE_ADDR") == "" {
		return fmt.Errorf("run through `make bench-analytics` (needs the stack's environment)")
	}
	var (
		w       *warehouse
		summary []string
	)
	defer func() {
		if w != nil {
			w.close()
		}
	}()
	for _, n := range scales {
		if w == nil || perScale {
			if w != nil {
				w.close()
			}
			db := benchDB
			if perScale {
				db = benchDB + "_" + scaleName(n)
			}
			var err error
			if w, err = openWarehouse(ctx, admin, appURL, db, reuse); err != nil {
				return err
			}
		}
		want := n / perOrg
		fmt.Printf("\n## %d enrolments (%d organisations)\n\ngenerating and writing %d organisations into %s ...\n",
			want*perOrg, want, max(want-w.have, 0), w.db)
		t0 := time.Now()
		for w.have < want {
			hi := min(w.have+orgsPerBatch, want)
			if err := load(ctx, w.ch, w.pg, w.have, hi); err != nil {
				return err
			}
			w.have = hi
		}
		if _, err := w.pg.Exec(ctx, `CREATE INDEX IF NOT EXISTS bench_cohort ON bench_enrolment_outcome (org_id, exit_date)`); err != nil {
			return err
		}
		if _, err := w.pg.Exec(ctx, `ANALYZE bench_enrolment_outcome`); err != nil {
			return err
		}
		var parts, rows uint64
		if err := w.ch.QueryRow(ctx, `SELECT count(), sum(rows) FROM system.parts WHERE database = currentDatabase()
			AND table = 'enrolment_outcome' AND active`).Scan(&parts, &rows); err != nil {
			return err
		}
		fmt.Printf("written in %s; ClickHouse holds %d rows (with cancel rows) in %d active parts, never merged by hand\n\n",
			time.Since(t0).Round(time.Second), rows, parts)
		if pairs == 0 {
			continue
		}
		lines, err := measure(ctx, w.ch, w.pg, want, pairs)
		if err != nil {
			return err
		}
		summary = append(summary, lines...)
	}
	if pairs == 0 {
		return nil
	}
	fmt.Println("\n## Scale curve (median ClickHouse time per query)\n\n| enrolments | query | ClickHouse median | PostgreSQL median | PostgreSQL / ClickHouse (median of pairs) |\n|---|---|---|---|---|")
	for _, l := range summary {
		fmt.Println(l)
	}
	return nil
}

// scaleName is n for a database name: 1000000 is "1m".
func scaleName(n int) string {
	if n%1_000_000 == 0 {
		return strconv.Itoa(n/1_000_000) + "m"
	}
	return strconv.Itoa(n)
}

// warehouse is one generated warehouse: the same rows in a PostgreSQL and a ClickHouse
// database of one name, and how many organisations they hold.
type warehouse struct {
	db   string
	pg   *pgxpool.Pool
	ch   driver.Conn
	have int
}

// openWarehouse opens database db in both stores: empty, or as an earlier run left it
// (reuse).
func openWarehouse(ctx context.Context, admin, appURL, db string, reuse bool) (*warehouse, error) {
	if reuse {
		// Nothing to keep on a stack that never held this warehouse: start it afresh.
		exists, err := databaseExists(ctx, admin, db)
		if err != nil {
			return nil, err
		}
		reuse = exists
	}
	pg, err := benchPostgres(ctx, admin, appURL, db, reuse)
	if err != nil {
		return nil, err
	}
	ch, err := benchClickHouse(ctx, db, reuse)
	if err != nil {
		pg.Close()
		return nil, err
	}
	w := &warehouse{db: db, pg: pg, ch: ch}
	if reuse {
		if err := pg.QueryRow(ctx, `SELECT count(DISTINCT org_id) FROM bench_enrolment_outcome`).Scan(&w.have); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

// databaseExists says whether PostgreSQL holds database db.
func databaseExists(ctx context.Context, admin, db string) (bool, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists)
	return exists, err
}

func (w *warehouse) close() {
	w.pg.Close()
	w.ch.Close()
}

// load writes organisations [lo, hi) to both stores.
func load(ctx context.Context, ch driver.Conn, pg *pgxpool.Pool, lo, hi int) error {
	var first, again, final []snapshot.EnrolmentRow
	for i := lo; i < hi; i++ {
		for j, r := range organisation(i) {
			first = append(first, r)
			if rewritten(j) {
				c := corrected(r)
				again, final = append(again, c), append(final, c)
			} else {
				final = append(final, r)
			}
		}
	}
	// The two stores are written side by side (the machine's cores are shared anyway).
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// New organisations' persons have no rows yet: written as the loader's rebuild
		// writes them (Fresh, no cancel statement). The rewrite is the live path, with
		// the cancel rows of the first write.
		if err := chstore.Write(gctx, ch, chstore.Rows{Version: 1, Enrolments: first, Fresh: true}); err != nil {
			return fmt.Errorf("clickhouse write: %w", err)
		}
		if err := chstore.Write(gctx, ch, chstore.Rows{Version: 2, Enrolments: again}); err != nil {
			return fmt.Errorf("clickhouse rewrite: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := copyToPostgres(gctx, pg, final); err != nil {
			return fmt.Errorf("postgres copy: %w", err)
		}
		return nil
	})
	return g.Wait()
}

// measure runs every query at one scale: a check that both stores agree, then pairs.
func measure(ctx context.Context, ch driver.Conn, pg *pgxpool.Pool, orgCount, pairs int) ([]string, error) {
	all := make([]string, orgCount)
	for i := range all {
		all[i] = orgID(i)
	}
	group := all[:groupOrgs]
	if err := printFloor(ctx, ch, pg, group[0]); err != nil {
		return nil, err
	}
	fmt.Println("| query | rows in cohort | pair | ClickHouse | PostgreSQL | PostgreSQL / ClickHouse |\n|---|---|---|---|---|---|")
	var summary []string
	for _, q := range queries(group, all) {
		chRun := func() ([]analytics.Figure, error) { return analytics.Figures(ctx, ch, q.cohorts, q.def, q.by) }
		pgRun := func() (map[string][3]int, error) { return pgFigures(ctx, pg, q) }
		chFigs, err := chRun() // warm-up, and the agreement check
		if err != nil {
			return nil, fmt.Errorf("%s on clickhouse: %w", q.name, err)
		}
		pgFigs, err := pgRun()
		if err != nil {
			return nil, fmt.Errorf("%s on postgresql: %w", q.name, err)
		}
		if diff := compare(chFigs, pgFigs); diff != "" {
			return nil, fmt.Errorf("%s: the stores disagree: %s", q.name, diff)
		}
		total := 0
		for _, f := range chFigs {
			if len(f.Group) == 0 {
				total += f.N
			}
		}
		var chTimes, pgTimes, ratios []time.Duration
		for p := 1; p <= pairs; p++ {
			t := time.Now()
			if _, err := chRun(); err != nil {
				return nil, err
			}
			c := time.Since(t)
			t = time.Now()
			if _, err := pgRun(); err != nil {
				return nil, err
			}
			g := time.Since(t)
			chTimes, pgTimes = append(chTimes, c), append(pgTimes, g)
			ratios = append(ratios, time.Duration(float64(g)/float64(c)*1000)) // ratio × 1000
			fmt.Printf("| %s | %d | %d | %s | %s | %.1f× |\n", q.name, total, p, ms(c), ms(g), float64(g)/float64(c))
		}
		summary = append(summary, fmt.Sprintf("| %d | %s | %s | %s | %.1f× |", orgCount*perOrg, q.name, ms(med(chTimes)), ms(med(pgTimes)),
			float64(med(ratios))/1000))
	}
	return summary, nil
}

// printFloor prints what an empty round trip costs each store on its connection here
// (SELECT 1, median of nine): no figure can be answered faster, so a figure's time
// divided by the other store's floor bounds the ratio any query could reach. It also
// prints ClickHouse's cheapest read of the pre-aggregate (one count of one organisation
// in one month, a granule of each part of one partition), which every figure from the
// aggregate costs at least: the set-up of a MergeTree read on this server.
func printFloor(ctx context.Context, ch driver.Conn, pg *pgxpool.Pool, org string) error {
	var chTimes, pgTimes, readTimes []time.Duration
	for range 9 {
		t := time.Now()
		var one uint8
		if err := ch.QueryRow(ctx, "SELECT toUInt8(1)").Scan(&one); err != nil {
			return fmt.Errorf("clickhouse SELECT 1: %w", err)
		}
		chTimes = append(chTimes, time.Since(t))
		t = time.Now()
		var pgOne int
		if err := pg.QueryRow(ctx, "SELECT 1").Scan(&pgOne); err != nil {
			return fmt.Errorf("postgresql SELECT 1: %w", err)
		}
		pgTimes = append(pgTimes, time.Since(t))
		t = time.Now()
		var n int64
		if err := ch.QueryRow(ctx, "SELECT sum(n) FROM enrolment_figures WHERE gs = 0 AND org_id = ? AND month = toDate('2018-01-01')", org).Scan(&n); err != nil {
			return fmt.Errorf("clickhouse cheapest aggregate read: %w", err)
		}
		readTimes = append(readTimes, time.Since(t))
	}
	fmt.Printf("Round trip floor (SELECT 1, median of 9): ClickHouse %.2f ms, PostgreSQL %.2f ms\n", msf(med(chTimes)), msf(med(pgTimes)))
	fmt.Printf("ClickHouse's cheapest aggregate read (one organisation's count in one month, median of 9): %.2f ms\n\n", msf(med(readTimes)))
	return nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func med(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func benchPostgres(ctx context.Context, admin, app, db string, reuse bool) (*pgxpool.Pool, error) {
	u, err := url.Parse(app)
	if err != nil {
		return nil, err
	}
	if reuse {
		u.Path = "/" + db
		return pgxpool.New(ctx, u.String())
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") //nolint:errcheck
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+db+" OWNER "+u.User.Username()); err != nil {
		return nil, err
	}
	conn.Close(ctx)
	u.Path = "/" + db
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return nil, err
	}
	// The columns the figures need, one row per enrolment, months after exit as arrays
	// of the same status codes ClickHouse stores (1-based there too).
	_, err = pool.Exec(ctx, `CREATE TABLE bench_enrolment_outcome (
		org_id text, enrolment_key text, gender text, measure_code text, age_band text, exit_date date,
		status_after smallint[], sa_after smallint[], kolada_work_or_studies smallint, wioa_exit smallint,
		wioa_exit_date date, wioa_q2 smallint)`)
	return pool, err
}

func copyToPostgres(ctx context.Context, pg *pgxpool.Pool, rows []snapshot.EnrolmentRow) error {
	_, err := pg.CopyFrom(ctx, pgx.Identifier{"bench_enrolment_outcome"}, []string{"org_id", "enrolment_key", "gender",
		"measure_code", "age_band", "exit_date", "status_after", "sa_after", "kolada_work_or_studies", "wioa_exit",
		"wioa_exit_date", "wioa_q2"}, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		st, sa := make([]int16, len(r.Facts.StatusAfter)), make([]int16, len(r.Facts.SAAfter))
		for k, v := range r.Facts.StatusAfter {
			st[k] = int16(snapshot.StatusCode(v))
		}
		for k, v := range r.Facts.SAAfter {
			sa[k] = int16(v)
		}
		return []any{r.OrgID, r.EnrolmentKey, r.Gender, r.MeasureCode, r.Facts.AgeBand, r.ExitDate, st, sa,
			int16(r.Facts.Kolada), int16(r.Facts.WIOAExit), r.Facts.WIOAExitDate, int16(r.Facts.WIOAQ2)}, nil
	}))
	return err
}

func benchClickHouse(ctx context.Context, db string, reuse bool) (driver.Conn, error) {
	o := chstore.Options{Addr: os.Getenv("OUTCOMES_CLICKHOUSE_ADDR"), Database: db}
	if reuse {
		return chstore.Open(ctx, o)
	}
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

// codes is a status set as a PostgreSQL list of the warehouse's status codes.
func codes(set outcomes.StatusSet) string {
	var c []string
	for _, s := range set.Statuses() {
		c = append(c, strconv.Itoa(int(snapshot.StatusCode(s))))
	}
	return "(" + strings.Join(c, ", ") + ")"
}

func queries(group, all []string) []query {
	cohort := func(label string, orgs []string, from, to time.Time, measures ...string) analytics.Cohort {
		return analytics.Cohort{Label: label, OrgIDs: orgs, ExitFrom: from, ExitTo: to, MeasureCodes: measures}
	}
	from18, to18 := year(2018)
	from15, _ := year(2015)
	_, to20 := year(2020)
	wos := codes(outcomes.WorkOrStudiesSet)
	fail := `((status_after[7] <> 0 AND status_after[7] NOT IN ` + wos + `) OR sa_after[7] = 1 OR
		(status_after[13] <> 0 AND status_after[13] NOT IN ` + wos + `) OR sa_after[13] = 1)`
	allKnown := `(status_after[7] <> 0 AND sa_after[7] <> -1 AND status_after[13] <> 0 AND sa_after[13] <> -1)`
	return []query{
		{name: "group: in work or studies at +6, 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", group, from18, to18)},
			def: analytics.InWorkOrStudiesAt(6), by: []analytics.Dimension{analytics.DimGender},
			pgKnown: `status_after[7] <> 0`, pgHit: `status_after[7] IN ` + wos, pgGroup: []string{"gender"}},
		{name: "group: lasting attachment (default), 2018 exits, by gender × measure", cohorts: []analytics.Cohort{cohort("2018", group, from18, to18)},
			def: analytics.LastingAttachment(nil), by: []analytics.Dimension{analytics.DimGender, analytics.DimMeasure},
			pgKnown: fail + ` OR ` + allKnown, pgHit: `NOT ` + fail + ` AND ` + allKnown, pgGroup: []string{"gender", "measure_code"}},
		{name: "group: extra jobs vs work practice 2018, in work or studies at +12, by age band", cohorts: []analytics.Cohort{
			cohort("extra jobs", group, from18, to18, "extra_job"), cohort("work practice", group, from18, to18, "work_practice")},
			def: analytics.InWorkOrStudiesAt(12), by: []analytics.Dimension{analytics.DimAgeBand},
			pgKnown: `status_after[13] <> 0`, pgHit: `status_after[13] IN ` + wos, pgGroup: []string{"age_band"}},
		{name: "national: in work or studies at +6, 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", all, from18, to18)},
			def: analytics.InWorkOrStudiesAt(6), by: []analytics.Dimension{analytics.DimGender},
			pgKnown: `status_after[7] <> 0`, pgHit: `status_after[7] IN ` + wos, pgGroup: []string{"gender"}},
		{name: "national: lasting attachment (default), 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", all, from18, to18)},
			def: analytics.LastingAttachment(nil), by: []analytics.Dimension{analytics.DimGender},
			pgKnown: fail + ` OR ` + allKnown, pgHit: `NOT ` + fail + ` AND ` + allKnown, pgGroup: []string{"gender"}},
		{name: "national: Kolada result at exit, 2015-2019, by exit year × gender", cohorts: []analytics.Cohort{cohort("2015-2019", all, from15, to20)},
			def: analytics.Definition{Kind: analytics.KindKoladaResultAtExit}, by: []analytics.Dimension{analytics.DimExitYear, analytics.DimGender},
			pgKnown: `kolada_work_or_studies <> -1`, pgHit: `kolada_work_or_studies = 1`, pgRowFilter: `kolada_work_or_studies <> -2`,
			pgGroup: []string{"extract(year FROM exit_date)::int::text", "gender"}},
		{name: "national: WIOA employed in Q2 after exit, 2018 exits, by gender", cohorts: []analytics.Cohort{cohort("2018", all, from18, to18)},
			def: analytics.Definition{Kind: analytics.KindWIOAQ2}, by: []analytics.Dimension{analytics.DimGender},
			pgKnown: `wioa_q2 <> -1`, pgHit: `wioa_q2 = 1`, pgGroup: []string{"gender"}, pgWIOA: true},
	}
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
			WHERE org_id = ANY($1::text[]) AND ` + dateCol + ` >= $2 AND ` + dateCol + ` < $3` + extra + `
				AND (cardinality($4::text[]) = 0 OR measure_code = ANY($4::text[]))
			GROUP BY GROUPING SETS ((` + groups + `), ())`
		measures := c.MeasureCodes
		if measures == nil {
			measures = []string{}
		}
		rows, err := pg.Query(ctx, sql, c.OrgIDs, c.ExitFrom, c.ExitTo, measures)
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
