package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/app/admin"
	"github.com/arbetsmarknad/outcomes/internal/app/demo"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestLoaderSurvivesSIGKILL kills the real loader binary with SIGKILL in the middle of
// its work, several times, and restarts it: ClickHouse ends up exactly as PostgreSQL
// implies (reconcile finds nothing), with every change processed.
func TestLoaderSurvivesSIGKILL(t *testing.T) {
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "loader")
	build := exec.Command(goTool(), "build", "-o", bin, "./cmd/loader")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build loader: %v\n%s", err, out)
	}

	pgURL := testenv.PostgresURL(t)
	ch := testenv.ClickHouseOptions(t)
	env := map[string]string{"OUTCOMES_DATABASE_URL": pgURL, "OUTCOMES_CLICKHOUSE_ADDR": ch.Addr,
		"OUTCOMES_CLICKHOUSE_DATABASE": ch.Database, "OUTCOMES_PSEUDONYM_KEY": "crash-test-pseudonym-key-0123456789",
		"OUTCOMES_LOADER_BATCH_SIZE": "10", "OUTCOMES_LOADER_METRICS_ADDR": "127.0.0.1:0", "OUTCOMES_LOG_LEVEL": "warn"}
	ctx := context.Background()
	pool, err := db.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := demo.Seed(ctx, pool, 150); err != nil {
		t.Fatal(err)
	}
	counts := func() (done, total int) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE processed_at IS NOT NULL), count(*) FROM change_event`).Scan(&done, &total); err != nil {
			t.Fatal(err)
		}
		return
	}
	var logs bytes.Buffer
	defer func() {
		if t.Failed() {
			t.Logf("loader logs:\n%s", logs.String())
		}
	}()
	startLoader := func() *exec.Cmd {
		cmd := exec.Command(bin)
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}

	_, total := counts()
	for kill := 1; kill <= 3; kill++ {
		before, _ := counts()
		cmd := startLoader()
		// Kill once it has made progress but before it is done.
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if done, _ := counts(); done > before {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait() //nolint:errcheck
		done, _ := counts()
		t.Logf("kill %d: %d of %d changes processed", kill, done, total)
		if done == total {
			break
		}
	}
	cmd := startLoader()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }() //nolint:errcheck
	// The first start also queued the month rollover: count the total afresh.
	eventually(t, "restarted loader catches up", func() (bool, string) {
		done, total := counts()
		return done == total, fmt.Sprintf("%d of %d", done, total)
	})
	var out, errOut bytes.Buffer
	if code := admin.Run(ctx, []string{"reconcile"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("reconcile after SIGKILLs (exit %d):\n%s%s", code, out.String(), errOut.String())
	}
}
