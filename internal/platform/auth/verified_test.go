package auth_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// TestVerifiedTokensAreRecalled: a token that passed Verify is answered from memory
// while it is valid, for at most a minute (a changed key is honoured for a token
// already seen only that long), never past its expiry, and a refused token is never
// remembered. The principal handed out is the caller's own to change.
func TestVerifiedTokensAreRecalled(t *testing.T) {
	t.Parallel()
	key := []byte("development-key-0123456789")
	start := time.Now()
	now := start
	v := &auth.Verifier{DevKey: key, Now: func() time.Time { return now }}
	p := auth.Principal{Subject: "s", Role: auth.Evaluator, OrgID: "org-a", Orgs: []string{"org-b"}}
	tok, err := auth.MintDev(key, p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(tok)
	if err != nil || got.Subject != "s" || got.Role != auth.Evaluator || len(got.Orgs) != 1 {
		t.Fatalf("first verification: %+v, %v", got, err)
	}
	got.Orgs[0] = "changed by the caller"

	// The key changes: the token already seen is recalled, with its principal intact.
	v.DevKey = []byte("another-development-key-0123")
	now = start.Add(30 * time.Second)
	if again, err := v.Verify(tok); err != nil || again.Orgs[0] != "org-b" {
		t.Errorf("within the minute, after the key changed: %+v, %v; want the remembered principal", again, err)
	}
	// After the minute it is verified again, against the key now configured.
	now = start.Add(61 * time.Second)
	if _, err := v.Verify(tok); err == nil {
		t.Error("a minute later the token was still accepted although its key was withdrawn")
	}

	// Never past its expiry (plus the allowed clock skew), although seen a moment ago.
	v.DevKey = key
	now = start.Add(9*time.Minute + 30*time.Second)
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = start.Add(10*time.Minute + auth.Leeway + time.Second)
	if _, err := v.Verify(tok); err == nil {
		t.Error("an expired token was accepted from memory")
	}

	// A refused token is not remembered: refused again once the clock is back.
	forged, err := auth.MintDev([]byte("a-key-nobody-configured-000"), p, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now = start
	for i := range 2 {
		if _, err := v.Verify(forged); err == nil {
			t.Errorf("attempt %d: a token signed with another key was accepted", i+1)
		}
	}
}

// TestVerifiedTokensKeepNoPadding: a token's text can be padded without changing what
// it says (base64 skips line breaks, so the signature may hold any number of them, and a
// WebSocket's connection_init carries up to 1 MiB). What the verifier remembers of each
// must not grow with the padding: else one valid token, padded a thousand ways, would
// hold gigabytes. Not parallel: it reads the heap.
func TestVerifiedTokensKeepNoPadding(t *testing.T) {
	key := []byte("development-key-0123456789")
	v := &auth.Verifier{DevKey: key}
	tok, err := auth.MintDev(key, auth.Principal{Subject: "s", Role: auth.Admin}, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sig := strings.LastIndexByte(tok, '.') + 2 // inside the signature
	const n, pad = 64, 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		padded := tok[:sig] + strings.Repeat("\n", pad+i) + tok[sig:]
		if _, err := v.Verify(padded); err != nil {
			t.Fatalf("padded token %d: %v", i, err) // as without the cache: base64 skips line breaks
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > n*pad/8 {
		t.Errorf("%d padded tokens of %d MiB each left %d MiB on the heap; want what their claims cost", n, pad>>20, grew>>20)
	}
	runtime.KeepAlive(v)
}
