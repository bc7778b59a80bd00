package securitytest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// TestTokenClaimsCheckedAgainstReality: a token's organisations must exist, its role
// must be exactly one of the five, its times must make sense, production refuses
// development keys and needs an audience, row-level security never hears "all" from a
// token, and identity-provider claims map to roles and organisations by configuration.
func TestTokenClaimsCheckedAgainstReality(t *testing.T) {
	s := newServer(t)
	now := time.Now()
	claims := func(role, org any, mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "probe", "role": role, "org": org, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	query := map[string]any{"query": `{ organisations { edges { node { id } } } }`}

	ok := map[string]jwt.MapClaims{
		"OrgByID":   claims("caseworker", s.orgA, nil),
		"OrgByCode": claims("caseworker", "kommun-a", nil),
		"AdminNoOrg": claims("admin", nil, func(c jwt.MapClaims) {
			delete(c, "org")
		}),
	}
	for name, c := range ok {
		if r := s.postJSON(t, sign(t, c), query); r.status != http.StatusOK || len(r.errors) > 0 {
			t.Errorf("%s: refused a valid token: %d %s", name, r.status, r.body)
		}
	}
	refused := map[string]jwt.MapClaims{
		"OrgWildcard":       claims("caseworker", "*", nil),
		"OrgList":           claims("caseworker", []string{s.orgA}, nil),
		"OrgCommaList":      claims("caseworker", s.orgA+","+s.orgB, nil),
		"OrgUnknownID":      claims("caseworker", "6f1c2b1e-0000-4000-8000-000000000000", nil),
		"OrgUnknownCode":    claims("caseworker", "kommun-x", nil),
		"GrantWildcard":     claims("evaluator", s.orgA, func(c jwt.MapClaims) { c["orgs"] = []string{"*"} }),
		"GrantUnknown":      claims("evaluator", s.orgA, func(c jwt.MapClaims) { c["orgs"] = []string{"kommun-x"} }),
		"RoleUnknown":       claims("root", s.orgA, nil),
		"RoleCase":          claims("Admin", nil, nil),
		"RoleList":          claims([]string{"caseworker", "admin"}, s.orgA, nil),
		"RoleMissing":       claims(nil, s.orgA, func(c jwt.MapClaims) { delete(c, "role") }),
		"IssuedInFuture":    claims("caseworker", s.orgA, func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }),
		"NotYetValid":       claims("caseworker", s.orgA, func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }),
		"ExpMissing":        claims("caseworker", s.orgA, func(c jwt.MapClaims) { delete(c, "exp") }),
		"ExpNotNumeric":     claims("caseworker", s.orgA, func(c jwt.MapClaims) { c["exp"] = "tomorrow" }),
		"ExpBeyondLifetime": claims("caseworker", s.orgA, func(c jwt.MapClaims) { c["exp"] = now.Add(30 * 24 * time.Hour).Unix() }),
		"Expired":           claims("caseworker", s.orgA, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }),
	}
	before := s.count(t, `SELECT count(*) FROM audit_log`)
	for name, c := range refused {
		r := s.postJSON(t, sign(t, c), query)
		if r.status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" {
			t.Errorf("%s: want 401 UNAUTHENTICATED, got %d %s", name, r.status, r.body)
		}
	}
	if after := s.count(t, `SELECT count(*) FROM audit_log`); after != before {
		t.Errorf("refused tokens reached the operation: audit log grew by %d", after-before)
	}

	t.Run("RowLevelSecurityNeverHearsAll", func(t *testing.T) {
		for _, org := range []string{"*", "a,b", " *"} {
			ctx := auth.With(context.Background(), auth.Principal{Subject: "x", Role: auth.Caseworker, OrgID: org})
			if got := db.OrgScope(ctx); strings.Contains(got, "*") || strings.Contains(got, ",") {
				t.Errorf("caseworker with org %q gets session scope %q", org, got)
			}
		}
	})

	t.Run("ProductionRefusesRepositoryKeysAndNeedsAudience", func(t *testing.T) {
		base := map[string]string{"OUTCOMES_PSEUDONYM_KEY": "a-secret-pseudonym-key-from-the-vault",
			"OUTCOMES_OIDC_ISSUER": "https://idp.example", "OUTCOMES_OIDC_AUDIENCE": "outcomes-api",
			"OUTCOMES_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "OUTCOMES_HTTP_ADDR": "127.0.0.1:0"}
		cases := map[string]map[string]string{
			"DevKey":         {"OUTCOMES_AUTH_DEV_KEY": "some-development-key-0123"},
			"RepositoryKey":  {"OUTCOMES_PSEUDONYM_KEY": config.DevPseudonymKey},
			"ComposeKey":     {"OUTCOMES_PSEUDONYM_KEY": "compose-dev-pseudonym-key-change-me"},
			"NoAudience":     {"OUTCOMES_OIDC_AUDIENCE": ""},
			"NoIssuerNoKeys": {"OUTCOMES_OIDC_ISSUER": "", "OUTCOMES_OIDC_AUDIENCE": ""},
		}
		for name, override := range cases {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range override {
				env[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := apiserver.Run(ctx, func(k string) string { return env[k] }, &apitest.Logs{}, nil)
			cancel()
			if err == nil || !strings.Contains(err.Error(), "OUTCOMES_") {
				t.Errorf("%s: the API must refuse to start, naming the setting; got %v", name, err)
			}
		}
	})

	t.Run("IdentityProviderMapping", func(t *testing.T) {
		// Azure AD: app roles in "roles", the municipality from a group id.
		azure := &auth.Verifier{DevKey: []byte(apitest.DevKey), Mapping: auth.ClaimMapping{RoleClaim: "roles",
			Roles:    map[string]auth.Role{"Outcomes.Caseworker": auth.Caseworker, "Outcomes.Admin": auth.Admin},
			OrgClaim: "groups", Orgs: map[string]string{"0b6c4f2e-7d1a-4c55-9d43-2f0d1c7e9a11": "kommun-a"}}}
		// Keycloak: realm roles under realm_access.roles, the municipality in a user attribute.
		keycloak := &auth.Verifier{DevKey: []byte(apitest.DevKey), Mapping: auth.ClaimMapping{RoleClaim: "realm_access.roles",
			Roles: map[string]auth.Role{"outcomes-steering": auth.Steering}, OrgClaim: "municipality"}}
		exp := now.Add(time.Hour).Unix()
		p, err := azure.Verify(sign(t, jwt.MapClaims{"sub": "anna", "exp": exp, "roles": []string{"Outcomes.Caseworker", "Other.App"},
			"groups": []string{"11111111-2222-4333-8444-555555555555", "0b6c4f2e-7d1a-4c55-9d43-2f0d1c7e9a11"}}))
		if err != nil || p.Role != auth.Caseworker || p.OrgID != "kommun-a" {
			t.Errorf("azure: %+v, %v", p, err)
		}
		if _, err := azure.Verify(sign(t, jwt.MapClaims{"sub": "anna", "exp": exp, "roles": []string{"Outcomes.Caseworker", "Outcomes.Admin"},
			"groups": []string{"0b6c4f2e-7d1a-4c55-9d43-2f0d1c7e9a11"}})); err == nil {
			t.Error("azure: two roles accepted")
		}
		p, err = keycloak.Verify(sign(t, jwt.MapClaims{"sub": "bo", "exp": exp, "municipality": "kommun-a",
			"realm_access": map[string]any{"roles": []string{"offline_access", "outcomes-steering"}}}))
		if err != nil || p.Role != auth.Steering || p.OrgID != "kommun-a" {
			t.Errorf("keycloak: %+v, %v", p, err)
		}
		if _, err := keycloak.Verify(sign(t, jwt.MapClaims{"sub": "bo", "exp": exp, "municipality": "kommun-a",
			"realm_access": map[string]any{"roles": []string{"offline_access"}}})); err == nil {
			t.Error("keycloak: a token without a mapped role accepted")
		}
	})
}
