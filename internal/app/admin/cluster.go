package admin

import (
	"context"
	"fmt"
	"io"

	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// distributed creates the cluster's front database (docs/ARCHITECTURE.md, "The warehouse
// at scale"): Distributed tables over the shards' migrated warehouse tables.
func distributed(ctx context.Context, cfg config.Config, cluster, local string, out io.Writer) error {
	if cluster == "" || local == "" {
		return fmt.Errorf("distributed needs -cluster and -local")
	}
	ch, err := chstore.Open(ctx, chstore.OptionsFrom(cfg))
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := chstore.CreateDistributed(ctx, ch, cluster, local); err != nil {
		return err
	}
	fmt.Fprintf(out, "clickhouse: %s now reads and writes %v of %s on cluster %s\n", cfg.ClickHouseDatabase, chstore.ShardedTables, local, cluster)
	return nil
}
