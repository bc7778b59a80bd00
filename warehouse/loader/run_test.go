package loader_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/app/apiserver/apitest"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
	"github.com/arbetsmarknad/outcomes/warehouse/loader"
)

// field returns the value of key in the first JSON log line with message msg, "" if none yet.
func field(logs *apitest.Logs, msg, key string) string {
	for _, line := range strings.Split(logs.String(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["message"] == msg {
			s, _ := e[key].(string)
			return s
		}
	}
	return ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// startLoader runs loader.Run, as cmd/loader does, on env; cancel stops it and done
// receives what Run returned.
func startLoader(env map[string]string) (logs *apitest.Logs, ready chan string, done chan error, cancel func()) {
	ctx, cancel := context.WithCancel(context.Background())
	logs, ready, done = &apitest.Logs{}, make(chan string, 1), make(chan error, 1)
	go func() { done <- loader.Run(ctx, func(k string) string { return env[k] }, logs, ready) }()
	return logs, ready, done, cancel
}

// deadAddr is a local address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() //nolint:errcheck
	return addr
}

// While ClickHouse cannot be reached at start, the loader already serves /metrics and
// /healthz (it is up) and says on /readyz and outcomes_loader_ready that it waits:
// Prometheus sees a loader waiting, not a target that is down.
func TestLoaderServesMetricsWhileWaitingForClickHouse(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": testenv.PostgresURL(t),
		"OUTCOMES_CLICKHOUSE_ADDR": deadAddr(t), "OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0"}
	logs, ready, done, cancel := startLoader(env)
	defer cancel()
	waitFor(t, func() bool { return strings.Contains(logs.String(), "clickhouse not reachable; waiting") })
	addr := field(logs, "loader started", "metrics_addr")
	if addr == "" {
		t.Fatalf("no metrics address logged before waiting:\n%s", logs.String())
	}
	if code, body := get(t, "http://"+addr+"/healthz"); code != http.StatusOK || body != "waiting for clickhouse\n" {
		t.Fatalf("/healthz while waiting: %d %q", code, body)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable || body != "waiting for clickhouse\n" {
		t.Fatalf("/readyz while waiting: %d %q", code, body)
	}
	code, body := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{"outcomes_loader_ready 0\n", "outcomes_loader_pending_changes 0\n", "outcomes_loader_rejected_batches_total 0\n"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("/metrics while waiting (%d) lacks %q:\n%s", code, want, body)
		}
	}
	select {
	case <-ready:
		t.Fatal("the loader said it runs without ClickHouse")
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stopping a waiting loader: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("the endpoint still answers after the loader stopped")
	}
}

// Once it reaches ClickHouse the same endpoint says the loader runs.
func TestLoaderReadyOnceRunning(t *testing.T) {
	t.Parallel()
	o := testenv.ClickHouseOptions(t)
	env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_DATABASE_URL": testenv.PostgresURL(t),
		"OUTCOMES_CLICKHOUSE_ADDR": o.Addr, "OUTCOMES_CLICKHOUSE_DATABASE": o.Database, "OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0"}
	logs, ready, done, cancel := startLoader(env)
	defer cancel()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("the loader ended: %v\n%s", err, logs.String())
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, "http://"+addr+path); code != http.StatusOK || body != "ok\n" {
			t.Fatalf("%s when running: %d %q", path, code, body)
		}
	}
	if _, body := get(t, "http://"+addr+"/metrics"); !strings.Contains(body, "outcomes_loader_ready 1\n") {
		t.Fatalf("/metrics when running:\n%s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
