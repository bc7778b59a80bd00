package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// OrganisationScope is the GraphQL layer's one per-organisation access check, run
// before every field resolves (Fields calls it): every organisation the field names
// must be open to the caller. A field names an organisation by an argument
// organisationId or organisationIds, or by such a field at any depth of an input
// argument (input.organisationId, cohorts[].organisationIds). By default the caller
// must be allowed the organisation's personal data (a caseworker of it, an admin); a
// field marked @aggregates only needs its figures (auth's CanReadAggregates). A new
// field is checked without anyone remembering to, and one that forgets @aggregates
// errs on the strict side. Records named by their own id are checked below, in the
// stores (row-level security, participant.LockForWrite).
func OrganisationScope(ctx context.Context, fc *graphql.FieldContext) error {
	if fc == nil || len(fc.Args) == 0 {
		return nil // most fields of a response have no arguments
	}
	var named []namedOrg
	for arg, v := range fc.Args {
		named = organisationsIn(reflect.ValueOf(v), arg, named)
	}
	if len(named) == 0 {
		return nil
	}
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	aggregates := fc.Field.Definition != nil && fc.Field.Definition.Directives.ForName("aggregates") != nil
	for _, o := range named {
		if aggregates && !p.CanReadAggregates(o.id) {
			return auth.Forbidden(o.field, "figures of this organisation")
		}
		if !aggregates && !p.CanReadPersonalData(o.id) {
			return auth.Forbidden(o.field, "personal data of this organisation")
		}
		if !db.IsUUID(o.id) { // open to a caller of every organisation (an admin), yet names none
			return apperr.Invalidf(o.field, "not an organisation id")
		}
	}
	return nil
}

// namedOrg is one organisation id a field's arguments name, with the argument path
// that named it (the error's field).
type namedOrg struct{ id, field string }

// organisationNames are the argument and input field names that name organisations.
var organisationNames = map[string]bool{"organisationId": true, "organisationIds": true}

// organisationsIn collects the organisation ids v names at path: v itself when the
// last name of path is one of organisationNames, otherwise the fields of an input
// object (named by their json tags, which gqlgen sets to the schema's names) and the
// items of a list.
func organisationsIn(v reflect.Value, path string, out []namedOrg) []namedOrg {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return out
		}
		v = v.Elem()
	}
	name := path[strings.LastIndexByte(path, '.')+1:]
	if organisationNames[name] {
		switch v.Kind() {
		case reflect.String:
			return append(out, namedOrg{id: v.String(), field: path})
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				if s, ok := reflect.Indirect(v.Index(i)).Interface().(string); ok {
					out = append(out, namedOrg{id: s, field: fmt.Sprintf("%s[%d]", path, i)})
				}
			}
		}
		return out
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			out = organisationsIn(v.Field(i), path+"."+tag, out)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return out // bytes (an upload's content) name nothing
		}
		for i := 0; i < v.Len(); i++ {
			out = organisationsIn(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if k, ok := iter.Key().Interface().(string); ok {
				out = organisationsIn(iter.Value(), path+"."+k, out)
			}
		}
	}
	return out
}
