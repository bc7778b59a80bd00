package generated

// Written by hand (gqlgen leaves files of its package it did not generate alone);
// graph/internal/listgen points the generated list marshallers and objects here.

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// marshalList marshals a list of objects. gqlgen's MarshalSliceConcurrently starts a
// goroutine per element so that elements whose fields wait (for a loader's batch, the
// database) wait together; a page of 50 participants with their enrolments costs some
// 100 goroutines, each growing its stack as the element's fields descend. When no field
// selected beneath the elements can wait (mayWait), the elements are marshalled one
// after another in the calling goroutine, each with the field context, the recovery
// from a panic and the error path MarshalSliceConcurrently gives it.
//
// A participant's enrolments, referrals and latest observation are methods without a
// context (graph/model.Participant), so they are not waiting fields: the one list of
// participants (the participants connection) prefetches them for its page, and they
// are then read from the loaders' caches.
func (ec *executionContext) marshalList(ctx context.Context, sel ast.SelectionSet, length int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length < 2 || mayWait(sel) {
		return graphql.MarshalSliceConcurrently(ctx, length, 0, false, marshalElement)
	}
	ret := make(graphql.Array, length)
	for i := range length {
		ret[i] = marshalElement1(ctx, i, marshalElement)
	}
	return ret
}

func marshalElement1(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}

// mayWait reports whether a field selected in sel, at any depth, is resolved in a
// goroutine of its own (waitingFields), or cannot be told (a field of an interface or
// a union, a fragment not resolved by validation). It reads the query's syntax tree and
// counts every field under @skip and @include as selected.
func mayWait(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object ||
				waitingFields[s.ObjectDefinition.Name][s.Name] || mayWait(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if mayWait(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || mayWait(s.Definition.SelectionSet) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// deferredGroup is graphql.NewDeferredGroup(ctx) for an object one of whose fields is
// deferred (@defer), and an empty group otherwise: gqlgen's generated code builds one
// per object (the object's path, a field set and a map), and only a deferred field,
// scheduled by FieldSet.ResolveConcurrently, uses it; without one it stays empty.
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// object is an object as written into the response: its collected fields and their
// values, as gqlgen's FieldSet holds them once dispatched. graphql.FieldSet's own
// MarshalGQL allocates a copy of every field (its iterator yields the address of the
// loop variable) and a map of the aliases written, for each object of a response.
type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

// MarshalGQL writes what graphql.FieldSet.MarshalGQL writes: {"alias":value,…} in the
// fields' order, a repeated alias written once (the first). An alias is a GraphQL name
// ([_A-Za-z][_0-9A-Za-z]*), which JSON needs no escape for.
func (o object) MarshalGQL(w io.Writer) {
	var seen map[string]bool // only for objects too wide to look back through
	w.Write(openBrace)       //nolint:errcheck
	for i := range o.fields {
		alias := o.fields[i].Alias
		if i >= 32 && seen == nil {
			seen = make(map[string]bool, len(o.fields))
			for _, f := range o.fields[:i] {
				seen[f.Alias] = true
			}
		}
		if seen != nil && seen[alias] || seen == nil && writtenBefore(o.fields[:i], alias) {
			continue
		}
		if seen != nil {
			seen[alias] = true
		}
		if i > 0 { // the first field is never a repeat: it is always written
			w.Write(comma) //nolint:errcheck
		}
		w.Write(quote)           //nolint:errcheck
		io.WriteString(w, alias) //nolint:errcheck
		w.Write(quoteColon)      //nolint:errcheck
		o.values[i].MarshalGQL(w)
	}
	w.Write(closeBrace) //nolint:errcheck
}

var (
	openBrace  = []byte{'{'}
	closeBrace = []byte{'}'}
	comma      = []byte{','}
	quote      = []byte{'"'}
	quoteColon = []byte{'"', ':'}
)

func writtenBefore(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}
