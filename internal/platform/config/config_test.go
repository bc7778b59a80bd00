package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestClickHouseClusterIsAllThreeOrNone(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (Config, error) {
		env["OUTCOMES_ENV"] = "dev"
		return Load(func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{})
	if err != nil || c.ClickHouseShards != nil || c.ClickHouseCluster != "" {
		t.Fatalf("no cluster settings: %+v, %v; want one server", c.ClickHouseShards, err)
	}
	c, err = load(map[string]string{"OUTCOMES_CLICKHOUSE_CLUSTER": "two_shards", "OUTCOMES_CLICKHOUSE_SHARDS": " ch1:9000, ch2:9000 ,",
		"OUTCOMES_CLICKHOUSE_SHARD_DATABASE": "outcomes", "OUTCOMES_CLICKHOUSE_DATABASE": "outcomes_all"})
	if err != nil || !reflect.DeepEqual(c.ClickHouseShards, []string{"ch1:9000", "ch2:9000"}) || c.ClickHouseCluster != "two_shards" ||
		c.ClickHouseShardDatabase != "outcomes" {
		t.Fatalf("a cluster: %q %q %q, %v", c.ClickHouseCluster, c.ClickHouseShards, c.ClickHouseShardDatabase, err)
	}
	for _, env := range []map[string]string{
		{"OUTCOMES_CLICKHOUSE_SHARDS": "ch1:9000,ch2:9000"},
		{"OUTCOMES_CLICKHOUSE_CLUSTER": "two_shards", "OUTCOMES_CLICKHOUSE_SHARD_DATABASE": "outcomes"},
	} {
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), "together") {
			t.Errorf("%v: %v; want the three named together", env, err)
		}
	}
	// The front's database and the shards' must differ (the default front is "outcomes").
	if _, err := load(map[string]string{"OUTCOMES_CLICKHOUSE_CLUSTER": "c", "OUTCOMES_CLICKHOUSE_SHARDS": "ch1:9000",
		"OUTCOMES_CLICKHOUSE_SHARD_DATABASE": "outcomes"}); err == nil || !strings.Contains(err.Error(), "must differ") {
		t.Errorf("shard database = front database: %v", err)
	}
}

// A log level zerolog does not know is refused at start: it used to mean info, silently.
func TestLogLevelIsOneZerologKnows(t *testing.T) {
	t.Parallel()
	load := func(level string) error {
		env := map[string]string{"OUTCOMES_ENV": "dev", "OUTCOMES_LOG_LEVEL": level}
		_, err := Load(func(k string) string { return env[k] })
		return err
	}
	for _, ok := range []string{"", "debug", "info", "warn", "error"} {
		if err := load(ok); err != nil {
			t.Errorf("OUTCOMES_LOG_LEVEL=%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"nope", "verbose", "warning"} {
		if err := load(bad); err == nil || !strings.Contains(err.Error(), "OUTCOMES_LOG_LEVEL") {
			t.Errorf("OUTCOMES_LOG_LEVEL=%q: %v, want refused", bad, err)
		}
	}
}

// TestWrongValuesNameTheirVariable: a value that cannot work is refused at start with
// an error naming its variable, instead of a late failure that does not name it (a
// listener's "missing port", ClickHouse's address waited out as an outage), a silent
// default (a poll interval of 0 meant 1s, an unreadable OUTCOMES_RETENTION_YEARS meant
// none) or a process that cannot serve (a request timeout of -1s expired every request;
// a CORS origin without its scheme matched no browser).
func TestWrongValuesNameTheirVariable(t *testing.T) {
	t.Parallel()
	load := func(k, v string) (Config, error) {
		env := map[string]string{"OUTCOMES_ENV": "dev", k: v}
		if strings.HasPrefix(k, "OUTCOMES_CLICKHOUSE_SHARDS") {
			env["OUTCOMES_CLICKHOUSE_CLUSTER"], env["OUTCOMES_CLICKHOUSE_SHARD_DATABASE"] = "c", "outcomes_shard"
		}
		return Load(func(k string) string { return env[k] })
	}
	bad := map[string][]string{
		"OUTCOMES_REQUEST_TIMEOUT":      {"-1s", "0", "0s", "soon"},
		"OUTCOMES_LOADER_POLL_INTERVAL": {"-1s", "0", "often"},
		"OUTCOMES_RETENTION_YEARS":      {"ten", "0", "-3", "7.5", "7y"},
		"OUTCOMES_HTTP_ADDR":            {"8080", "nonsense", ":99999", ":http"},
		"OUTCOMES_LOADER_METRICS_ADDR":  {"9108", ":-1"},
		"OUTCOMES_CLICKHOUSE_ADDR":      {"clickhouse", "127.0.0.1", "ch:ninethousand"},
		"OUTCOMES_CLICKHOUSE_SHARDS":    {"ch1:9000,ch2"},
		"OUTCOMES_CORS_ORIGINS": {"app.kommun.se", "https://app.kommun.se/frontend", "ftp://app.kommun.se",
			"https://", "https://app.kommun.se:abc", "http://localhost:*,dashboard.kommun.se"},
	}
	for k, values := range bad {
		for _, v := range values {
			if _, err := load(k, v); err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%q: %v; want refused, naming %s", k, v, err, k)
			}
		}
	}
	good := map[string][]string{
		"OUTCOMES_REQUEST_TIMEOUT":      {"30s", "1m"},
		"OUTCOMES_LOADER_POLL_INTERVAL": {"1s", "250ms"},
		"OUTCOMES_RETENTION_YEARS":      {"", "5"},
		"OUTCOMES_HTTP_ADDR":            {":8080", "127.0.0.1:18182", "[::1]:8080", "localhost:0"},
		"OUTCOMES_CLICKHOUSE_ADDR":      {"clickhouse:9000", "127.0.0.1:59000", "[fd00::1]:9000"},
		"OUTCOMES_CLICKHOUSE_SHARDS":    {"ch1:9000, ch2:9000"},
		"OUTCOMES_CORS_ORIGINS": {"http://localhost:*,http://127.0.0.1:*", "https://app.kommun.se/", "http://127.0.0.1:5173",
			"https://[::1]:8443", "http://[::1]"},
	}
	for k, values := range good {
		for _, v := range values {
			if _, err := load(k, v); err != nil {
				t.Errorf("%s=%q: %v; want accepted", k, v, err)
			}
		}
	}
	if c, _ := load("OUTCOMES_RETENTION_YEARS", "5"); c.RetentionYears != 5 {
		t.Errorf("OUTCOMES_RETENTION_YEARS=5 read as %d", c.RetentionYears)
	}
}
