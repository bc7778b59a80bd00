package auth_test

import (
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
