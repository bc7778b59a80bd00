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
