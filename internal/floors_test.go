// Package internal_test holds the test that keeps the floors of docs/ARCHITECTURE.md:
// every import points down.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/arbetsmarknad/outcomes/"

// TestImportsPointDown fails when production code imports a floor above its own:
// platform imports neither domain, warehouse nor the applications; domain and
// warehouse import neither the applications nor GraphQL (nor gqlgen), and the
// warehouse reads no domain store. Test files may reach across (a test of a store
// uses fixtures of another), and so may the test support named below.
func TestImportsPointDown(t *testing.T) {
	t.Parallel()
	forbidden := map[string][]string{
		"internal/platform": {"internal/domain", "internal/app", "internal/systest", "graph", "warehouse", "cmd", "bench"},
		"internal/domain":   {"internal/app", "internal/systest", "graph", "cmd", "bench", "github.com/99designs/gqlgen"},
		"warehouse":         {"internal/domain", "internal/app", "internal/systest", "graph", "cmd", "bench", "github.com/99designs/gqlgen"},
	}
	// testenv gives tests a migrated ClickHouse database, which needs the warehouse's
	// migrations (chstore); only tests import it.
	allowed := map[string]string{"internal/platform/testenv": module + "warehouse/chstore"}
	checked := 0
	for floor, above := range forbidden {
		err := filepath.WalkDir(filepath.Join("..", floor), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel("..", path)
			pkg := filepath.ToSlash(filepath.Dir(rel))
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if allowed[pkg] == p {
					continue
				}
				for _, a := range above {
					target := a
					if !strings.Contains(a, ".") { // a folder of this module
						target = module + a
					}
					if p == target || strings.HasPrefix(p, target+"/") {
						t.Errorf("%s imports %s: %s is above %s (docs/ARCHITECTURE.md)", rel, p, a, floor)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 100 {
		t.Fatalf("read only %d files: the floors were not found", checked)
	}
}
