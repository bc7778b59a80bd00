package analytics

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// TestTwoShardsGiveTheSingleServersFigures brings up two ClickHouse servers as the two
// shards of a cluster, writes the same generated warehouse through the loader's writer
// once to a single server and once through Distributed tables over the shards (sharded
// by organisation), and requires every figure, curve, transition table and microdata
// file to be equal.
func TestTwoShardsGiveTheSingleServersFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	single, _ := testenv.ClickHouse(t)
	front, shards := twoShards(t)

	orgs := []string{"org-a", "org-b", "org-c", "org-d", "org-e", "org-f"}
	first, again := generated(orgs)
	for _, conn := range []driver.Conn{single, front} {
		if err := chstore.Write(ctx, conn, chstore.Rows{Version: 1, Enrolments: first}); err != nil {
			t.Fatal(err)
		}
		// Later loads of some persons: their rows are cancelled and written anew (on a
		// cluster the cancel rows travel to the shard of the rows they cancel).
		if err := chstore.Write(ctx, conn, chstore.Rows{Version: 2, Enrolments: again}); err != nil {
			t.Fatal(err)
		}
	}

	// The organisations are spread over both shards, each on one.
	where := map[string]int{}
	for i, s := range shards {
		rows, err := s.Query(ctx, `SELECT DISTINCT org_id FROM enrolment_outcome`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var org string
			if err := rows.Scan(&org); err != nil {
				t.Fatal(err)
			}
			if prev, ok := where[org]; ok {
				t.Errorf("%s has rows on shards %d and %d", org, prev, i)
			}
			where[org] = i
		}
		rows.Close()
	}
	perShard := [2]int{}
	for _, s := range where {
		perShard[s]++
	}
	if len(where) != len(orgs) || perShard[0] == 0 || perShard[1] == 0 {
		t.Fatalf("organisations per shard %v (%v): the test needs both shards in use", perShard, where)
	}

	today := Today(day(2021, 6, 1))
	all := Cohort{Label: "all", OrgIDs: orgs, ExitFrom: day(2017, 1, 1), ExitTo: day(2021, 1, 1)}
	cohorts := []Cohort{all,
		{Label: "a and d, 2018", OrgIDs: []string{"org-a", "org-d"}, ExitFrom: day(2018, 1, 1), ExitTo: day(2019, 1, 1)},
		{Label: "extra jobs 2019", OrgIDs: orgs, ExitFrom: day(2019, 1, 1), ExitTo: day(2020, 1, 1), MeasureCodes: []string{"extra_job"}}}
	defs := append(allDefinitions(), Definition{Kind: KindWIOAQ2PerPerson}, Definition{Kind: KindWIOAQ4PerPerson})
	for _, def := range defs {
		for _, by := range [][]Dimension{nil, {DimGender, DimMunicipality}, {DimExitYear}} {
			want, err := Figures(ctx, single, cohorts, def, by, today)
			if err != nil {
				t.Fatalf("%s single: %v", def.Kind, err)
			}
			got, err := Figures(ctx, front, cohorts, def, by, today)
			if err != nil {
				t.Fatalf("%s on two shards: %v", def.Kind, err)
			}
			if want[0].N == 0 {
				t.Fatalf("%s: an empty cohort proves nothing", def.Kind)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s by %v: two shards\n%v\nsingle server\n%v", def.Kind, by, got, want)
			}
			// And the same as the single server's rows alone, where the figure came from
			// the pre-aggregate (each shard's view fills its own enrolment_figures).
			rows, err := Figures(ctx, single, cohorts, def, by, today, FromRows())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, rows) {
				t.Errorf("%s by %v: two shards\n%v\nsingle server's rows\n%v", def.Kind, by, got, rows)
			}
		}
	}
	for i, s := range shards {
		var n int64
		if err := s.QueryRow(ctx, `SELECT sum(n) FROM enrolment_figures WHERE gs = 0`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("shard %d's pre-aggregate is empty", i)
		}
	}
	for _, from := range []outcomes.Origin{outcomes.FromStart, outcomes.FromExit} {
		want, err := Survival(ctx, single, all, from, []Dimension{DimGender})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Survival(ctx, front, all, from, []Dimension{DimGender})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("survival from %d differs on two shards", from)
		}
	}
	wantT, err := Transitions(ctx, single, all)
	if err != nil {
		t.Fatal(err)
	}
	gotT, err := Transitions(ctx, front, all)
	if err != nil {
		t.Fatal(err)
	}
	if gotT != wantT {
		t.Errorf("transitions: two shards %v, single server %v", gotT, wantT)
	}
	var wantCSV, gotCSV bytes.Buffer
	if err := Microdata(ctx, single, all, &wantCSV); err != nil {
		t.Fatal(err)
	}
	if err := Microdata(ctx, front, all, &gotCSV); err != nil {
		t.Fatal(err)
	}
	if gotCSV.String() != wantCSV.String() || bytes.Count(wantCSV.Bytes(), []byte("\n")) < 100 {
		t.Errorf("microdata: two shards %d bytes, single server %d bytes", gotCSV.Len(), wantCSV.Len())
	}
}

// generated is a small warehouse: enrolments of 150 persons per organisation (one to
// three each, exits 2017-2020), and the rewritten rows of every fifth person.
func generated(orgs []string) (first, again []snapshot.EnrolmentRow) {
	rng := rand.New(rand.NewPCG(17, 2))
	statuses := []string{"unsubsidised_employment_full", "unsubsidised_employment_part", "subsidised_employment", "studies",
		"job_seeking", "sick_leave", "unknown", "unknown"}
	for oi, org := range orgs {
		for p := range 150 {
			person := fmt.Sprintf("%s-p%d", org, p)
			var rows []snapshot.EnrolmentRow
			for e := range 1 + rng.IntN(3) {
				exit := day(2017, 1, 1).AddDate(0, 0, rng.IntN(4*365))
				f := snapshot.EmptyFacts()
				f.OrgCode, f.AgeBand = fmt.Sprintf("k%d", oi), []string{"18_24", "25_29", "30_39"}[rng.IntN(3)]
				f.StatusAfter, f.SAAfter = make([]string, snapshot.MonthsAfterExit+1), make([]int8, snapshot.MonthsAfterExit+1)
				for k := range f.StatusAfter {
					f.StatusAfter[k], f.SAAfter[k] = statuses[rng.IntN(len(statuses))], int8(rng.IntN(3)-1)
				}
				f.JobMonthsFromExit, f.JobEventFromExit = int16(rng.IntN(20)), uint8(rng.IntN(2))
				f.JobMonthsFromStart, f.JobEventFromStart = f.JobMonthsFromExit+3, f.JobEventFromExit
				f.ReturnedSA12, f.Reentry12, f.EntryNumber, f.Kolada = int8(rng.IntN(3)-1), int8(rng.IntN(3)-1), uint16(1+rng.IntN(5)), int8(rng.IntN(4)-2)
				f.SUSBefore, f.SUSAfter = outcomes.SUSCategories[rng.IntN(5)], outcomes.SUSCategories[rng.IntN(5)]
				if e == 0 {
					f.WIOAExit, f.WIOAExitDate, f.WIOAQ2, f.WIOAQ4 = 1, exit, int8(rng.IntN(3)-1), int8(rng.IntN(3)-1)
					f.ESFLastSpell, f.ESFEntryAgeBand, f.ESFComplete = 1, "18_29", uint8(rng.IntN(2))
					f.ESFImmediate, f.ESFSixMonth = []string{"employed", "none", "unknown"}[rng.IntN(3)], []string{"employed", "unknown"}[rng.IntN(2)]
				}
				rows = append(rows, snapshot.EnrolmentRow{OrgID: org, EnrolmentKey: fmt.Sprintf("%s-e%d", person, e), PersonKey: person,
					Gender: []string{"woman", "man", "other"}[rng.IntN(3)], BirthYear: 1990, MeasureCode: []string{"extra_job", "work_practice"}[rng.IntN(2)],
					Start: exit.AddDate(0, -6, 0), Exited: 1, ExitDate: exit, ExitReason: "studies", Facts: f,
					Status: [4]string{f.StatusAfter[3], f.StatusAfter[6], f.StatusAfter[12], f.StatusAfter[24]},
					SA:     [4]int8{f.SAAfter[3], f.SAAfter[6], f.SAAfter[12], f.SAAfter[24]}})
			}
			first = append(first, rows...)
			if p%5 == 0 {
				for _, r := range rows[:len(rows)-1] { // the last enrolment is gone, the others moved a month
					r.ExitDate = r.ExitDate.AddDate(0, 1, 0)
					if r.Facts.WIOAExit == 1 {
						// As the loader writes them: a WIOA exit date is never before its row's
						// exit date (cohortFilter relies on it).
						r.Facts.WIOAExitDate = r.ExitDate
					}
					r.MeasureCode = "work_training"
					again = append(again, r)
				}
			}
		}
	}
	return first, again
}

// twoShards starts two ClickHouse servers (the clickhouse-server binary the local stack
// uses) configured as cluster "two_shards", migrates database "shard_local" on both as
// the loader would a single server, and returns a connection to database "front" on the
// first, holding Distributed tables over them (chstore.CreateDistributed), and
// connections to each shard's local database. The servers stop when the test ends.
func twoShards(t *testing.T) (driver.Conn, [2]driver.Conn) {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		t.Fatalf("clickhouse-server (installed by scripts/stack.sh) not found: %v", err)
	}
	var ports [2][2]int
	for i := range ports {
		ports[i] = [2]int{freePort(t), freePort(t)}
	}
	remote := "<remote_servers><two_shards>"
	for _, p := range ports {
		remote += fmt.Sprintf("<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", p[0])
	}
	remote += "</two_shards></remote_servers>"
	var local [2]driver.Conn
	ctx := context.Background()
	for i, p := range ports {
		dir := t.TempDir()
		writeShardConfig(t, dir, p[0], p[1], remote)
		cmd := exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill() //nolint:errcheck // the server we started, by its own handle
			cmd.Wait()         //nolint:errcheck
		})
		o := chstore.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p[0]), Database: "shard_local", User: "default"}
		var conn driver.Conn
		for deadline := time.Now().Add(2 * time.Minute); ; {
			if conn, err = chstore.Open(ctx, o); err == nil {
				break
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "log", "err.log"))
				t.Fatalf("shard %d did not answer: %v\n%s", i, err, log)
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := chstore.Migrate(ctx, conn); err != nil {
			t.Fatalf("migrate shard %d: %v", i, err)
		}
		local[i] = conn
	}
	front, err := chstore.Open(ctx, chstore.Options{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0][0]), Database: "front", User: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { front.Close() })
	if err := chstore.CreateDistributed(ctx, front, "two_shards", "shard_local"); err != nil {
		t.Fatal(err)
	}
	return front, local
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeShardConfig writes a server configuration like scripts/stack.sh's, with the
// cluster's remote_servers and insert_distributed_sync = 1 (a write through a
// Distributed table is on its shard when the insert returns).
func writeShardConfig(t *testing.T, dir string, tcp, http int, remote string) {
	t.Helper()
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/err.log</errorlog><size>10M</size><count>1</count></logger>
    <http_port>%[2]d</http_port>
    <tcp_port>%[3]d</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_concurrent_queries>50</max_concurrent_queries>
    <mark_cache_size>67108864</mark_cache_size>
    <path>%[1]s/data/</path>
    <tmp_path>%[1]s/tmp/</tmp_path>
    <user_files_path>%[1]s/user_files/</user_files_path>
    <format_schema_path>%[1]s/format_schemas/</format_schema_path>
    <users_config>%[1]s/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    %[4]s
</yandex>
`, dir, http, tcp, remote)
	users := `<?xml version="1.0"?>
<yandex>
    <profiles><default>
        <max_memory_usage>2000000000</max_memory_usage>
        <insert_distributed_sync>1</insert_distributed_sync>
    </default></profiles>
    <users><default>
        <password></password>
        <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
        <profile>default</profile><quota>default</quota>
    </default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	for _, sub := range []string{"log", "data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
}
