package securitytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
)

// server is the API on fresh databases, running as the API's role (apitest), with two
// municipalities and an admin client.
type server struct {
	*apitest.Server
	admin  *gqltest.Client
	orgA   string
	orgB   string
	serial int
}

func newServer(t *testing.T) *server {
	t.Helper()
	return serve(t, apitest.New(t, apitest.Options{Warehouse: true}))
}

func serve(t *testing.T, api *apitest.Server) *server {
	t.Helper()
	s := &server{Server: api, admin: api.Admin(t)}
	s.orgA = apitest.Organisation(t, s.admin, "kommun-a", "kommun-a")
	s.orgB = apitest.Organisation(t, s.admin, "kommun-b", "kommun-b")
	return s
}

func (s *server) caseworker(t *testing.T, subject, org string) *gqltest.Client {
	return s.Client(t, auth.Principal{Subject: subject, Role: auth.Caseworker, OrgID: org})
}

// pnr returns a fresh valid personal identity number.
func (s *server) pnr() string {
	s.serial++
	return demo.Personnummer(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.serial), 100+s.serial%800)
}

func (s *server) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Owner.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// reply is an HTTP answer with its GraphQL errors decoded.
type reply struct {
	status int
	header http.Header
	body   string
	errors []gqltest.Error
}

func (r reply) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	return r.errors[0].Code()
}

func (r reply) field() string {
	if len(r.errors) == 0 {
		return ""
	}
	return r.errors[0].Field()
}

// post sends a raw body to /graphql with token (may be empty) and extra headers.
func (s *server) post(t *testing.T, token string, body io.Reader, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	var decoded struct{ Errors []gqltest.Error }
	json.Unmarshal(b, &decoded) //nolint:errcheck // a non-JSON answer has no errors to read
	r.errors = decoded.Errors
	return r
}

func (s *server) postJSON(t *testing.T, token string, v any) reply {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return s.post(t, token, bytes.NewReader(b), nil)
}

// sign makes an HS256 token with exactly the claims given.
func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(apitest.DevKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func adminToken(t *testing.T) string {
	t.Helper()
	return apitest.Token(t, auth.Principal{Subject: "admin", Role: auth.Admin})
}

func (s *server) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func contains(s string, subs ...string) string {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}
