package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// A slot is one place in a root field's arguments where a client puts a value: an
// argument, a field of an input object, the first element of a list, present in the
// role matrix's call or left out of it. set puts a value there, in the document the
// slot was found in.
type slot struct {
	path string
	typ  *ast.Type
	set  func(*ast.Value)
}

// inline turns the variables in v (of type typ) into literals from vars, so that every
// value of the call is a slot of the document.
func inline(s *ast.Schema, v *ast.Value, typ *ast.Type, vars map[string]any) *ast.Value {
	switch v.Kind {
	case ast.Variable:
		return literal(s, vars[v.Raw], typ)
	case ast.ListValue:
		elem := typ
		if typ.Elem != nil {
			elem = typ.Elem
		}
		for _, c := range v.Children {
			c.Value = inline(s, c.Value, elem, vars)
		}
	case ast.ObjectValue:
		if d := s.Types[typ.Name()]; d != nil {
			for _, c := range v.Children {
				if fd := d.Fields.ForName(c.Name); fd != nil {
					c.Value = inline(s, c.Value, fd.Type, vars)
				}
			}
		}
	}
	return v
}

// literal is a variable's JSON-shaped value x as a literal of type typ.
func literal(s *ast.Schema, x any, typ *ast.Type) *ast.Value {
	switch x := x.(type) {
	case nil:
		return &ast.Value{Kind: ast.NullValue, Raw: "null"}
	case string:
		if d := s.Types[typ.Name()]; typ.Elem == nil && d != nil && d.Kind == ast.Enum {
			return &ast.Value{Kind: ast.EnumValue, Raw: x}
		}
		return &ast.Value{Kind: ast.StringValue, Raw: x}
	case bool:
		return &ast.Value{Kind: ast.BooleanValue, Raw: strconv.FormatBool(x)}
	case int:
		return &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(x)}
	case float64:
		return &ast.Value{Kind: ast.FloatValue, Raw: strconv.FormatFloat(x, 'g', -1, 64)}
	case []string:
		l := &ast.Value{Kind: ast.ListValue}
		for _, e := range x {
			l.Children = append(l.Children, &ast.ChildValue{Value: literal(s, e, typ.Elem)})
		}
		return l
	case []any:
		l := &ast.Value{Kind: ast.ListValue}
		for _, e := range x {
			l.Children = append(l.Children, &ast.ChildValue{Value: literal(s, e, typ.Elem)})
		}
		return l
	case map[string]any:
		o := &ast.Value{Kind: ast.ObjectValue}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := s.Types[typ.Name()]
		for _, k := range keys {
			o.Children = append(o.Children, &ast.ChildValue{Name: k, Value: literal(s, x[k], d.Fields.ForName(k).Type)})
		}
		return o
	}
	panic(fmt.Sprintf("no literal for %T", x))
}

// slotsOf lists the slots of the root field f (defined by def), inlining its variables.
func slotsOf(s *ast.Schema, f *ast.Field, def *ast.FieldDefinition, vars map[string]any) []slot {
	var out []slot
	for _, ad := range def.Arguments {
		ad := ad
		a := f.Arguments.ForName(ad.Name)
		if a == nil {
			out = append(out, slot{ad.Name, ad.Type, func(v *ast.Value) {
				f.Arguments = append(f.Arguments, &ast.Argument{Name: ad.Name, Value: v})
			}})
			continue
		}
		a.Value = inline(s, a.Value, ad.Type, vars)
		out = walkSlot(s, ad.Name, ad.Type, a.Value, func(v *ast.Value) { a.Value = v }, out)
	}
	return out
}

func walkSlot(s *ast.Schema, path string, typ *ast.Type, v *ast.Value, set func(*ast.Value), out []slot) []slot {
	out = append(out, slot{path, typ, set})
	if typ.Elem != nil {
		if v.Kind == ast.ListValue && len(v.Children) > 0 {
			c := v.Children[0]
			out = walkSlot(s, path+"[0]", typ.Elem, c.Value, func(nv *ast.Value) { c.Value = nv }, out)
		}
		return out
	}
	d := s.Types[typ.Name()]
	if d == nil || d.Kind != ast.InputObject || v.Kind != ast.ObjectValue {
		return out
	}
	for _, fd := range d.Fields {
		fd := fd
		var child *ast.ChildValue
		for _, c := range v.Children {
			if c.Name == fd.Name {
				child = c
			}
		}
		if child == nil {
			out = append(out, slot{path + "." + fd.Name, fd.Type, func(nv *ast.Value) {
				v.Children = append(v.Children, &ast.ChildValue{Name: fd.Name, Value: nv})
			}})
			continue
		}
		out = walkSlot(s, path+"."+fd.Name, fd.Type, child.Value, func(nv *ast.Value) { child.Value = nv }, out)
	}
	return out
}

// badValues are the values a careless or hostile client sends in a slot of type typ,
// by name; other is the id of a record of organisation B (or of another kind) for the
// slot's name.
func badValues(s *ast.Schema, path string, typ *ast.Type, other func(path string) string) map[string]any {
	out := map[string]any{"null": nil}
	if typ.Elem != nil {
		out["empty list"] = []any{}
		return out
	}
	switch typ.Name() {
	case "String":
		out["empty"] = ""
		out["blank"] = "   "
		out["NUL"] = "a\u0000b"
		out["control"] = "a\u0007b"
		out["line break"] = "a\nb"
		out["very long"] = strings.Repeat("å", 20000)
		out["personal"] = personalValue
	case "ID":
		out["not an id"] = "not-a-uuid"
		out["unknown"] = "00000000-0000-0000-0000-000000000000"
		out["another's"] = other(path)
		out["blank"] = " "
		out["personal"] = personalValue
	case "Date":
		out["far past"] = "0001-01-01"
		out["far future"] = "9999-12-31"
		out["impossible"] = "2019-02-29"
		out["not a date"] = "tomorrow"
	case "Month":
		out["far past"] = "0001-01"
		out["far future"] = "9999-12"
		out["impossible"] = "2019-13"
	case "Int":
		out["negative"] = -1
		out["zero"] = 0
		out["int32 max"] = 2147483647
		out["int32 min"] = -2147483648
		out["over int32"] = int64(2147483648)
		out["huge"] = json.Number("1e30")
		out["numeric string"] = "5"
	case "Float":
		out["negative"] = -1.5
		out["huge"] = 1e300
	case "Boolean", "Upload":
	default:
		if d := s.Types[typ.Name()]; d != nil && d.Kind == ast.Enum {
			out["unknown value"] = "NOT_A_VALUE"
		}
	}
	return out
}

// isName reports whether the slot at path is a name (of a person, an organisation, a
// project, a fair, a funder ...): one line, whatever else it holds.
func isName(path string) bool {
	field := path[strings.LastIndex(path, ".")+1:]
	return field == "name" || strings.HasSuffix(field, "Name") || field == "funder"
}

// personalValue is a personal identity number sent where it does not belong: whatever
// refuses it may not write it to the log.
const personalValue = "19811218-9876"

var varRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// variant is the call q (with vars) with the value at slot i replaced by the variable
// $bad of the slot's type; variables no longer used are dropped.
func variant(t *testing.T, s *ast.Schema, q string, vars map[string]any, i int) (string, slot) {
	t.Helper()
	bq, slots := variantOf(t, s, q, vars, map[int]string{i: "bad"})
	if bq == "" {
		return "", slot{}
	}
	return bq, slots[i]
}

// variantOf is the call q (with vars) with the value at each slot of set replaced by the
// variable set names, of the slot's type; it returns the document and every slot of the
// call, or "" when set names a slot the call does not have.
func variantOf(t *testing.T, s *ast.Schema, q string, vars map[string]any, set map[int]string) (string, []slot) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Operations[0]
	root := s.Query
	if op.Operation == ast.Mutation {
		root = s.Mutation
	}
	f := op.SelectionSet[0].(*ast.Field)
	slots := slotsOf(s, f, root.Fields.ForName(f.Name), vars)
	for i, name := range set {
		if i >= len(slots) {
			return "", slots
		}
		slots[i].set(&ast.Value{Kind: ast.Variable, Raw: name})
		op.VariableDefinitions = append(op.VariableDefinitions, &ast.VariableDefinition{Variable: name, Type: slots[i].typ})
	}
	var b strings.Builder
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	// Drop the definitions of the variables that were inlined.
	used := map[string]int{}
	for _, m := range varRef.FindAllStringSubmatch(b.String(), -1) {
		used[m[1]]++
	}
	op.VariableDefinitions = slices.DeleteFunc(op.VariableDefinitions, func(d *ast.VariableDefinition) bool { return used[d.Variable] < 2 })
	b.Reset()
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String(), slots
}

// periods are the pairs of fields, side by side in one input, that bound a period:
// the second may not come before the first.
var periods = [][2]string{{"startDate", "endDate"}, {"startDate", "plannedEndDate"}, {"periodStart", "periodEnd"}, {"from", "to"},
	{"fromMonth", "toMonth"}, {"exitFrom", "exitTo"}, {"startFrom", "startTo"}, {"referralDate", "feedbackDueDate"}}

// reversed is a call whose period ends before it starts.
type reversed struct {
	what string
	q    string
	vars map[string]any
}

// reversedPeriods lists the calls of q whose periods end the day (month) before they
// start, one per pair of slots in periods.
func reversedPeriods(t *testing.T, s *ast.Schema, q string, vars map[string]any) []reversed {
	t.Helper()
	_, slots := variantOf(t, s, q, vars, nil)
	var out []reversed
	split := func(path string) (parent, name string) {
		if k := strings.LastIndex(path, "."); k >= 0 {
			return path[:k], path[k+1:]
		}
		return "", path
	}
	for i, a := range slots {
		for j, b := range slots {
			pa, first := split(a.path)
			pb, second := split(b.path)
			if pa != pb || a.typ.Name() != b.typ.Name() || !slices.Contains(periods, [2]string{first, second}) {
				continue
			}
			start, end := any("2020-06-01"), any("2020-05-31")
			if a.typ.Name() == "Month" {
				start, end = "2020-06", "2020-05"
			}
			bq, _ := variantOf(t, s, q, vars, map[int]string{i: "start", j: "end"})
			out = append(out, reversed{b.path + " before " + a.path, bq, map[string]any{"start": start, "end": end}})
		}
	}
	return out
}

// sweepWorld is the world of a sweep over the schema's arguments on server: two
// municipalities, a person in each, an enrolment of B's (the other organisation's ids).
func sweepWorld(t *testing.T, server *apitest.Server) *world {
	t.Helper()
	w := worldOn(t, server, "svep-a", "svep-b")
	w.personA = w.createPerson(t, w.orgA)
	w.personB = w.createPerson(t, w.orgB)
	w.enrolmentB = w.createEnrolment(t, w.personB)
	return w
}

// TestEveryArgumentRefusesBadInputTyped sweeps every argument of every query and
// mutation, found in the schema: each slot of the role matrix's call of the field (each
// argument, each field of an input object, present or left out, the first element of
// a list) gets in turn the bad values of its type (null, unknown enum values, blank,
// NUL and control characters, 20,000 characters, a personal identity number, malformed,
// unknown and other organisations' ids, dates in year 1 and 9999 and impossible ones,
// negative numbers, int32's edges and beyond, a number in a string). A call may accept
// a value that can be fine (an empty note); never one that cannot (NUL, a number beyond
// int32 or in a string, an impossible date, a line break in a name; a write naming an
// id that is not one or holding 20,000 characters). When it refuses, the refusal is a
// typed client error (never INTERNAL, never an HTTP 5xx), a domain error names its
// field (an argument's path), and nothing is written. Then every period of the call
// (start and end side by side in one input) is sent ending the day before it starts:
// refused, typed, naming a field, writing nothing. The personal identity number never
// reaches the API's log, nor a refusal's message.
func TestEveryArgumentRefusesBadInputTyped(t *testing.T) {
	t.Parallel()
	server := apitest.New(t, apitest.Options{Warehouse: true})
	w := sweepWorld(t, server)
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	roles := rootFields(t)
	other := func(path string) string {
		switch {
		case strings.HasSuffix(path, "organisationId"), strings.HasSuffix(path, "memberId"), strings.HasSuffix(path, "regionalId"):
			return w.orgB
		case strings.Contains(strings.ToLower(path), "participant"):
			return w.personB
		case strings.Contains(strings.ToLower(path), "enrolment"):
			return w.enrolmentB
		}
		return w.personB // a record of another kind and organisation
	}
	ctx := context.Background()
	var sent, accepted, refused, periodCalls int
	var acceptedList []string
	for _, op := range operations {
		words := strings.Fields(op.name)
		if len(words) != 2 {
			continue // a further call of a field (on organisation B): the plain call covers its arguments
		}
		mutation := words[0] == "mutation"
		// As a caseworker of organisation A where the field allows it, so that B's ids
		// are another organisation's; as admin otherwise.
		caller := w.admin
		if slices.Contains(roles[op.name], string(auth.Caseworker)) {
			caller = w.as(t, auth.Caseworker)
		}
		q, vars := op.query(t, w)
		before := tableRows(t, w.system)
		for i := 0; ; i++ {
			bq, sl := variant(t, schema, q, vars, i)
			if bq == "" {
				break
			}
			if sl.typ.Name() == "Upload" {
				continue
			}
			names := []string{}
			values := badValues(schema, sl.path, sl.typ, other)
			for name := range values {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				what := fmt.Sprintf("%s %s = %s", op.name, sl.path, name)
				r, status, err := caller.DoStatus(ctx, bq, map[string]any{"bad": values[name]})
				sent++
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				if status >= 500 {
					t.Errorf("%s: HTTP %d %+v", what, status, r.Errors)
				}
				if len(r.Errors) == 0 {
					accepted++
					acceptedList = append(acceptedList, what)
					// Never fine. (A query may answer null for an id that is not an id, as
					// for one that names nothing: docs/FRONTEND.md; a write may not.)
					if name == "NUL" || name == "control" || name == "over int32" || name == "numeric string" || name == "huge" && sl.typ.Name() == "Int" ||
						name == "unknown value" || name == "impossible" || name == "not a date" || name == "far past" || name == "far future" ||
						(name == "not an id" || name == "very long") && mutation || name == "line break" && isName(sl.path) {
						t.Errorf("%s: accepted", what)
					}
					if mutation { // it wrote: the next variants get fresh fixtures
						q, vars = op.query(t, w)
						before = tableRows(t, w.system)
					}
					continue
				}
				refused++
				e := r.Errors[0]
				switch code := e.Code(); code {
				case "", "INTERNAL":
					t.Errorf("%s: untyped %q: %+v", what, code, r.Errors)
				case "INVALID", "NOT_FOUND", "CONFLICT":
					// The field is an argument's path, not the root field's (which the
					// presenter puts where an error named none: the database's refusal).
					if e.Field() == "" || e.Field() == words[1] {
						t.Errorf("%s: %s names no field: %+v", what, code, r.Errors)
					}
				}
				if e.Message == "" {
					t.Errorf("%s: %s without a message", what, e.Code())
				}
				if name == "personal" && strings.Contains(fmt.Sprint(r.Errors), personalValue[:8]) {
					t.Errorf("%s: the refusal quotes the personal identity number: %+v", what, r.Errors)
				}
				if mutation {
					if after := tableRows(t, w.system); fmt.Sprint(after) != fmt.Sprint(before) {
						t.Errorf("%s: refused (%s) but wrote: before %v, after %v", what, e.Code(), before, after)
						before = after
					}
				}
			}
		}
		// A period that ends before it starts is refused, whatever else the call says.
		for _, c := range reversedPeriods(t, schema, q, vars) {
			what := op.name + " " + c.what
			r, status, err := caller.DoStatus(ctx, c.q, c.vars)
			sent++
			periodCalls++
			switch {
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case len(r.Errors) == 0:
				t.Errorf("%s: accepted: %s", what, r.Data)
				if mutation {
					q, vars = op.query(t, w)
					before = tableRows(t, w.system)
				}
			case status >= 500 || r.Errors[0].Code() == "INTERNAL" || r.Errors[0].Code() == "" || r.Errors[0].Field() == "" ||
				r.Errors[0].Field() == words[1]:
				t.Errorf("%s: HTTP %d %+v, want a typed error naming its field", what, status, r.Errors)
			default:
				refused++
				if after := tableRows(t, w.system); mutation && fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: refused but wrote: before %v, after %v", what, before, after)
					before = after
				}
			}
		}
	}
	if logs := server.Logs.String(); !strings.Contains(logs, `"message":"request"`) {
		t.Errorf("the API's log was not captured: %.200s", logs)
	} else if strings.Contains(logs, personalValue) || strings.Contains(logs, strings.ReplaceAll(personalValue, "-", "")) {
		t.Errorf("the API logged a personal identity number it was sent as a bad value")
	}
	if periodCalls < 10 {
		t.Errorf("only %d reversed periods tried: the schema's periods are no longer found", periodCalls)
	}
	t.Logf("%d calls with a bad value: %d refused (%d with a period reversed), %d accepted", sent, refused, periodCalls, accepted)
	for _, a := range acceptedList {
		t.Logf("accepted: %s", a)
	}
}
