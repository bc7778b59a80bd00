// Command listgen runs after gqlgen (go:generate in graph/resolver.go) over the
// generated executor in graph/generated:
//
//   - every list of objects is marshalled through executionContext.marshalList
//     (graph/generated/lists.go) instead of gqlgen's graphql.MarshalSliceConcurrently,
//     which starts a goroutine per element whatever the elements hold;
//   - an object builds gqlgen's @defer group only when one of its fields is deferred
//     (deferredGroup, graph/generated/lists.go);
//   - an object is written by object.MarshalGQL (graph/generated/lists.go) instead of
//     graphql.FieldSet's, which allocates a copy of every field and a map per object;
//   - waiting_fields.go lists, per object type, the fields gqlgen resolves in a
//     goroutine of their own (a resolver, or a method taking a context): the fields
//     that may wait for a loader or the database. marshalList marshals a list's
//     elements one after another when none of those is selected beneath them.
//
// Running gqlgen alone leaves a build that works (gqlgen's own concurrent lists), only
// slower; graph/internal/listgen's test fails until listgen has run again.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The rewrites, gqlgen v0.17's text first (worker_limit 0, the panic handler on):
//   - a list of objects: marshalList, the same arguments minus those two;
//   - an object's @defer group: deferredGroup builds gqlgen's only when a field of the
//     object is deferred (gqlgen builds one per object: its path, a field set and a
//     map, for a directive pages do not use);
//   - an object's value: its collected fields and their values, written by object.
var rewrites = []struct{ from, to, leftover string }{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(", "ec.marshalList(ctx, sel, len(v), func(", "graphql.MarshalSliceConcurrently("},
	{"deferred := graphql.NewDeferredGroup(ctx)\n", "deferred := deferredGroup(ctx, fields)\n", "graphql.NewDeferredGroup("},
	{"\n\treturn out\n}\n", "\n\treturn object{fields, out.Values}\n}\n", "\n\treturn out\n}\n"},
}

// OutputFile is the table listgen writes into the generated package.
const OutputFile = "waiting_fields.go"

func main() {
	dir := flag.String("dir", "generated", "the gqlgen exec package's folder")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, table, err := Generate(dir)
	if err != nil {
		return err
	}
	for path, src := range files {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, OutputFile), table, 0o644)
}

// Generate reads the generated files in dir and returns those that change (path →
// new content) and the content of the waiting-fields table.
func Generate(dir string) (map[string][]byte, []byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("no *.generated.go in %s", dir)
	}
	changed := map[string][]byte{}
	waiting := map[string][]string{}
	fset := token.NewFileSet()
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		out := src
		for _, r := range rewrites {
			out = bytes.ReplaceAll(out, []byte(r.from), []byte(r.to))
			if bytes.Contains(out, []byte(r.leftover)) {
				return nil, nil, fmt.Errorf("%s: a call of %s not of the form %q (gqlgen's template or gqlgen.yml changed?)", path, r.leftover, r.from)
			}
		}
		if !bytes.Equal(out, src) {
			changed[path] = out
		}
		f, err := parser.ParseFile(fset, path, out, 0)
		if err != nil {
			return nil, nil, err
		}
		collectWaiting(f, waiting)
	}
	table, err := render(waiting)
	return changed, table, err
}

// collectWaiting finds, in each object marshaller `func (ec *executionContext) _Type(…)`,
// the cases `case "field":` that resolve through out.ResolveConcurrently.
func collectWaiting(f *ast.File, waiting map[string][]string) {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "_") || !takesSelectionSet(fn) {
			continue // not an object's marshaller (a field's takes a graphql.CollectedField)
		}
		typeName := fn.Name.Name[1:]
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				lit, ok := e.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				name, err := strconv.Unquote(lit.Value)
				if err == nil && callsResolveConcurrently(cc.Body) {
					waiting[typeName] = append(waiting[typeName], name)
				}
			}
			return false
		})
	}
}

// takesSelectionSet: the second parameter is an ast.SelectionSet (ctx, sel, obj).
func takesSelectionSet(fn *ast.FuncDecl) bool {
	var types []ast.Expr
	for _, p := range fn.Type.Params.List {
		for range max(1, len(p.Names)) {
			types = append(types, p.Type)
		}
	}
	if len(types) < 2 {
		return false
	}
	sel, ok := types[1].(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "SelectionSet"
}

func callsResolveConcurrently(body []ast.Stmt) bool {
	found := false
	for _, s := range body {
		ast.Inspect(s, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ResolveConcurrently" {
					found = true
				}
			}
			return !found
		})
	}
	return found
}

func render(waiting map[string][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("// Code generated by graph/internal/listgen from the code gqlgen generated; DO NOT EDIT.\n\n")
	b.WriteString("package generated\n\n")
	b.WriteString("// waitingFields are, per object type, the fields resolved in a goroutine of their own\n")
	b.WriteString("// (a resolver, or a method taking a context): those that may wait. See marshalList.\n")
	b.WriteString("var waitingFields = map[string]map[string]bool{\n")
	types := make([]string, 0, len(waiting))
	for t := range waiting {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fields := slices.Compact(slices.Sorted(slices.Values(waiting[t])))
		fmt.Fprintf(&b, "\t%q: {", t)
		for i, f := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: true", f)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
