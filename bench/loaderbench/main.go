// Command loaderbench measures the loader on the local stack (figures, not tests):
//
//  1. generates a realistic history for N participants (default 100,000) with COPY;
//  2. in -pairs interleaved pairs (default 3): rebuilds the warehouse with the loader
//     from scratch (fresh tables), then inserts the very same rows, exported once to TSV,
//     with clickhouse-client into empty copies of the tables (the raw insert rate on the
//     same machine at about the same time), and prints both rates, their ratio and the
//     load average; then the median of the ratios;
//  3. unless -duration 0: runs the API and the loader, writes through GraphQL at a steady
//     rate, and reports the change-to-warehouse latency (commit to ClickHouse
//     acknowledgement) at p50/p95.
//
// Run it with `make bench-loader`; results go to standard output.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/bench/benchkit"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

func main() {
	n := flag.Int("participants", 100000, "participants to generate")
	rate := flag.Int("rate", 20, "GraphQL writes per second during the latency run")
	dur := flag.Duration("duration", 30*time.Second, "length of the latency run (0: skip it)")
	flag.IntVar(&pairs, "pairs", 3, "interleaved pairs of loader rebuild and raw insert")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the rebuild to this file")
	flag.Parse()
	profile = *cpuProfile
	if err := run(*n, *rate, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "loaderbench:", err)
		os.Exit(1)
	}
}

const benchDB = "outcomes_bench"

var (
	profile string
	pairs   int
)

func run(n, rate int, dur time.Duration) error {
	ctx := context.Background()
	admin := os.Getenv("OUTCOMES_PG_ADMIN_URL")
	appURL, err := url.Parse(os.Getenv("OUTCOMES_DATABASE_URL"))
	if admin == "" || err != nil {
		return fmt.Errorf("run through scripts/bench-loader.sh (needs the stack's environment)")
	}
	// A fresh PostgreSQL database and ClickHouse database for the run.
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)") //nolint:errcheck
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+benchDB+" OWNER "+appURL.User.Username()); err != nil {
		return err
	}
	conn.Close(ctx)
	appURL.Path = "/" + benchDB
	env := map[string]string{"OUTCOMES_DATABASE_URL": appURL.String(), "OUTCOMES_CLICKHOUSE_ADDR": os.Getenv("OUTCOMES_CLICKHOUSE_ADDR"),
		"OUTCOMES_CLICKHOUSE_DATABASE": benchDB, "OUTCOMES_PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
		"OUTCOMES_LOADER_BATCH_SIZE": "500", "OUTCOMES_LOG_LEVEL": "warn", "OUTCOMES_LOADER_POLL_INTERVAL": "1s",
		"OUTCOMES_HTTP_ADDR": "127.0.0.1:0", "OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0",
		"OUTCOMES_AUTH_DEV_KEY": "bench-token-key-0123456789", "OUTCOMES_ENV": "dev", "OUTCOMES_GRAPHQL_INTROSPECTION": "false"}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	pool, err := db.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	benchOpts := chstore.OptionsFrom(cfg)
	benchOpts.Database = benchDB
	ch, err := chstore.Open(ctx, benchOpts)
	if err != nil {
		return err
	}
	ch.Exec(ctx, "DROP DATABASE IF EXISTS "+benchDB) //nolint:errcheck
	ch.Close()
	if ch, err = chstore.Open(ctx, benchOpts); err != nil {
		return err
	}
	if _, err := chstore.Migrate(ctx, ch); err != nil {
		return err
	}

	fmt.Printf("machine: %s\n", benchkit.Machine("ClickHouse $(clickhouse-client --version 2>/dev/null | tail -1)"))
	// COPY does not run under row-level security: generate as the superuser.
	adminURL, err := url.Parse(admin)
	if err != nil {
		return err
	}
	adminURL.Path = "/" + benchDB
	superPool, err := db.Connect(ctx, adminURL.String())
	if err != nil {
		return err
	}
	defer superPool.Close()
	start := time.Now()
	// A realistic history, and one change event per participant from the tables'
	// triggers (so the latency run starts from an outbox with history).
	org, counts, err := benchkit.Generate(ctx, superPool, benchkit.Population{People: n, Seed: [2]uint64{7, 100000},
		Organisation: organisation.CreateInput{Code: "benchkommun", Name: "Benchkommun", Kind: organisation.Municipality},
		Measures:     []string{"extra_job", "extra_job", "work_practice", "labour_market_employment", "supported_employment", "work_training"}})
	if err != nil {
		return err
	}
	// The loader's month rollover must not re-queue everyone during the latency run.
	if _, err := superPool.Exec(ctx, `INSERT INTO loader_state (name, value) VALUES ('rollover_month', to_char(now(), 'YYYY-MM'))`); err != nil {
		return err
	}
	fmt.Printf("generated %d participants, %d enrolments, %d observations in %s\n", counts.Participants, counts.Enrolments, counts.Observations, time.Since(start).Round(time.Millisecond))

	l := &loader.Loader{PG: pool, CH: ch, Keys: pseudonymKeyer(cfg), BatchSize: 500, Log: zerolog.Nop()}
	// Interleaved pairs on a shared machine: each pair rebuilds the warehouse from scratch
	// with the loader, then inserts the same rows with clickhouse-client, so that a change
	// in the machine's load hits both sides of a pair alike. The ratio of each pair is
	// printed, and their median.
	var tsv map[string]string
	var ratios []float64
	for i := 1; i <= pairs; i++ {
		if err := chstore.Recreate(ctx, ch); err != nil {
			return err
		}
		loadBefore := benchkit.LoadAverage1()
		if profile != "" && i == 1 {
			f, err := os.Create(profile)
			if err != nil {
				return err
			}
			pprof.StartCPUProfile(f) //nolint:errcheck
		}
		st, err := l.Rebuild(ctx, loader.RebuildOptions{PageSize: 2000, Fresh: true})
		if err != nil {
			return err
		}
		if profile != "" && i == 1 {
			pprof.StopCPUProfile()
		}
		if tsv == nil {
			if tsv, err = exportTSV(cfg.ClickHouseAddr); err != nil {
				return err
			}
			defer func() {
				for _, f := range tsv {
					os.Remove(f)
				}
			}()
		}
		rawRows, rawTime, err := rawInsert(cfg.ClickHouseAddr, tsv)
		if err != nil {
			return err
		}
		rawRate := float64(rawRows) / rawTime.Seconds()
		ratio := st.RowsPerSecond() / rawRate
		ratios = append(ratios, ratio)
		fmt.Printf("pair %d: loader rebuild %d rows in %s = %.0f rows/s; clickhouse-client raw insert %d rows in %s = %.0f rows/s; loader / raw = %.2f (load average %s -> %s)\n",
			i, st.Rows, st.Elapsed.Round(time.Millisecond), st.RowsPerSecond(), rawRows, rawTime.Round(time.Millisecond), rawRate, ratio,
			loadBefore, benchkit.LoadAverage1())
	}
	sorted := append([]float64(nil), ratios...)
	sort.Float64s(sorted)
	fmt.Printf("loader / raw insert rate, median of %d interleaved pairs: %.2f (min %.2f, max %.2f)\n",
		len(sorted), sorted[len(sorted)/2], sorted[0], sorted[len(sorted)-1])
	// The rebuild's rows are the warehouse now: the outbox has nothing left to do.
	if err := changes.MarkAllProcessed(ctx, pool); err != nil {
		return err
	}
	if dur <= 0 {
		return nil
	}

	p50, p95, writes, err := latency(ctx, getenv, pool, org, rate, dur)
	if err != nil {
		return err
	}
	fmt.Printf("steady load: %d GraphQL writes at %d/s for %s; change-to-warehouse latency p50 %s, p95 %s\n",
		writes, rate, dur, p50.Round(time.Millisecond), p95.Round(time.Millisecond))
	return nil
}

var warehouseTables = []string{chstore.Months.Name, chstore.Enrolments.Name}

func clickhouseClient(addr, query string, stdin, stdout *os.File) error {
	port := addr[strings.LastIndex(addr, ":")+1:]
	cmd := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", port, "--database", benchDB, "--query", query)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, os.Stderr
	return cmd.Run()
}

// exportTSV writes the rebuilt rows of each table to a TSV file.
func exportTSV(addr string) (map[string]string, error) {
	out := map[string]string{}
	for _, table := range warehouseTables {
		f, err := os.CreateTemp("", table+"-*.tsv")
		if err != nil {
			return nil, err
		}
		out[table] = f.Name()
		err = clickhouseClient(addr, "SELECT * FROM "+table+" FORMAT TabSeparated", nil, f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rawInsert times clickhouse-client inserting the TSV files into empty copies of the
// tables.
func rawInsert(addr string, tsv map[string]string) (int, time.Duration, error) {
	var total int
	var elapsed time.Duration
	for _, table := range warehouseTables {
		if err := clickhouseClient(addr, "DROP TABLE IF EXISTS raw_"+table, nil, nil); err != nil {
			return 0, 0, err
		}
		if err := clickhouseClient(addr, "CREATE TABLE raw_"+table+" AS "+table, nil, nil); err != nil {
			return 0, 0, err
		}
		f, err := os.Open(tsv[table])
		if err != nil {
			return 0, 0, err
		}
		start := time.Now()
		err = clickhouseClient(addr, "INSERT INTO raw_"+table+" FORMAT TabSeparated", f, nil)
		elapsed += time.Since(start)
		f.Close()
		if err != nil {
			return 0, 0, err
		}
		port := addr[strings.LastIndex(addr, ":")+1:]
		out, err := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", port, "--database", benchDB,
			"--query", "SELECT count() FROM raw_"+table).Output()
		if err != nil {
			return 0, 0, err
		}
		var c int
		fmt.Sscan(string(out), &c) //nolint:errcheck
		total += c
	}
	return total, elapsed, nil
}

// latency runs the API and the loader, writes observations through GraphQL at a steady
// rate, and reads commit-to-acknowledgement latency from the outbox (processed_at is
// set right after ClickHouse acknowledged the batch).
func latency(ctx context.Context, getenv func(string) string, pool *pgxpool.Pool, org string, rate int, dur time.Duration) (p50, p95 time.Duration, writes int, err error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiReady, loaderReady := make(chan string, 1), make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); apiserver.Run(runCtx, getenv, os.Stderr, apiReady) }() //nolint:errcheck
	go func() { defer wg.Done(); loader.Run(runCtx, getenv, os.Stderr, loaderReady) }() //nolint:errcheck
	addr := <-apiReady
	<-loaderReady
	client := gqltest.New("http://" + addr + "/graphql")
	tok, err := auth.MintDev([]byte(getenv("OUTCOMES_AUTH_DEV_KEY")), auth.Principal{Subject: "bench", Role: auth.Admin}, time.Hour)
	if err != nil {
		return 0, 0, 0, err
	}
	client.Header.Set("Authorization", "Bearer "+tok)
	var from time.Time
	if err := pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&from); err != nil {
		return 0, 0, 0, err
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	deadline := time.Now().Add(dur)
	rng := rand.New(rand.NewPCG(1, 2))
	for time.Now().Before(deadline) {
		<-tick.C
		pid := fmt.Sprintf("00000000-0000-4000-8000-%012d", 1+rng.IntN(1000))
		month := time.Date(2021+rng.IntN(4), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		r, err := client.Do(ctx, `mutation($p: ID!, $m: Month!) { recordOutcomeObservation(input: {participantId: $p, month: $m,
			status: STUDIES, socialAssistance: false, source: PARTICIPANT_SURVEY}) { id } }`, map[string]any{"p": pid, "m": month})
		if err != nil || len(r.Errors) > 0 {
			return 0, 0, writes, fmt.Errorf("write: %v %v", err, r.Errors)
		}
		writes++
	}
	tick.Stop()
	// Wait for the backlog to drain, then read the latencies.
	for i := 0; i < 600; i++ {
		if pending, _, err := changes.Backlog(ctx, pool, ""); err == nil && pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	p50, p95, err = changes.Latency(ctx, pool, from)
	cancel()
	wg.Wait()
	return p50, p95, writes, err
}

func pseudonymKeyer(cfg config.Config) pseudonym.Keyer { return pseudonym.New(cfg.PseudonymKey) }
