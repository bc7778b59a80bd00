package apiserver

import (
	"strings"
	"testing"
)

// TestPassedQueriesKeepTheirLimits: a query text that passed is answered from
// passedQueries only under the limits it passed under: the same text is still refused
// under tighter limits, and a refused text stays refused when sent again.
func TestPassedQueriesKeepTheirLimits(t *testing.T) {
	t.Parallel()
	query := "{ a b c d e f }"
	generous, tight := DefaultLimits, DefaultLimits
	tight.MaxFields = 3
	for i := 0; i < 2; i++ {
		if e := checkQuery(generous, query); e != nil {
			t.Fatalf("round %d: refused under the default limits: %v", i, e)
		}
		if e := checkQuery(tight, query); e == nil || e.code != codeQueryTooLarge {
			t.Fatalf("round %d: six fields under a limit of three: %v, want QUERY_TOO_LARGE", i, e)
		}
	}
	big := "{" + strings.Repeat(" x", generous.MaxFields+1) + " }"
	for i := 0; i < 2; i++ {
		if e := checkQuery(generous, big); e == nil {
			t.Fatalf("round %d: %d fields passed", i, generous.MaxFields+1)
		}
	}
}

// TestUnparsableQueriesAreNotRemembered: a text that does not parse passes the gate (gqlgen
// answers GRAPHQL_PARSE_FAILED) but takes no place among the passed queries.
func TestUnparsableQueriesAreNotRemembered(t *testing.T) {
	t.Parallel()
	query := "{ unclosed( " + t.Name()
	if e := checkQuery(DefaultLimits, query); e != nil {
		t.Fatalf("an unparsable query was refused by the gate: %v", e)
	}
	passedQueries.Lock()
	_, kept := passedQueries.m[passedQuery{DefaultLimits, query}]
	passedQueries.Unlock()
	if kept {
		t.Error("an unparsable query was remembered as passed")
	}
}
