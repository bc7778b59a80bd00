package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/arbetsmarknad/outcomes/graph/generated"
)

// TestDocsExamplesValidate keeps docs/API.md true: every GraphQL block in it must parse
// and validate against the schema the server serves.
func TestDocsExamplesValidate(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 20 {
		t.Fatalf("found %d examples in docs/API.md, expected one or more per area", len(blocks))
	}
	frontend, err := os.ReadFile("../docs/FRONTEND.md")
	if err != nil {
		t.Fatal(err)
	}
	more := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(frontend), -1)
	if len(more) < 5 {
		t.Fatalf("found %d examples in docs/FRONTEND.md", len(more))
	}
	blocks = append(blocks, more...)
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for i, b := range blocks {
		q, perr := parser.ParseQuery(&ast.Source{Input: b[1]})
		if perr != nil {
			t.Errorf("example %d does not parse: %v\n%s", i+1, perr, b[1])
			continue
		}
		var errs gqlerror.List = validator.Validate(schema, q)
		if len(errs) > 0 {
			t.Errorf("example %d is not valid against the schema: %v\n%s", i+1, errs, b[1])
		}
	}
}
