package graph

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/warehouse/analytics"
)

// TestOrganisationsInFindsEveryNamedOrganisation: the arguments OrganisationScope
// checks, at the top level and inside inputs and lists, with the paths errors name.
func TestOrganisationsInFindsEveryNamedOrganisation(t *testing.T) {
	t.Parallel()
	args := map[string]any{
		"organisationId": "org-1",
		"input":          model.CreateUnitInput{OrganisationID: "org-2", Name: "Enhet"},
		"cohorts":        []*model.CohortInput{{Label: "a", OrganisationIds: []string{"org-3", "org-4"}}, nil, {Label: "b"}},
		"first":          ptr(5),
	}
	var got []string
	for arg, v := range args {
		for _, o := range organisationsIn(reflect.ValueOf(v), arg, nil) {
			got = append(got, o.field+"="+o.id)
		}
	}
	slices.Sort(got)
	want := []string{"cohorts[0].organisationIds[0]=org-3", "cohorts[0].organisationIds[1]=org-4", "input.organisationId=org-2", "organisationId=org-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestEveryAggregatesFieldNamesAnOrganisation: @aggregates loosens the check only where
// a field names organisations; on any other field it would be a mark that does nothing.
func TestEveryAggregatesFieldNamesAnOrganisation(t *testing.T) {
	t.Parallel()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	marked := 0
	for _, root := range []string{"Query", "Mutation", "Subscription"} {
		for _, f := range schema.Types[root].Fields {
			if f.Directives.ForName("aggregates") == nil {
				continue
			}
			marked++
			names := false
			for _, a := range f.Arguments {
				names = names || organisationNames[a.Name] || strings.Contains(a.Type.Name(), "Cohort")
			}
			if !names {
				t.Errorf("%s.%s is @aggregates but names no organisation", root, f.Name)
			}
		}
	}
	if marked == 0 {
		t.Fatal("no field is marked @aggregates")
	}
}

// TestCohortLimitIsOneRule: the limit the schema states is analytics.MaxCohorts.
func TestCohortLimitIsOneRule(t *testing.T) {
	t.Parallel()
	f := generated.NewExecutableSchema(generated.Config{}).Schema().Query.Fields.ForName("outcomeFigures")
	desc := f.Arguments.ForName("cohorts").Description
	if want := fmt.Sprintf("1 to %d", analytics.MaxCohorts); !strings.Contains(desc, want) {
		t.Fatalf("outcomeFigures(cohorts:) says %q; the rule is %s", desc, want)
	}
}
