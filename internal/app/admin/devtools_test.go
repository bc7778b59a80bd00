package admin_test

import (
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
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
	url := testenv.PostgresURL(t)
	pool, err := db.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := demo.Seed(t.Context(), pool, 5); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"": "http://localhost:8080/reports/steering?token=",
		":56300": "http://localhost:56300/reports/steering?token=", "127.0.0.1:9001": "http://127.0.0.1:9001/reports/steering?token=",
		"[::1]:9002": "http://[::1]:9002/reports/steering?token="} {
		env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": url}
		if addr != "" {
			env["OUTCOMES_HTTP_ADDR"] = addr
		}
		if out := runCtl(t, env, "report-link", "-org", "uppsala", "-month", "2018-12"); !strings.HasPrefix(out, want) {
			t.Errorf("OUTCOMES_HTTP_ADDR=%q: %s, want %s…", addr, out, want)
		}
	}
}
