package apiserver

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// An operation over a limit is refused before it runs, as one that does not validate:
// gqlgen answers those 422, and answers 200 for codes it has not been told are the
// client's fault (its own complexity limit's included).
func init() {
	errcode.RegisterErrorType(codeTooDeep, errcode.KindProtocol)
	errcode.RegisterErrorType("COMPLEXITY_LIMIT_EXCEEDED", errcode.KindProtocol)
}

const codeTooDeep = "QUERY_TOO_DEEP"

// depthLimit refuses operations nested deeper than max fields.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0); depth > d.max {
		return &gqlerror.Error{Message: fmt.Sprintf("operation is %d levels deep; the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": codeTooDeep}}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, seen int) int {
	if seen > 100 {
		return seen // a bound on fragment cycles; validation rejects those anyway
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + selectionDepth(s.SelectionSet, seen+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, seen+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, seen+1)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}

const codeIntrospectionDisabled = "INTROSPECTION_DISABLED"

func init() { errcode.RegisterErrorType(codeIntrospectionDisabled, errcode.KindProtocol) }

// refuseIntrospection refuses, before it runs, an operation that asks for the schema
// (__schema or __type) where introspection is off, as a client error like the limits
// above: gqlgen's own refusal comes from the field's resolver, with HTTP 200 and data
// null, and a partial answer for the rest. __typename stays allowed: clients select it
// everywhere to tell types apart.
type refuseIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = refuseIntrospection{}

func (refuseIntrospection) ExtensionName() string                   { return "RefuseIntrospection" }
func (refuseIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (refuseIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || !asksForSchema(oc.Operation.SelectionSet, 0) {
		return nil
	}
	return &gqlerror.Error{Message: "introspection is disabled here; the schema is at /schema.graphql",
		Extensions: map[string]any{"code": codeIntrospectionDisabled}}
}

// asksForSchema reports whether a root selection set selects __schema or __type,
// directly or through fragments (validation allows them at the root only).
func asksForSchema(set ast.SelectionSet, seen int) bool {
	if seen > 100 {
		return false // a bound on fragment cycles; validation rejects those anyway
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if asksForSchema(s.SelectionSet, seen+1) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && asksForSchema(s.Definition.SelectionSet, seen+1) {
				return true
			}
		}
	}
	return false
}

// refuseDefer refuses, before it runs, an operation that uses @defer (which gqlgen
// declares by itself), as one that does not validate. A deferred fragment is resolved
// after the response's first part has left: outside the request's read transaction and
// after its audit rows were written (graph.Fields, audit.FlushReads), so the person
// records it read went unaudited, or its reads failed ("read scope already ended",
// INTERNAL); by POST its parts were dropped, the first sent with hasNext. The API's
// clients select what they need in one response.
type refuseDefer struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = refuseDefer{}

func (refuseDefer) ExtensionName() string                   { return "RefuseDefer" }
func (refuseDefer) Validate(graphql.ExecutableSchema) error { return nil }

func (refuseDefer) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Doc == nil {
		return nil
	}
	sets := make([]ast.SelectionSet, 0, len(oc.Doc.Operations)+len(oc.Doc.Fragments))
	for _, op := range oc.Doc.Operations {
		sets = append(sets, op.SelectionSet)
	}
	for _, f := range oc.Doc.Fragments {
		sets = append(sets, f.SelectionSet)
	}
	for _, set := range sets {
		if defers(set) {
			return &gqlerror.Error{Message: "@defer is not supported here: select the fields in the response itself",
				Extensions: map[string]any{"code": errcode.ValidationFailed}}
		}
	}
	return nil
}

// defers reports whether a selection set defers a fragment, at any depth. Each fragment
// definition is looked at once, by MutateOperationContext, not at every spread of it.
func defers(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if defers(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") != nil || defers(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") != nil {
				return true
			}
		}
	}
	return false
}
