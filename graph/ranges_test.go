package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/bounds"
)

// TestSaneRanges (issue #11, item 9): dates outside 1900-2100 and employment rates
// outside their range are refused by the API with a message that says the allowed
// range, and the database's checks have exactly the same bounds (internal/platform/bounds is the
// one place they are written; the migration's literals are proved equal here).
func TestSaneRanges(t *testing.T) {
	t.Parallel()
	api, pool := newAPI(t)
	ctx := context.Background()
	orgID := apitest.Organisation(t, api, "intervallkommun", "Intervallkommun")
	var p struct{ CreateParticipant struct{ ID string } }
	api.MustData(t, `mutation($org: ID!) { createParticipant(input: {organisationId: $org, personalIdentityNumber: "198112189876",
		givenName: "Kim", familyName: "Berg", gender: MAN}) { id } }`, map[string]any{"org": orgID}, &p)
	pid := plain(p.CreateParticipant.ID)
	rangeText := bounds.MinDate.Format(time.DateOnly) + " and " + bounds.MaxDate.Format(time.DateOnly)

	t.Run("API", func(t *testing.T) {
		for _, c := range []struct {
			name, query, code, says string
		}{
			{"start in 1899", `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "1899-12-31"}) { id } }`,
				"INVALID", rangeText},
			{"start in 9999", `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "9999-01-01"}) { id } }`,
				"INVALID", rangeText},
			{"observation month 2101", `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2101-01", status: STUDIES, source: AF_DATA}) { id } }`,
				"INVALID", rangeText},
			{"enrolment rate 0", `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2020-01-01", employmentRate: 0}) { id } }`,
				"INVALID", fmt.Sprintf("between %d and %d per cent", bounds.MinEnrolmentRate, bounds.MaxEnrolmentRate)},
			{"enrolment rate 101", `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2020-01-01", employmentRate: 101}) { id } }`,
				"INVALID", fmt.Sprintf("between %d and %d per cent", bounds.MinEnrolmentRate, bounds.MaxEnrolmentRate)},
			{"observed rate 100.5", `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2020-01", status: STUDIES, source: AF_DATA, employmentRate: 100.5}) { id } }`,
				"INVALID", fmt.Sprintf("between %g and %g per cent", bounds.MinObservationRate, bounds.MaxObservationRate)},
			{"observed rate -1", `mutation($p: ID!) { recordOutcomeObservation(input: {participantId: $p, month: "2020-01", status: STUDIES, source: AF_DATA, employmentRate: -1}) { id } }`,
				"INVALID", fmt.Sprintf("between %g and %g per cent", bounds.MinObservationRate, bounds.MaxObservationRate)},
		} {
			errs := api.MustFail(t, c.query, map[string]any{"p": pid})
			var all []string
			for _, e := range errs {
				all = append(all, e.Message)
				if d, ok := e.Extensions["errors"].([]any); ok {
					for _, x := range d {
						all = append(all, fmt.Sprint(x.(map[string]any)["message"]))
					}
				}
			}
			if errs[0].Code() != c.code || !strings.Contains(strings.Join(all, " / "), c.says) {
				t.Errorf("%s: %s %q; want %s saying %q", c.name, errs[0].Code(), all, c.code, c.says)
			}
		}
		// The bounds themselves are allowed.
		var ok struct{ CreateEnrolment struct{ ID string } }
		api.MustData(t, `mutation($p: ID!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: "2020-01-01",
			plannedEndDate: "2100-12-31", employmentRate: 100}) { id } }`, map[string]any{"p": pid}, &ok)
	})

	t.Run("DatabaseHasTheSameBounds", func(t *testing.T) {
		day := 24 * time.Hour
		for _, c := range []struct {
			d    time.Time
			want bool
		}{{bounds.MinDate.Add(-day), false}, {bounds.MinDate, true}, {bounds.MaxDate, true}, {bounds.MaxDate.Add(day), false}} {
			var got bool
			if err := pool.QueryRow(ctx, `SELECT sane_date($1::date)`, c.d.Format(time.DateOnly)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want || bounds.DateOK(c.d) != c.want {
				t.Errorf("%s: database %v, Go %v; want %v", c.d.Format(time.DateOnly), got, bounds.DateOK(c.d), c.want)
			}
		}
		var enrolmentID string
		if err := pool.QueryRow(ctx, `SELECT id FROM enrolment WHERE participant_id = $1`, pid).Scan(&enrolmentID); err != nil {
			t.Fatal(err)
		}
		checked := func(q string, args ...any) bool {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck
			_, err = tx.Exec(ctx, q, args...)
			var pgErr *pgconn.PgError
			if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "23514") {
				t.Fatalf("%s: %v", q, err)
			}
			return err == nil
		}
		rate := `UPDATE enrolment_rate SET rate = $2 WHERE enrolment_id = $1`
		for _, c := range []struct {
			rate int
			want bool
		}{{bounds.MinEnrolmentRate - 1, false}, {bounds.MinEnrolmentRate, true}, {bounds.MaxEnrolmentRate, true}, {bounds.MaxEnrolmentRate + 1, false}} {
			if got := checked(rate, enrolmentID, c.rate); got != c.want || (bounds.CheckEnrolmentRate("", c.rate) == nil) != c.want {
				t.Errorf("enrolment rate %d: database accepts %v; want %v", c.rate, got, c.want)
			}
		}
		obs := `INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source, employment_rate)
			SELECT organisation_id, id, '2020-01-01', 'studies', 'sus', $2 FROM participant WHERE id = $1`
		for _, c := range []struct {
			rate float64
			want bool
		}{{bounds.MinObservationRate - 0.01, false}, {bounds.MinObservationRate, true}, {bounds.MaxObservationRate, true}, {bounds.MaxObservationRate + 0.01, false}} {
			if got := checked(obs, pid, c.rate); got != c.want || (bounds.CheckObservationRate("", c.rate) == nil) != c.want {
				t.Errorf("observed rate %v: database accepts %v; want %v", c.rate, got, c.want)
			}
		}
	})
}

// TestSwedishSortOrder: names sort as Swedes expect, å, ä, ö after z (and v before w),
// in every list the API pages through by name, across page boundaries.
func TestSwedishSortOrder(t *testing.T) {
	t.Parallel()
	api, _ := newAPI(t)
	orgID := apitest.Organisation(t, api, "ordningskommun", "Ordningskommun")
	want := []string{"Andersson", "Berg", "Vik", "Wall", "Zetterlund", "Åberg", "Ängel", "Öberg"}
	for i, name := range []string{"Öberg", "Zetterlund", "Ängel", "Wall", "Åberg", "Andersson", "Vik", "Berg"} {
		api.MustData(t, `mutation($org: ID!, $pnr: String!, $name: String!) { createParticipant(input: {organisationId: $org,
			personalIdentityNumber: $pnr, givenName: "Kim", familyName: $name, gender: MAN}) { id } }`,
			map[string]any{"org": orgID, "pnr": demo.Personnummer(time.Date(1980, 1, 1+i, 0, 0, 0, 0, time.UTC), 200+i), "name": name}, nil)
		api.MustData(t, `mutation($org: ID!, $name: String!) { createEmployer(input: {organisationId: $org, kind: ASSOCIATION, name: $name}) { id } }`,
			map[string]any{"org": orgID, "name": name}, nil)
	}
	for _, list := range []struct{ name, query, field string }{
		{"participants", `query($org: ID!, $after: String) { participants(organisationId: $org, first: 3, after: $after) {
			edges { node { familyName } } pageInfo { hasNextPage endCursor } } }`, "familyName"},
		{"employers", `query($org: ID!, $after: String) { employers(organisationId: $org, first: 3, after: $after) {
			edges { node { name } } pageInfo { hasNextPage endCursor } } }`, "name"},
	} {
		var got []string
		var after any
		for page := 0; page < 10; page++ {
			var out map[string]struct {
				Edges []struct {
					Node map[string]string
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
			api.MustData(t, list.query, map[string]any{"org": orgID, "after": after}, &out)
			conn := out[list.name]
			for _, e := range conn.Edges {
				got = append(got, e.Node[list.field])
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = conn.PageInfo.EndCursor
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s in order %v; want %v", list.name, got, want)
		}
	}
}
