package graph_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/arbetsmarknad/outcomes/graph"
	"github.com/arbetsmarknad/outcomes/graph/generated"
)

// TestEverySchemaElementIsDescribed fails on any type, field, argument, input field,
// enum value or directive of the schema without a description, and on any enum value
// without its Swedish display label ("Label (sv): …", served by enumLabels). It lists
// every missing one, so a new schema file is fixed in one pass.
func TestEverySchemaElementIsDescribed(t *testing.T) {
	t.Parallel()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var missing []string
	need := func(desc, what string) {
		if strings.TrimSpace(desc) == "" {
			missing = append(missing, what)
		}
	}
	args := func(list ast.ArgumentDefinitionList, owner string) {
		for _, a := range list {
			need(a.Description, "argument "+owner+"("+a.Name+")")
		}
	}
	for name, def := range schema.Types {
		if def.BuiltIn {
			continue
		}
		need(def.Description, "type "+name)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			switch def.Kind {
			case ast.InputObject:
				need(f.Description, "input field "+name+"."+f.Name)
			default:
				need(f.Description, "field "+name+"."+f.Name)
				args(f.Arguments, name+"."+f.Name)
			}
		}
		for _, v := range def.EnumValues {
			need(v.Description, "enum value "+name+"."+v.Name)
			if text, label := graph.SplitLabel(v.Description); strings.TrimSpace(v.Description) != "" && (label == "" || text == "") {
				missing = append(missing, "enum value "+name+"."+v.Name+" needs an English text and a line \""+graph.LabelPrefix+"…\"")
			}
		}
	}
	for name, d := range schema.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		need(d.Description, "directive @"+name)
		args(d.Arguments, "@"+name)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d schema elements lack a description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// Clients read the Swedish labels through enumLabels: every value of every enum has one,
// and they are the ones written in the schema.
func TestEnumLabelsServeTheSwedishLabels(t *testing.T) {
	t.Parallel()
	api, _ := newAPI(t)
	var out struct {
		EnumLabels []struct{ Enum, Value, Label, Description string }
	}
	api.MustData(t, `{ enumLabels { enum value label description } }`, nil, &out)
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	values := 0
	for _, def := range schema.Types {
		if def.Kind == ast.Enum && !def.BuiltIn {
			values += len(def.EnumValues)
		}
	}
	if len(out.EnumLabels) != values {
		t.Errorf("%d labels for %d enum values", len(out.EnumLabels), values)
	}
	got := map[string]string{}
	for _, l := range out.EnumLabels {
		if l.Label == "" || l.Description == "" || strings.Contains(l.Description, graph.LabelPrefix) {
			t.Errorf("label %+v", l)
		}
		got[l.Enum+"."+l.Value] = l.Label
	}
	for k, want := range map[string]string{"Gender.WOMAN": "Kvinna", "ReferralSource.SOCIAL_SERVICES": "Socialtjänsten",
		"DistanceCategory.RED": "Röd", "OutcomeStatus.UNKNOWN": "Okänd"} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q", k, got[k], want)
		}
	}
	var one struct{ EnumLabels []struct{ Value string } }
	api.MustData(t, `{ enumLabels(enums: ["CaseStatus"]) { value } }`, nil, &one)
	if len(one.EnumLabels) != 3 {
		t.Errorf("CaseStatus labels: %+v", one.EnumLabels)
	}
	// A name that is not an enum is INVALID on it, not an empty list.
	errs := api.MustFail(t, `{ enumLabels(enums: ["Gender", "Genders"]) { value } }`, nil)
	if len(errs) != 1 || errs[0].Code() != "INVALID" || errs[0].Field() != "enums[1]" {
		t.Errorf("an unknown enum: %+v", errs)
	}
}
