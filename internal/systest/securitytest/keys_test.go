package securitytest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// idp is an identity provider's JWKS endpoint that the test can hold (a slow provider)
// or break (a provider that is down), counting every fetch.
type idp struct {
	key     *rsa.PrivateKey
	fetches atomic.Int32
	mu      sync.Mutex
	hold    chan struct{} // while not nil, fetches wait on it
	broken  bool
}

func (p *idp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	p.mu.Lock()
	hold, broken := p.hold, p.broken
	p.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if broken {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{ //nolint:errcheck
		"kty": "RSA", "kid": "k1", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(p.key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(p.key.E)).Bytes()),
	}}})
}

// TestKeyFetchingCannotStallLogins: a token signed with a known key is verified without
// waiting on the provider, even while a fetch hangs; unknown key ids cost at most one
// fetch per interval, shared by concurrent logins; a failed fetch is remembered.
// (Waits below are bounds on a hang, not measurements.)
func TestKeyFetchingCannotStallLogins(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key}
	srv := httptest.NewServer(p)
	defer srv.Close()
	jwks := &auth.JWKS{URL: srv.URL, MinInterval: time.Hour}
	v := &auth.Verifier{Issuer: "https://idp.example", Audience: "outcomes-api", JWKS: jwks}
	token := func(kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "anna", "role": "admin", "iss": "https://idp.example",
			"aud": "outcomes-api", "exp": time.Now().Add(time.Hour).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := jwks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(token("k1")); err != nil {
		t.Fatalf("known key refused: %v", err)
	}

	// The provider hangs; a background refresh is under way.
	hold := make(chan struct{})
	p.mu.Lock()
	p.hold = hold
	p.mu.Unlock()
	refreshed := make(chan error, 1)
	go func() { refreshed <- jwks.Refresh(context.Background()) }()
	for p.fetches.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	verified := make(chan error, 1)
	go func() { _, err := v.Verify(token("k1")); verified <- err }()
	select {
	case err := <-verified:
		if err != nil {
			t.Errorf("known key refused during a fetch: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("a login with a known key waited for the key fetch")
	}

	// Concurrent logins with unknown key ids share the fetch under way: none starts another.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); v.Verify(token("unknown")) }() //nolint:errcheck
	}
	time.Sleep(50 * time.Millisecond) // let them reach the shared fetch (not a measurement)
	p.mu.Lock()
	p.hold, p.broken = nil, true
	p.mu.Unlock()
	close(hold)
	wg.Wait()
	<-refreshed
	if n := p.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (the first and one shared by the background refresh and 20 unknown key ids)", n)
	}

	// The provider is down; a fresh verifier has never fetched. Many logins with unknown
	// key ids: one fetch, its failure remembered for the interval.
	p.fetches.Store(0)
	cold := &auth.Verifier{Issuer: "https://idp.example", Audience: "outcomes-api", JWKS: &auth.JWKS{URL: srv.URL, MinInterval: time.Hour}}
	for i := 0; i < 50; i++ {
		if _, err := cold.Verify(token("k1")); err == nil {
			t.Fatal("token verified while the provider is down and no key is known")
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 50 logins while the provider was down, want 1", n)
	}
}
