// Package config reads the environment variables shared by the binaries. The README
// lists them; defaults point at the local stack that scripts/stack.sh starts.
package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// The API's defaults for the GraphQL limits and the request deadline. apiserver's
// NewHandler falls back to the same values when its Options leave them zero.
const (
	DefaultMaxDepth       = 10
	DefaultMaxComplexity  = 1000
	DefaultRequestTimeout = 30 * time.Second
)

// Config is the runtime configuration of the API, the loader and the admin CLI.
type Config struct {
	DatabaseURL        string // the API's role (and the CLI's data commands)
	MigrateDatabaseURL string // the owner role, for migrations (default DatabaseURL)
	LoaderDatabaseURL  string // the loader's role (default DatabaseURL)
	ClickHouseAddr     string
	ClickHouseDatabase string
	ClickHouseUser     string
	ClickHousePassword string
	PseudonymKey       []byte
	HTTPAddr           string
	LoaderMetricsAddr  string
	LogLevel           string
	LoaderBatchSize    int
	LoaderPollInterval time.Duration
	LoaderLinger       time.Duration

	// A ClickHouse cluster (docs/ARCHITECTURE.md, "Scale out: a ClickHouse cluster"):
	// ClickHouseAddr and ClickHouseDatabase are then its front (Distributed tables),
	// ClickHouseShards the native addresses of its shards (same credentials), each
	// holding the warehouse tables in ClickHouseShardDatabase, and ClickHouseCluster the
	// cluster's name in the servers' remote_servers. No shards: one server.
	ClickHouseCluster       string
	ClickHouseShards        []string
	ClickHouseShardDatabase string

	// Authentication: RS256 tokens from an OIDC provider, and/or HS256 development tokens.
	OIDCIssuer   string
	OIDCAudience string
	OIDCJWKSURL  string
	AuthDevKey   []byte
	// Production is true unless OUTCOMES_ENV=dev.
	Production bool
	// AuthMaxLifetime refuses tokens whose exp lies further ahead.
	AuthMaxLifetime time.Duration
	// Identity-provider claim mapping (see docs/SECURITY.md): where the role and the home
	// organisation are, and how the provider's values map to roles and organisation codes.
	AuthRoleClaim  string
	AuthRoleMap    map[string]string
	AuthOrgClaim   string
	AuthOrgMap     map[string]string
	AuthGrantClaim string

	// GraphQL abuse limits.
	Introspection  bool
	MaxDepth       int
	MaxComplexity  int
	RequestTimeout time.Duration

	// Operations (outcomesctl maintain, backup, restore; docs/OPERATIONS.md).
	OutboxRetention      time.Duration // processed change events older than this are pruned
	IdempotencyTTL       time.Duration // idempotency keys older than this expire
	AuditRetentionMonths int           // audit months kept before archive and drop (0: all)
	AuditArchiveDir      string        // where audit months are archived before they are dropped
	RetentionYears       int           // outcomesctl retention's default -years (0: not set)
	BackupDatabaseURL    string        // a role that bypasses row-level security, for pg_dump / pg_restore

	// Frontend support (docs/FRONTEND.md).
	// CORSOrigins are the browser origins allowed to call the API; an entry may end in
	// ":*" for any port. In development http://localhost:* and http://127.0.0.1:* are
	// allowed when the variable is not set.
	CORSOrigins []string
	// PersistedQueries is "apq" (automatic persisted queries, the default) or "only"
	// (only the operations in PersistedQueriesFile are accepted).
	PersistedQueries     string
	PersistedQueriesFile string
	// MaxSubscriptionsPerToken bounds the live subscriptions one token may hold open.
	MaxSubscriptionsPerToken int

	// Steering report: the key signing its browser links (OUTCOMES_REPORT_LINK_KEY; in
	// dev the development token key), the day of month M+1 its edition for M is frozen
	// (OUTCOMES_REPORT_FREEZE_DAY, 1-28, default 5; 0 turns scheduled freezing off), and
	// the headless Chromium that prints PDFs (OUTCOMES_CHROMIUM, default chromium on PATH).
	ReportLinkKey   []byte
	ReportFreezeDay int
}

// DevAuthKey signs development tokens when OUTCOMES_ENV=dev and no key is set.
const DevAuthKey = "dev-only-token-signing-key-change-me"

// DevPseudonymKey is used only when OUTCOMES_ENV=dev and no key is set.
const DevPseudonymKey = "dev-only-pseudonym-key-change-me"

// RepositoryKeys are keys written in this repository (defaults, compose, tests,
// documentation): anyone can read them, so production refuses them.
var RepositoryKeys = []string{DevAuthKey, DevPseudonymKey, "compose-dev-pseudonym-key-change-me",
	"compose-dev-token-key-change-me", "e2e-test-token-key-0123456789", "e2e-test-pseudonym-key-0123456789"}

// IsRepositoryKey reports whether key is one of RepositoryKeys or is marked as a
// placeholder ("change-me", "dev-only").
func IsRepositoryKey(key string) bool {
	for _, k := range RepositoryKeys {
		if key == k {
			return true
		}
	}
	return strings.Contains(key, "change-me") || strings.Contains(key, "dev-only")
}

// CheckProduction refuses a configuration the API must not serve with in production:
// a development signing key (HS256 tokens anyone with the repository could mint), a
// pseudonymisation key from the repository, or an OIDC provider without an audience.
// It returns nil outside production (OUTCOMES_ENV=dev).
func (c Config) CheckProduction() error {
	if !c.Production {
		return nil
	}
	if len(c.AuthDevKey) > 0 {
		return errors.New("OUTCOMES_AUTH_DEV_KEY is set: development tokens are refused in production (set OUTCOMES_ENV=dev for local use)")
	}
	if IsRepositoryKey(string(c.PseudonymKey)) {
		return errors.New("OUTCOMES_PSEUDONYM_KEY is a key published in the repository: set a secret one")
	}
	if c.OIDCIssuer == "" || c.OIDCAudience == "" {
		return errors.New("production needs OUTCOMES_OIDC_ISSUER and OUTCOMES_OIDC_AUDIENCE (tokens are checked against both)")
	}
	return nil
}

// Load reads the configuration through getenv (os.Getenv in production, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:        get("OUTCOMES_DATABASE_URL", "postgres://outcomes:outcomes@127.0.0.1:55432/outcomes?sslmode=disable"),
		ClickHouseAddr:     get("OUTCOMES_CLICKHOUSE_ADDR", "127.0.0.1:59000"),
		ClickHouseDatabase: get("OUTCOMES_CLICKHOUSE_DATABASE", "outcomes"),
		ClickHouseUser:     get("OUTCOMES_CLICKHOUSE_USER", "default"),
		ClickHousePassword: get("OUTCOMES_CLICKHOUSE_PASSWORD", ""),
		HTTPAddr:           get("OUTCOMES_HTTP_ADDR", ":8080"),
		LoaderMetricsAddr:  get("OUTCOMES_LOADER_METRICS_ADDR", ":9108"),
		LogLevel:           get("OUTCOMES_LOG_LEVEL", "info"),
	}
	if err := c.loadCluster(getenv); err != nil {
		return c, err
	}
	// A malformed address would otherwise surface late and unnamed: the listeners' as
	// "listen: missing port", ClickHouse's as an outage the API and the loader wait out.
	for _, a := range []struct{ name, value string }{{"OUTCOMES_HTTP_ADDR", c.HTTPAddr},
		{"OUTCOMES_LOADER_METRICS_ADDR", c.LoaderMetricsAddr}, {"OUTCOMES_CLICKHOUSE_ADDR", c.ClickHouseAddr}} {
		if err := checkAddr(a.value); err != nil {
			return c, fmt.Errorf("%s=%q: %w", a.name, a.value, err)
		}
	}
	for _, a := range c.ClickHouseShards {
		if err := checkAddr(a); err != nil {
			return c, fmt.Errorf("OUTCOMES_CLICKHOUSE_SHARDS: %q: %w", a, err)
		}
	}
	c.MigrateDatabaseURL = get("OUTCOMES_MIGRATE_DATABASE_URL", c.DatabaseURL)
	c.LoaderDatabaseURL = get("OUTCOMES_LOADER_DATABASE_URL", c.DatabaseURL)
	key := getenv("OUTCOMES_PSEUDONYM_KEY")
	if key == "" {
		if get("OUTCOMES_ENV", "production") != "dev" {
			return c, errors.New("OUTCOMES_PSEUDONYM_KEY is required (set OUTCOMES_ENV=dev to use the development key)")
		}
		key = DevPseudonymKey
	}
	if len(key) < 16 {
		return c, errors.New("OUTCOMES_PSEUDONYM_KEY must be at least 16 characters")
	}
	c.PseudonymKey = []byte(key)
	dev := get("OUTCOMES_ENV", "production") == "dev"
	c.Production = !dev
	c.OIDCIssuer = getenv("OUTCOMES_OIDC_ISSUER")
	c.OIDCAudience = getenv("OUTCOMES_OIDC_AUDIENCE")
	c.OIDCJWKSURL = get("OUTCOMES_OIDC_JWKS_URL", strings.TrimSuffix(c.OIDCIssuer, "/")+"/.well-known/jwks.json")
	if c.OIDCIssuer == "" {
		c.OIDCJWKSURL = ""
	}
	devKey := getenv("OUTCOMES_AUTH_DEV_KEY")
	if devKey == "" && dev {
		devKey = DevAuthKey
	}
	if devKey != "" && len(devKey) < 16 {
		return c, errors.New("OUTCOMES_AUTH_DEV_KEY must be at least 16 characters")
	}
	c.AuthDevKey = []byte(devKey)
	// A misspelt level would otherwise log at info, silently.
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		return c, fmt.Errorf("OUTCOMES_LOG_LEVEL: want trace, debug, info, warn, error, fatal, panic or disabled")
	}
	var err error
	if c.AuthMaxLifetime, err = time.ParseDuration(get("OUTCOMES_AUTH_MAX_TOKEN_LIFETIME", auth.DefaultMaxLifetime.String())); err != nil || c.AuthMaxLifetime <= 0 {
		return c, fmt.Errorf("OUTCOMES_AUTH_MAX_TOKEN_LIFETIME: want a positive duration such as 12h")
	}
	c.AuthRoleClaim, c.AuthOrgClaim, c.AuthGrantClaim = getenv("OUTCOMES_AUTH_ROLE_CLAIM"), getenv("OUTCOMES_AUTH_ORG_CLAIM"), getenv("OUTCOMES_AUTH_GRANT_CLAIM")
	if v := getenv("OUTCOMES_AUTH_ROLE_MAP"); v != "" {
		if c.AuthRoleMap, err = parseMap(v); err != nil {
			return c, fmt.Errorf("OUTCOMES_AUTH_ROLE_MAP: %w", err)
		}
	}
	if v := getenv("OUTCOMES_AUTH_ORG_MAP"); v != "" {
		if c.AuthOrgMap, err = parseMap(v); err != nil {
			return c, fmt.Errorf("OUTCOMES_AUTH_ORG_MAP: %w", err)
		}
	}
	if c.Introspection, err = strconv.ParseBool(get("OUTCOMES_GRAPHQL_INTROSPECTION", strconv.FormatBool(dev))); err != nil {
		return c, fmt.Errorf("OUTCOMES_GRAPHQL_INTROSPECTION: want true or false")
	}
	if c.MaxDepth, err = strconv.Atoi(get("OUTCOMES_GRAPHQL_MAX_DEPTH", strconv.Itoa(DefaultMaxDepth))); err != nil || c.MaxDepth < 2 {
		return c, fmt.Errorf("OUTCOMES_GRAPHQL_MAX_DEPTH: want an integer of at least 2")
	}
	if c.MaxComplexity, err = strconv.Atoi(get("OUTCOMES_GRAPHQL_MAX_COMPLEXITY", strconv.Itoa(DefaultMaxComplexity))); err != nil || c.MaxComplexity < 10 {
		return c, fmt.Errorf("OUTCOMES_GRAPHQL_MAX_COMPLEXITY: want an integer of at least 10")
	}
	// Zero or less would give every request a deadline already past (or, in the server's
	// fallback for an unset Options field, silently the default).
	if c.RequestTimeout, err = time.ParseDuration(get("OUTCOMES_REQUEST_TIMEOUT", DefaultRequestTimeout.String())); err != nil || c.RequestTimeout <= 0 {
		return c, fmt.Errorf("OUTCOMES_REQUEST_TIMEOUT: want a positive duration such as 30s")
	}
	origins := getenv("OUTCOMES_CORS_ORIGINS")
	if origins == "" && dev {
		origins = "http://localhost:*,http://127.0.0.1:*"
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			if o == "*" {
				return c, errors.New("OUTCOMES_CORS_ORIGINS: name the origins (credentials are allowed, so \"*\" is not)")
			}
			o = strings.TrimSuffix(o, "/")
			// A browser's Origin is scheme://host[:port]; an entry of another form (no
			// scheme, a path) would never match one, and every call from the frontend
			// would be refused with nothing said here.
			if !validOrigin(o) {
				return c, fmt.Errorf("OUTCOMES_CORS_ORIGINS: %q is not an origin: want scheme://host[:port] (port may be *), e.g. https://app.kommun.se", o)
			}
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	c.PersistedQueries = get("OUTCOMES_PERSISTED_QUERIES", "apq")
	c.PersistedQueriesFile = getenv("OUTCOMES_PERSISTED_QUERIES_FILE")
	switch {
	case c.PersistedQueries != "apq" && c.PersistedQueries != "only":
		return c, errors.New("OUTCOMES_PERSISTED_QUERIES: want apq or only")
	case c.PersistedQueries == "only" && c.PersistedQueriesFile == "":
		return c, errors.New("OUTCOMES_PERSISTED_QUERIES=only needs OUTCOMES_PERSISTED_QUERIES_FILE (the operation manifest)")
	}
	if c.MaxSubscriptionsPerToken, err = strconv.Atoi(get("OUTCOMES_MAX_SUBSCRIPTIONS_PER_TOKEN", "5")); err != nil || c.MaxSubscriptionsPerToken < 1 {
		return c, fmt.Errorf("OUTCOMES_MAX_SUBSCRIPTIONS_PER_TOKEN: want a positive integer")
	}
	linkKey := getenv("OUTCOMES_REPORT_LINK_KEY")
	if linkKey == "" {
		linkKey = devKey
	}
	if linkKey != "" && len(linkKey) < 16 {
		return c, errors.New("OUTCOMES_REPORT_LINK_KEY must be at least 16 characters")
	}
	c.ReportLinkKey = []byte(linkKey)
	if c.ReportFreezeDay, err = strconv.Atoi(get("OUTCOMES_REPORT_FREEZE_DAY", "5")); err != nil || c.ReportFreezeDay < 0 || c.ReportFreezeDay > 28 {
		return c, fmt.Errorf("OUTCOMES_REPORT_FREEZE_DAY: want a day of the month 1-28, or 0 for off")
	}
	if c.LoaderBatchSize, err = strconv.Atoi(get("OUTCOMES_LOADER_BATCH_SIZE", "500")); err != nil || c.LoaderBatchSize < 1 {
		return c, fmt.Errorf("OUTCOMES_LOADER_BATCH_SIZE: want a positive integer")
	}
	if c.LoaderPollInterval, err = time.ParseDuration(get("OUTCOMES_LOADER_POLL_INTERVAL", "1s")); err != nil || c.LoaderPollInterval <= 0 {
		return c, fmt.Errorf("OUTCOMES_LOADER_POLL_INTERVAL: want a positive duration such as 1s")
	}
	if c.LoaderLinger, err = time.ParseDuration(get("OUTCOMES_LOADER_LINGER", "100ms")); err != nil || c.LoaderLinger < 0 {
		return c, fmt.Errorf("OUTCOMES_LOADER_LINGER: want a duration such as 100ms")
	}
	if c.OutboxRetention, err = time.ParseDuration(get("OUTCOMES_OUTBOX_RETENTION", "720h")); err != nil || c.OutboxRetention < 0 {
		return c, fmt.Errorf("OUTCOMES_OUTBOX_RETENTION: want a duration such as 720h")
	}
	if c.IdempotencyTTL, err = time.ParseDuration(get("OUTCOMES_IDEMPOTENCY_TTL", "168h")); err != nil || c.IdempotencyTTL < 0 {
		return c, fmt.Errorf("OUTCOMES_IDEMPOTENCY_TTL: want a duration such as 168h")
	}
	if c.AuditRetentionMonths, err = strconv.Atoi(get("OUTCOMES_AUDIT_RETENTION_MONTHS", "24")); err != nil || c.AuditRetentionMonths < 0 {
		return c, fmt.Errorf("OUTCOMES_AUDIT_RETENTION_MONTHS: want a whole number of months (0 keeps every month)")
	}
	if v := getenv("OUTCOMES_RETENTION_YEARS"); v != "" {
		if c.RetentionYears, err = strconv.Atoi(v); err != nil || c.RetentionYears < 1 {
			return c, fmt.Errorf("OUTCOMES_RETENTION_YEARS: want a whole number of years, at least 1")
		}
	}
	c.AuditArchiveDir = getenv("OUTCOMES_AUDIT_ARCHIVE_DIR")
	c.BackupDatabaseURL = get("OUTCOMES_BACKUP_DATABASE_URL", c.MigrateDatabaseURL)
	return c, nil
}

// checkAddr accepts host:port (host may be empty, a name, or an IP address; IPv6 in
// brackets) with a port number 0-65535.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, e.g. :8080 or 127.0.0.1:9000")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number 0-65535", port)
	}
	return nil
}

// validOrigin reports whether o is http(s)://host[:port] with nothing after it; the
// port may be "*" (any port, as the API's CORS check reads it).
func validOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@ ") {
		return false
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil { // no port: a name, an IPv4 address or a bracketed IPv6 address
		return !strings.Contains(rest, ":") || (strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"))
	}
	if port == "*" {
		return host != ""
	}
	n, err := strconv.Atoi(port)
	return host != "" && err == nil && n > 0 && n <= 65535
}

// parseMap reads "idpValue=target,idpValue=target".
func parseMap(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, errors.New("want idpValue=target pairs separated by commas")
		}
		out[k] = v
	}
	return out, nil
}

// loadCluster reads the ClickHouse cluster settings: all three or none.
func (c *Config) loadCluster(getenv func(string) string) error {
	for _, a := range strings.Split(getenv("OUTCOMES_CLICKHOUSE_SHARDS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.ClickHouseShards = append(c.ClickHouseShards, a)
		}
	}
	c.ClickHouseCluster = getenv("OUTCOMES_CLICKHOUSE_CLUSTER")
	c.ClickHouseShardDatabase = getenv("OUTCOMES_CLICKHOUSE_SHARD_DATABASE")
	set := 0
	for _, v := range []bool{len(c.ClickHouseShards) > 0, c.ClickHouseCluster != "", c.ClickHouseShardDatabase != ""} {
		if v {
			set++
		}
	}
	switch {
	case set == 0:
		return nil
	case set < 3:
		return errors.New("a ClickHouse cluster needs OUTCOMES_CLICKHOUSE_CLUSTER, OUTCOMES_CLICKHOUSE_SHARDS and OUTCOMES_CLICKHOUSE_SHARD_DATABASE together (none of them: one server)")
	case c.ClickHouseShardDatabase == c.ClickHouseDatabase:
		return errors.New("OUTCOMES_CLICKHOUSE_SHARD_DATABASE must differ from OUTCOMES_CLICKHOUSE_DATABASE, the cluster's front of Distributed tables")
	}
	return nil
}
