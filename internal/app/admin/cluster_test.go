package admin_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// TestLoaderOnTwoShards runs the real loader (loader.Run, as cmd/loader) and the real
// admin commands (outcomesctl migrate, erase, rebuild -fresh) against a cluster of two
// ClickHouse servers configured as an operator would (OUTCOMES_CLICKHOUSE_CLUSTER,
// _SHARDS, _SHARD_DATABASE), with the history written by the domain stores into a real
// PostgreSQL. It requires: a loader that refuses while one shard is not migrated, naming
// it; the figures through the cluster's front equal a single server's rebuilt from the
// same PostgreSQL; an erased person's rows gone from both shards; a fresh rebuild on the
// cluster recorded on both shards, after which the loader's check passes and the figures
// still equal the single server's.
func TestLoaderOnTwoShards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, pool := testenv.PostgresWithURL(t)
	single := testenv.ClickHouseOptions(t)
	servers := testenv.TwoShards(t)
	addrs := servers.Addrs
	base := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": url, "OUTCOMES_CLICKHOUSE_USER": "default",
		"OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0", "OUTCOMES_LOADER_POLL_INTERVAL": "100ms"}
	with := func(extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range extra {
			env[k] = v
		}
		return env
	}
	cluster := with(map[string]string{"OUTCOMES_CLICKHOUSE_ADDR": addrs[0], "OUTCOMES_CLICKHOUSE_DATABASE": "outcomes_all",
		"OUTCOMES_CLICKHOUSE_CLUSTER": testenv.ShardCluster, "OUTCOMES_CLICKHOUSE_SHARDS": addrs[0] + "," + addrs[1],
		"OUTCOMES_CLICKHOUSE_SHARD_DATABASE": "outcomes"})
	one := with(map[string]string{"OUTCOMES_CLICKHOUSE_ADDR": single.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": single.Database})
	var shards [2]driver.Conn
	for i, a := range addrs {
		conn, err := chstore.Open(ctx, chstore.Options{Addr: a, Database: "outcomes", User: "default"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		shards[i] = conn
	}

	// The schema check reads every shard: with only the first migrated, the loader
	// refuses and names the second.
	if _, err := chstore.Migrate(ctx, shards[0]); err != nil {
		t.Fatal(err)
	}
	if err := runLoader(t, cluster, nil); err == nil || !strings.Contains(err.Error(), "shard "+addrs[1]) ||
		!strings.Contains(err.Error(), "older than this loader's") {
		t.Fatalf("loader with the second shard unmigrated: %v", err)
	}
	out := runCtl(t, cluster, "migrate")
	if !strings.Contains(out, "on the 2 shards of "+testenv.ShardCluster) {
		t.Errorf("migrate on the cluster said: %s", out)
	}
	t.Log(strings.TrimSpace(out))

	orgs, byShard := clusterOrganisations(t, ctx, pool, shards[0])
	people := clusterHistories(t, ctx, pool, orgs, 0)

	// The live loader fills the cluster through the front.
	drainWith(t, ctx, pool, cluster)
	for i, s := range shards {
		got := orgsOn(t, s)
		if !reflect.DeepEqual(got, byShard[i]) {
			t.Errorf("shard %d holds the organisations %v, the sharding key puts %v there", i, got, byShard[i])
		}
	}
	front, err := chstore.Open(ctx, chstore.Options{Addr: addrs[0], Database: "outcomes_all", User: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { front.Close() })
	singleConn, err := chstore.Open(ctx, single)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { singleConn.Close() })
	runCtl(t, one, "rebuild", "-fresh")
	n := sameFigures(t, ctx, front, singleConn, orgs)
	t.Logf("after the live loader: %d figures equal the single server's", n)
	if out := runCtl(t, cluster, "reconcile"); !strings.Contains(out, "postgresql and clickhouse agree") {
		t.Errorf("reconcile through the front: %s", out)
	}

	// An outage of the second shard: its rows cannot be written, so nothing is marked
	// processed, and the loader catches up once it is back. A write through the loader's
	// front connection fails while the shard is down instead of being queued on the
	// front, as it would be without insert_distributed_sync.
	cfg, err := config.Load(func(k string) string { return cluster[k] })
	if err != nil {
		t.Fatal(err)
	}
	l, closeLoader, err := loader.Open(ctx, cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer closeLoader()
	servers.Stop(1)
	late := clusterHistories(t, ctx, pool, byShard[1][:1], 900)
	people = append(people, late...)
	pendingBefore := pending(t, ctx, pool)
	if _, err := l.ProcessOnce(ctx); err == nil {
		t.Error("the loader wrote a batch with a shard down")
	}
	if n := pending(t, ctx, pool); n != pendingBefore || n == 0 {
		t.Errorf("with a shard down %d changes are pending, before the batch %d: none may be marked processed", n, pendingBefore)
	}
	row := outageRow(t, ctx, singleConn, 1)
	if err := chstore.Write(ctx, l.CH, chstore.Rows{Version: 1, Enrolments: row, Fresh: true}); err == nil {
		t.Error("the loader's front connection acknowledged a write to a shard that is down")
	}
	if err := chstore.Write(ctx, front, chstore.Rows{Version: 1, Enrolments: row, Fresh: true}); err != nil {
		t.Errorf("a front connection without insert_distributed_sync (queues the rows): %v", err)
	}
	servers.Start(1)
	drainWith(t, ctx, pool, cluster)
	runCtl(t, one, "rebuild", "-fresh")
	n = sameFigures(t, ctx, front, singleConn, orgs)
	t.Logf("shard 1 down: the batch failed with %d changes pending; after it came back %d figures equal", pendingBefore, n)

	// Erasure: the person's rows leave the shard that held them; the other never had any.
	gone := people[0]
	key := personKey(gone)
	before := [2]uint64{dataRows(t, shards[0], key), dataRows(t, shards[1], key)}
	if (before[0] == 0) == (before[1] == 0) {
		t.Fatalf("the person's data rows per shard before erasure: %v; want them on exactly one", before)
	}
	runCtl(t, cluster, "erase", "-participant", gone)
	drainWith(t, ctx, pool, cluster)
	for i, s := range shards {
		waitForMutations(t, s)
		if n := dataRows(t, s, key); n != 0 {
			t.Errorf("shard %d still holds %d data rows of the erased person", i, n)
		}
	}
	runCtl(t, one, "rebuild", "-fresh")
	n = sameFigures(t, ctx, front, singleConn, orgs)
	t.Logf("erased person's data rows per shard before %v, after [0 0]; %d figures still equal", before, n)

	// A fresh rebuild on the cluster: every shard recreated and refilled through the
	// front, the rebuild recorded on both, the loader's check satisfied.
	out = runCtl(t, cluster, "rebuild", "-fresh")
	if !strings.Contains(out, "warehouse tables recreated") {
		t.Errorf("rebuild -fresh said: %s", out)
	}
	var recorded [2][2]uint64
	for i, s := range shards {
		if err := s.QueryRow(ctx, `SELECT toUInt64(max(schema_version)), argMax(participants, finished_at) FROM warehouse_rebuild`).
			Scan(&recorded[i][0], &recorded[i][1]); err != nil {
			t.Fatal(err)
		}
		if n := allRows(t, s, key); n != 0 {
			t.Errorf("after the fresh rebuild shard %d still has %d rows (tombstones included) of the erased person", i, n)
		}
	}
	schema, err := chstore.EmbeddedSchema()
	if err != nil {
		t.Fatal(err)
	}
	if recorded[0] != recorded[1] || recorded[0][0] != uint64(schema.Latest) || recorded[0][1] != uint64(len(people)-1) {
		t.Errorf("rebuild recorded (schema version, participants) %v on the shards; want [%d %d] on both", recorded, schema.Latest, len(people)-1)
	}
	n = sameFigures(t, ctx, front, singleConn, orgs)
	t.Logf("after rebuild -fresh on the cluster: recorded %v on the two shards; %d figures equal", recorded, n)
	// The loader starts (its check passes on both shards and the front) and has nothing to do.
	drainWith(t, ctx, pool, cluster)

	// The front is checked too: a connection that would not wait for the shards is
	// refused, and so is a front missing a table, until `migrate` makes it again.
	c := &chstore.Cluster{Name: testenv.ShardCluster, Local: "outcomes", Addrs: addrs[:], Shards: shards[:]}
	err = chstore.Warehouse{Conn: front, Cluster: c}.CheckSchema(ctx)
	if err == nil || !strings.Contains(err.Error(), "insert_distributed_sync is 0") {
		t.Errorf("a front connection without insert_distributed_sync: %v", err)
	}
	if err := front.Exec(ctx, `DROP TABLE participant_month`); err != nil {
		t.Fatal(err)
	}
	if err := runLoader(t, cluster, nil); err == nil || !strings.Contains(err.Error(), "participant_month") || !strings.Contains(err.Error(), "outcomesctl migrate") {
		t.Errorf("loader with a front missing participant_month: %v", err)
	}
	runCtl(t, cluster, "migrate")
	drainWith(t, ctx, pool, cluster)
}

// runLoader runs loader.Run, as cmd/loader does, until stop is closed; it returns what
// Run returned (at once when the loader refuses to start).
func runLoader(t *testing.T, env map[string]string, stop <-chan struct{}) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs strings.Builder
	go func() { done <- loader.Run(ctx, func(k string) string { return env[k] }, &logs, ready) }()
	select {
	case err := <-done:
		return err
	case <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the loader did not start:\n%s", logs.String())
	}
	if stop != nil {
		<-stop
	}
	cancel()
	return <-done
}

// drainWith runs the loader until no change is pending.
func drainWith(t *testing.T, ctx context.Context, pool *pgxpool.Pool, env map[string]string) {
	t.Helper()
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var pending int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending); err == nil && pending == 0 {
				return
			}
		}
	}()
	if err := runLoader(t, env, stop); err != nil {
		t.Fatalf("loader: %v", err)
	}
	var pending int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("%d changes still pending (%v)", pending, err)
	}
}

// clusterOrganisations creates organisations until each of the two shards gets at least
// two, and returns their ids and which shard the sharding key puts each on (asked of a
// server: the Distributed table sends a row to shard cityHash64(org_id) % 2 of two
// shards of weight 1).
func clusterOrganisations(t *testing.T, ctx context.Context, pool *pgxpool.Pool, conn driver.Conn) ([]string, [2][]string) {
	t.Helper()
	var orgs []string
	var byShard [2][]string
	for i := 0; len(byShard[0]) < 2 || len(byShard[1]) < 2; i++ {
		if i == 40 {
			t.Fatalf("40 organisations and still %v per shard", byShard)
		}
		o := domaintest.OrganisationWith(t, pool, organisation.CreateInput{Code: fmt.Sprintf("shardkommun%d", i),
			Name: fmt.Sprintf("Shardkommun %d", i), Kind: organisation.Municipality})
		var shard uint64
		if err := conn.QueryRow(ctx, `SELECT toUInt64(`+chstore.ShardingKey+` % 2) FROM (SELECT ? AS org_id)`, o.ID).Scan(&shard); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
		byShard[shard] = append(byShard[shard], o.ID)
	}
	for i := range byShard {
		byShard[i] = sorted(byShard[i])
	}
	return orgs, byShard
}

// clusterHistories registers eight participants per organisation through the domain
// stores, each with one or two exited enrolments (2019-2021) and observations after
// their exit, and returns their ids. Their personnummer are numbered from serial + 1.
func clusterHistories(t *testing.T, ctx context.Context, pool *pgxpool.Pool, orgs []string, serial int) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(17, uint64(serial)))
	statuses := []outcome.Status{outcome.UnsubsidisedFull, outcome.Subsidised, outcome.Studies, outcome.JobSeeking, outcome.SickLeave}
	genders := []participant.Gender{participant.Woman, participant.Man}
	measures := []string{"work_practice", "work_training"}
	var ids []string
	for _, org := range orgs {
		for range 8 {
			serial++
			p, err := participant.NewStore(pool).Create(ctx, participant.CreateInput{OrganisationID: org, Gender: genders[rng.IntN(2)],
				PersonalIdentityNumber: demo.Personnummer(time.Date(1975+rng.IntN(25), 1+time.Month(rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC), serial),
				GivenName:              "Test", FamilyName: "Person"})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2018, 1+time.Month(rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			for e := range 1 + rng.IntN(2) {
				from := start.AddDate(1*e, 0, 0)
				end := from.AddDate(0, 4+rng.IntN(6), rng.IntN(20))
				reason := statuses[rng.IntN(len(statuses))]
				if _, err := enrolment.NewStore(pool).Create(ctx, enrolment.CreateInput{ParticipantID: p.ID, MeasureTypeCode: measures[rng.IntN(2)],
					StartDate: from, EndDate: &end, ExitReason: &reason}); err != nil {
					t.Fatal(err)
				}
				for _, after := range []int{3, 6, 12} {
					month := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, after, 0)
					if _, err := outcome.NewStore(pool).Record(ctx, outcome.RecordInput{ParticipantID: p.ID, Month: month,
						Status: statuses[rng.IntN(len(statuses))], Source: outcome.PhoneFollowUp}); err != nil {
						t.Fatal(err)
					}
				}
			}
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// sameFigures requires the figures of several definitions and breakdowns through the
// cluster's front to equal the single server's, and returns how many it compared.
func sameFigures(t *testing.T, ctx context.Context, front, single driver.Conn, orgs []string) int {
	t.Helper()
	today := analytics.Today(time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC))
	cohorts := []analytics.Cohort{{Label: "all", OrgIDs: orgs, ExitFrom: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Label: "two", OrgIDs: orgs[:2], ExitFrom: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), ExitTo: time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC)}}
	defs := []analytics.Definition{analytics.InWorkOrStudiesAt(6), analytics.InWorkOrStudiesAt(12), analytics.SelfSufficientAt(3),
		analytics.StatusAt(12, outcomes.StatusStudies), analytics.LastingAttachment(nil), {Kind: analytics.KindKoladaResultAtExit}, {Kind: analytics.KindReentry12}}
	n := 0
	for _, def := range defs {
		for _, by := range [][]analytics.Dimension{nil, {analytics.DimGender, analytics.DimMunicipality}, {analytics.DimMeasure}} {
			want, err := analytics.Figures(ctx, single, cohorts, def, by, today)
			if err != nil {
				t.Fatalf("%s single server: %v", def.Kind, err)
			}
			got, err := analytics.Figures(ctx, front, cohorts, def, by, today)
			if err != nil {
				t.Fatalf("%s on the cluster: %v", def.Kind, err)
			}
			if want[0].N == 0 {
				t.Fatalf("%s: an empty cohort proves nothing", def.Kind)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s by %v: cluster\n%+v\nsingle server\n%+v", def.Kind, by, got, want)
			}
			n += len(want)
		}
	}
	return n
}

func pending(t *testing.T, ctx context.Context, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE processed_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// outageRow is an enrolment row of an organisation in no cohort that the sharding key
// puts on the given shard (asked of conn).
func outageRow(t *testing.T, ctx context.Context, conn driver.Conn, shard uint64) []snapshot.EnrolmentRow {
	t.Helper()
	for i := 0; i < 100; i++ {
		org := fmt.Sprintf("outage-%d", i)
		var s uint64
		if err := conn.QueryRow(ctx, `SELECT toUInt64(`+chstore.ShardingKey+` % 2) FROM (SELECT ? AS org_id)`, org).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s == shard {
			exit := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			return []snapshot.EnrolmentRow{{OrgID: org, EnrolmentKey: org + "-e", PersonKey: org + "-p", Gender: "woman", BirthYear: 1990,
				MeasureCode: "work_practice", Start: exit.AddDate(0, -6, 0), Exited: 1, ExitDate: exit, Facts: snapshot.EmptyFacts()}}
		}
	}
	t.Fatal("no organisation id of 100 lands on the shard")
	return nil
}

func orgsOn(t *testing.T, conn driver.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT DISTINCT org_id FROM enrolment_outcome`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// personKey is the participant's pseudonym under the development key (OUTCOMES_ENV=dev
// without OUTCOMES_PSEUDONYM_KEY), which the test's loader uses.
func personKey(id string) string {
	return pseudonym.New([]byte(config.DevPseudonymKey)).Person(id)
}

// dataRows counts a person's data rows (not tombstones; cancel rows included) in both
// tables of a shard.
func dataRows(t *testing.T, conn driver.Conn, key string) uint64 {
	t.Helper()
	var a, b uint64
	ctx := context.Background()
	if err := conn.QueryRow(ctx, `SELECT count() FROM participant_month WHERE person_key = ? AND deleted = 0`, key).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count() FROM enrolment_outcome WHERE person_key = ? AND deleted = 0`, key).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return a + b
}

// allRows counts every row of a person, tombstones included.
func allRows(t *testing.T, conn driver.Conn, key string) uint64 {
	t.Helper()
	var a, b uint64
	ctx := context.Background()
	if err := conn.QueryRow(ctx, `SELECT count() FROM participant_month WHERE person_key = ?`, key).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count() FROM enrolment_outcome WHERE person_key = ?`, key).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return a + b
}

func waitForMutations(t *testing.T, conn driver.Conn) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var running uint64
		if err := conn.QueryRow(context.Background(), `SELECT count() FROM system.mutations WHERE database = currentDatabase() AND NOT is_done`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mutations still running after a minute", running)
		}
	}
}
