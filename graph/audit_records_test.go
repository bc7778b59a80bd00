package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
)

// TestPageReadsAreAuditedPerPerson: a page of people with their enrolments, referrals
// and latest observation writes one read row per person, whose records list exactly the
// person's records the page showed, and the audit listing still finds who read a given
// enrolment, referral or observation (in its person's row) and a person.
func TestPageReadsAreAuditedPerPerson(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	ctx := context.Background()
	want := map[string][]string{} // person → the records the page shows of them
	for i := 0; i < 3; i++ {
		var pid string
		birth := time.Date(1970+i, 3, 1+i, 0, 0, 0, 0, time.UTC)
		if err := w.pool.QueryRow(ctx, `INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
			VALUES ($1, $2, 'P', $3, 'man', $4) RETURNING id`, plain(w.org), demo.Personnummer(birth, 200+i), fmt.Sprintf("Audit%d", i), birth).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date)
				SELECT $1, $2, id, '2018-01-01' FROM measure_type WHERE organisation_id = $1 AND code = 'work_practice' RETURNING 'enrolment:' || id`,
			`INSERT INTO enrolment (organisation_id, participant_id, measure_type_id, start_date)
				SELECT $1, $2, id, '2019-01-01' FROM measure_type WHERE organisation_id = $1 AND code = 'extra_job' RETURNING 'enrolment:' || id`,
			`INSERT INTO referral (organisation_id, participant_id, source, referral_date, ordered) VALUES ($1, $2, 'social_services', '2017-12-01', '{mapping}') RETURNING 'referral:' || id`,
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) VALUES ($1, $2, '2019-01-01', 'studies', 'af_data') RETURNING ''`,
			`INSERT INTO outcome_observation (organisation_id, participant_id, month, status, source) VALUES ($1, $2, '2019-07-01', 'job_seeking', 'af_data') RETURNING 'outcome_observation:' || id`,
		} {
			var ref string
			if err := w.pool.QueryRow(ctx, q, plain(w.org), pid).Scan(&ref); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if ref != "" { // the older observation is not the latest: the page does not show it
				want[pid] = append(want[pid], ref)
			}
		}
	}
	var page struct {
		Participants struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	w.cw.MustData(t, `query($o: ID!) { participants(organisationId: $o, first: 50) { edges { node { id familyName
		enrolments { id startDate } referrals { id source } latestObservation { month status } } } } }`, map[string]any{"o": w.org}, &page)
	if len(page.Participants.Edges) != 3 {
		t.Fatalf("page of %d people, want 3", len(page.Participants.Edges))
	}

	rows, err := w.pool.Query(ctx, `SELECT entity, coalesce(entity_id, ''), coalesce(records, '{}') FROM audit_log
		WHERE subject = 'cw-anna' AND action = 'read' AND operation = 'node'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for rows.Next() {
		var entity, id string
		var records []string
		if err := rows.Scan(&entity, &id, &records); err != nil {
			t.Fatal(err)
		}
		if entity != "participant" || got[id] != nil {
			t.Errorf("read row of %s %s: want one row per person", entity, id)
		}
		slices.Sort(records)
		got[id] = records
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var others int
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE subject = 'cw-anna' AND action = 'read' AND entity <> 'participant'`).Scan(&others); err != nil || others != 0 {
		t.Errorf("%d read rows of records besides the people's rows (%v), want 0", others, err)
	}
	if len(got) != len(want) {
		t.Errorf("read rows for %d people, want %d", len(got), len(want))
	}
	for pid, refs := range want {
		slices.Sort(refs)
		if !slices.Equal(got[pid], refs) {
			t.Errorf("person %s: records %v, want %v", pid, got[pid], refs)
		}
	}

	// The admin's audit listing finds who read each record and each person.
	for pid, refs := range want {
		for _, ref := range append(refs, "participant:"+pid) {
			entity, id, _ := strings.Cut(ref, ":")
			var log struct {
				AuditLog struct {
					Edges []struct {
						Node struct {
							Subject, Entity string
							EntityID        *string
							Records         []string
						}
					}
				}
			}
			w.admin.MustData(t, `query($e: String!, $i: String!) { auditLog(entity: $e, entityId: $i, subject: "cw-anna") {
				edges { node { subject entity entityId records } } } }`, map[string]any{"e": entity, "i": id}, &log)
			if n := len(log.AuditLog.Edges); n != 1 {
				t.Errorf("auditLog(%s) gave %d entries, want the one read row of its person", ref, n)
				continue
			}
			e := log.AuditLog.Edges[0].Node
			if e.Entity != "participant" || e.EntityID == nil || *e.EntityID != pid || (entity != "participant" && !slices.Contains(e.Records, ref)) {
				t.Errorf("auditLog(%s) = %+v, want the read of person %s listing it", ref, e, pid)
			}
		}
	}
}
