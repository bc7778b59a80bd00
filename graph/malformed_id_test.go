package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

// An id that is not one, sent by an admin, whom no organisation check stops before the
// database: every ID slot of every root field's call gets "not-a-uuid" in turn, and each
// refusal is a typed client error (never INTERNAL, never an HTTP 5xx). The sweep of
// TestEveryArgumentRefusesBadInputTyped calls as a caseworker wherever the field allows
// one, whose organisation check refuses another organisation's id first, so it did not
// reach these (enrolmentChanges, inactivityRule, recruitmentAttendance ... were INTERNAL:
// PostgreSQL's 22P02 reached the presenter untranslated). Then node(id:) of every kind
// with a well-formed global id whose record id is malformed is null, as an unknown id
// (Interview's was INTERNAL).
func TestMalformedIDsAreTypedForEveryCaller(t *testing.T) {
	t.Parallel()
	w := worldOn(t, apitest.New(t, apitest.Options{Warehouse: true, API: apiserver.Options{MaxDepth: 6}}), "fel-a", "fel-b")
	w.personA = w.createPerson(t, w.orgA)
	w.personB = w.createPerson(t, w.orgB)
	w.enrolmentB = w.createEnrolment(t, w.personB)
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	ctx := context.Background()
	slots := 0
	for _, op := range operations {
		words := strings.Fields(op.name)
		if len(words) != 2 {
			continue
		}
		q, vars := op.query(t, w)
		for i := 0; ; i++ {
			bq, sl := variant(t, schema, q, vars, i)
			if bq == "" {
				break
			}
			if sl.typ.Name() != "ID" || sl.typ.Elem != nil {
				continue
			}
			slots++
			r, status, err := w.admin.DoStatus(ctx, bq, map[string]any{"bad": "not-a-uuid"})
			what := op.name + " " + sl.path
			switch {
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case status >= 500:
				t.Errorf("%s: HTTP %d %+v", what, status, r.Errors)
			case len(r.Errors) > 0 && (r.Errors[0].Code() == "" || r.Errors[0].Code() == "INTERNAL"):
				t.Errorf("%s: untyped %q: %+v", what, r.Errors[0].Code(), r.Errors)
			case len(r.Errors) > 0 && strings.HasSuffix(sl.path, "organisationId") && r.Errors[0].Field() != sl.path:
				t.Errorf("%s: %+v, want the error to name %s", what, r.Errors, sl.path)
			case len(r.Errors) == 0 && words[0] == "mutation":
				t.Errorf("%s: a write naming an id that is not one was accepted: %s", what, r.Data)
				q, vars = op.query(t, w)
			}
		}
	}
	if slots < 50 {
		t.Errorf("only %d ID slots tried: the matrix's calls are no longer found", slots)
	}

	var kinds []string
	for k := range model.NodeKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		for _, raw := range []string{"not-a-uuid", "99999999999999999999999", "1'; --"} {
			id := base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + raw))
			var out struct{ Node *struct{ ID string } }
			r, err := w.admin.Do(ctx, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) > 0 {
				t.Errorf("node(%s:%s): %+v, want null as for an unknown id", kind, raw, r.Errors)
				continue
			}
			if err := json.Unmarshal(r.Data, &out); err != nil || out.Node != nil {
				t.Errorf("node(%s:%s) = %+v (%v), want null", kind, raw, out.Node, err)
			}
		}
	}
}
