// Command apibench measures the GraphQL API against named peers on the same database
// (figures, not tests):
//
//   - reads: a participants page (50 participants with their enrolments, referrals and
//     latest observation) served by our API — row-level security and the read audit on —
//     and by PostGraphile 4.14.1 connected as the superuser (which skips both), at two
//     organisation sizes, in interleaved pairs at a fixed concurrency;
//   - writes: createParticipant and createEnrolment through our API (audit, outbox and
//     idempotency included) against pgbench's single-row INSERT into the participant
//     table at the same concurrency, in interleaved pairs.
//
// Run it with `make bench-api` (scripts/bench-api.sh installs PostGraphile from npm
// into .data/ and passes its path); results go to standard output.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/arbetsmarknad/outcomes/bench/benchkit"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

const benchDB = "outcomes_apibench"

// pgDataDir is the PostgreSQL server's data folder (its postmaster.pid names the server).
var pgDataDir string

var tokenKey = []byte("bench-token-key-0123456789")

func main() {
	serve := flag.Bool("serve", false, "internal: run the API (the benchmark starts itself with this flag)")
	sizes := flag.String("participants", "1000,50000", "organisation sizes (one organisation each)")
	pairs := flag.Int("pairs", 3, "interleaved pairs per comparison")
	conc := flag.Int("concurrency", 8, "concurrent clients")
	dur := flag.Duration("duration", 10*time.Second, "length of each measured run")
	warm := flag.Duration("warmup", 2*time.Second, "unmeasured load before each run")
	postgraphile := flag.String("postgraphile", "", "path to the postgraphile CLI (node_modules/.bin/postgraphile)")
	reads := flag.Bool("reads", true, "run the read comparison")
	writes := flag.Bool("writes", true, "run the write comparison")
	reuse := flag.Bool("reuse", false, "keep the database of the previous run (same sizes) instead of generating it again")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of our API over the whole run to this file")
	flag.Parse()
	if *serve {
		if err := serveAPI(); err != nil {
			fmt.Fprintln(os.Stderr, "apibench serve:", err)
			os.Exit(1)
		}
		return
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 50 {
			fmt.Fprintln(os.Stderr, "apibench: -participants takes sizes of at least 50, e.g. 1000,50000")
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	o := options{sizes: ns, pairs: *pairs, conc: *conc, dur: *dur, warm: *warm, postgraphile: *postgraphile,
		reads: *reads, writes: *writes, reuse: *reuse, cpuProfile: *cpuProfile}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

type options struct {
	sizes               []int
	pairs, conc         int
	dur, warm           time.Duration
	postgraphile        string
	reads, writes       bool
	reuse               bool
	cpuProfile          string
	appURL, superURL    string
	ourAddr, graphileAt string
	ourPID, graphilePID int
}

// serveAPI runs the API as its own process (as in production, and like PostGraphile),
// with the configuration in the environment, and prints its address.
func serveAPI() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("APIBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- apiserver.Run(ctx, os.Getenv, os.Stderr, ready) }()
	select {
	case addr := <-ready:
		fmt.Println("ADDR " + addr)
	case err := <-errc:
		return err
	}
	return <-errc
}

func run(o options) error {
	ctx := context.Background()
	admin := os.Getenv("OUTCOMES_PG_ADMIN_URL")
	appURL, err := url.Parse(os.Getenv("OUTCOMES_DATABASE_URL"))
	if admin == "" || err != nil {
		return fmt.Errorf("run through scripts/bench-api.sh (needs the stack's environment)")
	}
	superURL, err := url.Parse(admin)
	if err != nil {
		return err
	}
	appURL.Path, superURL.Path = "/"+benchDB, "/"+benchDB
	o.appURL, o.superURL = appURL.String(), superURL.String()

	fmt.Printf("machine: %s\n", benchkit.Machine("$(postgres --version 2>/dev/null || ls /usr/lib/postgresql), load average $(cut -d' ' -f1-3 /proc/loadavg)"))
	orgs, err := prepare(ctx, admin, appURL, o)
	if err != nil {
		return err
	}
	superPool, err := db.Connect(ctx, o.superURL)
	if err != nil {
		return err
	}
	defer superPool.Close()
	if err := superPool.QueryRow(ctx, `SHOW data_directory`).Scan(&pgDataDir); err != nil {
		return err
	}

	api, err := startOurs(o)
	if err != nil {
		return err
	}
	defer api.stop()
	o.ourAddr, o.ourPID = api.addr, api.cmd.Process.Pid

	if o.reads {
		if o.postgraphile == "" {
			return fmt.Errorf("-postgraphile is required for the read comparison (scripts/bench-api.sh installs it)")
		}
		pg, err := startPostGraphile(o)
		if err != nil {
			return err
		}
		defer pg.stop()
		o.graphileAt, o.graphilePID = pg.addr, pg.cmd.Process.Pid
		for i, n := range o.sizes {
			if err := compareReads(ctx, o, n, orgs[i]); err != nil {
				return err
			}
		}
	}
	if o.writes {
		if err := compareWrites(ctx, o, superPool, orgs[len(o.sizes)], len(o.sizes)+1); err != nil {
			return err
		}
	}
	fmt.Printf("load average after the runs: %s\n", benchkit.LoadAverage())
	return nil
}

// ---------------------------------------------------------------------------------
// Data

// prepare creates the benchmark database and one organisation per size, each with that
// many participants and their history. With reuse, an existing database whose
// organisations have the asked sizes is kept.
func prepare(ctx context.Context, admin string, appURL *url.URL, o options) ([]string, error) {
	superPool, err := db.Connect(ctx, o.superURL)
	if o.reuse && err == nil {
		orgs, ok := existing(ctx, superPool, orgSizes(o.sizes))
		if !ok {
			superPool.Close()
		} else {
			defer superPool.Close()
			// The code under test may bring migrations the kept database lacks.
			pool, err := db.Connect(ctx, o.appURL)
			if err != nil {
				return nil, err
			}
			defer pool.Close()
			if _, err := db.Migrate(ctx, pool); err != nil {
				return nil, err
			}
			// As after generating: earlier runs' writes (and a server restarted since,
			// which forgets its activity statistics and so autovacuum's reasons to run)
			// leave tables unvacuumed, whose pages then cost both sides heap visits
			// and, once autovacuum wakes mid-run, CPU.
			if _, err := superPool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
				return nil, err
			}
			fmt.Println("reusing the benchmark database of the previous run (vacuumed and analysed)")
			return orgs, nil
		}
	} else if err == nil {
		superPool.Close()
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)") //nolint:errcheck
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+benchDB+" OWNER "+appURL.User.Username()); err != nil {
		return nil, err
	}
	conn.Close(ctx)
	pool, err := db.Connect(ctx, o.appURL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	pool.Close()
	// COPY does not run under row-level security: generate as the superuser.
	superPool, err = db.Connect(ctx, o.superURL)
	if err != nil {
		return nil, err
	}
	defer superPool.Close()
	var orgs []string
	for i, n := range orgSizes(o.sizes) {
		start := time.Now()
		org, counts, err := benchkit.Generate(ctx, superPool, benchkit.Population{People: n, Prefix: i + 1, Seed: [2]uint64{uint64(i + 7), uint64(n)},
			Organisation: organisation.CreateInput{Code: fmt.Sprintf("bench%d", i+1), Name: fmt.Sprintf("Benchkommun %d", i+1), Kind: organisation.Municipality},
			Measures:     []string{"extra_job", "extra_job", "work_practice", "labour_market_employment", "supported_employment"},
			GivenNames:   givenNames, FamilyNames: familyNames, Referrals: true})
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, org)
		fmt.Printf("organisation %d: %d participants, %d enrolments, %d referrals, %d observations (generated in %s)\n",
			i+1, counts.Participants, counts.Enrolments, counts.Referrals, counts.Observations, time.Since(start).Round(time.Millisecond))
	}
	if err := changes.MarkAllProcessed(ctx, superPool); err != nil {
		return nil, err
	}
	// Every page all-visible (index-only scans need no heap) and fresh planner
	// statistics, as both sides should find the database.
	if _, err := superPool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	return orgs, nil
}

// orgSizes are the sizes of the generated organisations: one per read size, then the
// writes' own organisation (as large as the first), so that what the write runs add —
// people, and enrolments of the generated people — never changes a page the read
// runs serve, however often the benchmark runs on a kept database.
func orgSizes(readSizes []int) []int {
	return append(slices.Clone(readSizes), readSizes[0])
}

func existing(ctx context.Context, pool *pgxpool.Pool, sizes []int) ([]string, bool) {
	var orgs []string
	for i, n := range sizes {
		var id string
		var count int
		err := pool.QueryRow(ctx, `SELECT o.id::text, (SELECT count(*) FROM participant p WHERE p.organisation_id = o.id AND p.given_name NOT IN ('Bench', 'Pg'))
			FROM organisation o WHERE o.code = $1`, fmt.Sprintf("bench%d", i+1)).Scan(&id, &count)
		if err != nil || count != n {
			return nil, false
		}
		orgs = append(orgs, id)
	}
	return orgs, true
}

var (
	familyNames = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
		"Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson", "Lindberg",
		"Jakobsson", "Magnusson", "Olofsson", "Lindström", "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström",
		"Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson",
		"Ali", "Mohammed", "Hassan", "Ahmed", "Yilmaz", "Nguyen", "Kowalski", "Novak", "Popescu", "Haddad"}
	givenNames = []string{"Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Emma", "Fatima", "Amina", "Leila",
		"Lars", "Mikael", "Anders", "Johan", "Erik", "Per", "Karl", "Ahmed", "Omar", "Yusuf", "Ali", "Elias", "Noah"}
)

// ---------------------------------------------------------------------------------
// Servers

type server struct {
	addr string
	cmd  *exec.Cmd
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }() //nolint:errcheck
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill() //nolint:errcheck
		}
	}
}

// startOurs starts this program again with -serve: the API in a process of its own.
func startOurs(o options) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve")
	cmd.Env = append(os.Environ(), "OUTCOMES_DATABASE_URL="+o.appURL, "OUTCOMES_CLICKHOUSE_DATABASE="+benchDB,
		"OUTCOMES_PSEUDONYM_KEY=bench-pseudonym-key-0123456789", "OUTCOMES_LOG_LEVEL=warn", "OUTCOMES_HTTP_ADDR=127.0.0.1:0",
		"OUTCOMES_AUTH_DEV_KEY="+string(tokenKey), "OUTCOMES_ENV=dev", "OUTCOMES_GRAPHQL_INTROSPECTION=false")
	if o.cpuProfile != "" {
		cmd.Env = append(cmd.Env, "APIBENCH_CPUPROFILE="+o.cpuProfile)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	addr, err := readLine(out, "ADDR ", 60*time.Second)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("start our API: %w", err)
	}
	s.addr = addr
	return s, nil
}

// startPostGraphile starts PostGraphile 4.14.1 on the same database, connected as the
// superuser (the way its quick start runs it).
func startPostGraphile(o options) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(o.postgraphile, "--connection", o.superURL, "--schema", "public", "--host", "127.0.0.1", "--port", port,
		"--disable-query-log", "--no-setof-functions-contain-nulls")
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: "127.0.0.1:" + port}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Post("http://"+s.addr+"/graphql", "application/json", strings.NewReader(`{"query":"{__typename}"}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("postgraphile did not answer within 90 s")
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func readLine(r io.Reader, prefix string, timeout time.Duration) (string, error) {
	lines := make(chan string, 1)
	go func() {
		var buf []byte
		b := make([]byte, 1)
		for {
			if _, err := r.Read(b); err != nil {
				close(lines)
				io.Copy(io.Discard, r) //nolint:errcheck
				return
			}
			if b[0] != '\n' {
				buf = append(buf, b[0])
				continue
			}
			if s, ok := strings.CutPrefix(string(buf), prefix); ok {
				lines <- s
				io.Copy(io.Discard, r) //nolint:errcheck
				return
			}
			buf = buf[:0]
		}
	}()
	select {
	case s, ok := <-lines:
		if !ok {
			return "", errors.New("process exited")
		}
		return s, nil
	case <-time.After(timeout):
		return "", errors.New("timed out")
	}
}

// ---------------------------------------------------------------------------------
// Reads

// The same page in both APIs: the first 50 participants of an organisation by family
// name, given name and id, each with enrolments, referrals and the latest observation.
// Neither asks for a total count.
const ourPage = `query($org: ID!) { participants(organisationId: $org, first: 50) {
  edges { node { id personalIdentityNumber givenName familyName gender birthDate caseStatus
    enrolments { id startDate endDate exitReason }
    referrals { id source referralDate }
    latestObservation { month status } } }
  pageInfo { hasNextPage endCursor } } }`

const graphilePage = `query($org: UUID!) { allParticipants(condition: {organisationId: $org},
    orderBy: [FAMILY_NAME_ASC, GIVEN_NAME_ASC, ID_ASC], first: 50) {
  nodes { id personalIdentityNumber givenName familyName gender birthDate caseStatus
    enrolmentsByParticipantIdAndOrganisationId(orderBy: [START_DATE_ASC, ID_ASC]) { nodes { id startDate endDate exitReason } }
    referralsByParticipantIdAndOrganisationId(orderBy: [REFERRAL_DATE_ASC, ID_ASC]) { nodes { id source referralDate } }
    outcomeObservationsByParticipantIdAndOrganisationId(orderBy: [MONTH_DESC, ID_DESC], first: 1) { nodes { month status } } }
  pageInfo { hasNextPage endCursor } } }`

func compareReads(ctx context.Context, o options, n int, org string) error {
	tok, err := auth.MintDev(tokenKey, auth.Principal{Subject: "bench-caseworker", Role: auth.Caseworker, OrgID: org}, 4*time.Hour)
	if err != nil {
		return err
	}
	ours := target{name: "ours", url: "http://" + o.ourAddr + "/graphql", token: tok, pid: o.ourPID,
		body: mustJSON(map[string]any{"query": ourPage, "variables": map[string]any{"org": model.GlobalID("Organisation", org)}})}
	theirs := target{name: "PostGraphile", url: "http://" + o.graphileAt + "/graphql", pid: o.graphilePID,
		body: mustJSON(map[string]any{"query": graphilePage, "variables": map[string]any{"org": org}})}
	// Both must answer the same page before anything is timed.
	a, err := ours.firstPage(ctx, func(v map[string]any) []any {
		return dig(v, "data", "participants", "edges")
	}, "node")
	if err != nil {
		return fmt.Errorf("our page: %w", err)
	}
	b, err := theirs.firstPage(ctx, func(v map[string]any) []any {
		return dig(v, "data", "allParticipants", "nodes")
	}, "")
	if err != nil {
		return fmt.Errorf("PostGraphile's page: %w", err)
	}
	if !slices.Equal(a, b) {
		return fmt.Errorf("the two pages differ:\n ours %v\n theirs %v", a, b)
	}
	fmt.Printf("\nreads, organisation of %d participants: a page of 50 with enrolments, referrals, latest observation; concurrency %d, %s per run (same 50 people on both sides)\n",
		n, o.conc, o.dur)
	var ratios []float64
	for i := 0; i < o.pairs; i++ {
		x, err := load(ctx, ours, o, nil)
		if err != nil {
			return err
		}
		y, err := load(ctx, theirs, o, nil)
		if err != nil {
			return err
		}
		r := x.rps / y.rps
		ratios = append(ratios, r)
		fmt.Printf("  pair %d: ours %5.1f req/s p50 %s p95 %s | PostGraphile %5.1f req/s p50 %s p95 %s | ratio %.2f, p95 ours/theirs %.2f (load %s)\n",
			i+1, x.rps, ms(x.p50), ms(x.p95), y.rps, ms(y.p50), ms(y.p95), r, float64(x.p95)/float64(y.p95), benchkit.LoadAverage())
		fmt.Printf("          CPU per request: ours %s API + %s PostgreSQL = %s | PostGraphile %s node + %s PostgreSQL = %s\n",
			ms(x.serverCPU), ms(x.pgCPU), ms(x.serverCPU+x.pgCPU), ms(y.serverCPU), ms(y.pgCPU), ms(y.serverCPU+y.pgCPU))
	}
	fmt.Printf("  median ratio (ours / PostGraphile req/s) at %d participants: %.2f\n", n, median(ratios))
	return nil
}

// firstPage sends the query once, checks it has no errors and 50 items, and returns the
// participants' ids in order.
func (t target) firstPage(ctx context.Context, items func(map[string]any) []any, inner string) ([]string, error) {
	body, err := t.do(ctx, t.body)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	if v["errors"] != nil {
		return nil, fmt.Errorf("errors: %v", v["errors"])
	}
	list := items(v)
	var ids []string
	for _, it := range list {
		m, _ := it.(map[string]any)
		if inner != "" {
			m, _ = m[inner].(map[string]any)
		}
		id, _ := m["id"].(string)
		ids = append(ids, model.RecordID("Participant", id))
	}
	if len(ids) != 50 {
		return nil, fmt.Errorf("page has %d participants, want 50", len(ids))
	}
	return ids, nil
}

func dig(v map[string]any, path ...string) []any {
	var cur any = v
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	l, _ := cur.([]any)
	return l
}

type target struct {
	name, url, token string
	body             []byte
	pid              int // the server's process, for its CPU time
}

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}

func (t target) do(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"errors"`)) {
		return nil, fmt.Errorf("%s: status %d: %.300s", t.name, resp.StatusCode, b)
	}
	return b, nil
}

// rawClient sends one client's requests to t over one kept-alive HTTP/1.1 connection,
// each written in one call from a header made once, and reads each response whole
// (Content-Length or chunked): what net/http's client does, without its goroutines
// per connection, header maps and allocations per request, which cost the load
// generator about 0.25-0.35 ms of CPU per write against pgbench's 0.06 ms per INSERT
// on the same shared cores. It fails as t.do does: a status other than 200 or a
// response with errors.
type rawClient struct {
	t    target
	conn net.Conn
	r    *bufio.Reader
	head []byte // the request line and headers up to Content-Length's value
	buf  []byte
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

func (c *rawClient) do(body []byte) error {
	if c.conn == nil {
		u, err := url.Parse(c.t.url)
		if err != nil {
			return err
		}
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			return err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 16<<10)
		h := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\n"
		if c.t.token != "" {
			h += "Authorization: Bearer " + c.t.token + "\r\n"
		}
		c.head = []byte(h + "Content-Length: ")
	}
	c.buf = append(c.buf[:0], c.head...)
	c.buf = strconv.AppendInt(c.buf, int64(len(body)), 10)
	c.buf = append(c.buf, "\r\n\r\n"...)
	c.buf = append(c.buf, body...)
	if _, err := c.conn.Write(c.buf); err != nil {
		return err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	length, chunked, closing := -1, false, false
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(value))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	var resp []byte
	switch {
	case chunked:
		for {
			line, err := c.r.ReadSlice('\n')
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return fmt.Errorf("%s: bad chunk size", c.t.name)
			}
			chunk := make([]byte, n+2) // the chunk and its CRLF
			if _, err := io.ReadFull(c.r, chunk); err != nil {
				return err
			}
			resp = append(resp, chunk[:n]...)
			if n == 0 {
				break
			}
		}
	case length >= 0:
		resp = make([]byte, length)
		if _, err := io.ReadFull(c.r, resp); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: a response without a length", c.t.name)
	}
	if closing {
		c.close()
		c.conn = nil
	}
	if !ok || bytes.Contains(resp, []byte(`"errors"`)) {
		return fmt.Errorf("%s: %s: %.300s", c.t.name, bytes.TrimSpace(status), resp)
	}
	return nil
}

type result struct {
	rps      float64
	p50, p95 time.Duration
	count    int
	// CPU time per request of the API server process and of PostgreSQL (every process
	// of this stack's server) over the run, warm-up included: on a machine shared with
	// other work, throughput moves with the share of CPU a run gets, CPU per request much
	// less.
	serverCPU, pgCPU time.Duration
	// clientCPU: the load generator's (this process's) CPU time per request, which
	// shares the machine's cores with the servers as pgbench's client does.
	clientCPU time.Duration
}

// load runs conc clients against t for the warm-up and then the measured duration;
// body (when not nil) makes each request's body from a sequence number. Bodies are
// made before the run (as pgbench parses its script before it starts), for as many
// requests as the fastest run here could send, so the clients spend the run's CPU on
// requests only; a run that sends more makes the rest as it goes.
func load(ctx context.Context, t target, o options, body func(seq int64) []byte) (result, error) {
	if body != nil {
		made := make([][]byte, int((o.warm+o.dur).Seconds()*prebuiltPerSecond)+1)
		for i := 1; i < len(made); i++ {
			made[i] = body(int64(i))
		}
		build := body
		body = func(seq int64) []byte {
			if seq < int64(len(made)) {
				return made[seq]
			}
			return build(seq)
		}
	}
	server0, pg0, client0 := cpuTime([]int{t.pid}), cpuTime(postgresPIDs()), ownCPU()
	var total atomic.Int64
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	start := time.Now()
	measureFrom := start.Add(o.warm)
	stopAt := measureFrom.Add(o.dur)
	var wg sync.WaitGroup
	for c := 0; c < o.conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			// Writes go through a lean client of their own (rawClient), as pgbench's
			// go through libpq; reads keep net/http's, as in the runs before.
			send := func(b []byte) error { _, err := t.do(ctx, b); return err }
			if body != nil {
				rc := &rawClient{t: t}
				defer rc.close()
				send = rc.do
			}
			for {
				t0 := time.Now()
				if t0.After(stopAt) {
					break
				}
				b := t.body
				if body != nil {
					b = body(seq.Add(1))
				}
				total.Add(1)
				if err := send(b); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				if d := time.Since(t0); t0.After(measureFrom) && !time.Now().After(stopAt) {
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return result{}, fmt.Errorf("%s: no request finished within the run", t.name)
	}
	n := time.Duration(total.Load())
	return result{rps: float64(len(lat)) / o.dur.Seconds(), p50: lat[len(lat)/2], p95: lat[len(lat)*95/100], count: len(lat),
		serverCPU: (cpuTime([]int{t.pid}) - server0) / n, pgCPU: (cpuTime(postgresPIDs()) - pg0) / n,
		clientCPU: (ownCPU() - client0) / n}, nil
}

// prebuiltPerSecond bounds the request bodies load makes ahead: above any rate a write
// run reached here (pgbench's INSERT peaked at about 1,600 per second).
const prebuiltPerSecond = 2500

// ownCPU is the user and system CPU time this process used so far, without its
// children (pgbench's is taken from its own process state).
func ownCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * (time.Second / 100)
}

// cpuTime is the user and system CPU time the processes used so far, with that of
// their children that exited (PostgreSQL's backends of closed connections, such as
// pgbench's, are counted by the server process once they are gone).
func cpuTime(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		if pid == 0 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces): utime is the 14th field.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cu, _ := strconv.ParseInt(f[13], 10, 64)
		cs, _ := strconv.ParseInt(f[14], 10, 64)
		ticks += u + st + cu + cs
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// postgresPIDs are this stack's PostgreSQL server and its backends (children).
func postgresPIDs() []int {
	b, err := os.ReadFile(filepath.Join(pgDataDir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	master, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	pids := []int{master}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+2:]))
		if ppid, _ := strconv.Atoi(f[1]); ppid == master {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ---------------------------------------------------------------------------------
// Writes

const createParticipant = `mutation($in: CreateParticipantInput!) { createParticipant(input: $in) { id } }`
const createEnrolment = `mutation($in: CreateEnrolmentInput!) { createEnrolment(input: $in) { id } }`

// compareWrites runs the writes in org, the writes' own organisation, whose generated
// participants' ids begin with prefix.
func compareWrites(ctx context.Context, o options, superPool *pgxpool.Pool, org string, prefix int) error {
	tok, err := auth.MintDev(tokenKey, auth.Principal{Subject: "bench-caseworker", Role: auth.Caseworker, OrgID: org}, 4*time.Hour)
	if err != nil {
		return err
	}
	orgGID := model.GlobalID("Organisation", org)
	dir, err := os.MkdirTemp("", "apibench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// pgbench: one single-row INSERT per transaction into the same table, as the
	// superuser (no row-level security), its triggers (the outbox's) firing as for us.
	// The peer is written once, in bench/ceiling/peer.sql (make bench-write-ceiling
	// runs it too); its organisation is pasted in, as pgbench's simple protocol, which
	// this run uses, takes no parameter for it.
	peer, err := os.ReadFile(filepath.Join("bench", "ceiling", "peer.sql")) // scripts/bench-api.sh runs from the checkout
	if err != nil {
		return fmt.Errorf("the pgbench peer: %w", err)
	}
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, bytes.ReplaceAll(peer, []byte(":org"), []byte("'"+org+"'")), 0o600); err != nil {
		return err
	}
	fmt.Printf("\nwrites: concurrency %d, %s per run; pgbench -n -c %d -j 2 -f (one INSERT INTO participant per transaction) as the peer\n", o.conc, o.dur, o.conc)
	var pr, er []float64
	for i := 0; i < o.pairs; i++ {
		// createParticipant: a fresh person per call (births 1930-1959, serials 500-999:
		// numbers neither the generated history nor pgbench uses), with an idempotency key.
		var made int64
		var lastStart time.Time
		if err := superPool.QueryRow(ctx, `SELECT count(*) FROM participant WHERE family_name = 'Writer' AND organisation_id = $1`, org).Scan(&made); err != nil {
			return err
		}
		if lastStart, err = benchSpellsFrom(ctx, superPool, org, i == 0); err != nil {
			return err
		}
		cp := target{name: "createParticipant", url: "http://" + o.ourAddr + "/graphql", token: tok, pid: o.ourPID}
		x, err := load(ctx, cp, o, func(seq int64) []byte {
			k := made + seq
			birth := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(k%10950))
			return mustJSON(map[string]any{"query": createParticipant, "variables": map[string]any{"in": map[string]any{
				"organisationId": orgGID, "personalIdentityNumber": demo.Personnummer(birth, 500+int(k/10950)),
				"givenName": "Bench", "familyName": "Writer", "gender": "WOMAN",
				"idempotencyKey": "bench-p-" + strconv.FormatInt(k, 10)}}})
		})
		if err != nil {
			return err
		}
		// createEnrolment: for the participants of the generated history in turn, in a
		// measure the history does not use, a finished ten-day spell each (start to start
		// plus ten days, both included), every round of them ending the day before the
		// earliest spell of the last round starts: eleven days a round (a kept database
		// starts again before it nears 2000, the earliest start the API accepts:
		// benchSpellsFrom).
		ce := target{name: "createEnrolment", url: "http://" + o.ourAddr + "/graphql", token: tok, pid: o.ourPID}
		n := int64(o.sizes[0])
		y, err := load(ctx, ce, o, func(seq int64) []byte {
			round := (seq - 1) / n
			pid := fmt.Sprintf("%08d-0000-4000-8000-%012d", prefix, 1+(seq-1)%n)
			start := lastStart.AddDate(0, 0, -11*(1+int(round)))
			return mustJSON(map[string]any{"query": createEnrolment, "variables": map[string]any{"in": map[string]any{
				"participantId": model.GlobalID("Participant", pid), "measureTypeCode": "work_training",
				"startDate": start.Format(time.DateOnly), "plannedEndDate": start.AddDate(0, 0, 10).Format(time.DateOnly),
				"endDate": start.AddDate(0, 0, 10).Format(time.DateOnly), "exitReason": "STUDIES",
				"idempotencyKey": "bench-e-" + start.Format("20060102") + "-" + pid}}})
		})
		if err != nil {
			return err
		}
		z, zCPU, zClient, err := pgbench(o, script)
		if err != nil {
			return err
		}
		pr, er = append(pr, x.rps/z), append(er, y.rps/z)
		fmt.Printf("  pair %d: createParticipant %6.1f/s (p95 %s) | createEnrolment %6.1f/s (p95 %s) | pgbench INSERT %7.1f tps | ratios %.2f, %.2f (load %s)\n",
			i+1, x.rps, ms(x.p95), y.rps, ms(y.p95), z, x.rps/z, y.rps/z, benchkit.LoadAverage())
		fmt.Printf("          CPU per call, API + PostgreSQL: createParticipant %s + %s | createEnrolment %s + %s | pgbench PostgreSQL %s\n",
			ms2(x.serverCPU), ms2(x.pgCPU), ms2(y.serverCPU), ms2(y.pgCPU), ms2(zCPU))
		fmt.Printf("          CPU per call of the clients: load generator %s (createParticipant), %s (createEnrolment) | pgbench %s\n",
			ms3(x.clientCPU), ms3(y.clientCPU), ms3(zClient))
	}
	fmt.Printf("  median ratio to pgbench: createParticipant %.2f, createEnrolment %.2f\n", median(pr), median(er))
	return nil
}

var (
	tpsRe = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	txRe  = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
)

// benchSpellsFrom returns the day before which the next createEnrolment run writes its
// spells: the earliest start of the runs before it (none: 2016-12-01), as spells go back
// eleven days a round. A kept database (-reuse) whose spells have come within three
// years of 2000, the earliest start the API accepts (about 20 runs; a run goes back at
// most about a year), first has the benchmark's own spells in its own organisation
// (measure work_training, which the generated history does not use) deleted with their
// idempotency keys and the table vacuumed, before the run's first pair (first), so that it starts again at
// 2016-12-01 instead of failing part-way through a run.
func benchSpellsFrom(ctx context.Context, superPool *pgxpool.Pool, org string, first bool) (time.Time, error) {
	const earliest = `SELECT least(min(e.start_date), '2016-12-01') FROM enrolment e
		JOIN measure_type m ON m.id = e.measure_type_id WHERE m.code = 'work_training' AND e.organisation_id = $1`
	var from time.Time
	if err := superPool.QueryRow(ctx, earliest, org).Scan(&from); err != nil {
		return time.Time{}, err
	}
	if !first || !from.Before(time.Date(2003, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return from, nil
	}
	tag, err := superPool.Exec(ctx, `DELETE FROM enrolment e USING measure_type m
		WHERE m.id = e.measure_type_id AND m.code = 'work_training' AND e.organisation_id = $1`, org)
	if err != nil {
		return time.Time{}, err
	}
	// Their idempotency keys name their start dates, which the next rounds use again.
	if _, err := superPool.Exec(ctx, `DELETE FROM idempotency_key WHERE organisation_id = $1 AND operation = 'createEnrolment'`, org); err != nil {
		return time.Time{}, err
	}
	if _, err := superPool.Exec(ctx, `VACUUM ANALYZE enrolment`); err != nil {
		return time.Time{}, err
	}
	fmt.Printf("  (the kept database's benchmark spells had reached %s: %d deleted, enrolment vacuumed)\n",
		from.Format(time.DateOnly), tag.RowsAffected())
	err = superPool.QueryRow(ctx, earliest, org).Scan(&from)
	return from, err
}

// pgbench runs the script for the run's duration and returns its tps, PostgreSQL's
// CPU time per transaction and pgbench's own.
func pgbench(o options, script string) (tps float64, pgCPU, clientCPU time.Duration, err error) {
	u, _ := url.Parse(o.superURL)
	args := []string{"-n", "-c", strconv.Itoa(o.conc), "-j", "2", "-T", strconv.Itoa(int(o.dur.Seconds())), "-f", script,
		"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username(), benchDB}
	cmd := exec.Command("pgbench", args...)
	// The outbox trigger runs with the table owner's rights, under row-level security:
	// the session names its scope as the system's sessions do.
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c app.org_ids=*")
	pg0 := cpuTime(postgresPIDs())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	pgCPU = cpuTime(postgresPIDs()) - pg0
	m, n := tpsRe.FindSubmatch(out), txRe.FindSubmatch(out)
	if m == nil || n == nil {
		return 0, 0, 0, fmt.Errorf("pgbench: no tps in %s", out)
	}
	tps, err = strconv.ParseFloat(string(m[1]), 64)
	txs, _ := strconv.Atoi(string(n[1]))
	if err != nil || txs == 0 {
		return 0, 0, 0, fmt.Errorf("pgbench: no transactions in %s", out)
	}
	clientCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return tps, pgCPU / time.Duration(txs), clientCPU / time.Duration(txs), nil
}

// ---------------------------------------------------------------------------------

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ms2 is ms to the hundredth, for CPU per call.
func ms2(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// ms3 is ms to the microsecond, for the clients' small figures.
func ms3(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d.Microseconds())/1000) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
