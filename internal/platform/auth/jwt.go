package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the claims of a development token (MintDev) and the default claim names an
// identity provider's token carries when no ClaimMapping is configured.
type Claims struct {
	Role string   `json:"role"`
	Org  string   `json:"org"`
	Orgs []string `json:"orgs,omitempty"`
	jwt.RegisteredClaims
}

// Leeway is the clock skew allowed between the identity provider and this server, for
// exp, nbf and iat.
const Leeway = 30 * time.Second

// DefaultMaxLifetime bounds how far in the future a token's exp may lie.
const DefaultMaxLifetime = 12 * time.Hour

// Verifier checks bearer tokens: RS256 against an OIDC provider's JWKS in production,
// HS256 with a development key for local use. Either or both may be configured.
type Verifier struct {
	DevKey   []byte // HS256; empty disables development tokens
	Issuer   string // RS256: expected iss
	Audience string // RS256: expected aud (required in production, see apiserver)
	JWKS     *JWKS  // RS256 keys; nil disables RS256
	// MaxLifetime refuses tokens whose exp lies further ahead (0: DefaultMaxLifetime).
	MaxLifetime time.Duration
	// Mapping says where role and organisations are in the token (zero: role, org, orgs).
	Mapping ClaimMapping
	// Now is the clock (nil: time.Now); tests set it.
	Now func() time.Time

	verified verifiedTokens
}

// verifiedTokens remembers tokens that passed Verify, each with its principal, until it
// expires or for verifiedFor, whichever comes first: a client sends the same token with
// every request, and parsing and checking it anew (JSON, base64, the signature) cost 6 %
// of the API's CPU per write. Whatever Verify checks against the clock still holds
// until exp, as time only moves on (nbf, iat and the longest lifetime were met once);
// what it checks against the configuration (a key of the JWKS, the development key) is
// checked again after verifiedFor at the latest, the bound on how long a withdrawn key
// is still honoured for a token already seen. Bounded: cleared when full, and keyed by
// the token's SHA-256, not its text: the text can be padded at will without changing
// what it says (base64 skips line breaks, and a WebSocket's connection_init carries up
// to 1 MiB), so an entry costs what the issuer signed, not what the client sent.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[tokenDigest]verifiedToken
}

type tokenDigest = [sha256.Size]byte

type verifiedToken struct {
	p           Principal
	exp, recall time.Time // the token's exp; when to verify it again at the latest
}

const (
	verifiedFor       = time.Minute
	maxVerifiedTokens = 4096
)

func (c *verifiedTokens) get(token tokenDigest, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.m[token]
	if ok && (!now.Before(e.recall) || !now.Before(e.exp.Add(Leeway))) {
		delete(c.m, token)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return Principal{}, false
	}
	e.p.Orgs = slices.Clone(e.p.Orgs) // the caller's to change
	return e.p, true
}

func (c *verifiedTokens) put(token tokenDigest, p Principal, exp, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxVerifiedTokens {
		c.m = make(map[tokenDigest]verifiedToken)
	}
	c.m[token] = verifiedToken{p: p, exp: exp, recall: now.Add(verifiedFor)}
}

// ErrNoVerifier means no way to check tokens was configured.
var ErrNoVerifier = errors.New("no token verification configured: set OUTCOMES_OIDC_ISSUER (with audience and JWKS URL) or OUTCOMES_AUTH_DEV_KEY")

// Verify parses and checks a token and returns its principal. The organisations in it
// are references (ids or codes) that must still be resolved against the organisations
// that exist (Principal.Resolve) before the principal is used.
func (v *Verifier) Verify(token string) (Principal, error) {
	if len(v.DevKey) == 0 && v.JWKS == nil {
		return Principal{}, ErrNoVerifier
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	digest := sha256.Sum256([]byte(token))
	if p, ok := v.verified.get(digest, now()); ok {
		return p, nil
	}
	claims := jwt.MapClaims{}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256", "HS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(Leeway), jwt.WithTimeFunc(now)}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
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
			if aud, _ := t.Claims.GetAudience(); v.Audience != "" && !slices.Contains(aud, v.Audience) {
				return nil, errors.New("wrong audience")
			}
			kid, _ := t.Header["kid"].(string)
			return v.JWKS.Key(kid)
		}
		return nil, errors.New("unexpected signing method")
	}, opts...)
	if err != nil {
		return Principal{}, fmt.Errorf("invalid token: %w", err)
	}
	// exp is present and numeric (the parser checked both); it must not lie further
	// ahead than the longest lifetime this API accepts.
	exp, _ := claims.GetExpirationTime()
	maxLife := v.MaxLifetime
	if maxLife <= 0 {
		maxLife = DefaultMaxLifetime
	}
	if exp.Time.After(now().Add(maxLife + Leeway)) {
		return Principal{}, errors.New("invalid token: exp lies further ahead than the maximum token lifetime")
	}
	sub, ok := claims["sub"].(string)
	if !ok || sub == "" {
		return Principal{}, errors.New("invalid token: sub is required")
	}
	role, err := v.Mapping.role(claims)
	if err != nil {
		return Principal{}, err
	}
	org, err := v.Mapping.org(claims, role)
	if err != nil {
		return Principal{}, err
	}
	grants, err := v.Mapping.grants(claims)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Subject: sub, Role: role, OrgID: org, Orgs: grants, Expires: exp.Time}
	v.verified.put(digest, p, exp.Time, now())
	p.Orgs = slices.Clone(p.Orgs)
	return p, nil
}

// Current refuses a principal whose token has expired since it was verified (its exp
// plus the skew, as Verify allows), by the verifier's clock: what carries a principal
// beyond one request, a WebSocket's operations, asks before each.
func (v *Verifier) Current(p Principal) error {
	if left, ends := v.Remaining(p); ends && left <= 0 {
		return errors.New("invalid token: token has expired")
	}
	return nil
}

// Remaining is how long p stays current (Current), by the verifier's clock; ends is
// false for a principal whose token has no expiry. A WebSocket connection ends then.
func (v *Verifier) Remaining(p Principal) (left time.Duration, ends bool) {
	if p.Expires.IsZero() {
		return 0, false
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	return p.Expires.Add(Leeway).Sub(now()), true
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

// ClaimMapping maps an identity provider's claims to this API's five roles and to
// organisations. Paths are dotted ("realm_access.roles"). Without a map, a claim's value
// is used as it is and must be a single string; with a map, the claim may be a string or
// a list, values the map does not name are ignored (Azure AD and Keycloak put unrelated
// groups and roles in the same claim), and the mapped values must come to exactly one
// role and at most one home organisation. See docs/SECURITY.md for Azure AD and Keycloak
// examples.
type ClaimMapping struct {
	RoleClaim  string            // default "role"
	Roles      map[string]Role   // IdP value → role
	OrgClaim   string            // default "org"
	Orgs       map[string]string // IdP value → organisation code or id (also for grants)
	GrantClaim string            // default "orgs": organisations granted to evaluators and regional readers
}

// lookup returns the value at a dotted path.
func lookup(claims map[string]any, path string) (any, bool) {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// values reads a claim as strings: a single string, or (only when list is true) a list
// of strings.
func values(claims map[string]any, path string, list bool) ([]string, error) {
	raw, ok := lookup(claims, path)
	if !ok || raw == nil {
		return nil, nil
	}
	switch x := raw.(type) {
	case string:
		return []string{x}, nil
	case []any:
		if !list {
			return nil, fmt.Errorf("invalid token: %s must be a single value, not a list", path)
		}
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("invalid token: %s must hold strings", path)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("invalid token: %s must be a string", path)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m ClaimMapping) role(claims map[string]any) (Role, error) {
	path := orDefault(m.RoleClaim, "role")
	vals, err := values(claims, path, m.Roles != nil)
	if err != nil {
		return "", err
	}
	var roles []Role
	for _, v := range vals {
		r := Role(v)
		if m.Roles != nil {
			var ok bool
			if r, ok = m.Roles[v]; !ok {
				continue
			}
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) != 1 || !roles[0].Valid() {
		return "", errors.New("invalid token: the role must be exactly one of admin, caseworker, evaluator, steering, regional")
	}
	return roles[0], nil
}

func (m ClaimMapping) org(claims map[string]any, role Role) (string, error) {
	path := orDefault(m.OrgClaim, "org")
	vals, err := values(claims, path, m.Orgs != nil)
	if err != nil {
		return "", err
	}
	var orgs []string
	for _, v := range vals {
		if m.Orgs != nil {
			var ok bool
			if v, ok = m.Orgs[v]; !ok {
				continue
			}
		}
		if v != "" && !slices.Contains(orgs, v) {
			orgs = append(orgs, v)
		}
	}
	switch {
	case len(orgs) > 1:
		return "", errors.New("invalid token: more than one home organisation")
	case len(orgs) == 0 && role != Admin:
		return "", errors.New("invalid token: org is required for this role")
	case len(orgs) == 0:
		return "", nil
	}
	if !PlausibleOrgRef(orgs[0]) {
		return "", errors.New("invalid token: org must name one organisation by id or code")
	}
	return orgs[0], nil
}

func (m ClaimMapping) grants(claims map[string]any) ([]string, error) {
	vals, err := values(claims, orDefault(m.GrantClaim, "orgs"), true)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range vals {
		if m.Orgs != nil {
			if mapped, ok := m.Orgs[v]; ok {
				v = mapped
			}
		}
		if !PlausibleOrgRef(v) {
			return nil, errors.New("invalid token: orgs must name organisations by id or code")
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// PlausibleOrgRef reports whether s can name one organisation: a UUID, an
// organisation code (lower-case letters, digits, hyphens), or the API's global id of an
// organisation (base64url, which the API server turns into the UUID before looking it
// up); at most 96 characters. A wildcard, a list, spaces or anything else is refused
// before the database is asked; whether the organisation exists is asked after.
func PlausibleOrgRef(s string) bool {
	if s == "" || len(s) > 96 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
