package graph_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// globalIDs collects every global id in a response, one per kind.
func globalIDs(data json.RawMessage, into map[string]string) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if kind, _, ok := model.ParseGlobalID(x); ok && into[kind] == "" {
				into[kind] = x
			}
		}
	}
	var v any
	json.Unmarshal(data, &v) //nolint:errcheck
	walk(v)
}

// A Relay round trip: every entity kind's id is an opaque global id that node(id:)
// fetches again as the same kind; nodes(ids:) keeps the order; another organisation's
// caseworker gets null, a role the entity's query refuses gets FORBIDDEN, and reading
// a person through node is audited like any other read. Plain record ids still work as
// inputs.
func TestRelayRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ids := map[string]string{}
	for _, op := range operations { // every operation as admin makes one entity of each kind
		q, vars := op.query(t, w)
		r, err := w.admin.Do(context.Background(), q, vars)
		if err != nil {
			t.Fatal(err)
		}
		globalIDs(r.Data, ids)
	}
	for _, q := range []string{
		`query($o: ID!) { employers(organisationId: $o) { edges { node { id contacts { id } noteLog { id } } } } }`,
		`query($o: ID!) { targets(organisationId: $o) { edges { node { id } } } }`,
		`{ auditLog(first: 1) { edges { node { id organisationId } } } }`,
	} {
		r, err := w.admin.Do(context.Background(), q, map[string]any{"o": w.orgA})
		if err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s: %v %+v", q, err, r.Errors)
		}
		globalIDs(r.Data, ids)
	}
	var kinds []string
	for k := range model.NodeKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		id := ids[kind]
		if id == "" {
			t.Errorf("no %s id seen in any response", kind)
			continue
		}
		var out struct {
			Node *struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		w.admin.MustData(t, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}, &out)
		if out.Node == nil || out.Node.Typename != kind || out.Node.ID != id {
			t.Errorf("node(%s) of kind %s: %+v", id, kind, out.Node)
		}
	}

	// nodes keeps the order and answers null for an unknown id.
	unknown := model.GlobalID("Participant", "00000000-0000-0000-0000-000000000000")
	var many struct {
		Nodes []*struct{ ID string }
	}
	w.admin.MustData(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
		map[string]any{"ids": []string{ids["Referral"], unknown, ids["Organisation"]}}, &many)
	if len(many.Nodes) != 3 || many.Nodes[0] == nil || many.Nodes[0].ID != ids["Referral"] || many.Nodes[1] != nil ||
		many.Nodes[2] == nil || many.Nodes[2].ID != ids["Organisation"] {
		t.Errorf("nodes: %+v", many.Nodes)
	}

	// Tenancy: B's caseworker gets null for A's person; roles: steering may not read a person.
	cwB := apitest.Client(t, w.base, auth.Principal{Subject: "cw-b", Role: auth.Caseworker, OrgID: w.orgB})
	var none struct{ Node *struct{ ID string } }
	cwB.MustData(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.personA}, &none)
	if none.Node != nil {
		t.Errorf("B's caseworker read A's person through node: %+v", none.Node)
	}
	steering := w.as(t, auth.Steering)
	if errs := steering.MustFail(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.personA}); errs[0].Code() != "FORBIDDEN" {
		t.Errorf("steering reading a person: %+v", errs)
	}
	// A plain id is not a global id for node, but still works everywhere else.
	if errs := w.admin.MustFail(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": plain(w.personA)}); errs[0].Code() != "INVALID" {
		t.Errorf("node with a plain id: %+v", errs)
	}
	var byPlain struct{ Participant *struct{ ID string } }
	w.admin.MustData(t, `query($id: ID!) { participant(id: $id) { id } }`, map[string]any{"id": plain(w.personA)}, &byPlain)
	if byPlain.Participant == nil || byPlain.Participant.ID != w.personA {
		t.Errorf("participant by plain id: %+v", byPlain.Participant)
	}

	// Reading the person through node is audited as a read of that person.
	cwA := w.as(t, auth.Caseworker)
	var seen struct{ Node *struct{ ID string } }
	cwA.MustData(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.personA}, &seen)
	if seen.Node == nil {
		t.Fatal("A's caseworker cannot read A's person through node")
	}
	var n int
	if err := w.system.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE subject = $1 AND action = 'read'
		AND entity = 'participant' AND entity_id = $2 AND operation = 'node'`, "user-caseworker", plain(w.personA)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d audit entries for reading the person through node, want 1", n)
	}
}

// Paging backward with last/before walks the same list as first/after, in the same
// order, with hasPreviousPage and startCursor filled in; mixing directions is INVALID.
func TestBackwardPaging(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := 0; i < 4; i++ {
		code := "bakat-" + string(rune('a'+i))
		apitest.Organisation(t, w.admin, code, code)
	}
	type page struct {
		Organisations struct {
			Edges []struct {
				Cursor string
				Node   struct{ Code string }
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
		}
	}
	const q = `query($f: Int, $a: String, $l: Int, $b: String) { organisations(first: $f, after: $a, last: $l, before: $b) {
		edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	codes := func(p page) string {
		var s []string
		for _, e := range p.Organisations.Edges {
			s = append(s, e.Node.Code)
		}
		return strings.Join(s, ",")
	}
	var all page
	w.admin.MustData(t, q, map[string]any{"f": 200}, &all)
	if len(all.Organisations.Edges) != 6 || all.Organisations.PageInfo.HasPreviousPage || all.Organisations.PageInfo.HasNextPage {
		t.Fatalf("all: %+v", all)
	}
	var last2 page
	w.admin.MustData(t, q, map[string]any{"l": 2}, &last2)
	edges := all.Organisations.Edges
	if got, want := codes(last2), edges[4].Node.Code+","+edges[5].Node.Code; got != want {
		t.Errorf("last 2: %s, want %s", got, want)
	}
	if pi := last2.Organisations.PageInfo; !pi.HasPreviousPage || pi.HasNextPage || pi.StartCursor == nil || *pi.StartCursor != edges[4].Cursor {
		t.Errorf("last 2 page info: %+v", pi)
	}
	var prev page
	w.admin.MustData(t, q, map[string]any{"l": 3, "b": *last2.Organisations.PageInfo.StartCursor}, &prev)
	if got, want := codes(prev), edges[1].Node.Code+","+edges[2].Node.Code+","+edges[3].Node.Code; got != want {
		t.Errorf("3 before: %s, want %s", got, want)
	}
	if pi := prev.Organisations.PageInfo; !pi.HasPreviousPage || !pi.HasNextPage {
		t.Errorf("3 before page info: %+v", pi)
	}
	var first page
	w.admin.MustData(t, q, map[string]any{"l": 5, "b": *prev.Organisations.PageInfo.StartCursor}, &first)
	if codes(first) != edges[0].Node.Code || first.Organisations.PageInfo.HasPreviousPage {
		t.Errorf("before the second: %s %+v", codes(first), first.Organisations.PageInfo)
	}
	var fwd page
	w.admin.MustData(t, q, map[string]any{"f": 2, "a": edges[1].Cursor}, &fwd)
	if fwd.Organisations.PageInfo.HasPreviousPage != true || codes(fwd) != edges[2].Node.Code+","+edges[3].Node.Code {
		t.Errorf("forward after the second: %s %+v", codes(fwd), fwd.Organisations.PageInfo)
	}
	errs := w.admin.MustFail(t, q, map[string]any{"f": 2, "l": 2})
	if errs[0].Code() != "INVALID" {
		t.Errorf("first and last together: %+v", errs)
	}
	// Backward on a list ordered newest first (the audit log) and on a personal list.
	var audit struct {
		AuditLog struct {
			Edges    []struct{ Cursor string }
			PageInfo struct{ HasPreviousPage bool }
		}
	}
	w.admin.MustData(t, `{ auditLog(last: 2) { edges { cursor } pageInfo { hasPreviousPage } } }`, nil, &audit)
	if len(audit.AuditLog.Edges) != 2 || !audit.AuditLog.PageInfo.HasPreviousPage {
		t.Errorf("audit log, last 2: %+v", audit)
	}
	// The audit log pages by the lists' one rule (db.PageRequest): the page sizes the
	// schema states, cursors of its own only, and backward from a cursor reads the
	// entries just newer than it.
	var newest struct {
		AuditLog struct{ Edges []struct{ Cursor string } }
	}
	w.admin.MustData(t, `{ auditLog(first: 3) { edges { cursor } } }`, nil, &newest)
	var back struct {
		AuditLog struct{ Edges []struct{ Cursor string } }
	}
	w.admin.MustData(t, `query($b: String!) { auditLog(last: 2, before: $b) { edges { cursor } } }`,
		map[string]any{"b": newest.AuditLog.Edges[2].Cursor}, &back)
	if len(back.AuditLog.Edges) != 2 || back.AuditLog.Edges[0].Cursor != newest.AuditLog.Edges[0].Cursor ||
		back.AuditLog.Edges[1].Cursor != newest.AuditLog.Edges[1].Cursor {
		t.Errorf("audit log, last 2 before the third newest: %+v, want the two newest %+v", back, newest)
	}
	for _, c := range []struct {
		query, field string
		vars         map[string]any
	}{
		{`{ auditLog(first: 201) { edges { cursor } } }`, "first", nil},
		{`query($a: String!) { auditLog(first: 1, after: $a) { edges { cursor } } }`, "after", map[string]any{"a": "MTIz"}},
		{`query($a: String!) { auditLog(first: 1, after: $a) { edges { cursor } } }`, "after", map[string]any{"a": people0Cursor(t, w)}},
	} {
		if errs := w.admin.MustFail(t, c.query, c.vars); errs[0].Code() != "INVALID" || errs[0].Field() != c.field {
			t.Errorf("%s %v: %+v, want INVALID on %s", c.query, c.vars, errs, c.field)
		}
	}
	var people struct {
		Participants struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	w.admin.MustData(t, `query($o: ID!) { participants(organisationId: $o, last: 1) { edges { node { id } } } }`,
		map[string]any{"o": w.orgA}, &people)
	if len(people.Participants.Edges) != 1 || people.Participants.Edges[0].Node.ID != w.personA {
		t.Errorf("participants, last 1: %+v", people)
	}
}

// people0Cursor is a cursor of another list (organisation A's participants), which the
// audit log must refuse.
func people0Cursor(t *testing.T, w *world) string {
	t.Helper()
	var out struct {
		Participants struct{ Edges []struct{ Cursor string } }
	}
	w.admin.MustData(t, `query($o: ID!) { participants(organisationId: $o, first: 1) { edges { cursor } } }`, map[string]any{"o": w.orgA}, &out)
	return out.Participants.Edges[0].Cursor
}
