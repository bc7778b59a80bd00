// Package e2e_test starts the API and the loader exactly as their binaries do, on a
// fresh PostgreSQL and ClickHouse database of the real test stack, and drives them
// through GraphQL over HTTP.
package e2e_test

import (
	"context"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver"
	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/gqltest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

type system struct {
	api        *gqltest.Client
	apiAddr    string
	loaderAddr string
	logs       *apitest.Logs
	env        map[string]string
}

// start runs the API and the loader on fresh databases until the test ends.
func start(t testing.TB) *system {
	t.Helper()
	ch := testenv.ClickHouseOptions(t)
	return startWith(t, testenv.PostgresURL(t), ch.Addr, ch.Database)
}

// startWith runs the API and the loader on the given (migrated) stores.
func startWith(t testing.TB, pgURL, chAddr, chDatabase string) *system {
	t.Helper()
	env := map[string]string{
		// Each program as its own role (migration 0005): the API and the loader own nothing.
		"OUTCOMES_DATABASE_URL":         testenv.RoleURL(t, pgURL, testenv.APIRole),
		"OUTCOMES_LOADER_DATABASE_URL":  testenv.RoleURL(t, pgURL, testenv.LoaderRole),
		"OUTCOMES_MIGRATE_DATABASE_URL": pgURL,
		"OUTCOMES_CLICKHOUSE_ADDR":      chAddr,
		"OUTCOMES_CLICKHOUSE_DATABASE":  chDatabase,
		"OUTCOMES_PSEUDONYM_KEY":        "e2e-test-pseudonym-key-0123456789",
		"OUTCOMES_HTTP_ADDR":            "127.0.0.1:0",
		"OUTCOMES_LOADER_METRICS_ADDR":  "127.0.0.1:0",
		"OUTCOMES_LOADER_POLL_INTERVAL": "200ms",
		"OUTCOMES_LOG_LEVEL":            "info",
		"OUTCOMES_AUTH_DEV_KEY":         apitest.DevKey,
		// Development tokens: dev mode (production refuses them), introspection still off.
		"OUTCOMES_ENV":                   "dev",
		"OUTCOMES_GRAPHQL_INTROSPECTION": "false",
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	apiReady, loaderReady := make(chan string, 1), make(chan string, 1)
	buf := &apitest.Logs{}
	logs := io.Writer(buf)
	if testing.Verbose() {
		logs = io.MultiWriter(buf, os.Stderr)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := apiserver.Run(ctx, getenv, logs, apiReady); err != nil {
			t.Errorf("api: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := loader.Run(ctx, getenv, logs, loaderReady); err != nil {
			t.Errorf("loader: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	s := &system{env: env, logs: buf}
	for _, ch := range []chan string{apiReady, loaderReady} {
		select {
		case addr := <-ch:
			if ch == apiReady {
				s.apiAddr = addr
			} else {
				s.loaderAddr = addr
			}
		case <-time.After(30 * time.Second):
			t.Fatal("api or loader did not start")
		}
	}
	s.api = s.client(t, auth.Principal{Subject: "e2e-admin", Role: auth.Admin})
	return s
}

// client returns a GraphQL client with a development token for p.
func (s *system) client(t testing.TB, p auth.Principal) *gqltest.Client {
	t.Helper()
	return apitest.Client(t, "http://"+s.apiAddr, p)
}

// eventually waits for cond. It is a liveness check, not a timing: it fails when the
// state cond reports stops changing for a minute (stuck), or after ten minutes in all,
// so a loaded machine that makes slow progress does not fail it.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	const stall, cap = 60 * time.Second, 10 * time.Minute
	start := time.Now()
	deadline := start.Add(stall)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		if state != last {
			last = state
			deadline = time.Now().Add(stall)
			if limit := start.Add(cap); deadline.After(limit) {
				deadline = limit
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: condition not reached; last state: %s", what, last)
}

const cohortQuery = `query($org: ID!, $year: Int!) {
  exitCohortOutcome(organisationId: $org, exitYear: $year) {
    exitYear definitionVersion
    total { exits figures { monthsAfterExit n known unknown inWorkOrStudies share } }
    byGender { gender exits figures { monthsAfterExit n known unknown inWorkOrStudies share } }
  }
}`

type figure struct {
	MonthsAfterExit, N, Known, Unknown, InWorkOrStudies int
	Share                                               *float64
}

type breakdown struct {
	Gender  *string
	Exits   int
	Figures []figure
}

type cohortResult struct {
	ExitCohortOutcome struct {
		ExitYear          int
		DefinitionVersion string
		Total             breakdown
		ByGender          []breakdown
	}
}
