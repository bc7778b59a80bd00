package auth

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the token claims the API reads.
type Claims struct {
	Role string   `json:"role"`
	Org  string   `json:"org"`
	Orgs []string `json:"orgs,omitempty"`
	jwt.RegisteredClaims
}

// Verifier checks bearer tokens: RS256 against an OIDC provider's JWKS in production,
// HS256 with a development key for local use. Either or both may be configured.
type Verifier struct {
	DevKey   []byte // HS256; empty disables development tokens
	Issuer   string // RS256: expected iss
	Audience string // RS256: expected aud
	JWKS     *JWKS  // RS256 keys; nil disables RS256
}

// ErrNoVerifier means no way to check tokens was configured.
var ErrNoVerifier = errors.New("no token verification configured: set OUTCOMES_OIDC_ISSUER (with audience and JWKS URL) or OUTCOMES_AUTH_DEV_KEY")

// Verify parses and checks a token and returns its principal.
func (v *Verifier) Verify(token string) (Principal, error) {
	if len(v.DevKey) == 0 && v.JWKS == nil {
		return Principal{}, ErrNoVerifier
	}
	var c Claims
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256", "HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second)}
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case "HS256":
			if len(v.DevKey) == 0 {
				return nil, errors.New("development tokens are not accepted here")
			}
			return v.DevKey, nil
		case "RS256":
			if v.JWKS == nil {
				return nil, errors.New("RS256 tokens are not accepted here")
			}
			if iss, _ := t.Claims.GetIssuer(); iss != v.Issuer {
				return nil, errors.New("wrong issuer")
			}
			if aud, _ := t.Claims.GetAudience(); v.Audience != "" && !contains(aud, v.Audience) {
				return nil, errors.New("wrong audience")
			}
			kid, _ := t.Header["kid"].(string)
			return v.JWKS.Key(kid)
		}
		return nil, fmt.Errorf("unexpected signing method %s", t.Method.Alg())
	}, opts...)
	if err != nil {
		return Principal{}, fmt.Errorf("invalid token: %w", err)
	}
	p := Principal{Subject: c.Subject, Role: Role(c.Role), OrgID: c.Org, Orgs: c.Orgs}
	if p.Subject == "" || !p.Role.Valid() {
		return Principal{}, errors.New("invalid token: subject and a known role are required")
	}
	if p.Role != Admin && p.OrgID == "" {
		return Principal{}, errors.New("invalid token: org is required for this role")
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MintDev signs a development token (HS256) for p, valid for ttl.
func MintDev(key []byte, p Principal, ttl time.Duration) (string, error) {
	if len(key) < 16 {
		return "", errors.New("development key must be at least 16 bytes")
	}
	now := time.Now()
	c := Claims{Role: string(p.Role), Org: p.OrgID, Orgs: p.Orgs, RegisteredClaims: jwt.RegisteredClaims{
		Subject: p.Subject, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), Issuer: "outcomes-dev"}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
}

// JWKS fetches and caches an OIDC provider's RSA signing keys, refetching (at most once
// a minute) when a token names an unknown key id.
type JWKS struct {
	URL    string
	Client *http.Client

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// Key returns the public key with id kid.
func (j *JWKS) Key(kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	if time.Since(j.fetched) < time.Minute && j.keys != nil {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	if err := j.fetch(); err != nil {
		return nil, err
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

func (j *JWKS) fetch() error {
	client := j.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Get(j.URL)
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []struct {
			Kty, Kid, N, E, Use string
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return fmt.Errorf("decode jwks: %w", err)
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
	j.keys, j.fetched = keys, time.Now()
	return nil
}
