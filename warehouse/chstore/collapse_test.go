package chstore_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/snapshot"
)

// netEnrolments is what every figure sees of enrolment_outcome: the rows netted by
// their sign, as "key exit-date measure ×count", counted without FINAL.
func netEnrolments(t *testing.T, conn driver.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT enrolment_key, toString(exit_date), measure_code, sum(sign) AS n
		FROM enrolment_outcome WHERE deleted = 0 GROUP BY enrolment_key, exit_date, measure_code HAVING n != 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key, exit, measure string
		var n int64
		if err := rows.Scan(&key, &exit, &measure, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s ×%d", key, exit, measure, n))
	}
	sort.Strings(out)
	return out
}

// TestWriteCancelsEarlierRows: the writer withdraws a person's earlier enrolment rows
// with cancel rows (ClickHouse migration 0011), so that a sum over the rows shows only
// the newest batch — before any merge, after a forced merge, and when a batch is
// written twice (a retry) — including an enrolment whose exit date moved (a new sort
// key) and one PostgreSQL no longer has.
func TestWriteCancelsEarlierRows(t *testing.T) {
	t.Parallel()
	conn, _ := testenv.ClickHouse(t)
	ctx := context.Background()
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	enrolment := func(person, key string, exit time.Time, measure string) snapshot.EnrolmentRow {
		return snapshot.EnrolmentRow{OrgID: "o", EnrolmentKey: key, PersonKey: person, MeasureCode: measure, Start: day(2017, 1, 1),
			Exited: 1, ExitDate: exit, Status: [4]string{"unknown", "unknown", "unknown", "unknown"}, SA: [4]int8{-1, -1, -1, -1},
			Facts: snapshot.EmptyFacts()}
	}
	a1, a2 := enrolment("pa", "a1", day(2018, 3, 1), "extra_job"), enrolment("pa", "a2", day(2018, 9, 1), "work_practice")
	b1 := enrolment("pb", "b1", day(2019, 1, 1), "extra_job")
	write := func(r chstore.Rows) {
		t.Helper()
		if err := chstore.Write(ctx, conn, r); err != nil {
			t.Fatal(err)
		}
	}
	write(chstore.Rows{Version: 1, Enrolments: []snapshot.EnrolmentRow{a1, a2, b1}})
	write(chstore.Rows{Version: 1, Enrolments: []snapshot.EnrolmentRow{a1, a2, b1}}) // a retried batch
	// Person a again: a1's exit date and measure corrected (it moves to another sort key
	// and partition), a2 gone from PostgreSQL (a tombstone). Person b is untouched.
	a1moved := enrolment("pa", "a1", day(2020, 2, 2), "work_training")
	changed := chstore.Rows{Version: 2, Enrolments: []snapshot.EnrolmentRow{a1moved},
		DeletedEnrolments: []snapshot.EnrolmentRow{{OrgID: "o", EnrolmentKey: "a2", PersonKey: "pa"}}}
	write(changed)
	want := []string{"a1 2020-02-02 work_training ×1", "b1 2019-01-01 extra_job ×1"}
	if got := netEnrolments(t, conn); !reflect.DeepEqual(got, want) {
		t.Fatalf("before merges:\n got %v\nwant %v", got, want)
	}
	write(changed) // retried
	if got := netEnrolments(t, conn); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a retried batch:\n got %v\nwant %v", got, want)
	}
	var parts uint64
	if err := conn.QueryRow(ctx, `SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'enrolment_outcome' AND active`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("%d parts: the check above did not read unmerged rows", parts)
	}
	if err := conn.Exec(ctx, `OPTIMIZE TABLE enrolment_outcome FINAL`); err != nil {
		t.Fatal(err)
	}
	if got := netEnrolments(t, conn); !reflect.DeepEqual(got, want) {
		t.Fatalf("after merges:\n got %v\nwant %v", got, want)
	}
	// The loader's own bookkeeping still reads the newest version per key.
	live, err := chstore.Live(ctx, conn, "o", []string{"pa", "pb"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(live.Enrolments); got != "map[pa:[a1] pb:[b1]]" {
		t.Errorf("live enrolments %s", got)
	}
}
