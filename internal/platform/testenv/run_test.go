package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeRunRefusesHeldPorts: `make run` (scripts/run.sh) beside another process on the
// API's or the loader's port, such as another checkout's `make run`, stops before it
// writes anything, naming the port and the variable that moves it, instead of announcing
// "Outcomes platform is running" at the other process's address.
func TestMakeRunRefusesHeldPorts(t *testing.T) {
	t.Parallel()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	hold := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l.Addr().(*net.TCPAddr).Port
	}
	free := func() int {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	for _, variable := range []string{"OUTCOMES_HTTP_ADDR", "OUTCOMES_LOADER_METRICS_ADDR"} {
		held := hold()
		env := append(os.Environ(), fmt.Sprintf("OUTCOMES_HTTP_ADDR=:%d", free()), fmt.Sprintf("OUTCOMES_LOADER_METRICS_ADDR=:%d", free()),
			fmt.Sprintf("%s=:%d", variable, held))
		cmd := exec.Command(filepath.Join(root, "scripts", "run.sh"))
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Errorf("%s on a held port %d: want exit status 3, got %v\n%s", variable, held, err, out)
		}
		for _, want := range []string{fmt.Sprintf("port %d", held), variable + "=:"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s held: the message does not say %q:\n%s", variable, want, out)
			}
		}
		if strings.Contains(string(out), "is running") || strings.Contains(string(out), "applied") {
			t.Errorf("%s held: run.sh went on:\n%s", variable, out)
		}
	}
}
