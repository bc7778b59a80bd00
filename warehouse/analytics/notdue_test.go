package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestMicrodataLeavesMonthsNotYetDueEmpty: asked on 15 March 2020, an exit on 1 October
// 2019 has not reached +6 (April 2020): outcomeFigures leaves it out of n at +6, and the
// microdata row says so with an empty status_6 and sa_6, not "unknown" and -1, which an
// evaluator would count in n (and in the unknowns of the bounds) as if it could have been
// observed. An exit whose month +6 has begun and nobody observed stays "unknown"; counted
// from the file, n and known at +6 are outcomeFigures'.
func TestMicrodataLeavesMonthsNotYetDueEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	no := false
	cases := []ruleCase{
		{name: "due-unobserved", exit: day(2019, 8, 20), reason: outcomes.StatusJobSeeking},
		{name: "due-this-month", exit: day(2019, 9, 30), reason: outcomes.StatusJobSeeking, obs: []observation{
			{day(2020, 3, 1), outcomes.StatusStudies, &no, "phone_follow_up"}}},
		{name: "not-yet-due", exit: day(2019, 10, 1), reason: outcomes.StatusJobSeeking, obs: []observation{
			{day(2020, 1, 1), outcomes.StatusJobSeeking, &no, "af_data"}}},
	}
	var orgs []string
	for _, c := range cases {
		orgs = append(orgs, onePerson(t, pg, c))
	}
	asOf := time.Date(2020, 3, 15, 12, 0, 0, 0, time.UTC)
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("not-due-test-key-0123456789abcdef")),
		Log: zerolog.Nop(), Now: func() time.Time { return asOf }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{Fresh: true}); err != nil {
		t.Fatal(err)
	}
	co := analytics.Cohort{Label: "2019", OrgIDs: orgs, ExitFrom: day(2019, 1, 1), ExitTo: day(2020, 1, 1)}
	var buf bytes.Buffer
	if err := analytics.Microdata(ctx, ch, co, &buf, analytics.Today(asOf)); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(records) != 1+len(cases) {
		t.Fatalf("microdata %v %v", records, err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	want := map[string][4]string{ // exit date: status_3, status_6, sa_3, sa_6
		"2019-08-20": {outcomes.StatusUnknown, outcomes.StatusUnknown, "-1", "-1"},
		"2019-09-30": {outcomes.StatusUnknown, outcomes.StatusStudies, "-1", "0"},
		"2019-10-01": {outcomes.StatusJobSeeking, "", "0", ""},
	}
	n, known := 0, 0
	for _, r := range records[1:] {
		got := [4]string{r[col["status_3"]], r[col["status_6"]], r[col["sa_3"]], r[col["sa_6"]]}
		if w := want[r[col["exit_date"]]]; got != w {
			t.Errorf("exit %s: status_3, status_6, sa_3, sa_6 = %q, want %q", r[col["exit_date"]], got, w)
		}
		if r[col["status_12"]] != "" || r[col["sa_24"]] != "" {
			t.Errorf("exit %s: +12 and +24 have not begun, got status_12 %q sa_24 %q", r[col["exit_date"]], r[col["status_12"]], r[col["sa_24"]])
		}
		if s := r[col["status_6"]]; s != "" {
			n++
			if s != outcomes.StatusUnknown {
				known++
			}
		}
	}
	figs, err := analytics.Figures(ctx, ch, []analytics.Cohort{co}, analytics.InWorkOrStudiesAt(6), nil, analytics.Today(asOf))
	if err != nil {
		t.Fatal(err)
	}
	if f := figs[0]; f.N != n || f.Known != known || f.N != 2 || f.Known != 1 {
		t.Errorf("at +6 outcomeFigures has n %d known %d, the microdata rows n %d known %d (want 2 and 1)", f.N, f.Known, n, known)
	}
}
