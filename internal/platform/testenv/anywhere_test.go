package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// anywhereName is a folder name with what a user's folder may hold and a script or a
// server may misread: a space, an apostrophe, "$", non-ASCII letters, "&" and "<" (XML),
// a glob and a pattern's characters.
const anywhereName = `my wörk's $dir & <co> [1]*`

// anywhereCheckout copies the files a user runs the stack with (the Makefile and
// scripts/) into a checkout at parent/<anywhereName>/-lead/<long name>/outcomes: a
// component with a leading dash, and more than 120 characters in all (PostgreSQL's
// unix socket path may not exceed 107 bytes). It returns the checkout's physical path
// and a symlink to it, the path the user works through.
func anywhereCheckout(t *testing.T, parent string) (physical, link string) {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(parent, anywhereName, "-lead")
	physical = filepath.Join(base, strings.Repeat("long-folder-name-", 1+max(0, 120-len(base))/17), "outcomes")
	if len(physical) < 120 {
		t.Fatalf("checkout path %q is shorter than 120 characters", physical)
	}
	if err := os.CopyFS(filepath.Join(physical, "scripts"), os.DirFS(filepath.Join(root, "scripts"))); err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(physical, "Makefile"), makefile, 0o644); err != nil {
		t.Fatal(err)
	}
	// The path scripts/stack.sh and run.sh use (TMPDIR may itself be a symlink).
	if physical, err = filepath.EvalSymlinks(physical); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(parent, "link 'to' $it")
	if err := os.Symlink(physical, link); err != nil {
		t.Fatal(err)
	}
	return physical, link
}

// TestStackFromACheckoutAnywhere: a checkout in a folder whose path has spaces, quotes,
// "$", non-ASCII letters, XML's and patterns' characters, a leading dash, more than 120
// characters, reached through a symlink, brings its stack up with scripts/stack.sh, both
// servers answer and keep their files in that checkout, "up" through the other spelling
// of the path finds the same servers, and `make stop` stops this checkout's processes
// and servers (and no other checkout's). Both a folder the postgres user can enter
// (PostgreSQL's files then stay in the checkout) and a private one (root's home, mode 700).
func TestStackFromACheckoutAnywhere(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o700} {
		t.Run(fmt.Sprintf("mode %o", mode), func(t *testing.T) {
			parent, err := os.MkdirTemp("", "outcomes-anywhere-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(parent) })
			if err := os.Chmod(parent, mode); err != nil {
				t.Fatal(err)
			}
			physical, link := anywhereCheckout(t, parent)
			pg, ch, chHTTP := freePort(t), freePort(t), freePort(t)
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OUTCOMES_") { // the stack's data is the checkout's .data
					env = append(env, kv)
				}
			}
			env = append(env, fmt.Sprintf("OUTCOMES_PG_PORT=%d", pg), fmt.Sprintf("OUTCOMES_CH_PORT=%d", ch),
				fmt.Sprintf("OUTCOMES_CH_HTTP_PORT=%d", chHTTP))
			run := func(dir, name string, args ...string) string {
				t.Helper()
				cmd := exec.Command(name, args...)
				cmd.Dir, cmd.Env = dir, append(env, "PWD="+dir)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s %s in %s: %v\n%s", name, strings.Join(args, " "), dir, err, out)
				}
				return string(out)
			}
			t.Cleanup(func() {
				cmd := exec.Command(filepath.Join(physical, "scripts", "stack.sh"), "destroy")
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("destroy: %v\n%s", err, out)
				}
			})
			run(link, filepath.Join(link, "scripts", "stack.sh"), "up")

			c := pgAdmin(t, pg)
			dir := dataDirectory(t, c)
			if os.Getuid() != 0 || mode == 0o755 {
				if want := filepath.Join(physical, ".data", "postgres"); dir != want {
					t.Errorf("PostgreSQL's data directory is %s, want %s", dir, want)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			conn, err := chstore.Open(ctx, chstore.Options{Addr: fmt.Sprintf("127.0.0.1:%d", ch), Database: "default", User: "default"})
			if err != nil {
				t.Fatalf("ClickHouse does not answer: %v", err)
			}
			for _, q := range []string{`CREATE DATABASE anywhere`, `CREATE TABLE anywhere.t (n UInt8) ENGINE = MergeTree ORDER BY n`,
				`INSERT INTO anywhere.t SELECT 1`} {
				if err := conn.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			conn.Close() // an open connection would hold up ClickHouse's shutdown (make stop below)
			c.Close(ctx)
			if _, err := os.Stat(filepath.Join(physical, ".data", "clickhouse", "data", "data", "anywhere", "t")); err != nil {
				t.Errorf("ClickHouse's table is not in the checkout's .data: %v", err)
			}

			// The same stack, reached by its physical path: found, not refused as another's.
			if out := run(physical, filepath.Join(physical, "scripts", "stack.sh"), "up"); strings.Count(out, "already running") != 2 {
				t.Errorf("up through the physical path did not find the running servers:\n%s", out)
			}

			// make stop stops this checkout's API (as run.sh starts it: by its physical path)
			// and not another checkout's.
			sleep, err := exec.LookPath("sleep")
			if err != nil {
				t.Fatal(err)
			}
			program, err := os.ReadFile(sleep)
			if err != nil {
				t.Fatal(err)
			}
			start := func(path string) <-chan struct{} {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, program, 0o755); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(path, "600")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }() //nolint:errcheck
				t.Cleanup(func() {
					cmd.Process.Kill() //nolint:errcheck // the process this test started, by its own handle
					<-done
				})
				return done
			}
			ours := start(filepath.Join(physical, "bin", "api"))
			other := start(filepath.Join(filepath.Dir(physical), "outcomes 2", "bin", "api"))
			run(link, "make", "-s", "stop")
			select {
			case <-ours:
			case <-time.After(30 * time.Second):
				t.Error("make stop left this checkout's bin/api running")
			}
			select {
			case <-other: // make stop signalled both at once, if it did: ours has ended by now
				t.Error("make stop stopped another checkout's bin/api")
			default:
			}
			for _, port := range []int{pg, ch} {
				if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
					c.Close()
					t.Errorf("port %d still answers after make stop", port)
				}
			}
		})
	}
}
