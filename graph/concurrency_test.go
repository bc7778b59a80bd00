package graph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// race sends n calls at once (call(i) makes the i-th) and returns their answers.
func race(t *testing.T, c *gqltest.Client, n int, call func(i int) (string, map[string]any)) []gqltest.Response {
	t.Helper()
	out := make([]gqltest.Response, n)
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		q, vars := call(i)
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i], errs[i] = c.Do(context.Background(), q, vars)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// oneWins wants exactly one of rs answered and every other one a CONFLICT (on field,
// when given), and returns the winner's index.
func oneWins(t *testing.T, what string, rs []gqltest.Response, field string) int {
	t.Helper()
	winner := -1
	for i, r := range rs {
		switch {
		case len(r.Errors) == 0 && winner < 0:
			winner = i
		case len(r.Errors) == 0:
			t.Errorf("%s: calls %d and %d both succeeded: a lost update", what, winner, i)
		case r.Errors[0].Code() != "CONFLICT" || field != "" && r.Errors[0].Field() != field:
			t.Errorf("%s: call %d answered %+v, want CONFLICT on %q", what, i, r.Errors, field)
		}
	}
	if winner < 0 {
		t.Errorf("%s: no call succeeded: %+v", what, rs)
	}
	return winner
}

// TestConcurrentWritesConflictInsteadOfLosing: caseworkers changing the same record at
// the same moment (each from the version they read, or creating what may exist once)
// never both succeed: one wins, the others are CONFLICT, and the record holds the
// winner's change and no second copy.
func TestConcurrentWritesConflictInsteadOfLosing(t *testing.T) {
	t.Parallel()
	w := worldOn(t, apitest.New(t, apitest.Options{}), "samtidig-a", "samtidig-b")
	w.personA = w.createPerson(t, w.orgA)
	const n = 6
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var c int
		if err := w.system.QueryRow(ctx, q, args...).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("updateParticipant from one version", func(t *testing.T) {
		p := w.versionOf(t, "participant", w.createPerson(t, w.orgA))
		rs := race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($id: ID!, $v: Int!, $ph: String) { updateParticipant(input: {id: $id, version: $v, phone: $ph}) { phone } }`,
				map[string]any{"id": p.ID, "v": p.Version, "ph": fmt.Sprintf("018-%d", i)}
		})
		win := oneWins(t, "updateParticipant", rs, "input.version")
		if got := w.versionOf(t, "participant", p.ID); got.Version != p.Version+1 {
			t.Errorf("version %d after one update from %d", got.Version, p.Version)
		}
		var phone string
		if err := w.system.QueryRow(ctx, `SELECT phone FROM participant WHERE id = $1`, plain(p.ID)).Scan(&phone); err != nil {
			t.Fatal(err)
		}
		if win >= 0 && phone != fmt.Sprintf("018-%d", win) {
			t.Errorf("phone %q, the winner wrote 018-%d", phone, win)
		}
	})

	t.Run("exitEnrolment twice without a version", func(t *testing.T) {
		e := w.createEnrolment(t, w.createPerson(t, w.orgA))
		rs := race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($e: ID!, $d: Date!) { exitEnrolment(input: {enrolmentId: $e, endDate: $d, exitReason: STUDIES}) { endDate } }`,
				map[string]any{"e": e, "d": fmt.Sprintf("2019-06-%02d", 10+i)}
		})
		win := oneWins(t, "exitEnrolment", rs, "input.enrolmentId")
		if got := count(`SELECT count(*) FROM enrolment WHERE id = $1 AND end_date = $2::date AND version = 2`, plain(e),
			fmt.Sprintf("2019-06-%02d", 10+win)); got != 1 {
			t.Errorf("the enrolment does not hold the winner's exit at version 2")
		}
	})

	t.Run("updateEmployer, updateReferral, updateProject from one version", func(t *testing.T) {
		for _, c := range []struct{ field, root, id, mutation string }{
			{"updateEmployer", "employer", w.employerInA(t), `mutation($id: ID!, $v: Int!, $x: String) { updateEmployer(input: {id: $id, version: $v, notes: $x}) { version } }`},
			{"updateReferral", "referral", w.referralInA(t), `mutation($id: ID!, $v: Int!, $x: String) { updateReferral(input: {id: $id, version: $v, notes: $x}) { version } }`},
			{"updateProject", "project", w.projectInA(t), `mutation($id: ID!, $v: Int!, $x: String) { updateProject(input: {id: $id, version: $v, targetGroup: $x}) { version } }`},
		} {
			cur := w.versionOf(t, c.root, c.id)
			rs := race(t, w.admin, n, func(i int) (string, map[string]any) {
				return c.mutation, map[string]any{"id": c.id, "v": cur.Version, "x": fmt.Sprintf("ändring %d", i)}
			})
			oneWins(t, c.field, rs, "input.version")
			if got := w.versionOf(t, c.root, c.id); got.Version != cur.Version+1 {
				t.Errorf("%s: version %d after one update from %d", c.field, got.Version, cur.Version)
			}
		}
	})

	t.Run("correctExit and voidEnrolment from one version", func(t *testing.T) {
		e := w.endedEnrolmentInA(t)
		oneWins(t, "correctExit", race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($e: ID!, $d: Date!) { correctExit(input: {enrolmentId: $e, version: 1, endDate: $d, exitReason: STUDIES,
				reason: "Fel datum angivet"}) { id } }`, map[string]any{"e": e, "d": fmt.Sprintf("2018-05-%02d", 10+i)}
		}), "input.version")
		if got := count(`SELECT count(*) FROM enrolment_change WHERE enrolment_id = $1`, plain(e)); got != 1 {
			t.Errorf("%d changes recorded for one winning correction", got)
		}
		// A void that wins deletes the enrolment: the others find it gone (or stale).
		e = w.endedEnrolmentInA(t)
		rs := race(t, w.admin, n, func(int) (string, map[string]any) {
			return `mutation($e: ID!) { voidEnrolment(input: {enrolmentId: $e, version: 1, reason: "Registrerad i fel"}) { kind } }`,
				map[string]any{"e": e}
		})
		won := 0
		for i, r := range rs {
			switch {
			case len(r.Errors) == 0:
				won++
			case r.Errors[0].Code() != "NOT_FOUND" && r.Errors[0].Code() != "CONFLICT":
				t.Errorf("voidEnrolment: call %d answered %+v", i, r.Errors)
			}
		}
		if won != 1 {
			t.Errorf("voidEnrolment: %d calls succeeded, want 1", won)
		}
		if got := count(`SELECT count(*) FROM enrolment_change WHERE enrolment_id = $1`, plain(e)); got != 1 {
			t.Errorf("%d changes recorded for one void", got)
		}
	})

	t.Run("the same open spell twice", func(t *testing.T) {
		person := w.createPerson(t, w.orgA)
		rs := race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($p: ID!, $d: Date!) { createEnrolment(input: {participantId: $p, measureTypeCode: "work_practice", startDate: $d}) { id } }`, map[string]any{"p": person, "d": fmt.Sprintf("2019-02-%02d", 1+i)}
		})
		oneWins(t, "createEnrolment", rs, "")
		if got := count(`SELECT count(*) FROM enrolment WHERE participant_id = $1`, plain(person)); got != 1 {
			t.Errorf("%d spells in one measure of one person", got)
		}
	})

	t.Run("one plan, one open consent, one person per number", func(t *testing.T) {
		person := w.createPerson(t, w.orgA)
		oneWins(t, "saveActionPlan", race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($p: ID!, $g: String!) { saveActionPlan(input: {participantId: $p, goal: $g, steps: []}) { id } }`,
				map[string]any{"p": person, "g": fmt.Sprintf("Mål %d", i)}
		}), "input.version")
		if got := count(`SELECT count(*) FROM action_plan_revision WHERE participant_id = $1`, plain(person)); got != 1 {
			t.Errorf("%d plan revisions after one save", got)
		}
		oneWins(t, "recordConsent", race(t, w.admin, n, func(int) (string, map[string]any) {
			return `mutation($p: ID!) { recordConsent(input: {participantId: $p, scope: FOLLOW_UP}) { id } }`, map[string]any{"p": person}
		}), "")
		pnr := w.pnr()
		oneWins(t, "createParticipant", race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($o: ID!, $p: String!, $g: String!) { createParticipant(input: {organisationId: $o, personalIdentityNumber: $p,
				givenName: $g, familyName: "Samtidig", gender: MAN}) { id } }`, map[string]any{"o": w.orgA, "p": pnr, "g": fmt.Sprintf("Kim%d", i)}
		}), "input.personalIdentityNumber")
	})

	t.Run("an offer answered twice", func(t *testing.T) {
		iv := w.interviewInA(t, true)
		rs := race(t, w.admin, n, func(i int) (string, map[string]any) {
			return `mutation($i: ID!, $v: Int!, $d: Date!) { answerOffer(input: {interviewId: $i, version: $v, accepted: true,
				enrolment: {measureTypeCode: "work_practice", startDate: $d}}) { accepted } }`,
				map[string]any{"i": iv.ID, "v": iv.Version, "d": fmt.Sprintf("2019-04-%02d", 1+i)}
		})
		oneWins(t, "answerOffer", rs, "")
		if got := count(`SELECT count(*) FROM enrolment e JOIN interview i ON i.participant_id = e.participant_id WHERE i.id = $1`,
			plain(iv.ID)); got != 1 {
			t.Errorf("%d enrolments from one accepted offer", got)
		}
	})
}
