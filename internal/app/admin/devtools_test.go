package admin_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// TestTokenLivesNoLongerThanTheAPIAccepts: `outcomesctl token` refuses a -ttl the API
// would refuse the token for (expired, or longer than OUTCOMES_AUTH_MAX_TOKEN_LIFETIME),
// instead of printing a token that only ever answers UNAUTHENTICATED.
func TestTokenLivesNoLongerThanTheAPIAccepts(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_AUTH_MAX_TOKEN_LIFETIME": "2h"}
	for _, ttl := range []string{"3h", "24h", "0s", "-1m"} {
		code, out, errOut := ctl(env, "token", "-role", "admin", "-ttl", ttl)
		if code != 1 || out != "" || !strings.Contains(errOut, "at most 2h0m0s") {
			t.Errorf("-ttl %s: exit %d, printed %q, %s", ttl, code, out, errOut)
		}
	}
	if out := runCtl(t, env, "token", "-role", "admin", "-ttl", "2h"); strings.Count(out, ".") != 2 {
		t.Errorf("-ttl 2h printed %q, want a token", out)
	}
}

// TestReportLinkPointsAtTheConfiguredAPI: a link made without -base points at the API
// that OUTCOMES_HTTP_ADDR configures, as `make run` with another port serves it.
func TestReportLinkPointsAtTheConfiguredAPI(t *testing.T) {
	t.Parallel()
	env, _ := seededRoles(t)
	for addr, want := range map[string]string{"": "http://localhost:8080/reports/steering?token=",
		":56300": "http://localhost:56300/reports/steering?token=", "127.0.0.1:9001": "http://127.0.0.1:9001/reports/steering?token=",
		"[::1]:9002": "http://[::1]:9002/reports/steering?token="} {
		env["OUTCOMES_HTTP_ADDR"] = addr
		if out := runCtl(t, env, "report-link", "-org", "uppsala", "-month", "2018-12"); !strings.HasPrefix(out, want) {
			t.Errorf("OUTCOMES_HTTP_ADDR=%q: %s, want %s…", addr, out, want)
		}
	}
}

// TestMigrateSaysRebuildOnlyWhenOneIsDue: on a new warehouse, which counts as rebuilt,
// `migrate` says nothing of a rebuild (it used to name migration 11 on every new install,
// though the loader then ran); while one is due it says so, even when it applied nothing.
func TestMigrateSaysRebuildOnlyWhenOneIsDue(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresURL(t)
	o := testenv.ClickHouseOptions(t)
	o.Database += "_new" // created by migrate, dropped below
	conn, err := chstore.Open(t.Context(), chstore.Options{Addr: o.Addr, Database: "default", User: o.User})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+o.Database) }) //nolint:errcheck
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": pgURL,
		"OUTCOMES_CLICKHOUSE_ADDR": o.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": o.Database}
	out := runCtl(t, env, "migrate")
	if !strings.Contains(out, "clickhouse: applied 1,") || strings.Contains(out, "rebuild") {
		t.Errorf("migrate of a new warehouse printed:\n%s", out)
	}
	// A warehouse without any record of a rebuild is one migrated past 11 from before it.
	if err := conn.Exec(t.Context(), "DROP TABLE "+o.Database+".warehouse_rebuild"); err != nil {
		t.Fatal(err)
	}
	out = runCtl(t, env, "migrate")
	if !strings.Contains(out, "applied nothing") || !strings.Contains(out, "migration 11 needs a rebuild") ||
		!strings.Contains(out, "outcomesctl rebuild -fresh") {
		t.Errorf("migrate of a warehouse due a rebuild printed:\n%s", out)
	}
}

// TestReportCommandRunsAsTheProductionRoles: `outcomesctl report` reads with the
// loader's role and audits as the data commands' role (outcomes_api), which alone may
// write the audit log; it wrote the audit row with the loader's role and failed with
// "permission denied for table audit_log" wherever the roles are production's.
func TestReportCommandRunsAsTheProductionRoles(t *testing.T) {
	t.Parallel()
	env, pool := seededRoles(t)
	file := filepath.Join(t.TempDir(), "report.html")
	runCtl(t, env, "report", "-org", "uppsala", "-month", "2018-12", "-format", "html", "-o", file)
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE entity = 'steering_report' AND subject LIKE 'cli:%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the report's read is audited %d times (%v), want once", n, err)
	}
}

// seededRoles is a new database holding the demo organisation (5 people) and a new
// warehouse, with the environment of production's roles on them.
func seededRoles(t *testing.T) (map[string]string, *pgxpool.Pool) {
	t.Helper()
	url := testenv.PostgresURL(t)
	pool, err := db.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := demo.Seed(t.Context(), pool, 5); err != nil {
		t.Fatal(err)
	}
	ch := testenv.ClickHouseOptions(t)
	return roles(t, url, superuserURL(t, testenv.Stack(t).PGAdminURL, url), ch.Addr, ch.Database), pool
}
