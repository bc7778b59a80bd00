package apiserver

import (
	"net/http"
	"net/url"
	"strings"
)

// corsPolicy answers cross-origin requests from browser apps on the allowed origins
// (Fetch standard, "CORS protocol"). Preflights are answered here, before the token
// check: a browser never sends credentials on a preflight.
type corsPolicy struct {
	origins []string // exact origins, or "scheme://host:*" for any port
}

// corsAllowedHeaders are the request headers a browser app may send.
var corsAllowedHeaders = []string{"Authorization", "Content-Type", "Accept", "X-Request-Id",
	"Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

// allowed reports whether origin (as the browser sends it) may call the API.
func (c corsPolicy) allowed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false
	}
	for _, o := range c.origins {
		if o == origin {
			return true
		}
		if base, ok := strings.CutSuffix(o, ":*"); ok {
			// Any port, or none, of scheme://host.
			if origin == base || (strings.HasPrefix(origin, base+":") && isPort(origin[len(base)+1:])) {
				return true
			}
		}
	}
	return false
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// handler wraps next with the CORS protocol.
func (c corsPolicy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		if origin == "" || !c.allowed(origin) {
			if preflight {
				// No CORS headers: the browser refuses the real request.
				w.WriteHeader(http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r) // same-origin or non-browser callers; the token decides
			return
		}
		if !preflight {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id")
			next.ServeHTTP(w, r)
			return
		}
		switch r.Header.Get("Access-Control-Request-Method") {
		case http.MethodGet, http.MethodPost:
		default:
			w.WriteHeader(http.StatusForbidden)
			return
		}
		for _, want := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if want = strings.TrimSpace(want); want != "" && !headerAllowed(want) {
				w.WriteHeader(http.StatusForbidden)
				return
			}
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", strings.Join(corsAllowedHeaders, ", "))
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

func headerAllowed(name string) bool {
	for _, a := range corsAllowedHeaders {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}
