package securitytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

const devKey = "securitytest-token-key-0123456789"

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is the API's handler on fresh databases, running as the API's role.
type server struct {
	base   string
	owner  *pgxpool.Pool // the owner role, every organisation visible: for setup and checks
	ch     driver.Conn
	logs   *syncBuffer
	admin  *gqltest.Client
	orgA   string
	orgB   string
	serial int
}

func newServer(t *testing.T) *server {
	t.Helper()
	url := testenv.PostgresURL(t)
	ch, _ := testenv.ClickHouse(t)
	return serve(t, url, testenv.RoleURL(t, url, testenv.APIRole), ch)
}

func serve(t *testing.T, ownerURL, apiURL string, ch driver.Conn) *server {
	t.Helper()
	ctx := context.Background()
	scoped, err := db.ConnectScoped(ctx, apiURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	owner, err := db.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	logs := &syncBuffer{}
	h := apiserver.NewHandler(apiserver.Options{Pool: scoped, Warehouse: ch, Log: zerolog.New(logs), Registry: prometheus.NewRegistry(),
		Verifier: &auth.Verifier{DevKey: []byte(devKey)}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &server{base: srv.URL, owner: owner, ch: ch, logs: logs}
	s.admin = s.client(t, auth.Principal{Subject: "admin", Role: auth.Admin})
	s.orgA = s.createOrg(t, "kommun-a")
	s.orgB = s.createOrg(t, "kommun-b")
	return s
}

func (s *server) client(t *testing.T, p auth.Principal) *gqltest.Client {
	t.Helper()
	tok, err := auth.MintDev([]byte(devKey), p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := gqltest.New(s.base + "/graphql")
	c.Header.Set("Authorization", "Bearer "+tok)
	return c
}

func (s *server) caseworker(t *testing.T, subject, org string) *gqltest.Client {
	return s.client(t, auth.Principal{Subject: subject, Role: auth.Caseworker, OrgID: org})
}

func (s *server) createOrg(t *testing.T, code string) string {
	t.Helper()
	var out struct{ CreateOrganisation struct{ ID string } }
	s.admin.MustData(t, `mutation($c: String!) { createOrganisation(input: {code: $c, name: $c, kind: MUNICIPALITY}) { id } }`,
		map[string]any{"c": code}, &out)
	return out.CreateOrganisation.ID
}

// pnr returns a fresh valid personal identity number.
func (s *server) pnr() string {
	s.serial++
	return demo.Personnummer(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.serial), 100+s.serial%800)
}

func (s *server) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.owner.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
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
	req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", body)
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
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(devKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func adminToken(t *testing.T) string {
	t.Helper()
	tok, err := auth.MintDev([]byte(devKey), auth.Principal{Subject: "admin", Role: auth.Admin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *server) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(s.base + "/metrics")
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

func tokenFor(p auth.Principal) (string, error) {
	return auth.MintDev([]byte(devKey), p, time.Hour)
}
