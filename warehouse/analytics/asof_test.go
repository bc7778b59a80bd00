package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/calendar"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
	"github.com/arbetsmarknad/outcomes/warehouse/cohort"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// TestExitCohortAndFiguresAskOnTheSameDay: the day a figure is asked on is the date in
// Sweden (calendar.Today), for the loader, outcomeFigures and the report alike. At
// 23:30 UTC on 29 February 2020 it is already 1 March in Sweden: an exit of September
// 2019 has its +6 month (March 2020) begun, and a studies observation of March is known.
// exitCohortOutcome must count it as outcomeFigures does, and name March as its month.
func TestExitCohortAndFiguresAskOnTheSameDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := testenv.Postgres(t)
	ch, _ := testenv.ClickHouse(t)
	org := onePerson(t, pg, ruleCase{name: "evening", exit: day(2019, 9, 10), reason: outcomes.StatusJobSeeking,
		obs: []observation{{day(2020, 3, 1), outcomes.StatusStudies, nil, "phone_follow_up"}}})
	asOf := time.Date(2020, 2, 29, 23, 30, 0, 0, time.UTC)
	l := &loader.Loader{PG: pg, CH: ch, Keys: pseudonym.New([]byte("as-of-test-key-0123456789abcdef")),
		Log: zerolog.Nop(), Now: func() time.Time { return asOf }}
	if _, err := l.Rebuild(ctx, loader.RebuildOptions{Fresh: true}); err != nil {
		t.Fatal(err)
	}
	co := analytics.Cohort{Label: "2019", OrgIDs: []string{org}, ExitFrom: day(2019, 1, 1), ExitTo: day(2020, 1, 1)}
	figs, err := analytics.Figures(ctx, ch, []analytics.Cohort{co}, analytics.InWorkOrStudiesAt(6), nil, analytics.Today(calendar.Today(asOf)))
	if err != nil {
		t.Fatal(err)
	}
	if f := figs[0]; f.N != 1 || f.Known != 1 || f.Count != 1 {
		t.Fatalf("outcomeFigures at +6: n %d known %d count %d, want 1 1 1", f.N, f.Known, f.Count)
	}
	res, err := cohort.ExitYear(ctx, ch, []string{org}, 2019, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Total.Figures[0]; f.N != 1 || f.Known != 1 || f.InWorkOrStudies != 1 || !res.AsOf.Equal(day(2020, 3, 1)) {
		t.Errorf("exitCohortOutcome as of %s at +6: n %d known %d in work or studies %d; outcomeFigures: 1 1 1 as of 2020-03",
			res.AsOf.Format("2006-01"), f.N, f.Known, f.InWorkOrStudies)
	}
}
