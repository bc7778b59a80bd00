package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ShardedTables are the warehouse tables a cluster shards by organisation. The others
// (schema_migrations, warehouse_rebuild) stay per shard: each shard is migrated and
// rebuilt as a single server is. enrolment_figures, the pre-aggregate, is filled on each
// shard by that shard's materialized view from the enrolment_outcome rows it receives,
// so an organisation's counts sit on the shard of its rows and the front sums them.
var ShardedTables = []string{"participant_month", "enrolment_outcome", "enrolment_figures"}

// ShardingKey places every row of an organisation on one shard, so a municipality's
// figures and a person's rows are on one server, and a cancel row lands beside the row
// it cancels.
const ShardingKey = "cityHash64(org_id)"

// CreateDistributed makes the database behind conn a cluster's read and write front: for
// each of ShardedTables a Distributed table of the same name and columns over the table
// of that name in database local on every shard of cluster (a name from the servers'
// remote_servers configuration). The local tables must exist on this server too (it is
// one of the shards, or migrated like one), since the Distributed table copies their
// columns. The queries of warehouse/analytics then run unchanged against conn's database
// and give the figures a single server would; the writer (Write) works through it when
// the servers' profile sets insert_distributed_sync = 1, so that a batch is on its shard
// before Write returns and the next batch's cancel rows see it.
func CreateDistributed(ctx context.Context, conn driver.Conn, cluster, local string) error {
	if !dbName.MatchString(cluster) || !dbName.MatchString(local) {
		return fmt.Errorf("cluster %q and database %q must be plain identifiers", cluster, local)
	}
	for _, t := range ShardedTables {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(cctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s.%s ENGINE = Distributed(%s, %s, %s, %s)",
			t, local, t, cluster, local, t, ShardingKey))
		cancel()
		if err != nil {
			return fmt.Errorf("create distributed %s: %w", t, err)
		}
	}
	return nil
}
