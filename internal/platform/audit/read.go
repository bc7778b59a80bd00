package audit

import (
	"context"
	"reflect"
	"sync"
	"time"
)

// Ref names one personal record: its entity (the audit log's word for it, e.g.
// participant, enrolment) and its id.
type Ref struct{ Entity, ID string }

// Audited is a domain type whose values are personal records: AuditRefs lists the
// records reading a value shows, the value itself first, then the people it speaks of.
// Each domain package owns its words; the API records them without knowing the types.
type Audited interface {
	AuditRefs() []Ref
}

// RecordRead records a read, by operation, of every record v shows: v itself when it
// is Audited, or each Audited item of a slice (nodes(ids:), a list field). Anything
// else holds no personal record and is not recorded. The records of a person go into
// that person's entry (Entry.Records).
//
// The API calls it with the value of every field of a response (a page has some 1,500,
// most of them strings), so a value whose type can hold no Audited value returns after
// one comparison of its type (the common scalars) or one cached look-up of its type.
func RecordRead(ctx context.Context, operation string, v any) {
	switch v.(type) {
	case nil, string, *string, bool, *bool, int, *int, int64, *int64, float64, *float64, time.Time, *time.Time:
		return // most fields: decided by comparing the type word, before the cache
	}
	if !mayHoldAudited(reflect.TypeOf(v)) {
		return
	}
	if r, ok := ctx.Value(ctxKey{}).(*Recorder); ok {
		r.recordRead(operation, v)
	}
}

func (r *Recorder) recordRead(operation string, v any) {
	if a, ok := v.(Audited); ok {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return
		}
		r.readRefs(operation, a.AuditRefs())
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return
	}
	for i := 0; i < rv.Len(); i++ {
		item := rv.Index(i)
		if (item.Kind() == reflect.Pointer || item.Kind() == reflect.Interface) && item.IsNil() {
			continue
		}
		r.recordRead(operation, item.Interface())
	}
}

var (
	auditedType = reflect.TypeFor[Audited]()
	mayHold     sync.Map // reflect.Type → bool
)

// mayHoldAudited reports whether a value of type t can be, or be a slice (of slices)
// holding, an Audited value: t implements Audited, or is a slice whose elements may
// (an interface element may hold anything). The answer is cached per type.
func mayHoldAudited(t reflect.Type) bool {
	if v, ok := mayHold.Load(t); ok {
		return v.(bool)
	}
	var may bool
	switch {
	case t.Implements(auditedType), t.Kind() == reflect.Interface:
		may = true
	case t.Kind() == reflect.Slice:
		may = mayHoldAudited(t.Elem())
	}
	mayHold.Store(t, may)
	return may
}
