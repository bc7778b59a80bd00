package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
)

// TestParticipantPageCostsConstantStatements: a page of participants with their
// enrolments, referrals, action plan and latest observation costs the same number of
// SQL statements for 5 people as for 50.
func TestParticipantPageCostsConstantStatements(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	ctx := context.Background()
	for i := 0; i < 60; i++ {
		var pid, enr string
		birth := time.Date(1960+i%40, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		err := w.pool.QueryRow(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
			VALUES ($1, $2, 'P', $3, 'woman', $4) RETURNING id`, plain(w.org), demo.Personnummer(birth, 100+i), fmt.Sprintf("Namn%03d", i), birth).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date, host_employer_id, unit_id)
				SELECT $1, $2, id, '2018-01-01', $3, $4 FROM measure_type WHERE organisation_id = $1 AND code = 'work_practice' RETURNING id`,
		}
		if err := w.pool.QueryRow(ctx, stmts[0], plain(w.org), pid, plain(w.department), plain(w.unit)).Scan(&enr); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO enrolment_rate (enrolment_id, organisation_id, valid_from, rate) SELECT $3, $1, '2018-01-01', 50 WHERE $2::uuid IS NOT NULL`,
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered) SELECT $1, $2, 'social_services', '2017-12-01', '{mapping}' WHERE $3::uuid IS NOT NULL`,
			`INSERT INTO action_plan (organisation_id, participant_id, goal) SELECT $1, $2, 'Arbete' WHERE $3::uuid IS NOT NULL`,
			`INSERT INTO action_plan_step (organisation_id, action_plan_id, position, description) SELECT $1, id, 1, 'Steg' FROM action_plan WHERE participant_id = $2 AND $3::uuid IS NOT NULL`,
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) SELECT $1, $2, '2019-01-01', 'studies', 'af_data' WHERE $3::uuid IS NOT NULL`,
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) SELECT $1, $2, '2019-07-01', 'job_seeking', 'af_data' WHERE $3::uuid IS NOT NULL`,
			`INSERT INTO participant_attributes (organisation_id, participant_id, valid_from, district, recorded_by) SELECT $1, $2, '2017-01-01', 'Gottsunda', 'test' WHERE $3::uuid IS NOT NULL`,
		} {
			if _, err := w.pool.Exec(ctx, q, plain(w.org), pid, enr); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	const page = `query($o: ID!, $n: Int!) { participants(organisationId: $o, first: $n) { edges { node {
		id familyName caseworker { name } attributes { district }
		enrolments { id measureType { code } hostEmployer { name } unit { name } employmentRates { rate } currentEmploymentRate }
		referrals { id source feedbackOverdue }
		actionPlan { goal steps { description } }
		latestObservation { month status } } } } }`
	cost := func(n int) (int64, int) {
		var out struct {
			Participants struct {
				Edges []struct {
					Node struct {
						Enrolments []struct{ EmploymentRates []struct{ Rate int } }
						Referrals  []struct{ ID string }
						ActionPlan *struct {
							Steps []struct{ Description string }
						}
						LatestObservation *struct{ Month string }
					}
				}
			}
		}
		start, trips := w.statements.Load(), w.statements.RoundTrips()
		w.cw.MustData(t, page, map[string]any{"o": w.org, "n": n}, &out)
		spent := w.statements.Load() - start
		t.Logf("page of %d: %d statements in %d round trips", n, spent, w.statements.RoundTrips()-trips)
		for _, e := range out.Participants.Edges {
			nd := e.Node
			if len(nd.Enrolments) != 1 || len(nd.Enrolments[0].EmploymentRates) != 1 || len(nd.Referrals) != 1 ||
				nd.ActionPlan == nil || len(nd.ActionPlan.Steps) != 1 || nd.LatestObservation == nil || nd.LatestObservation.Month != "2019-07" {
				t.Fatalf("incomplete node: %+v", nd)
			}
		}
		return spent, len(out.Participants.Edges)
	}
	small, n5 := cost(5)
	large, n50 := cost(50)
	if n5 != 5 || n50 != 50 {
		t.Fatalf("pages of %d and %d, want 5 and 50", n5, n50)
	}
	t.Logf("statements: %d for 5 participants, %d for 50", small, large)
	if small != large {
		t.Fatalf("a page of 50 cost %d statements, a page of 5 cost %d: the nested fields are not batched", large, small)
	}
	if large > 20 {
		t.Fatalf("a page cost %d statements; expected one per list or loader", large)
	}
}

// TestOrganisationPageCostsConstantStatements: organisations with their units,
// catalogue and members cost the same for one as for four.
func TestOrganisationPageCostsConstantStatements(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	for _, code := range []string{"alingsas", "boras", "mark"} {
		apitest.Organisation(t, w.admin, code, code)
	}
	const q = `query($n: Int!) { organisations(first: $n) { edges { node { code units { name } measureTypes { code } members { code } } } } }`
	cost := func(n int) int64 {
		var out struct {
			Organisations struct {
				Edges []struct {
					Node struct{ MeasureTypes []struct{ Code string } }
				}
			}
		}
		start := w.statements.Load()
		w.admin.MustData(t, q, map[string]any{"n": n}, &out)
		if len(out.Organisations.Edges) != n || len(out.Organisations.Edges[0].Node.MeasureTypes) == 0 {
			t.Fatalf("page of %d: %+v", n, out)
		}
		return w.statements.Load() - start
	}
	if one, four := cost(1), cost(4); one != four {
		t.Fatalf("organisations: %d statements for 1, %d for 4", one, four)
	}
}
