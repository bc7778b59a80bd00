package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

func TestPlainJSONAccepted(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]bool{
		"":                                  true,
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"*/*":                               true,
		"application/json, */*":             true,
		"application/graphql-response+json": false,
		"application/graphql-response+json, application/json": false,
		"text/html, */*": false,
	} {
		if got := plainJSONAccepted(accept); got != want {
			t.Errorf("plainJSONAccepted(%q) = %v, want %v", accept, got, want)
		}
	}
}

// postJSON answers every request as transport.POST does: a data-only response written
// in one pass, and the cases it leaves to transport.POST (errors, a body that does not
// decode, another Accept) byte for byte.
func TestPostJSONAnswersAsTransportPOST(t *testing.T) {
	t.Parallel()
	serve := func(tr graphql.Transport, body, accept string) (int, string, string) {
		srv := testserver.New()
		srv.AddTransport(tr)
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
	}
	for _, c := range []struct{ body, accept string }{
		{`{"query":"{ name }"}`, ""},
		{`{"query":"{ name }"}`, "application/json"},
		{`{"query":"{ name }"}`, "application/graphql-response+json"},
		{`{"query":"{ nope }"}`, ""},
		{`{"query":`, ""},
		{`{"query":"{ name }","variables":{"a":1}}`, "*/*"},
	} {
		wantCode, wantType, want := serve(transport.POST{}, c.body, c.accept)
		code, typ, got := serve(postJSON{}, c.body, c.accept)
		if code != wantCode || typ != wantType || got != want {
			t.Errorf("%s (Accept %q): postJSON %d %q %s, transport.POST %d %q %s", c.body, c.accept, code, typ, got, wantCode, wantType, want)
		}
	}
}
