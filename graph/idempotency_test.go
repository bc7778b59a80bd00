package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
)

// keyedMutations lists the mutations whose input takes an idempotencyKey, as
// "mutation <field>" (the role matrix's operation names), by name.
func keyedMutations(t *testing.T) []string {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	var out []string
	for _, f := range schema.Mutation.Fields {
		arg := f.Arguments.ForName("input")
		if arg == nil {
			continue
		}
		if in := schema.Types[arg.Type.Name()]; in != nil && in.Fields.ForName("idempotencyKey") != nil {
			out = append(out, "mutation "+f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// auditRows counts the write audit rows of operation.
func auditRows(t *testing.T, w *world, operation string) int {
	t.Helper()
	var n int
	if err := w.system.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'write' AND operation = $1`,
		operation).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEveryKeyedMutationReplays: every mutation whose input takes an idempotencyKey
// (each create, found in the schema, called as the role matrix calls it), sent again
// with the same key, answers exactly as the first call did and writes nothing but the
// retry's audit row; the key sent with another request (the same mutation with other
// input, or another mutation) is a CONFLICT on input.idempotencyKey that writes nothing.
func TestEveryKeyedMutationReplays(t *testing.T) {
	t.Parallel()
	w := worldOn(t, apitest.New(t, apitest.Options{}), "replay-a", "replay-b")
	w.personA = w.createPerson(t, w.orgA)
	calls := map[string]opCall{}
	for _, op := range operations {
		calls[op.name] = op.query
	}
	keyed := keyedMutations(t)
	if len(keyed) < 2 {
		t.Fatalf("keyed mutations %v: the schema has lost its idempotency keys", keyed)
	}
	// call builds name's call (its fixtures included) with key in its input.
	call := func(name, key string) (string, map[string]any) {
		t.Helper()
		build, ok := calls[name]
		if !ok {
			t.Fatalf("%s has no operation in the role matrix", name)
		}
		q, vars := build(t, w)
		if strings.Count(q, "input: {") != 1 {
			t.Fatalf("%s: cannot place the key in %s", name, q)
		}
		return strings.Replace(q, "input: {", fmt.Sprintf("input: {idempotencyKey: %q, ", key), 1), vars
	}
	ctx := context.Background()
	for i, name := range keyed {
		field := strings.Fields(name)[1]
		key := "replay-" + field
		q, vars := call(name, key)
		first, err := w.admin.Do(ctx, q, vars)
		if err != nil || len(first.Errors) > 0 {
			t.Errorf("%s: %v %+v", name, err, first.Errors)
			continue
		}
		before, audits := tableRows(t, w.system), auditRows(t, w, field)
		again, err := w.admin.Do(ctx, q, vars)
		if err != nil || len(again.Errors) > 0 {
			t.Errorf("%s retried: %v %+v", name, err, again.Errors)
			continue
		}
		if !bytes.Equal(again.Data, first.Data) {
			t.Errorf("%s retried answered %s, the first call %s", name, again.Data, first.Data)
		}
		if after := tableRows(t, w.system); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s retried wrote: before %v, after %v", name, before, after)
		}
		if n := auditRows(t, w, field); n != audits+1 {
			t.Errorf("%s retried: %d write audit rows, want %d (the retry's)", name, n, audits+1)
		}

		// The key sent with another request: the same mutation on fresh fixtures, and
		// the next keyed mutation.
		q2, vars2 := call(name, key)
		if fmt.Sprint(vars2) == fmt.Sprint(vars) {
			t.Fatalf("the role matrix's call of %s makes the same input twice: give it fresh fixtures", name)
		}
		q3, vars3 := call(keyed[(i+1)%len(keyed)], key)
		for _, c := range []struct {
			q    string
			vars map[string]any
		}{{q2, vars2}, {q3, vars3}} {
			before = tableRows(t, w.system)
			r, err := w.admin.Do(ctx, c.q, c.vars)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) == 0 || r.Errors[0].Code() != "CONFLICT" || r.Errors[0].Field() != "input.idempotencyKey" {
				t.Errorf("the key of %s sent with %s: %s %+v, want CONFLICT on input.idempotencyKey", name, c.q, r.Data, r.Errors)
			}
			if after := tableRows(t, w.system); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the key of %s sent with %s wrote: before %v, after %v", name, c.q, before, after)
			}
		}
	}
	t.Logf("%d keyed mutations replayed: %s", len(keyed), strings.Join(keyed, ", "))
}
