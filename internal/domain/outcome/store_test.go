package outcome_test

import (
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/warehouse/outcomes"
)

// TestLatestObservationIsTheMonthsRule: when several sources report a person's latest
// month, the observation shown as the latest is the one whose status every figure counts
// for that month (outcomes.Resolve), whatever order they were recorded in: not the last
// recorded, and never an "unknown" when a source knows.
func TestLatestObservationIsTheMonthsRule(t *testing.T) {
	t.Parallel()
	w := domaintest.NewWorld(t)
	store := outcome.NewStore(w.Pool)
	type obs struct{ month, status, source string }
	for _, c := range []struct {
		name string
		rows []obs // in the order recorded
	}{
		{"a register before a caseworker recorded later", []obs{
			{"2021-03-01", "unsubsidised_employment_full", "af_data"},
			{"2021-03-01", "job_seeking", "caseworker"},
			{"2021-02-01", "studies", "af_data"},
		}},
		{"an unknown from the best-ranked source", []obs{
			{"2021-05-01", "studies", "phone_follow_up"},
			{"2021-05-01", "unknown", "af_data"},
			{"2021-05-01", "sick_leave", "participant_survey"},
		}},
		{"only unknowns", []obs{
			{"2021-06-01", "unknown", "caseworker"},
			{"2021-06-01", "unknown", "sus"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			person := w.Person(w.OrgA, "woman")
			var month []outcomes.Observation
			latest := ""
			for _, r := range c.rows {
				w.ID(`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source)
					VALUES ($1, $2, $3, $4, $5) RETURNING id`, w.OrgA, person, r.month, r.status, r.source)
				if r.month > latest {
					latest, month = r.month, nil
				}
				if r.month == latest {
					m, _ := time.Parse(time.DateOnly, r.month)
					month = append(month, outcomes.Observation{Month: m, Status: r.status, Source: r.source})
				}
			}
			got, err := store.LatestByParticipants(w.Ctx, []string{person})
			if err != nil || len(got) != 1 {
				t.Fatalf("latest: %v, %v", got, err)
			}
			want := outcomes.Resolve(month)
			wantSource := want.Source
			if want.Status == outcomes.StatusUnknown {
				wantSource = "sus" // nobody knows: the best-ranked source's unknown
			}
			if got[0].Month.Format(time.DateOnly) != latest || string(got[0].Status) != want.Status || string(got[0].Source) != wantSource {
				t.Errorf("latest is %s %s from %s, want %s %s from %s", got[0].Month.Format(time.DateOnly), got[0].Status, got[0].Source,
					latest, want.Status, wantSource)
			}
		})
	}
}
