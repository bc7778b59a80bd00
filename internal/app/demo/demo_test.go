package demo_test

import (
	"slices"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// The demo is a Swedish municipality's: the targets, the project's target group and the
// quotas it seeds read in Swedish, before and after the steering story takes over the
// extra-job target.
func TestDemoNamesAreSwedish(t *testing.T) {
	t.Parallel()
	pool, err := db.Connect(t.Context(), testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := demo.Seed(t.Context(), pool, 5)
	if err != nil {
		t.Fatal(err)
	}
	names := func(query string) []string {
		t.Helper()
		rows, err := pool.Query(t.Context(), query, s.OrganisationID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	const targets = `SELECT name FROM target WHERE organisation_id = $1 ORDER BY name`
	if got, want := names(targets), []string{"Extratjänster 2018: beslut", "Till arbete eller studier 2018"}; !slices.Equal(got, want) {
		t.Errorf("targets %q, want %q", got, want)
	}
	if got, want := names(`SELECT target_group FROM project WHERE organisation_id = $1`), []string{"Långtidsarbetslösa och nyanlända långt från arbetsmarknaden"}; !slices.Equal(got, want) {
		t.Errorf("project target groups %q, want %q", got, want)
	}
	if _, err := demo.SeedSteering(t.Context(), pool, s.OrganisationID); err != nil {
		t.Fatal(err)
	}
	if got, want := names(targets), []string{demo.SteeringTargetName, "Till arbete eller studier 2018"}; !slices.Equal(got, want) {
		t.Errorf("targets with the steering story %q, want %q", got, want)
	}
}
