package graph

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// LabelPrefix starts the line of an enum value's description that names its Swedish
// display label. The schema is the one place labels are written; enumLabels serves
// them, and TestEverySchemaElementIsDescribed requires one on every enum value.
const LabelPrefix = "Label (sv): "

// SplitLabel separates an enum value's description into its English text and its
// Swedish label ("" when it has none).
func SplitLabel(description string) (text, label string) {
	lines := strings.Split(strings.TrimSpace(description), "\n")
	var keep []string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), LabelPrefix); ok {
			label = strings.TrimSpace(v)
			continue
		}
		keep = append(keep, l)
	}
	return strings.TrimSpace(strings.Join(keep, "\n")), label
}

// enumLabels are every enum value's label, by enum, in schema order.
var enumLabels = sync.OnceValue(func() map[string][]*model.EnumLabel {
	out := map[string][]*model.EnumLabel{}
	for _, def := range generated.NewExecutableSchema(generated.Config{}).Schema().Types {
		if def.Kind != ast.Enum || def.BuiltIn {
			continue
		}
		for _, v := range def.EnumValues {
			text, label := SplitLabel(v.Description)
			out[def.Name] = append(out[def.Name], &model.EnumLabel{Enum: def.Name, Value: v.Name, Label: label, Description: text})
		}
	}
	return out
})

// labelsOf returns the labels of the enums named, or of every enum, by enum name.
func labelsOf(enums []string) ([]*model.EnumLabel, error) {
	all := enumLabels()
	if enums == nil {
		for name := range all {
			enums = append(enums, name)
		}
		sort.Strings(enums)
	}
	out := []*model.EnumLabel{}
	var errs apperr.List
	for i, name := range enums {
		labels, ok := all[name]
		if !ok {
			// A misspelt name would otherwise give a picker no values and no hint why. The
			// message names the place, never the value (a caller's text is not echoed).
			errs.Add(apperr.Invalidf(fmt.Sprintf("enums[%d]", i), "not the name of an enum of the schema (e.g. Gender, CaseStatus)"))
		}
		out = append(out, labels...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
