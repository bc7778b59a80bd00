package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS holds an OIDC provider's RSA signing keys. Verifying a token signed with a known
// key never waits on the network: keys are read under a read lock and refreshed in the
// background (Run). A token naming an unknown key id triggers a fetch at most once per
// MinInterval; concurrent callers share that one fetch, and its outcome (keys or failure)
// is remembered for MinInterval, so a flood of tokens with made-up key ids, or an
// identity provider that is down, costs one request per interval, not one per login.
type JWKS struct {
	URL    string
	Client *http.Client // nil: a client with a 5 s timeout
	// RefreshInterval is how often Run refetches (0: 15 minutes).
	RefreshInterval time.Duration
	// MinInterval is the least time between two fetches on demand (0: 30 s).
	MinInterval time.Duration

	mu       sync.RWMutex
	keys     map[string]*rsa.PublicKey
	attempt  time.Time // last fetch on demand or in the background
	lastErr  error     // its failure, if it failed
	inflight *fetchCall
}

type fetchCall struct {
	done chan struct{}
	err  error
}

// ErrUnknownKey means the token names a key the provider does not publish.
var ErrUnknownKey = errors.New("unknown signing key id")

func (j *JWKS) minInterval() time.Duration {
	if j.MinInterval > 0 {
		return j.MinInterval
	}
	return 30 * time.Second
}

// Key returns the public key with id kid.
func (j *JWKS) Key(kid string) (*rsa.PublicKey, error) {
	j.mu.RLock()
	k, ok := j.keys[kid]
	j.mu.RUnlock()
	if ok {
		return k, nil
	}
	j.mu.Lock()
	if k, ok := j.keys[kid]; ok {
		j.mu.Unlock()
		return k, nil
	}
	call := j.inflight
	if call == nil {
		if !j.attempt.IsZero() && time.Since(j.attempt) < j.minInterval() {
			err := j.lastErr
			j.mu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("signing keys unavailable (remembered): %w", err)
			}
			return nil, ErrUnknownKey
		}
		call = j.startLocked(context.Background())
	}
	j.mu.Unlock()
	<-call.done
	if call.err != nil {
		return nil, call.err
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// startLocked starts one fetch; j.mu must be held.
func (j *JWKS) startLocked(ctx context.Context) *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	j.inflight = call
	go func() {
		keys, err := j.fetch(ctx)
		j.mu.Lock()
		if err == nil {
			j.keys = keys
		}
		j.attempt, j.lastErr, j.inflight = time.Now(), err, nil
		j.mu.Unlock()
		call.err = err
		close(call.done)
	}()
	return call
}

// Refresh fetches the keys now (sharing a fetch already under way) and reports its
// outcome.
func (j *JWKS) Refresh(ctx context.Context) error {
	j.mu.Lock()
	call := j.inflight
	if call == nil {
		call = j.startLocked(ctx)
	}
	j.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run refreshes the keys at once and then every RefreshInterval until ctx ends; report,
// when not nil, hears of each failure (a logger).
func (j *JWKS) Run(ctx context.Context, report func(error)) {
	every := j.RefreshInterval
	if every <= 0 {
		every = 15 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := j.Refresh(ctx); err != nil && report != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (j *JWKS) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	client := j.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch jwks: HTTP %d", resp.StatusCode)
	}
	var doc struct {
		Keys []struct {
			Kty, Kid, N, E, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode jwks: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range doc.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}
