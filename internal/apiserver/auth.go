package apiserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/auth"
)

// requireToken authenticates every request with a bearer token; without a valid one
// the answer is 401 (health, readiness and metrics are routed around this).
func requireToken(v *auth.Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			unauthorized(w, "a bearer token is required (Authorization: Bearer …)")
			return
		}
		p, err := v.Verify(strings.TrimSpace(token))
		if err != nil {
			zerolog.Ctx(r.Context()).Info().Err(err).Msg("token rejected")
			unauthorized(w, "the bearer token is not valid")
			return
		}
		p = plainOrgIDs(p)
		l := zerolog.Ctx(r.Context()).With().Str("subject", p.Subject).Str("role", string(p.Role)).Str("org", p.OrgID).Logger()
		ctx := l.WithContext(auth.With(r.Context(), p))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="outcomes"`)
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{ //nolint:errcheck
		{"message": msg, "extensions": map[string]any{"code": "UNAUTHENTICATED"}}}})
}

// plainOrgIDs lets a token name its organisations by the API's global ids (what an
// administrator sees in the API when configuring the identity provider) as well as by
// their plain ids, which is what the rest of the system compares.
func plainOrgIDs(p auth.Principal) auth.Principal {
	plain := func(id string) string {
		if kind, raw, ok := model.ParseGlobalID(id); ok && kind == "Organisation" {
			return raw
		}
		return id
	}
	p.OrgID = plain(p.OrgID)
	orgs := make([]string, len(p.Orgs))
	for i, o := range p.Orgs {
		orgs[i] = plain(o)
	}
	p.Orgs = orgs
	return p
}
