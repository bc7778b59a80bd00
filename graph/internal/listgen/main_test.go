package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGeneratedCodeIsCurrent fails when gqlgen ran without listgen after it (go generate
// ./graph runs both): a list would be marshalled by gqlgen's goroutine per element, or
// the waiting-fields table would miss a resolver field (a list whose elements select it
// would then wait for it element after element).
func TestGeneratedCodeIsCurrent(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "generated")
	changed, table, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for path := range changed {
		t.Errorf("%s is not rewritten (graphql.MarshalSliceConcurrently, NewDeferredGroup): run go generate ./graph", path)
	}
	current, err := os.ReadFile(filepath.Join(dir, OutputFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(current, table) {
		t.Errorf("%s is not what the generated code says: run go generate ./graph", OutputFile)
	}
	if !regexp.MustCompile(`"Participant": +\{[^}]*"organisation": true`).Match(table) {
		t.Errorf("the table misses Participant.organisation, a resolver field:\n%s", table)
	}
}
