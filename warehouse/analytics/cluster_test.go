package analytics

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

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

// twoShards starts two ClickHouse servers as the two shards of a cluster
// (testenv.TwoShards), migrates database "shard_local" on both and makes database
// "front" on the first the cluster's front, as `outcomesctl migrate` does with a cluster
// configured (chstore.Warehouse.Migrate), and returns the front's connection (which
// writes with insert_distributed_sync = 1) and connections to each shard's local
// database.
func twoShards(t *testing.T) (driver.Conn, [2]driver.Conn) {
	t.Helper()
	addrs := testenv.TwoShards(t).Addrs
	ctx := context.Background()
	wh, err := chstore.OpenWarehouse(ctx, chstore.Options{Addr: addrs[0], Database: "front", User: "default",
		Cluster: testenv.ShardCluster, Shards: addrs[:], ShardDatabase: "shard_local"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wh.Close)
	if _, err := wh.Migrate(ctx); err != nil {
		t.Fatalf("migrate the cluster: %v", err)
	}
	return wh.Conn, [2]driver.Conn{wh.Cluster.Shards[0], wh.Cluster.Shards[1]}
}
