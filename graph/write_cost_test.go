package graph_test

import (
	"context"
	"fmt"
	"testing"
)

// The round trips (and statements) a create costs, idempotency key, outbox and audit
// included, as the API benchmark sends them (bench/apibench): a commit waits for the
// disk, so what the API adds to pgbench's one INSERT is mostly its round trips. Before
// the transactions were pipelined (db.WithTx) createParticipant took 11 round trips
// and createEnrolment 13 (4 each once pipelined); then createParticipant's organisation
// check went into the idempotency claim's round trip (organisation.RequireLater), and
// createEnrolment's claim into the participant lock's (participant.LockForWriteLater,
// idempotency.Claim); then (9 and 10 statements) each create's claim became the key's
// row itself, written at once with the id made ahead (idempotency.Request.ResultID)
// instead of a lock, a lookup and an INSERT after the create (7 and 8), and each
// create's change event went into its INSERT's statement (since: the outbox trigger's, changes.Created), and
// createEnrolment's INSERT went with its COMMIT (enrolment.Store.Create), and
// createParticipant's organisation is checked by its foreign key (5 statements).
const (
	maxParticipantTrips, maxParticipantStatements = 3, 5
	maxEnrolmentTrips, maxEnrolmentStatements     = 2, 7
)

const (
	benchCreateParticipant = `mutation($o: ID!, $p: String!, $k: String) { createParticipant(input: {organisationId: $o,
		personalIdentityNumber: $p, givenName: "Bench", familyName: "Writer", gender: WOMAN, idempotencyKey: $k}) { id } }`
	benchCreateEnrolment = `mutation($p: ID!, $m: String!, $k: String, $o: EligibilityOverrideInput) { createEnrolment(input: {
		participantId: $p, measureTypeCode: $m, decisionDate: "2018-03-01", startDate: "2018-03-05",
		plannedEndDate: "2018-03-15", endDate: "2018-03-15", exitReason: STUDIES, idempotencyKey: $k,
		eligibilityOverride: $o}) { id } }`
)

// cost runs one request and returns the round trips and statements the API spent on it.
func (w *caseWorld) cost(t *testing.T, query string, vars map[string]any, out any) (trips, statements int64) {
	t.Helper()
	t0, s0 := w.statements.RoundTrips(), w.statements.Load()
	w.cw.MustData(t, query, vars, out)
	return w.statements.RoundTrips() - t0, w.statements.Load() - s0
}

// TestCreatesCostFewRoundTrips: createParticipant and createEnrolment with an
// idempotency key stay within their round trips and statements, and still write their
// row, its change event and its audit row in the one transaction.
func TestCreatesCostFewRoundTrips(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `registeredAtAf: true, guaranteeDays: 500`)
	w.cw.MustData(t, benchCreateParticipant, map[string]any{"o": w.org, "p": pnr(1950, 1, 1, 500), "k": "warm-p"}, nil)

	var p struct{ CreateParticipant struct{ ID string } }
	trips, stmts := w.cost(t, benchCreateParticipant, map[string]any{"o": w.org, "p": pnr(1951, 2, 3, 501), "k": "p-1"}, &p)
	t.Logf("createParticipant: %d round trips, %d statements", trips, stmts)
	if trips > maxParticipantTrips || stmts > maxParticipantStatements {
		t.Errorf("createParticipant cost %d round trips and %d statements, want at most %d and %d",
			trips, stmts, maxParticipantTrips, maxParticipantStatements)
	}
	w.wroteOnce(t, "createParticipant", "participant", p.CreateParticipant.ID)

	w.cw.MustData(t, benchCreateEnrolment, map[string]any{"p": pid, "m": "work_practice", "k": "warm-e"}, nil)
	var e struct{ CreateEnrolment struct{ ID string } }
	trips, stmts = w.cost(t, benchCreateEnrolment, map[string]any{"p": pid, "m": "work_training", "k": "e-1"}, &e)
	t.Logf("createEnrolment: %d round trips, %d statements", trips, stmts)
	if trips > maxEnrolmentTrips || stmts > maxEnrolmentStatements {
		t.Errorf("createEnrolment cost %d round trips and %d statements, want at most %d and %d",
			trips, stmts, maxEnrolmentTrips, maxEnrolmentStatements)
	}
	w.wroteOnce(t, "createEnrolment", "enrolment", e.CreateEnrolment.ID)
}

// wroteOnce checks that the operation left exactly one change event and one audit row
// naming entity id.
func (w *caseWorld) wroteOnce(t *testing.T, operation, entity, id string) {
	t.Helper()
	var events, audits int
	ctx := context.Background()
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM change_event WHERE entity = $1 AND entity_id = $2 AND op = 'create'`,
		entity, plain(id)).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'write' AND operation = $1
		AND entity = $2 AND entity_id = $3`, operation, entity, plain(id)).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if events != 1 || audits != 1 {
		t.Errorf("%s %s: %d change events and %d audit rows, want one each", operation, id, events, audits)
	}
}

// TestCreateEnrolmentReplayAndRefusal: a retried createEnrolment returns the first
// enrolment and writes nothing but the retry's audit row; a decision the rule refuses
// writes nothing, not even its idempotency key, so the same key with an override then
// decides.
func TestCreateEnrolmentReplayAndRefusal(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	eligible := w.person(t, pnr(1985, 4, 12, 123), `registeredAtAf: true, guaranteeDays: 500`)
	short := w.person(t, pnr(1990, 1, 1, 1), `registeredAtAf: true, guaranteeDays: 120, newlyArrived: false, introductionPlan: false`)

	var first, again struct{ CreateEnrolment struct{ ID string } }
	vars := map[string]any{"p": eligible, "m": "extra_job", "k": "decision-7"}
	w.cw.MustData(t, benchCreateEnrolment, vars, &first)
	before := tableRows(t, w.pool)
	w.cw.MustData(t, benchCreateEnrolment, vars, &again)
	if again.CreateEnrolment.ID != first.CreateEnrolment.ID {
		t.Fatalf("retry returned %s, first %s", again.CreateEnrolment.ID, first.CreateEnrolment.ID)
	}
	if after := tableRows(t, w.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a retried createEnrolment wrote: before %v, after %v", before, after)
	}
	var audits int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'write'
		AND operation = 'createEnrolment' AND entity_id = $1`, plain(first.CreateEnrolment.ID)).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 2 {
		t.Fatalf("%d write audit rows for the enrolment, want 2 (the decision and its retry)", audits)
	}
	errs := w.cw.MustFail(t, benchCreateEnrolment, map[string]any{"p": eligible, "m": "work_training", "k": "decision-7"})
	if errs[0].Code() != "CONFLICT" || errs[0].Field() != "input.idempotencyKey" {
		t.Fatalf("key reused for another decision = %+v", errs[0])
	}

	refused := map[string]any{"p": short, "m": "extra_job", "k": "decision-8"}
	before = tableRows(t, w.pool)
	errs = w.cw.MustFail(t, benchCreateEnrolment, refused)
	if errs[0].Code() != "NOT_ELIGIBLE" || errs[0].Field() != "input.eligibilityOverride" {
		t.Fatalf("refusal = %+v, want NOT_ELIGIBLE", errs[0])
	}
	if after := tableRows(t, w.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused decision wrote: before %v, after %v", before, after)
	}
	refused["o"] = map[string]any{"reason": "Beslut enligt socialtjänstens bedömning av behovet"}
	var decided struct{ CreateEnrolment struct{ ID string } }
	w.cw.MustData(t, benchCreateEnrolment, refused, &decided)
	if decided.CreateEnrolment.ID == "" || decided.CreateEnrolment.ID == first.CreateEnrolment.ID {
		t.Fatalf("the overridden decision returned %q", decided.CreateEnrolment.ID)
	}
}
