package db_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// TestUUIDsParsesWhatPgtypeParses: db.UUIDs keeps the well-formed ids, in order, with the
// bytes pgtype itself reads from their text (either case), and drops the others.
func TestUUIDsParsesWhatPgtypeParses(t *testing.T) {
	t.Parallel()
	in := []string{"0aa2e932-fa6c-400f-b09a-f3ff38ca5282", "not-a-uuid", "85854E8A-48D2-4ED4-975B-B0B75AD7A074",
		"0aa2e932fa6c400fb09af3ff38ca5282", "ffffffff-ffff-ffff-ffff-ffffffffffff"}
	got := db.UUIDs(in)
	want := []string{in[0], in[2], in[4]}
	if len(got) != len(want) {
		t.Fatalf("UUIDs kept %d ids, want %d", len(got), len(want))
	}
	for i, s := range want {
		var u pgtype.UUID
		if err := u.Scan(s); err != nil {
			t.Fatal(err)
		}
		if got[i] != u {
			t.Errorf("UUIDs(%q) = %x, want %x", s, got[i].Bytes, u.Bytes)
		}
	}
}

// TestNewIDIsARandomVersion4UUID: db.NewID makes well-formed, distinct version-4 UUIDs
// (the kind gen_random_uuid() makes), each a UUID to db.IsUUID and to pgtype.
func TestNewIDIsARandomVersion4UUID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := db.NewID()
		var u pgtype.UUID
		if err := u.Scan(id); err != nil || !db.IsUUID(id) {
			t.Fatalf("NewID() = %q: not a UUID (%v)", id, err)
		}
		if id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("NewID() = %q: not version 4, RFC 4122 variant", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
