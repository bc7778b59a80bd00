// Package benchkit is what the benchmark programs under bench/ share: the synthetic
// population they write into PostgreSQL, and the machine's state they print beside
// every figure (other work shares the cores).
package benchkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
)

// Population describes one organisation's synthetic history.
type Population struct {
	Organisation organisation.CreateInput
	People       int
	// Prefix is the first group of every participant id (ids are
	// PPPPPPPP-0000-4000-8000-NNNNNNNNNNNN, N counting from 1), so that runs can find
	// a person by number.
	Prefix int
	Seed   [2]uint64
	// Measures are the measure codes enrolments draw from (repeat a code to weigh it).
	Measures []string
	// GivenNames and FamilyNames are drawn from for each person; without them every
	// person is "Bench Person".
	GivenNames, FamilyNames []string
	// Referrals gives each person one referral before their first enrolment.
	Referrals bool
}

// Counts are the rows Generate wrote.
type Counts struct{ Participants, Enrolments, Referrals, Observations int }

// Generate writes p with COPY: the organisation (through its store), then each person
// with one or two enrolments (3 to 14 months, two months apart), a referral if asked,
// and up to four follow-up observations at 3, 6, 12 and 24 months after the last exit.
// COPY does not run under row-level security: pool must be the owner's or a superuser's.
// It returns the organisation's id.
func Generate(ctx context.Context, pool *pgxpool.Pool, p Population) (string, Counts, error) {
	o, err := organisation.NewStore(pool).Create(ctx, p.Organisation)
	if err != nil {
		return "", Counts{}, err
	}
	measures := map[string]string{}
	rows, err := pool.Query(ctx, `SELECT code, id::text FROM measure_type WHERE organisation_id = $1`, o.ID)
	if err != nil {
		return "", Counts{}, err
	}
	for rows.Next() {
		var c, id string
		rows.Scan(&c, &id) //nolint:errcheck
		measures[c] = id
	}
	rows.Close()
	statuses := []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "studies", "job_seeking", "job_seeking", "sick_leave", "subsidised_employment"}
	sources := []string{"social_services", "af", "social_insurance", "self"}
	rng := rand.New(rand.NewPCG(p.Seed[0], p.Seed[1]))
	var ps, es, rs, obs [][]any
	base := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	genders := []string{"woman", "man", "man", "woman", "other"}
	for i := 0; i < p.People; i++ {
		id := fmt.Sprintf("%08d-0000-4000-8000-%012d", p.Prefix, i+1)
		birth := base.AddDate(0, 0, i%14600)
		given, family := "Bench", "Person"
		if len(p.GivenNames) > 0 {
			given, family = p.GivenNames[rng.IntN(len(p.GivenNames))], p.FamilyNames[rng.IntN(len(p.FamilyNames))]
		}
		ps = append(ps, []any{id, o.ID, demo.Personnummer(birth, i/14600), given, family, genders[rng.IntN(len(genders))], birth})
		start := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365*3))
		if p.Referrals {
			rs = append(rs, []any{o.ID, id, sources[rng.IntN(len(sources))], start.AddDate(0, 0, -20), []string{"work_practice"}})
		}
		k := 1 + rng.IntN(2)
		var end time.Time
		for j := 0; j < k; j++ {
			end = start.AddDate(0, 3+rng.IntN(12), 0)
			es = append(es, []any{o.ID, id, measures[p.Measures[rng.IntN(len(p.Measures))]], start, end, statuses[rng.IntN(len(statuses))]})
			start = end.AddDate(0, 2, 0)
		}
		for _, h := range []int{3, 6, 12, 24} {
			if rng.IntN(5) == 0 {
				continue
			}
			m := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, h, 0)
			obs = append(obs, []any{o.ID, id, m, statuses[rng.IntN(len(statuses))], rng.IntN(2) == 0, "af_data"})
		}
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"participant", []string{"id", "organisation_id", "personal_identity_number", "given_name", "family_name", "gender", "birth_date"}, ps},
		{"enrolment", []string{"organisation_id", "participant_id", "measure_type_id", "start_date", "end_date", "exit_reason"}, es},
		{"referral", []string{"organisation_id", "participant_id", "source", "referral_date", "ordered"}, rs},
		{"outcome_observation", []string{"organisation_id", "participant_id", "month", "status", "social_assistance", "source"}, obs},
	} {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return "", Counts{}, fmt.Errorf("copy %s: %w", t.table, err)
		}
	}
	return o.ID, Counts{Participants: len(ps), Enrolments: len(es), Referrals: len(rs), Observations: len(obs)}, nil
}

// LoadAverage is the machine's load average over 1, 5 and 15 minutes, "?" when unknown.
func LoadAverage() string { return loadAverage(3) }

// LoadAverage1 is the machine's 1-minute load average, "?" when unknown.
func LoadAverage1() string { return loadAverage(1) }

func loadAverage(n int) string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < n {
		return "?"
	}
	return strings.Join(f[:n], " ")
}

// Machine describes the machine a run is on: its cores and CPU model, then what
// versions (a shell expression, such as "$(postgres --version)") prints.
func Machine(versions string) string {
	out, _ := exec.Command("sh", "-c", "echo $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), "+versions).Output()
	return strings.TrimSpace(string(out))
}
