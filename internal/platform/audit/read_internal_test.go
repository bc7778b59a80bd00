package audit

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type person struct{ id string }

func (p person) AuditRefs() []Ref { return []Ref{{Entity: "participant", ID: p.id}} }

type node interface{ isNode() }

func (person) isNode() {}

// TestRecordReadFindsEveryAuditedValue: RecordRead skips a value whose type cannot hold
// a personal record without looking further, and records every Audited value it is given
// however it is held (pointer, slice, slice of an interface, slice of slices), once.
func TestRecordReadFindsEveryAuditedValue(t *testing.T) {
	t.Parallel()
	ctx, rec := NewContext(context.Background())
	var nilPerson *person
	for _, v := range []any{"a name", 42, []string{"x"}, map[string]person{"k": {id: "m"}}, nilPerson,
		&person{id: "p1"}, []*person{{id: "p2"}, nil}, []node{person{id: "p3"}, nil}, [][]person{{{id: "p4"}}},
		person{id: "p1"}} {
		RecordRead(ctx, "field", v)
	}
	var got []string
	for _, e := range rec.drain() {
		if e.Action != "read" || e.Entity != "participant" || e.Operation != "field" {
			t.Errorf("entry %+v, want a read of a participant by field", e)
		}
		got = append(got, e.EntityID)
	}
	if want := []string{"p1", "p2", "p3", "p4"}; !slices.Equal(got, want) {
		t.Errorf("recorded %v, want %v (each once, nothing from the other values)", got, want)
	}
	for _, c := range []struct {
		v    any
		want bool
	}{{"s", false}, {[]string{}, false}, {[][]int{}, false}, {&person{}, true}, {[]person{}, true}, {[]node{}, true}} {
		if got := mayHoldAudited(reflectType(c.v)); got != c.want {
			t.Errorf("mayHoldAudited(%T) = %v, want %v", c.v, got, c.want)
		}
	}
}

func reflectType(v any) reflect.Type { return reflect.TypeOf(v) }

type record struct{ entity, id, person string }

func (x record) AuditRefs() []Ref {
	refs := []Ref{{Entity: x.entity, ID: x.id}}
	if x.person != "" {
		refs = append(refs, Ref{Entity: PersonEntity, ID: x.person})
	}
	return refs
}

// TestReadsAreGroupedByPerson: a record about a person goes into that person's entry
// (created by whichever is read first, the person or the record), once; a record about
// no person is an entry of its own; writes and other direct entries stay apart.
func TestReadsAreGroupedByPerson(t *testing.T) {
	t.Parallel()
	ctx, rec := NewContext(context.Background())
	RecordRead(ctx, "node", &person{id: "p1"})
	RecordRead(ctx, "enrolments", []record{{"enrolment", "e1", "p1"}, {"enrolment", "e2", "p1"}})
	RecordRead(ctx, "referrals", []*record{{"referral", "r1", "p2"}, {"referral", "r1", "p2"}})
	RecordRead(ctx, "node", person{id: "p2"})
	RecordRead(ctx, "actionPlan", record{"action_plan", "a1", ""})
	RecordRead(ctx, "enrolments", record{"enrolment", "e1", "p1"})
	Record(ctx, "read", "protected_identity", "p1", "participant")
	var got []string
	for _, e := range rec.drain() {
		got = append(got, e.Action+" "+e.Operation+" "+e.Entity+" "+e.EntityID+" "+fmt.Sprint(e.Records))
	}
	want := []string{
		"read node participant p1 [enrolment:e1 enrolment:e2]",
		"read referrals participant p2 [referral:r1]",
		"read actionPlan action_plan a1 []",
		"read participant protected_identity p1 []",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// joinRecords builds what strings.Join of the entries' Records would.
func TestJoinRecordsIsJoinOfRecords(t *testing.T) {
	t.Parallel()
	for _, refs := range [][]Ref{nil, {{"enrolment", "e1"}}, {{"enrolment", "e1"}, {"referral", "r-2"}, {"outcome_observation", "o3"}}} {
		e := withRecords([]Entry{{}}, [][]Ref{refs})[0]
		if got, want := joinRecords(refs), strings.Join(e.Records, recordSeparator); got != want {
			t.Errorf("joinRecords(%v) = %q, want %q", refs, got, want)
		}
	}
}
