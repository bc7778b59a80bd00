package audit

import (
	"context"
	"reflect"
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
// else holds no personal record and is not recorded.
func RecordRead(ctx context.Context, operation string, v any) {
	if a, ok := v.(Audited); ok {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return
		}
		for _, r := range a.AuditRefs() {
			Record(ctx, "read", r.Entity, r.ID, operation)
		}
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
		RecordRead(ctx, operation, item.Interface())
	}
}
