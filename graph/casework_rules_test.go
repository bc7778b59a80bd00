package graph_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
)

// TestCursorsAreOpaqueAndChecked: a participant cursor carries no name, and a cursor
// of another list is INVALID on "after" before any SQL sees it.
func TestCursorsAreOpaqueAndChecked(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	w.person(t, pnr(1985, 4, 12, 123), `district: "Gottsunda"`)
	w.person(t, pnr(1990, 1, 1, 1), `district: "Gränby"`)
	var page struct {
		Participants struct{ PageInfo struct{ EndCursor string } }
	}
	w.cw.MustData(t, `query($o: ID!) { participants(organisationId: $o, first: 1) { pageInfo { endCursor } } }`,
		map[string]any{"o": w.org}, &page)
	raw, err := base64.RawURLEncoding.DecodeString(page.Participants.PageInfo.EndCursor)
	if err != nil || strings.Contains(string(raw), "Lind") || strings.Contains(string(raw), "Sara") {
		t.Fatalf("participant cursor %q (%v) must not carry names", raw, err)
	}
	var emp struct {
		Employers struct{ PageInfo struct{ EndCursor string } }
	}
	w.cw.MustData(t, `query($o: ID!) { employers(organisationId: $o, first: 1) { pageInfo { endCursor } } }`,
		map[string]any{"o": w.org}, &emp)
	for _, q := range []string{
		`query($o: ID!, $a: String) { recruitmentEvents(organisationId: $o, after: $a) { totalCount } }`,
		`query($o: ID!, $a: String) { projects(organisationId: $o, after: $a) { totalCount } }`,
		`query($o: ID!, $a: String) { enrolments(organisationId: $o, after: $a) { totalCount } }`,
	} {
		errs := w.cw.MustFail(t, q, map[string]any{"o": w.org, "a": emp.Employers.PageInfo.EndCursor})
		if errs[0].Code() != "INVALID" || errs[0].Field() != "after" {
			t.Errorf("%s with an employers cursor: %+v", q, errs[0])
		}
	}
}

// TestUpdatesCanClearAndAddsAreIdempotent: a caseworker can be unassigned, and a
// retried contact with the same key is written once.
func TestUpdatesCanClearAndAddsAreIdempotent(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1970, 1, 1, 0), `district: "Gränby"`)
	var upd struct {
		UpdateParticipant struct {
			Version    int
			Caseworker *struct{ Name string }
		}
	}
	w.cw.MustData(t, `mutation($p: ID!) { updateParticipant(input: {id: $p, version: 1, clearCaseworker: true}) { version caseworker { name } } }`,
		map[string]any{"p": pid}, &upd)
	if upd.UpdateParticipant.Caseworker != nil || upd.UpdateParticipant.Version != 2 {
		t.Fatalf("after clearCaseworker: %+v", upd.UpdateParticipant)
	}
	errs := w.cw.MustFail(t, `mutation($p: ID!, $s: ID!) { updateParticipant(input: {id: $p, version: 2, caseworkerId: $s, clearCaseworker: true}) { id } }`,
		map[string]any{"p": pid, "s": w.staff})
	if errs[0].Code() != "INVALID" || errs[0].Field() != "input.clearCaseworker" {
		t.Fatalf("set and clear at once: %+v", errs[0])
	}
	const add = `mutation($e: ID!) { addEmployerContact(input: {employerId: $e, name: "Eva Chef", role: "enhetschef", idempotencyKey: "contact-1"}) { contacts { name } } }`
	var c1, c2 struct {
		AddEmployerContact struct{ Contacts []struct{ Name string } }
	}
	w.cw.MustData(t, add, map[string]any{"e": w.department}, &c1)
	w.cw.MustData(t, add, map[string]any{"e": w.department}, &c2)
	if len(c2.AddEmployerContact.Contacts) != 1 {
		t.Fatalf("a retried contact was written twice: %+v", c2)
	}
}

// TestEligibilityChecksAndSearchesAreAudited: both reveal facts about a person.
func TestEligibilityChecksAndSearchesAreAudited(t *testing.T) {
	t.Parallel()
	w := newCaseWorld(t)
	pid := w.person(t, pnr(1985, 4, 12, 123), `registeredAtAf: true, guaranteeDays: 500`)
	count := func() int {
		var n int
		if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE entity = 'participant' AND entity_id = $1
			AND action = 'read' AND operation IN ('checkEligibility', 'participants')`, plain(pid)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	w.cw.MustData(t, `query($p: ID!) { checkEligibility(participantId: $p, measureTypeCode: "extra_job", decisionDate: "2018-03-01") { eligible } }`,
		map[string]any{"p": pid}, nil)
	if n := count(); n != 1 {
		t.Fatalf("checkEligibility audited %d times, want 1", n)
	}
	w.cw.MustData(t, `query($o: ID!, $s: String) { participants(organisationId: $o, filter: {search: $s}) { totalCount } }`,
		map[string]any{"o": w.org, "s": pnr(1985, 4, 12, 123)}, nil)
	if n := count(); n != 2 {
		t.Fatalf("a search by personnummer that only counts was not audited (%d entries)", n)
	}
}
