package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/logging"
)

// requireToken authenticates every request with a bearer token; without a valid one
// the answer is 401 (health, readiness and metrics are routed around this). The
// token's organisations must exist (dir) before the request goes on, so no query ever
// runs with an organisation scope the identity provider did not mean.
func requireToken(v *auth.Verifier, dir auth.OrgDirectory, count func(code string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			count(string(apperr.Unauthenticated))
			unauthorized(w, "a bearer token is required (Authorization: Bearer …)")
			return
		}
		p, err := v.Verify(strings.TrimSpace(token))
		if err == nil {
			p, err = plainOrgIDs(p).Resolve(r.Context(), dir)
			if err != nil && !errors.Is(err, auth.ErrUnknownOrganisation) {
				// The organisations could not be looked up: the database, not the token,
				// unless the request ended first.
				if endedEarly(r.Context(), w) {
					return
				}
				if db.IsUnavailable(err) {
					count(string(apperr.Unavailable))
					writeError(w, http.StatusServiceUnavailable, db.ErrUnavailable)
				} else {
					count(string(apperr.Internal))
					zerolog.Ctx(r.Context()).Error().Str("sqlstate", db.SQLState(err)).Msg("organisation lookup failed")
					writeError(w, http.StatusInternalServerError, apperr.New(apperr.Internal, "", "internal error"))
				}
				return
			}
		}
		if err != nil {
			// The reason is logged as a class, never the error's text: a token's claims
			// (an organisation, a key id) are the caller's input and may hold anything.
			zerolog.Ctx(r.Context()).Info().Str("reason", tokenRefusal(err)).Msg("token rejected")
			count(string(apperr.Unauthenticated))
			unauthorized(w, "the bearer token is not valid")
			return
		}
		// The subject is the identity provider's name for the caller, which may be their
		// identity number or e-mail address: logged without them (the audit log keeps who
		// it was, by request id).
		l := zerolog.Ctx(r.Context()).With().Str("subject", logging.Text(p.Subject)).Str("role", string(p.Role)).Str("org", p.OrgID).Logger()
		ctx := l.WithContext(auth.With(r.Context(), p))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// tokenRefusal names why a token was refused, in words of this program only.
func tokenRefusal(err error) string {
	switch {
	case errors.Is(err, auth.ErrUnknownOrganisation):
		return "unknown organisation"
	case errors.Is(err, auth.ErrUnknownKey):
		return "unknown signing key"
	}
	msg := err.Error()
	for _, known := range []string{"expired", "not valid yet", "used before issued", "maximum token lifetime", "signature is invalid",
		"role must be", "org is required", "more than one home organisation", "org must name", "orgs must", "sub is required",
		"wrong issuer", "wrong audience", "malformed", "not accepted here", "exp claim is required", "unavailable"} {
		if strings.Contains(msg, known) {
			return known
		}
	}
	return "invalid token"
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
	p.OrgID = plainOrgID(p.OrgID)
	orgs := make([]string, len(p.Orgs))
	for i, o := range p.Orgs {
		orgs[i] = plainOrgID(o)
	}
	p.Orgs = orgs
	return p
}

// plainOrgID is the record id inside an organisation's global id, or id itself.
func plainOrgID(id string) string { return model.RecordID("Organisation", id) }
