package graph_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// accessChecks are the functions that decide what a caller may see or do. In the
// GraphQL layer only the mechanisms call them: OrganisationScope (scope.go) for every
// field naming an organisation, the @auth directive (security.go) and node(id)'s roles
// by kind (node.go). Records named by id are checked in the stores.
var accessChecks = map[string]bool{
	"requirePersonalData": true, "participantToWrite": true, "RequirePersonalData": true,
	"CanReadPersonalData": true, "CanReadAggregates": true, "AggregateScope": true, "PersonalDataOrgs": true,
	"SeesAllOrganisations": true, "HasRole": true, "Forbidden": true, "Require": true,
}

// mechanisms may call accessChecks.
var mechanisms = map[string]bool{"scope.go": true, "security.go": true, "node.go": true}

// databaseCalls are the methods of pgx's pools, connections and transactions that run
// SQL (with at least a context argument, unlike the resolver root's Query()).
var databaseCalls = map[string]bool{"Query": true, "QueryRow": true, "Exec": true, "SendBatch": true,
	"CopyFrom": true, "Begin": true, "BeginTx": true, "Acquire": true, "Pool": true}

// sqlText matches a string literal that is SQL.
var sqlText = regexp.MustCompile(`(?is)\b(select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|create\s+table|alter\s+table)\b`)

// TestResolversOnlyTranslate fails when a file of the GraphQL layer holds an access
// check, SQL or a database handle: resolvers translate and delegate; the rules live in
// internal/ and warehouse/, SQL next to its store. It reads every non-test Go file of
// graph/ (the resolvers and their helpers), so a check moved into a helper is found too.
func TestResolversOnlyTranslate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	resolvers := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		if strings.HasSuffix(name, ".resolvers.go") {
			resolvers++
		}
		for _, problem := range translateProblems(t, name) {
			t.Errorf("%s", problem)
		}
	}
	if resolvers < 10 {
		t.Fatalf("found %d resolver files: is the test running in graph/?", resolvers)
	}
}

// translateProblems lists what file holds that a resolver layer must not.
func translateProblems(t *testing.T, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(file)
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fset.Position(n.Pos()).String()+": "+strings.TrimSpace(sprintf(format, args...)))
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if strings.HasPrefix(path, "github.com/jackc/pgx") || strings.HasPrefix(path, "github.com/ClickHouse/clickhouse-go/v2") && base != "resolver.go" {
			report(imp, "imports %s: a database handle belongs in a store", path)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
				if databaseCalls[name] && len(n.Args) > 0 || name == "Pool" {
					report(n, "calls %s: SQL and database handles belong in a store", name)
				}
			case *ast.IndexExpr: // a generic function
				if id, ok := fn.X.(*ast.Ident); ok {
					name = id.Name
				}
			}
			if accessChecks[name] && !mechanisms[base] {
				report(n, "calls %s: access checks belong to graph.OrganisationScope, the @auth directive or the stores", name)
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING && sqlText.MatchString(n.Value) {
				report(n, "holds SQL %.60s: SQL lives next to its store", n.Value)
			}
		}
		return true
	})
	return out
}

// TestResolversOnlyTranslateFindsViolations feeds the checker a resolver that does all
// it must not, so that a checker that finds nothing cannot pass for a clean tree.
func TestResolversOnlyTranslateFindsViolations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.resolvers.go")
	src := `package graph

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

func (r *queryResolver) Bad(ctx context.Context, pool *pgxpool.Pool, orgID string) error {
	if err := requirePersonalData(ctx, orgID, "organisationId"); err != nil {
		return err
	}
	p, _ := auth.Require(ctx)
	if !p.CanReadAggregates(orgID) {
		return auth.Forbidden("organisationId", "figures")
	}
	_, err := pool.Exec(ctx, "DELETE FROM participant WHERE organisation_id = $1", orgID)
	_ = r.Participants.Pool()
	_ = "SELECT id FROM participant"
	return err
}
`
	if err := writeFile(bad, src); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(translateProblems(t, bad), "\n")
	for _, want := range []string{"imports github.com/jackc/pgx/v5/pgxpool", "calls requirePersonalData", "calls Require",
		"calls CanReadAggregates", "calls Forbidden", "calls Exec", "calls Pool", "holds SQL \"DELETE FROM", "holds SQL \"SELECT id"} {
		if !strings.Contains(got, want) {
			t.Errorf("the checker missed %q; it found:\n%s", want, got)
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }
