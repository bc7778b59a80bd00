package report_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// BenchmarkSteeringReport times the monthly steering report of one municipality with
// OUTCOMES_BENCH_ENROLMENTS enrolments (default 100,000) over 2016-2019, generated in
// PostgreSQL (participants, enrolments, a target, a quota over the departments) and in
// the warehouse (one enrolment_outcome row each): building it (every statement and the
// small-count protection), and building plus rendering it as HTML and as XLSX, in
// OUTCOMES_BENCH_ROUNDS (default 3) interleaved rounds, each beside one raw scan of the
// enrolments ("raw"). Run with
//
//	scripts/stack.sh up; eval "$(scripts/stack.sh env)"
//	go test -run '^$' -bench SteeringReport -benchtime 1x ./internal/domain/report/
func BenchmarkSteeringReport(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("OUTCOMES_BENCH_ENROLMENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := auth.With(context.Background(), auth.Principal{Subject: "bench", System: true})
	pool := testenv.Postgres(b)
	ch, _ := testenv.ClickHouse(b)
	org := domaintest.OrganisationWith(b, pool, organisation.CreateInput{Code: "bench", Name: "Benchkommun", Kind: organisation.Municipality})
	// PostgreSQL: n/2 people with two enrolments each, decisions a week or more before
	// the start, ends 3-15 months later (the last year's still running).
	for _, q := range []string{
		`INSERT INTO unit (organisation_id, name) SELECT $1, 'Enhet ' || g FROM generate_series(1, 4) g`,
		`INSERT INTO employer (organisation_id, kind, name, headcount)
			SELECT $1, 'municipal_department', 'Förvaltning ' || g, 500 * g FROM generate_series(1, 8) g`,
		`INSERT INTO participant (organisation_id, personal_identity_number, gender, birth_date)
			SELECT $1, to_char(date '1960-01-01' + (g / 1000), 'YYYYMMDD') || '-' || lpad((g % 1000)::text, 4, '0'),
				(ARRAY['woman', 'man', 'woman', 'man', 'man', 'other'])[1 + g % 6], date '1960-01-01' + (g / 1000)
			FROM generate_series(1, $2::int / 2) g`,
		`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, decision_date, start_date, end_date, exit_reason,
				unit_id, host_employer_id)
			SELECT $1, p.id, (SELECT id FROM measure_type WHERE organisation_id = $1 ORDER BY code OFFSET (k + n) % 3 LIMIT 1),
				s - 10, s, CASE WHEN s < date '2019-01-01' THEN s + (90 + n % 360)::int END,
				CASE WHEN s < date '2019-01-01' THEN (ARRAY['unsubsidised_employment_full', 'studies', 'job_seeking', 'sick_leave'])[1 + n % 4] END,
				(SELECT id FROM unit WHERE organisation_id = $1 ORDER BY name OFFSET n % 4 LIMIT 1),
				(SELECT id FROM employer WHERE organisation_id = $1 ORDER BY name OFFSET n % 8 LIMIT 1)
			FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM participant WHERE organisation_id = $1) p,
				generate_series(0, 1) k, LATERAL (SELECT date '2016-01-01' + ((p.n * 7 + k * 400) % 1400)::int AS s) d`,
		`INSERT INTO target (organisation_id, name, metric, period_start, period_end, total, women, men)
			VALUES ($1, 'Beslut 2018', 'decisions', '2018-01-01', '2018-12-31', 25000, 12500, 12500)`,
		`INSERT INTO quota (organisation_id, name, total, period_start, period_end) VALUES ($1, 'Kvot 2018', 20000, '2018-01-01', '2018-12-31')`,
	} {
		args := []any{org.ID}
		if bytes.Contains([]byte(q), []byte("$2")) {
			args = append(args, n)
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatalf("%.80s: %v", q, err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	// The warehouse: one outcome row per enrolment.
	rng := rand.New(rand.NewPCG(13, 100))
	statuses := []string{"unsubsidised_employment_full", "studies", "job_seeking", "unknown", "sick_leave"}
	for lo := 0; lo < n; lo += 50_000 {
		var rows []snapshot.EnrolmentRow
		for i := lo; i < min(lo+50_000, n); i++ {
			start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(1100))
			end := start.AddDate(0, 3+rng.IntN(12), 0)
			f := snapshot.EmptyFacts()
			f.OrgCode = "bench"
			f.StatusAfter, f.SAAfter = make([]string, snapshot.MonthsAfterExit+1), make([]int8, snapshot.MonthsAfterExit+1)
			for k := range f.StatusAfter {
				f.StatusAfter[k], f.SAAfter[k] = statuses[rng.IntN(len(statuses))], int8(rng.IntN(3)-1)
			}
			rows = append(rows, snapshot.EnrolmentRow{OrgID: org.ID, EnrolmentKey: fmt.Sprintf("e%09d", i), PersonKey: fmt.Sprintf("p%09d", i/2),
				Gender: []string{"woman", "man", "other"}[rng.IntN(3)], BirthYear: 1980, MeasureCode: []string{"extra_job", "work_practice"}[i%2],
				Start: start, Exited: 1, ExitDate: end, ExitReason: "job_seeking",
				Status: [4]string{f.StatusAfter[3], f.StatusAfter[6], f.StatusAfter[12], f.StatusAfter[24]},
				SA:     [4]int8{f.SAAfter[3], f.SAAfter[6], f.SAAfter[12], f.SAAfter[24]}, Facts: f})
		}
		if err := chstore.Write(ctx, ch, chstore.Rows{Version: 1, Enrolments: rows}); err != nil {
			b.Fatal(err)
		}
	}
	svc := report.NewService(pool, ch)
	sc, err := svc.ResolveScope(ctx, org.ID, nil)
	if err != nil {
		b.Fatal(err)
	}
	month := time.Date(2018, 12, 1, 0, 0, 0, 0, time.UTC)
	run := func(b *testing.B, render func(io.Writer, *report.Report) error) {
		parts := map[string]time.Duration{}
		defer func() {
			for k, d := range parts {
				b.ReportMetric(float64(d.Milliseconds())/float64(b.N), k+"-ms/op")
			}
		}()
		for i := 0; i < b.N; i++ {
			r, err := svc.Build(ctx, sc, month)
			if err != nil {
				b.Fatal(err)
			}
			for k, d := range r.Timings() {
				parts[k] += d
			}
			if render != nil {
				if err := render(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("OUTCOMES_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	b.ResetTimer()
	// Rounds of the peer and the report's builds, interleaved, so that the machine's
	// load falls on both alike. The peer is the raw store: one scan of the
	// municipality's enrolments with their people's gender, through the same pool and
	// row-level security — the least any count of the report's enrolments by gender
	// costs.
	for round := 1; round <= rounds; round++ {
		b.Run(fmt.Sprintf("round%d/raw", round), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var n int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM enrolment e JOIN participant p ON p.id = e.participant_id
				WHERE e.organisation_id = $1 AND p.gender <> ''`, org.ID).Scan(&n); err != nil || n == 0 {
					b.Fatal(err, n)
				}
			}
		})
		b.Run(fmt.Sprintf("round%d/build", round), func(b *testing.B) { run(b, nil) })
		b.Run(fmt.Sprintf("round%d/html", round), func(b *testing.B) { run(b, report.HTML) })
		b.Run(fmt.Sprintf("round%d/xlsx", round), func(b *testing.B) { run(b, report.XLSX) })
	}
}
