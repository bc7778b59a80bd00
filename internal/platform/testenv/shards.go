package testenv

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// ShardCluster is the cluster TwoShards configures in both servers' remote_servers.
const ShardCluster = "two_shards"

// Shards are two ClickHouse servers of a test's own, the two shards of cluster
// ShardCluster (TwoShards).
type Shards struct {
	Addrs [2]string // native addresses
	t     testing.TB
	bin   string
	dirs  [2]string
	cmds  [2]*exec.Cmd
}

// TwoShards starts two ClickHouse servers of the test's own (the clickhouse-server binary
// of the local stack, data in the test's temporary folders, on free ports of their own
// so that tests running at once never share one) configured as the two shards of
// cluster ShardCluster, and returns once both answer. Nothing is migrated. The servers
// stop when the test ends.
//
// The servers' profile leaves insert_distributed_sync at its default (0): the writer's
// connection must set it itself (chstore.OpenWarehouse).
func TwoShards(t testing.TB) *Shards {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		t.Fatalf("clickhouse-server (installed by scripts/stack.sh) not found: %v", err)
	}
	s := &Shards{t: t, bin: bin}
	var ports [2][2]int
	for i := range ports {
		ports[i] = [2]int{freePort(t), freePort(t)}
	}
	remote := "<remote_servers><" + ShardCluster + ">"
	for _, p := range ports {
		remote += fmt.Sprintf("<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", p[0])
	}
	remote += "</" + ShardCluster + "></remote_servers>"
	for i, p := range ports {
		s.dirs[i] = t.TempDir()
		writeShardConfig(t, s.dirs[i], p[0], p[1], remote)
		s.Addrs[i] = fmt.Sprintf("127.0.0.1:%d", p[0])
	}
	t.Cleanup(func() {
		for i := range s.cmds {
			s.kill(i)
		}
	})
	for i := range s.Addrs {
		s.Start(i)
	}
	return s
}

// Start starts shard i (stopped by Stop, or not yet started) and waits until it answers.
func (s *Shards) Start(i int) {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--config-file="+filepath.Join(s.dirs[i], "config.xml"))
	cmd.Dir = s.dirs[i]
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmds[i] = cmd
	ctx := context.Background()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		conn, err := chstore.Open(ctx, chstore.Options{Addr: s.Addrs[i], Database: "default", User: "default"})
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dirs[i], "log", "err.log"))
			s.t.Fatalf("shard %d did not answer: %v\n%s", i, err, log)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// Stop kills shard i (an outage: no shutdown of its own), keeping its data.
func (s *Shards) Stop(i int) { s.kill(i) }

func (s *Shards) kill(i int) {
	if cmd := s.cmds[i]; cmd != nil {
		cmd.Process.Kill() //nolint:errcheck // the server we started, by its own handle
		cmd.Wait()         //nolint:errcheck
		s.cmds[i] = nil
	}
}

// xmlText escapes s as XML text: the folder (TMPDIR's) may hold "&" or "<".
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) //nolint:errcheck // a strings.Builder does not fail
	return b.String()
}

// writeShardConfig writes a server configuration like scripts/stack.sh's, with the
// cluster's remote_servers.
func writeShardConfig(t testing.TB, dir string, tcp, http int, remote string) {
	t.Helper()
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/err.log</errorlog><size>10M</size><count>1</count></logger>
    <http_port>%[2]d</http_port>
    <tcp_port>%[3]d</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_concurrent_queries>50</max_concurrent_queries>
    <mark_cache_size>67108864</mark_cache_size>
    <path>%[1]s/data/</path>
    <tmp_path>%[1]s/tmp/</tmp_path>
    <user_files_path>%[1]s/user_files/</user_files_path>
    <format_schema_path>%[1]s/format_schemas/</format_schema_path>
    <users_config>%[1]s/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    %[4]s
</yandex>
`, xmlText(dir), http, tcp, remote)
	users := `<?xml version="1.0"?>
<yandex>
    <profiles><default>
        <max_memory_usage>2000000000</max_memory_usage>
    </default></profiles>
    <users><default>
        <password></password>
        <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
        <profile>default</profile><quota>default</quota>
    </default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	for _, sub := range []string{"log", "data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
}
