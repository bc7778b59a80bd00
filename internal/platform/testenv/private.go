package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PrivateStack is a PostgreSQL and a ClickHouse server of a test's own, which the test
// may stop and start (outage tests). It is stopped and its files removed when the test
// ends.
type PrivateStack struct {
	t       testing.TB
	script  string
	env     []string
	PGURL   string // the owner role on database outcomes (migrations)
	APIURL  string // the API's role on the same database
	CHAddr  string
	PGPort  int
	CHPort  int
	dataDir string
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// NewPrivateStack starts a private stack with its own data folder under the checkout's
// .data/private-*, its own ports and its own servers. The folder records the test
// process's pid, so `scripts/stack.sh reap` (run by `make test` when the tests end)
// removes a stack whose test died before its clean-up could run.
func NewPrivateStack(t testing.TB) *PrivateStack {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".data", randomName("private-"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	return NewStackAt(t, dir)
}

// NewStackAt starts a stack whose data lives in dir, which may be any folder (one the
// postgres user cannot enter too), on free ports of its own.
func NewStackAt(t testing.TB, dir string) *PrivateStack {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	pg, ch, chHTTP := freePort(t), freePort(t), freePort(t)
	s := &PrivateStack{t: t, script: filepath.Join(root, "scripts", "stack.sh"), dataDir: dir,
		env: append(os.Environ(), "OUTCOMES_DATA_DIR="+dir, fmt.Sprintf("OUTCOMES_PG_PORT=%d", pg),
			fmt.Sprintf("OUTCOMES_CH_PORT=%d", ch), fmt.Sprintf("OUTCOMES_CH_HTTP_PORT=%d", chHTTP)),
		PGURL:  fmt.Sprintf("postgres://outcomes:outcomes@127.0.0.1:%d/outcomes?sslmode=disable", pg),
		APIURL: fmt.Sprintf("postgres://%[2]s:%[2]s@127.0.0.1:%[1]d/outcomes?sslmode=disable", pg, APIRole),
		CHAddr: fmt.Sprintf("127.0.0.1:%d", ch), PGPort: pg, CHPort: ch}
	t.Cleanup(func() { s.run("destroy") })
	s.Start()
	return s
}

// Script runs scripts/stack.sh for this stack with extra environment settings (which
// override the stack's own), returning its combined output: for tests of the script.
func (s *PrivateStack) Script(extraEnv []string, args ...string) ([]byte, error) {
	cmd := exec.Command(s.script, args...)
	cmd.Env = append(append([]string{}, s.env...), extraEnv...)
	return cmd.CombinedOutput()
}

// DataDir is the stack's data folder.
func (s *PrivateStack) DataDir() string { return s.dataDir }

func (s *PrivateStack) run(args ...string) {
	cmd := exec.Command(s.script, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("stack.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Start brings up whichever server is down.
func (s *PrivateStack) Start() { s.t.Helper(); s.run("up") }

// StopClickHouse stops the ClickHouse server.
func (s *PrivateStack) StopClickHouse() { s.t.Helper(); s.run("ch-stop") }

// StopPostgres stops the PostgreSQL server.
func (s *PrivateStack) StopPostgres() { s.t.Helper(); s.run("pg-stop") }
