package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests run scripts/stack.sh itself: every stack owns exactly its data folder and
// its servers, wherever the folder is and whoever runs it.

func pgAdmin(t *testing.T, port int) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		t.Fatalf("connect to PostgreSQL on %d: %v", port, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func dataDirectory(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var dir string
	if err := c.QueryRow(context.Background(), `SHOW data_directory`).Scan(&dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// privateFolder is a folder only its owner can enter, like root's home or mktemp -d.
func privateFolder(t *testing.T, name string) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "outcomes-stack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(parent, name)
}

func TestStacksInFoldersThePostgresUserCannotEnterAreSeparate(t *testing.T) {
	a := NewStackAt(t, privateFolder(t, "checkout-a"))
	b := NewStackAt(t, privateFolder(t, "checkout-b"))
	ca, cb := pgAdmin(t, a.PGPort), pgAdmin(t, b.PGPort)
	dirA, dirB := dataDirectory(t, ca), dataDirectory(t, cb)
	if dirA == dirB {
		t.Fatalf("two stacks share the data directory %s", dirA)
	}
	if os.Getuid() == 0 {
		// As root the server runs as postgres, which cannot enter either folder: its files
		// must have moved to the postgres user's home, one folder per stack.
		for _, d := range []string{dirA, dirB} {
			if !strings.HasPrefix(d, "/var/lib/postgresql/outcomes-") {
				t.Errorf("data directory %s: want it in the postgres user's home", d)
			}
		}
	}
	if _, err := ca.Exec(context.Background(), `CREATE DATABASE only_in_a`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = 'only_in_a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a database created in stack a is visible in stack b")
	}

	// Stopping b stops only b.
	if out, err := b.Script(nil, "down"); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if err := ca.Ping(context.Background()); err != nil {
		t.Fatalf("stack a stopped with stack b: %v", err)
	}
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.PGPort), time.Second); err == nil {
		t.Fatal("stack b's PostgreSQL still answers after down")
	}
}

// upElsewhere runs "stack.sh up" for a new stack in its own folder with the given
// ports, and removes whatever it started when the test ends.
func upElsewhere(t *testing.T, pg, ch, chHTTP int) (string, error) {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "OUTCOMES_DATA_DIR="+privateFolder(t, "other"),
		fmt.Sprintf("OUTCOMES_PG_PORT=%d", pg), fmt.Sprintf("OUTCOMES_CH_PORT=%d", ch),
		fmt.Sprintf("OUTCOMES_CH_HTTP_PORT=%d", chHTTP))
	script := filepath.Join(root, "scripts", "stack.sh")
	t.Cleanup(func() {
		cmd := exec.Command(script, "destroy")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("destroy: %v\n%s", err, out)
		}
	})
	cmd := exec.Command(script, "up")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func wantRefused(t *testing.T, out string, err error, port int, variable string) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("up on a foreign server's port %d: want exit status 3, got %v\n%s", port, err, out)
	}
	for _, want := range []string{"port " + strconv.Itoa(port), "not this stack's own", variable + "="} {
		if !strings.Contains(out, want) {
			t.Errorf("message does not say %q:\n%s", want, out)
		}
	}
}

func TestStackRefusesAServerOnItsPortThatIsNotItsOwn(t *testing.T) {
	// Something that is not a database at all holds the port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := ln.Addr().(*net.TCPAddr).Port
	out, err := upElsewhere(t, held, freePort(t), freePort(t))
	wantRefused(t, out, err, held, "OUTCOMES_PG_PORT")
	out, err = upElsewhere(t, freePort(t), held, freePort(t))
	wantRefused(t, out, err, held, "OUTCOMES_CH_PORT")

	// Another checkout's stack on the ports this one is told to use.
	other := NewStackAt(t, privateFolder(t, "another-checkout"))
	out, err = upElsewhere(t, other.PGPort, freePort(t), freePort(t))
	wantRefused(t, out, err, other.PGPort, "OUTCOMES_PG_PORT")
	out, err = upElsewhere(t, freePort(t), other.CHPort, freePort(t))
	wantRefused(t, out, err, other.CHPort, "OUTCOMES_CH_PORT")
	// The refused stacks' clean-up (destroy) must leave the other stack running.
	t.Cleanup(func() {
		if err := pgAdmin(t, other.PGPort).Ping(context.Background()); err != nil {
			t.Errorf("another checkout's stack was stopped by a refused stack: %v", err)
		}
	})
}

func TestStackRecoversFromStaleState(t *testing.T) {
	s := NewStackAt(t, privateFolder(t, "checkout"))
	c := pgAdmin(t, s.PGPort)
	dir := dataDirectory(t, c)
	pidFile := filepath.Join(dir, "postmaster.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())

	// A server killed mid-test: its postmaster.pid stays behind.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if out, err := s.Script(nil, "ch-stop", "KILL"); err != nil {
		t.Fatalf("ch-stop KILL: %v\n%s", err, out)
	}
	s.Start()
	if err := pgAdmin(t, s.PGPort).Ping(context.Background()); err != nil {
		t.Fatalf("after a killed server: %v", err)
	}

	// A left-over postmaster.pid naming a live process that is not this stack's server
	// (a reused pid): the test process itself.
	if out, err := s.Script(nil, "down"); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	stale := strings.Replace(string(raw), strconv.Itoa(pid), strconv.Itoa(os.Getpid()), 1)
	if err := os.WriteFile(pidFile, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := s.Script(nil, "up")
	if err != nil {
		t.Fatalf("up with a stale postmaster.pid: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "stale postmaster.pid") {
		t.Errorf("up does not report the stale pid file:\n%s", out)
	}
	if err := pgAdmin(t, s.PGPort).Ping(context.Background()); err != nil {
		t.Fatalf("after a stale pid file: %v", err)
	}
}
