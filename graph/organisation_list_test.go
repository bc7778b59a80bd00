package graph_test

import (
	"fmt"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

// TestOrganisationsAreAPagedConnection: organisations come by name in pages, with a kind
// filter, and the pages neither skip nor repeat.
func TestOrganisationsAreAPagedConnection(t *testing.T) {
	t.Parallel()
	api, _ := newAPI(t)
	for _, o := range []struct{ code, name, kind string }{
		{"boras", "Borås stad", "MUNICIPALITY"}, {"alingsas", "Alingsås kommun", "MUNICIPALITY"},
		{"sjuharad", "Samordningsförbundet Sjuhärad", "REGIONAL_BODY"}, {"mark", "Marks kommun", "MUNICIPALITY"},
	} {
		apitest.OrganisationOfKind(t, api, o.code, o.name, o.kind)
	}
	type page struct {
		Organisations struct {
			TotalCount int
			Edges      []struct{ Node struct{ Name string } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	const q = `query($k: OrganisationKind, $after: String) { organisations(kind: $k, first: 2, after: $after) {
		totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }`
	var names []string
	var after *string
	for i := 0; i < 5; i++ {
		var p page
		api.MustData(t, q, map[string]any{"k": "MUNICIPALITY", "after": after}, &p)
		if p.Organisations.TotalCount != 3 {
			t.Fatalf("totalCount = %d, want 3 municipalities", p.Organisations.TotalCount)
		}
		for _, e := range p.Organisations.Edges {
			names = append(names, e.Node.Name)
		}
		if !p.Organisations.PageInfo.HasNextPage {
			break
		}
		after = p.Organisations.PageInfo.EndCursor
	}
	if got := fmt.Sprint(names); got != "[Alingsås kommun Borås stad Marks kommun]" {
		t.Fatalf("municipalities by name over pages = %s", got)
	}
	errs := api.MustFail(t, `{ organisations(after: "bm90IGEgY3Vyc29y") { totalCount } }`, nil)
	if errs[0].Code() != "INVALID" || errs[0].Field() != "after" {
		t.Fatalf("bad cursor: %+v", errs[0])
	}
}
