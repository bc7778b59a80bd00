package importer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/domain/domaintest"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
)

// A file weighs what it may unpack to, not its size: many ordinary files are read side
// by side, but while a workbook that declares as much as the bound is read (a 1 GiB
// sheet in a file of a few hundred bytes) the next file waits, until its context ends
// or the memory is released. Not parallel: it holds the process's bound.
func TestReserveWeighsWhatAFileUnpacksTo(t *testing.T) {
	ctx := context.Background()
	text := []byte("personnummer;förnamn;efternamn;kön\r\n")
	var held []func()
	for range 20 { // 20 ordinary files and workbooks of 10 MB of XML each at once
		for _, f := range [][]byte{text, domaintest.WorkbookDeclaring(t, 10<<20)} {
			release, err := importer.Reserve(ctx, f)
			if err != nil {
				t.Fatalf("ordinary file %d: %v", len(held), err)
			}
			held = append(held, release)
		}
	}
	for _, release := range held {
		release()
	}

	waited := func(what string, f []byte) {
		t.Helper()
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if release, err := importer.Reserve(short, f); !errors.Is(err, context.DeadlineExceeded) {
			if err == nil {
				release()
			}
			t.Errorf("%s while a bomb is read: %v, want it to wait until its deadline", what, err)
		}
	}
	for _, bomb := range [][]byte{domaintest.WorkbookDeclaring(t, 1<<30), domaintest.WorkbookDeclaring(t, 1<<64-1)} {
		release, err := importer.Reserve(ctx, bomb)
		if err != nil {
			t.Fatal(err)
		}
		waited("a text file", text)
		waited("another bomb", bomb)
		release()
	}
	release, err := importer.Reserve(ctx, text)
	if err != nil {
		t.Fatalf("after the bombs: %v", err)
	}
	release()
}
