package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

func TestRS256AgainstJWKS(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{ //nolint:errcheck
			"kty": "RSA", "kid": "k1", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	defer srv.Close()
	v := &auth.Verifier{Issuer: "https://idp.example", Audience: "outcomes-api", JWKS: &auth.JWKS{URL: srv.URL}}
	sign := func(iss, aud, kid string, k *rsa.PrivateKey) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, auth.Claims{Role: "caseworker", Org: "org-1",
			RegisteredClaims: jwt.RegisteredClaims{Subject: "anna", Issuer: iss, Audience: jwt.ClaimStrings{aud},
				ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p, err := v.Verify(sign("https://idp.example", "outcomes-api", "k1", key))
	if err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	if p.Subject != "anna" || p.Role != auth.Caseworker || p.OrgID != "org-1" {
		t.Errorf("principal = %+v", p)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"WrongIssuer":   sign("https://evil.example", "outcomes-api", "k1", key),
		"WrongAudience": sign("https://idp.example", "another-api", "k1", key),
		"UnknownKid":    sign("https://idp.example", "outcomes-api", "k2", key),
		"WrongKey":      sign("https://idp.example", "outcomes-api", "k1", other),
	} {
		if _, err := v.Verify(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Development tokens are refused when no development key is configured.
	dev, _ := auth.MintDev([]byte("some-dev-key-0123456789"), auth.Principal{Subject: "x", Role: auth.Admin}, time.Hour)
	if _, err := v.Verify(dev); err == nil {
		t.Error("HS256 token accepted by a verifier without a development key")
	}
}
