// Package apitest is the one harness the API's tests share: the real handler
// (apiserver.NewHandler) over HTTP on fresh PostgreSQL (and, when asked, ClickHouse)
// databases of the test stack, connected as the API's own database role so that tests
// run with production's privileges, and GraphQL clients carrying development tokens.
// graph, apiserver and the system tests all start the API through it. Only tests
// import it.
package apitest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// DevKey signs the development tokens of every test server (Token). A test that signs
// claims of its own, or starts the API from its environment, uses it too.
const DevKey = "apitest-token-key-0123456789abcdef"

// Options says what a test server serves; the zero value is the API on a fresh
// PostgreSQL database without a warehouse.
type Options struct {
	// Warehouse puts a fresh ClickHouse database behind the API (analytics, exports).
	Warehouse bool
	// WarehouseConn is the warehouse to serve instead of a fresh one.
	WarehouseConn driver.Conn
	// PostgresURL (the owner's) and APIURL (the API role's) name a migrated database to
	// serve instead of a fresh one.
	PostgresURL, APIURL string
	// Tracer sees every statement of the API's pool.
	Tracer pgx.QueryTracer
	// Quiet discards the API's log (benchmarks) instead of keeping it in Logs.
	Quiet bool
	// API holds the handler's options (limits, frontend); the harness sets its Pool,
	// Warehouse, Log and Registry, and its Verifier unless given.
	API apiserver.Options
}

// Server is the API handler served over HTTP until the test ends.
type Server struct {
	URL         string        // the base URL, without /graphql
	Handler     http.Handler  // the handler itself, for calls without the network
	Owner       *pgxpool.Pool // the owner role, every organisation visible: for setup and checks
	PostgresURL string        // the owner's URL of the database
	Warehouse   driver.Conn   // nil without Options.Warehouse or WarehouseConn
	Logs        *Logs         // every line the API logged
}

// New serves the API as o says until the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	s := &Server{PostgresURL: o.PostgresURL, Warehouse: o.WarehouseConn, Logs: &Logs{}}
	if s.PostgresURL == "" {
		s.PostgresURL = testenv.PostgresURL(t)
	}
	apiURL := o.APIURL
	if apiURL == "" {
		apiURL = testenv.RoleURL(t, s.PostgresURL, testenv.APIRole)
	}
	if s.Warehouse == nil && o.Warehouse {
		s.Warehouse, _ = testenv.ClickHouse(t)
	}
	var scoped *pgxpool.Pool
	var err error
	if o.Tracer != nil {
		scoped, err = db.ConnectScopedTraced(ctx, apiURL, o.Tracer)
	} else {
		scoped, err = db.ConnectScoped(ctx, apiURL)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scoped.Close)
	if s.Owner, err = db.Connect(ctx, s.PostgresURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Owner.Close)
	api := o.API
	api.Pool, api.Log, api.Registry = scoped, zerolog.New(s.Logs), prometheus.NewRegistry()
	if o.Quiet {
		api.Log = zerolog.Nop()
	}
	if s.Warehouse != nil {
		api.Warehouse = s.Warehouse
	}
	if api.Verifier == nil {
		api.Verifier = &auth.Verifier{DevKey: []byte(DevKey)}
	}
	s.Handler = apiserver.NewHandler(api)
	srv := httptest.NewServer(s.Handler)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Token is a development token for p, signed with DevKey. Organisations may be named
// by their global ids (as the API returns them): tokens carry record ids.
func Token(t testing.TB, p auth.Principal) string {
	t.Helper()
	p.OrgID = model.RecordID("", p.OrgID)
	p.Orgs = append([]string(nil), p.Orgs...)
	for i := range p.Orgs {
		p.Orgs[i] = model.RecordID("", p.Orgs[i])
	}
	tok, err := auth.MintDev([]byte(DevKey), p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Client is a GraphQL client of the API at base (a URL without /graphql) carrying a
// development token for p.
func Client(t testing.TB, base string, p auth.Principal) *gqltest.Client {
	t.Helper()
	c := gqltest.New(base + "/graphql")
	c.Header.Set("Authorization", "Bearer "+Token(t, p))
	return c
}

// Client is a GraphQL client of this server carrying a development token for p.
func (s *Server) Client(t testing.TB, p auth.Principal) *gqltest.Client {
	t.Helper()
	return Client(t, s.URL, p)
}

// Admin is a client with the admin role.
func (s *Server) Admin(t testing.TB) *gqltest.Client {
	t.Helper()
	return s.Client(t, auth.Principal{Subject: "admin", Role: auth.Admin})
}

// Organisation creates a municipality through the API, as an admin, and returns its id.
// It is the GraphQL-level fixture of an organisation; tests below the API use
// domaintest.Organisation.
func Organisation(t testing.TB, admin *gqltest.Client, code, name string) string {
	t.Helper()
	return OrganisationOfKind(t, admin, code, name, "MUNICIPALITY")
}

// OrganisationOfKind is Organisation of another kind (an OrganisationKind value, such
// as REGIONAL_BODY).
func OrganisationOfKind(t testing.TB, admin *gqltest.Client, code, name, kind string) string {
	t.Helper()
	var out struct{ CreateOrganisation struct{ ID string } }
	admin.MustData(t, `mutation($c: String!, $n: String!, $k: OrganisationKind!) { createOrganisation(input: {code: $c, name: $n, kind: $k}) { id } }`,
		map[string]any{"c": code, "n": name, "k": kind}, &out)
	return out.CreateOrganisation.ID
}

// Logs collects log lines written from several goroutines.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is every line written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
