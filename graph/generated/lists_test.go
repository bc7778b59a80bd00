package generated

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// mayWait decides whether a list's elements are marshalled in goroutines of their own;
// it must say yes whenever a field beneath them may wait.
func TestListsWaitOnlyForWaitingFields(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{}).Schema()
	page := `edges { node { id givenName gender birthDate caseStatus
		enrolments { id startDate endDate exitReason } referrals { id source referralDate }
		latestObservation { month status } %s } }`
	cases := []struct {
		name, extra string
		fragments   string
		wait        bool
	}{
		{"the participants page", "", "", false},
		{"a resolver field of the participant", "organisation { id }", "", true},
		{"a resolver field of an enrolment", "enrolments { measureType { code } }", "", true},
		{"a resolver field in a fragment", "...more", "fragment more on Participant { caseworker { id } }", true},
		{"a plain fragment", "...more", "fragment more on Participant { familyName }", false},
		{"a resolver field in an inline fragment", "... on Participant { observations { month } }", "", true},
		{"a resolver field under @skip", "organisation @skip(if: true) { id }", "", true},
	}
	for _, c := range cases {
		q := `query($org: ID!) { participants(organisationId: $org, first: 50) { ` +
			fmt.Sprintf(page, c.extra) + ` } } ` + c.fragments
		doc, errs := gqlparser.LoadQuery(schema, q)
		if errs != nil {
			t.Fatalf("%s: %v", c.name, errs)
		}
		edges := field(doc.Operations[0].SelectionSet, "participants", "edges")
		if got := mayWait(edges.SelectionSet); got != c.wait {
			t.Errorf("%s: mayWait = %v, want %v", c.name, got, c.wait)
		}
	}
	// The elements of an interface's list: their fields are not known here.
	doc, errs := gqlparser.LoadQuery(schema, `{ nodes(ids: ["x"]) { id } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	if !mayWait(field(doc.Operations[0].SelectionSet, "nodes").SelectionSet) {
		t.Error("a list of Node elements: mayWait = false, want true")
	}
}

func field(sel ast.SelectionSet, path ...string) *ast.Field {
	for _, s := range sel {
		if f, ok := s.(*ast.Field); ok && f.Name == path[0] {
			if len(path) == 1 {
				return f
			}
			return field(f.SelectionSet, path[1:]...)
		}
	}
	return nil
}

// An object builds gqlgen's @defer group only when one of its fields is deferred.
func TestDeferredGroupOnlyForDeferredFields(t *testing.T) {
	t.Parallel()
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: "Participant"})
	plain := []graphql.CollectedField{{Field: &ast.Field{Name: "id"}}}
	if g := deferredGroup(ctx, plain); g.FieldSet != nil || g.Defers != nil {
		t.Errorf("no deferred field: got a group %+v", g)
	}
	deferred := append(plain, graphql.CollectedField{Field: &ast.Field{Name: "enrolments"}, Deferrables: []*graphql.Deferrable{{Label: "later"}}})
	if g := deferredGroup(ctx, deferred); g.FieldSet == nil || g.Defers == nil || g.Context != ctx {
		t.Errorf("a deferred field: got %+v, want gqlgen's group", g)
	}
}

// object writes an object as graphql.FieldSet does, byte for byte, repeated aliases
// included (narrow objects look back, wide ones keep a set).
func TestObjectWritesWhatFieldSetWrote(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 5, 31, 32, 33, 80} {
		var fields []graphql.CollectedField
		for i := range n {
			alias := fmt.Sprintf("f%d", i)
			if i%7 == 3 { // a repeat of an earlier alias
				alias = fmt.Sprintf("f%d", i/2)
			}
			fields = append(fields, graphql.CollectedField{Field: &ast.Field{Name: "x", Alias: alias}})
		}
		fs := graphql.NewFieldSet(fields)
		for i := range fs.Values {
			fs.Values[i] = graphql.MarshalString(fmt.Sprintf("v%d \"quoted\"", i))
		}
		var want, got bytes.Buffer
		fs.MarshalGQL(&want)
		object{fields, fs.Values}.MarshalGQL(&got)
		if got.String() != want.String() {
			t.Errorf("%d fields: wrote\n%s\nwant\n%s", n, got.String(), want.String())
		}
	}
}
