// Package testenv gives integration tests a fresh PostgreSQL database and a fresh
// ClickHouse database on the real servers of the local stack, migrated from the
// embedded migrations and dropped when the test ends. When the stack's environment is
// not set (a plain `go test ./...`), it starts the stack with scripts/stack.sh first.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// Env points at the stack.
type Env struct {
	PGAdminURL string // superuser, to create and drop databases
	PGAppURL   string // the application role, on a database to be replaced
	CHAddr     string
}

var (
	once   sync.Once
	env    Env
	envErr error
)

// Stack returns the stack's addresses, starting it when needed.
func Stack(t testing.TB) Env {
	t.Helper()
	once.Do(func() { env, envErr = load() })
	if envErr != nil {
		t.Fatalf("test stack: %v", envErr)
	}
	return env
}

// Root returns the module's root folder.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func load() (Env, error) {
	vars := map[string]string{}
	for _, k := range []string{"OUTCOMES_PG_ADMIN_URL", "OUTCOMES_TEST_DATABASE_URL", "OUTCOMES_CLICKHOUSE_ADDR"} {
		vars[k] = os.Getenv(k)
	}
	if vars["OUTCOMES_PG_ADMIN_URL"] == "" || vars["OUTCOMES_CLICKHOUSE_ADDR"] == "" || vars["OUTCOMES_TEST_DATABASE_URL"] == "" {
		root, err := Root()
		if err != nil {
			return Env{}, err
		}
		script := filepath.Join(root, "scripts", "stack.sh")
		up := exec.Command(script, "up")
		var out bytes.Buffer
		up.Stdout, up.Stderr = &out, &out
		if err := up.Run(); err != nil {
			return Env{}, fmt.Errorf("%s up: %v\n%s", script, err, out.String())
		}
		printed, err := exec.Command(script, "env").Output()
		if err != nil {
			return Env{}, fmt.Errorf("%s env: %v", script, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(printed))
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
			if ok {
				vars[k] = v
			}
		}
	}
	return Env{PGAdminURL: vars["OUTCOMES_PG_ADMIN_URL"], PGAppURL: vars["OUTCOMES_TEST_DATABASE_URL"], CHAddr: vars["OUTCOMES_CLICKHOUSE_ADDR"]}, nil
}

func randomName(prefix string) string {
	var b [6]byte
	rand.Read(b[:]) //nolint:errcheck
	return prefix + hex.EncodeToString(b[:])
}

// PostgresURL creates a fresh, migrated database and returns the application role's URL
// to it. The database is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	e := Stack(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, e.PGAdminURL)
	if err != nil {
		t.Fatalf("connect as admin: %v", err)
	}
	defer admin.Close(ctx)
	u, err := url.Parse(e.PGAppURL)
	if err != nil {
		t.Fatalf("parse app url: %v", err)
	}
	name := randomName("t_")
	owner := u.User.Username()
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, name, pgx.Identifier{owner}.Sanitize())); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, e.PGAdminURL)
		if err != nil {
			t.Logf("drop test database: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	u.Path = "/" + name
	pool, err := db.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	defer pool.Close()
	if _, err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return u.String()
}

// Postgres returns a pool on a fresh, migrated database.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	_, pool := PostgresWithURL(t)
	return pool
}

// PostgresWithURL is Postgres with the database's URL (the owner's), for tests that
// also connect as another role or hand the URL to a program.
func PostgresWithURL(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	url := PostgresURL(t)
	pool, err := db.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return url, pool
}

// Organisation adds a municipality with this code to a fresh database of Postgres and
// returns its id: for the platform's own tests, which may not use the domain's stores
// (internal/domain/domaintest does that for the domain's).
func Organisation(t testing.TB, pool *pgxpool.Pool, code string) string {
	t.Helper()
	var org string
	if err := pool.QueryRow(context.Background(), `INSERT INTO organisation (code, name, kind) VALUES ($1, 'Kommun', 'municipality')
		RETURNING id`, code).Scan(&org); err != nil {
		t.Fatalf("add organisation %q: %v", code, err)
	}
	return org
}

// ClickHouseOptions creates a fresh, migrated ClickHouse database and returns where it
// is. It is dropped when the test ends.
func ClickHouseOptions(t testing.TB) chstore.Options {
	t.Helper()
	e := Stack(t)
	o := chstore.Options{Addr: e.CHAddr, Database: randomName("t_"), User: "default"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chstore.Open(ctx, o)
	if err != nil {
		t.Fatalf("open clickhouse test database: %v", err)
	}
	defer conn.Close()
	t.Cleanup(func() {
		if err := chstore.DropDatabase(context.Background(), o); err != nil {
			t.Logf("drop clickhouse test database: %v", err)
		}
	})
	if _, err := chstore.Migrate(ctx, conn); err != nil {
		t.Fatalf("migrate clickhouse test database: %v", err)
	}
	return o
}

// ClickHouse returns a connection to a fresh, migrated ClickHouse database.
func ClickHouse(t testing.TB) (driver.Conn, chstore.Options) {
	t.Helper()
	o := ClickHouseOptions(t)
	conn, err := chstore.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open clickhouse: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, o
}

// The roles of migration 0005 (created cluster-wide by scripts/stack.sh): the API's and
// the loader's, neither of which owns anything.
const (
	APIRole    = "outcomes_api"
	LoaderRole = "outcomes_loader"
)

// RoleURL returns url with role's credentials (the local stack gives each role its own
// name as its password), on the same database: PostgresURL's database is migrated by
// its owner, and a test that exercises the API connects as APIRole so that it runs with
// production's privileges.
func RoleURL(t testing.TB, rawURL, role string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse database url: %v", err)
	}
	u.User = url.UserPassword(role, role)
	return u.String()
}

// APIURL creates a fresh, migrated database (as PostgresURL) and returns the API role's
// URL to it.
func APIURL(t testing.TB) string {
	t.Helper()
	return RoleURL(t, PostgresURL(t), APIRole)
}
