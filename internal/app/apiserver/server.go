// Package apiserver wires the GraphQL API: configuration, stores, the HTTP routes
// (GraphiQL at /, GraphQL at /graphql, /healthz, /readyz, /metrics) and graceful
// shutdown. cmd/api only calls Run, so tests start the server exactly as production does.
package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/arbetsmarknad/outcomes/graph"
	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/domain/actionplan"
	"github.com/arbetsmarknad/outcomes/internal/domain/consent"
	"github.com/arbetsmarknad/outcomes/internal/domain/cost"
	"github.com/arbetsmarknad/outcomes/internal/domain/employer"
	"github.com/arbetsmarknad/outcomes/internal/domain/enrolment"
	"github.com/arbetsmarknad/outcomes/internal/domain/importer"
	"github.com/arbetsmarknad/outcomes/internal/domain/linkage"
	"github.com/arbetsmarknad/outcomes/internal/domain/organisation"
	"github.com/arbetsmarknad/outcomes/internal/domain/outcome"
	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
	"github.com/arbetsmarknad/outcomes/internal/domain/recruitment"
	"github.com/arbetsmarknad/outcomes/internal/domain/referral"
	"github.com/arbetsmarknad/outcomes/internal/domain/report"
	"github.com/arbetsmarknad/outcomes/internal/domain/retention"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
	"github.com/arbetsmarknad/outcomes/internal/platform/logging"
	"github.com/arbetsmarknad/outcomes/internal/platform/maintenance"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// MaxUploadBodyBytes bounds a multipart request (a file upload): the file, up to
// importer.MaxFileBytes, and the operation beside it.
const MaxUploadBodyBytes = importer.MaxFileBytes + MaxBodyBytes

// Run starts the API and blocks until ctx ends. ready, when not nil, receives the
// listening address once the server accepts connections.
func Run(ctx context.Context, getenv func(string) string, stderr io.Writer, ready chan<- string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if err := cfg.CheckProduction(); err != nil {
		return err
	}
	log := logging.New(stderr, cfg.LogLevel, "api")
	if os.Getenv("GOGC") == "" {
		// A request allocates much (gqlgen's per-field values) and keeps little: with
		// Go's default the collector ran every few requests and took a quarter of the
		// CPU (docs/BENCHMARKS.md, API). Four times the live heap between collections is
		// still small here; GOGC in the environment overrides it.
		debug.SetGCPercent(400)
	}
	verifier, err := NewVerifier(cfg)
	if err != nil {
		return err
	}
	if verifier.JWKS != nil {
		// Keys are fetched in the background, so no login waits on the provider.
		go verifier.JWKS.Run(ctx, func(err error) { log.Warn().Err(err).Msg("jwks refresh failed; keeping the keys we have") })
	}
	pool, err := db.ConnectScoped(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	ch, err := chstore.Open(ctx, chstore.OptionsFrom(cfg))
	if err != nil {
		// The operational API works without the warehouse; outcome queries fail until
		// it is back, and /readyz says so.
		log.Warn().Err(err).Msg("clickhouse unavailable at start; outcome queries will fail until it answers")
	}
	if ch != nil {
		defer ch.Close()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var allowedOps map[string]string
	if cfg.PersistedQueries == "only" {
		if allowedOps, err = LoadOperationManifest(cfg.PersistedQueriesFile); err != nil {
			return err
		}
	}
	figures := livefigures.Listen(ctx, cfg.DatabaseURL, cfg.MaxSubscriptionsPerToken, log)
	h := NewHandler(Options{Pool: pool, Warehouse: ch, Log: log, Registry: reg, Verifier: verifier,
		CORSOrigins: cfg.CORSOrigins, AllowedOperations: allowedOps, Figures: figures,
		ReportLinkKey: cfg.ReportLinkKey, Getenv: getenv,
		Introspection: cfg.Introspection, MaxDepth: cfg.MaxDepth, MaxComplexity: cfg.MaxComplexity, RequestTimeout: cfg.RequestTimeout,
		ReopenWarehouse: func() (driver.Conn, error) {
			return chstore.Open(ctx, chstore.OptionsFrom(cfg))
		}})

	// The scheduled freezing of monthly steering reports (editions) runs beside the API;
	// several API processes may run it: the scheduled edition is unique per month.
	freezeCtx, stopFreezing := context.WithCancel(ctx)
	defer stopFreezing()
	go freezeReports(freezeCtx, report.NewService(pool, &warehouseConn{conn: ch, reopen: func() (driver.Conn, error) {
		return chstore.Open(ctx, chstore.OptionsFrom(cfg))
	}}), cfg.ReportFreezeDay, log)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info().Str("addr", ln.Addr().String()).Msg("api listening: GraphiQL at /, GraphQL at /graphql")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info().Msg("api stopped")
	return nil
}

// Options configure the HTTP handler.
type Options struct {
	Pool            *pgxpool.Pool // opened with db.ConnectScoped
	Warehouse       driver.Conn   // may be nil when ClickHouse was down at start
	ReopenWarehouse func() (driver.Conn, error)
	Log             zerolog.Logger
	Registry        *prometheus.Registry
	Verifier        *auth.Verifier
	Introspection   bool
	MaxDepth        int
	MaxComplexity   int
	RequestTimeout  time.Duration
	Limits          Limits // zero: DefaultLimits
	// CORSOrigins are the browser origins allowed (see config.Config.CORSOrigins).
	CORSOrigins []string
	// AllowedOperations (SHA-256 hex -> document, from LoadOperationManifest), when
	// set, are the only operations accepted; otherwise automatic persisted queries are on.
	AllowedOperations map[string]string
	// Figures tells subscriptions that the loader wrote an organisation's figures; nil
	// turns subscriptions off.
	Figures       *livefigures.Hub
	ReportLinkKey []byte              // signs steering report links
	Getenv        func(string) string // finds the Chromium that prints PDFs; nil: os.Getenv
}

// NewVerifier builds the token verifier from the configuration.
func NewVerifier(cfg config.Config) (*auth.Verifier, error) {
	v := &auth.Verifier{DevKey: cfg.AuthDevKey, Issuer: cfg.OIDCIssuer, Audience: cfg.OIDCAudience, MaxLifetime: cfg.AuthMaxLifetime,
		Mapping: auth.ClaimMapping{RoleClaim: cfg.AuthRoleClaim, OrgClaim: cfg.AuthOrgClaim, GrantClaim: cfg.AuthGrantClaim, Orgs: cfg.AuthOrgMap}}
	if cfg.AuthRoleMap != nil {
		v.Mapping.Roles = map[string]auth.Role{}
		for idp, role := range cfg.AuthRoleMap {
			if !auth.Role(role).Valid() {
				return nil, fmt.Errorf("OUTCOMES_AUTH_ROLE_MAP: %q is not one of the five roles", role)
			}
			v.Mapping.Roles[idp] = auth.Role(role)
		}
	}
	if cfg.OIDCIssuer != "" {
		v.JWKS = &auth.JWKS{URL: cfg.OIDCJWKSURL}
	}
	if len(v.DevKey) == 0 && v.JWKS == nil {
		return nil, auth.ErrNoVerifier
	}
	return v, nil
}

// NewHandler builds the HTTP routes.
func NewHandler(o Options) http.Handler {
	if o.MaxDepth == 0 {
		o.MaxDepth = config.DefaultMaxDepth
	}
	if o.MaxComplexity == 0 {
		o.MaxComplexity = config.DefaultMaxComplexity
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = config.DefaultRequestTimeout
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	pool, log, reg := o.Pool, o.Log, o.Registry
	if len(o.ReportLinkKey) == 0 {
		// No configured key: a random one, so links work on this process only (set
		// OUTCOMES_REPORT_LINK_KEY when several API processes serve the same links).
		o.ReportLinkKey = make([]byte, 32)
		rand.Read(o.ReportLinkKey) //nolint:errcheck // crypto/rand does not fail on Linux
	}
	wh := &warehouseConn{conn: o.Warehouse, reopen: o.ReopenWarehouse}
	auditStore := audit.NewStore(pool)
	orgStore := organisation.NewStore(pool)
	m := newMetrics(reg)
	resolver := &graph.Resolver{
		Organisations: orgStore,
		Participants:  participant.NewStore(pool),
		Importer:      importer.NewService(pool),
		Enrolments:    enrolment.NewStore(pool),
		Observations:  outcome.NewStore(pool),
		Employers:     employer.NewStore(pool),
		Referrals:     referral.NewStore(pool),
		ActionPlans:   actionplan.NewStore(pool),
		Projects:      project.NewStore(pool),
		Recruitment:   recruitment.NewStore(pool),
		Quotas:        quota.NewStore(pool),
		Consents:      consent.NewStore(pool),
		Linkage:       linkage.NewService(pool),
		Costs:         cost.NewStore(pool),
		Retention:     retention.NewStore(pool),
		Audit:         auditStore,
		Warehouse:     wh,
		Figures:       o.Figures,
		Reports:       report.NewService(pool, wh),
		ReportLinks:   report.Signer{Key: o.ReportLinkKey},
		Now:           time.Now,
	}
	gql := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: resolver,
		Directives: generated.DirectiveRoot{Auth: graph.AuthDirective}}))
	// A client sends the same few operations again and again: parsed and validated once
	// (only a valid document is kept), they skip both on every later request. Bounded:
	// 256 documents of at most MaxQueryBytes of text each.
	gql.SetQueryCache(lru.New[*ast.QueryDocument](256))
	cors := corsPolicy{origins: o.CORSOrigins}
	gql.AddTransport(websocketTransport(o.Verifier, orgStore))
	gql.AddTransport(transport.Options{})
	gql.AddTransport(transport.GET{})
	gql.AddTransport(postJSON{}) // transport.POST, writing plain data responses in one pass
	// File uploads (GraphQL multipart request spec). Kept in memory: limitBody has
	// already bounded the body, and a temporary file would put personal data on disk.
	gql.AddTransport(transport.MultipartForm{MaxUploadSize: MaxUploadBodyBytes, MaxMemory: MaxUploadBodyBytes + 1})
	if o.Introspection {
		gql.Use(extension.Introspection{})
	} else {
		gql.Use(refuseIntrospection{})
	}
	gql.Use(refuseDefer{})                                         // a deferred part would be read outside the request's audited read
	gql.Use(websocketGate{limits: o.Limits, verifier: o.Verifier}) // before the persisted queries: the request as sent
	if o.AllowedOperations != nil {
		gql.Use(persistedQueries{allowed: o.AllowedOperations})
	} else {
		gql.Use(newAPQ())
	}
	gql.Use(extension.FixedComplexityLimit(o.MaxComplexity))
	gql.Use(depthLimit{max: o.MaxDepth})
	gql.SetErrorPresenter(m.presenter(graph.ErrorPresenter))
	gql.AroundOperations(m.timeOperations)
	gql.AroundResponses(resolver.LoadersPerResponse)
	// A mutation's writes commit in its resolvers' transactions; once the response is
	// made, the loader hears of them (changes.Announcer: not inside those transactions,
	// where a NOTIFY would make all writers commit one at a time).
	announcer := changes.NewAnnouncer(pool, log)
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			announcer.Kick()
		}
		return resp
	})
	gql.AroundRootFields(graph.AuditWrites)
	// Every field that names an organisation is checked here, not in its resolver, and
	// every personal record a response shows is audited here (graph.Fields).
	gql.AroundFields(graph.Fields)
	// The audit entries of a request are written before its response leaves: if they
	// cannot be, the caller gets an error instead of the data.
	// A query's reads run in one transaction (db.BeginReads) that also writes their audit
	// rows; mutations audit their writes in their own transactions (graph.AuditWrites).
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		ctx, rec := audit.NewContext(ctx)
		var reads *db.ReadScope
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Query {
			ctx, reads = db.BeginReads(ctx, pool)
			defer reads.Close()
		}
		resp := next(ctx)
		if err := auditStore.FlushReads(ctx, rec, reads, requestID(ctx)); err != nil {
			if db.IsUnavailable(err) {
				m.count(string(apperr.Unavailable))
				return &graphql.Response{Errors: gqlerror.List{{Message: db.ErrUnavailable.Message,
					Extensions: map[string]any{"code": string(apperr.Unavailable), "retryable": true}}}}
			}
			zerolog.Ctx(ctx).Error().Str("sqlstate", db.SQLState(err)).Msg("audit log write failed; response withheld")
			m.count(string(apperr.Internal))
			return &graphql.Response{Errors: gqlerror.List{{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL"}}}}
		}
		return resp
	})
	// The token first, from the headers alone: nothing of a request without a valid one is
	// read (a body is up to 21 MB, and the gate lexes its query). Then the cheap checks
	// (size, shape, text, query limits), then gqlgen. A token already seen is recalled
	// without checking it again, and tokens' organisations are looked up once a minute at
	// most per organisation, not once per request (orgcache.go).
	orgs := newOrgCache(orgStore, time.Minute)
	httpGQL := requireToken(o.Verifier, orgs, m.count, gate(o.Limits, m.count, withTimeout(o.RequestTimeout, gql)))
	graphqlHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWebsocketUpgrade(r) {
			httpGQL.ServeHTTP(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) && !cors.allowed(origin) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		// A WebSocket authenticates in its connection_init message (browsers cannot set
		// headers on an upgrade) and lives longer than a request's timeout, until its
		// token expires (wsexpiry.go).
		gql.ServeHTTP(w, withTokenEnd(r))
	})

	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "outcomes_api_requests_total",
		Help: "HTTP requests by route and status class."}, []string{"route", "code"})
	reg.MustRegister(requests)
	registerOutboxGauges(reg, pool)
	reg.MustRegister(maintenance.NewCollector(pool))
	if o.Figures != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "outcomes_live_subscriptions",
			Help: "Open figuresChanged subscriptions on this API process."}, func() float64 { return float64(o.Figures.Count()) }))
	}

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", graphiqlIndex())
	mux.Handle("GET /graphiql/", graphiqlAssets())
	mux.Handle("GET /schema.graphql", schemaHandler())
	mux.Handle("/graphql", graphqlHandler)
	mux.Handle("GET /microdata.csv", requireToken(o.Verifier, orgs, m.count, microdataHandler(wh, auditStore, orgStore)))
	mux.Handle("GET /microdata/dictionary.csv", requireToken(o.Verifier, orgs, m.count, dictionaryHandler()))
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	mux.Handle("GET "+report.LinkPath, reportLinkHandler(resolver.Reports, resolver.ReportLinks,
		func() (string, error) { return report.ChromiumPath(getenv) }, time.Now))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n")) //nolint:errcheck
	})
	mux.Handle("GET /readyz", readiness(pool, wh))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return withRequestLog(log, requests, cors.handler(mux))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestLog gives every request an id and a logger in its context, and logs one
// line per request (never its body: it may hold personal data).
func withRequestLog(log zerolog.Logger, requests *prometheus.CounterVec, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [8]byte
			rand.Read(b[:]) //nolint:errcheck
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		l := log.With().Str("request_id", id).Logger()
		r = r.WithContext(audit.WithRequestID(r.Context(), id))
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(l.WithContext(r.Context())))
		route := r.URL.Path
		switch route {
		case "/", "/graphql", "/healthz", "/readyz", "/metrics", "/schema.graphql", report.LinkPath:
		default:
			route = "other"
		}
		requests.WithLabelValues(route, fmt.Sprintf("%dxx", sw.code/100)).Inc()
		if route != "/healthz" && route != "/metrics" {
			l.Info().Str("method", r.Method).Str("path", route).Int("status", sw.code).
				Dur("took", time.Since(start)).Msg("request")
		}
	})
}

// registerOutboxGauges exposes the loader's backlog on the API too, read from the
// outbox at scrape time, so one scrape of the API shows whether writes are reaching
// the warehouse.
func registerOutboxGauges(reg *prometheus.Registry, pool *pgxpool.Pool) {
	// The outbox has row-level security: the backlog is counted as the system (a
	// count, no personal data), not as the anonymous scrape.
	changes.RegisterBacklogGauges(reg, "outcomes_outbox", pool, func(ctx context.Context) context.Context {
		return auth.With(ctx, auth.Principal{Subject: "system:metrics", System: true})
	})
}

// requestID is the request's id (withRequestLog puts it in the context).
func requestID(ctx context.Context) string { return audit.RequestID(ctx) }

func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// validRequestID reports whether a client's X-Request-Id may be used as the request's
// id (in logs, the audit log and the response): a UUID, or 16 or 32 lower-case hex
// digits (our own ids and nginx's $request_id). Anything else could carry a name or an
// identity number into every log line, so the server makes its own id instead.
func validRequestID(id string) bool {
	if len(id) == 36 {
		return db.IsUUID(id)
	}
	if len(id) != 16 && len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
