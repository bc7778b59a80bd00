package chstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
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
// and give the figures a single server would; the writer (Write) works through it on a
// connection that sends insert_distributed_sync = 1 (OpenWarehouse), so that a batch is
// on its shard before Write returns and the next batch's cancel rows see it.
func CreateDistributed(ctx context.Context, conn driver.Conn, cluster, local string) error {
	if !dbName.MatchString(cluster) || !dbName.MatchString(local) {
		return fmt.Errorf("cluster %q and database %q must be plain identifiers", cluster, local)
	}
	for _, t := range ShardedTables {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := conn.Exec(cctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s AS %s.%s ENGINE = %s", t, local, t, distributedEngine(cluster, local, t)))
		cancel()
		if err != nil {
			return fmt.Errorf("create distributed %s: %w", t, err)
		}
	}
	return nil
}

// Cluster is a warehouse sharded over several servers: Shards are connections to the
// warehouse database (Local) on each shard, and Name is the cluster in the servers'
// remote_servers, which the front's Distributed tables name.
type Cluster struct {
	Name   string
	Local  string
	Addrs  []string      // the shards' addresses, for messages
	Shards []driver.Conn // in the order of Addrs
}

// Warehouse is where the loader and the admin commands keep the warehouse: Conn reads
// and writes its rows — one server, or a cluster's front of Distributed tables — and
// Cluster, when not nil, holds what each shard must be told itself: its migrations, the
// schema check, the rebuild bookkeeping and the erasure mutation.
//
// Rows go through the front, never straight to a shard: the Distributed table applies
// the one sharding key (ShardingKey, in its DDL) and the servers' own shard list, and
// with insert_distributed_sync = 1 (set on Conn by OpenWarehouse, checked by
// CheckSchema) an INSERT returns only once every shard it touches has written its rows,
// so the loader marks its changes processed only after the shards hold them — as on one
// server. A shard's failure fails the INSERT and the batch is retried whole; the rows a
// retry finds on the other shard are cancelled and written again (Write).
type Warehouse struct {
	Conn    driver.Conn
	Cluster *Cluster
}

// OpenWarehouse connects to the warehouse of o: one server, or (o.Shards set) a cluster's
// front and each of its shards. The front's connection sends insert_distributed_sync = 1
// with every query.
func OpenWarehouse(ctx context.Context, o Options) (Warehouse, error) {
	if len(o.Shards) == 0 {
		conn, err := Open(ctx, o)
		return Warehouse{Conn: conn}, err
	}
	if !dbName.MatchString(o.Cluster) || !dbName.MatchString(o.ShardDatabase) || o.ShardDatabase == o.Database {
		return Warehouse{}, fmt.Errorf("cluster %q and shard database %q must be plain identifiers, the database other than the front's %q",
			o.Cluster, o.ShardDatabase, o.Database)
	}
	c := &Cluster{Name: o.Cluster, Local: o.ShardDatabase, Addrs: o.Shards}
	w := Warehouse{Cluster: c}
	for _, addr := range o.Shards {
		conn, err := Open(ctx, Options{Addr: addr, Database: o.ShardDatabase, User: o.User, Password: o.Password})
		if err != nil {
			w.Close()
			return Warehouse{}, fmt.Errorf("shard %s: %w", addr, err)
		}
		c.Shards = append(c.Shards, conn)
	}
	front, err := openWith(ctx, o, clickhouse.Settings{"insert_distributed_sync": 1})
	if err != nil {
		w.Close()
		return Warehouse{}, fmt.Errorf("cluster front %s: %w", o.Addr, err)
	}
	w.Conn = front
	return w, nil
}

// Close closes every connection.
func (w Warehouse) Close() {
	if w.Conn != nil {
		w.Conn.Close()
	}
	if w.Cluster != nil {
		for _, s := range w.Cluster.Shards {
			s.Close()
		}
	}
}

// servers are the connections that hold tables: each shard, or the one server.
func (w Warehouse) servers() ([]driver.Conn, []string) {
	if w.Cluster == nil {
		return []driver.Conn{w.Conn}, []string{""}
	}
	return w.Cluster.Shards, w.Cluster.Addrs
}

// onEach runs fn on every server, naming the shard in its error.
func (w Warehouse) onEach(fn func(driver.Conn) error) error {
	conns, addrs := w.servers()
	for i, conn := range conns {
		if err := fn(conn); err != nil {
			if addrs[i] != "" {
				return fmt.Errorf("shard %s: %w", addrs[i], err)
			}
			return err
		}
	}
	return nil
}

// Migrate applies the pending migrations on every server and returns the versions
// applied (on any shard). On a cluster it then makes the front's Distributed tables
// again when a migration changed the shards' tables or the front is missing or differs
// from them (a Distributed table copies its columns when it is created).
func (w Warehouse) Migrate(ctx context.Context) ([]int, error) {
	seen := map[int]bool{}
	var applied []int
	err := w.onEach(func(conn driver.Conn) error {
		done, err := Migrate(ctx, conn)
		for _, v := range done {
			if !seen[v] {
				seen[v] = true
				applied = append(applied, v)
			}
		}
		return err
	})
	if err != nil || w.Cluster == nil {
		slices.Sort(applied)
		return applied, err
	}
	slices.Sort(applied)
	if len(applied) > 0 || w.frontDiffers(ctx) != nil {
		return applied, w.remakeFront(ctx)
	}
	return applied, nil
}

// Recreate drops the warehouse tables on every server and makes them again from the
// migrations (Recreate), then, on a cluster, the front's Distributed tables.
func (w Warehouse) Recreate(ctx context.Context) error {
	if err := w.onEach(func(conn driver.Conn) error { return Recreate(ctx, conn) }); err != nil || w.Cluster == nil {
		return err
	}
	return w.remakeFront(ctx)
}

// RecordRebuild notes a completed full rebuild on every server (RecordRebuild). A
// failure on one shard leaves that shard without the record, and the loader's check
// refuses until a rebuild completes there too: rerun it.
func (w Warehouse) RecordRebuild(ctx context.Context, participants, rows int) error {
	return w.onEach(func(conn driver.Conn) error { return RecordRebuild(ctx, conn, participants, rows) })
}

// DeletePersons starts the mutations that remove erased persons' rows (DeletePersons)
// on every server. A mutation cannot go through a Distributed table, and ON CLUSTER
// needs ClickHouse Keeper; a shard that holds none of the persons' rows (all of a
// person's rows are on the shard of their organisation) finishes its mutation at once.
func (w Warehouse) DeletePersons(ctx context.Context, personKeys []string) error {
	if len(personKeys) == 0 {
		return nil
	}
	return w.onEach(func(conn driver.Conn) error { return DeletePersons(ctx, conn, personKeys) })
}

// CheckSchema checks the warehouse against this binary: each server's migrations,
// rebuilds and columns (CheckSchema); on a cluster also the front: that it is a front
// of Distributed tables with the shards' columns, over a cluster of as many shards as
// configured, and that its writes wait for the shards (insert_distributed_sync = 1).
func (w Warehouse) CheckSchema(ctx context.Context) error {
	if err := w.onEach(func(conn driver.Conn) error { return CheckSchema(ctx, conn) }); err != nil || w.Cluster == nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	var sync string
	if err := w.Conn.QueryRow(cctx, `SELECT value FROM system.settings WHERE name = 'insert_distributed_sync'`).Scan(&sync); err != nil {
		return fmt.Errorf("cluster front: read insert_distributed_sync: %w", err)
	}
	if sync != "1" {
		return fmt.Errorf("cluster front: insert_distributed_sync is %s: a write would be acknowledged before its shard has it", sync)
	}
	var shards uint64
	if err := w.Conn.QueryRow(cctx, `SELECT uniqExact(shard_num) FROM system.clusters WHERE cluster = ?`, w.Cluster.Name).Scan(&shards); err != nil {
		return fmt.Errorf("cluster front: read cluster %s: %w", w.Cluster.Name, err)
	}
	if int(shards) != len(w.Cluster.Shards) {
		return fmt.Errorf("cluster %s has %d shards in the front's remote_servers, the configuration names %d (OUTCOMES_CLICKHOUSE_SHARDS)",
			w.Cluster.Name, shards, len(w.Cluster.Shards))
	}
	if err := w.frontDiffers(ctx); err != nil {
		return fmt.Errorf("%w: run `outcomesctl migrate`", err)
	}
	return nil
}

// frontDiffers says how the front's tables differ from the first shard's: missing, not
// Distributed over this cluster's local tables, or with other columns.
func (w Warehouse) frontDiffers(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	columns := func(conn driver.Conn) (map[string]string, error) {
		rows, err := conn.Query(cctx, `SELECT table, name, type FROM system.columns
			WHERE database = currentDatabase() AND table IN ?`, shardedSet())
		if err != nil {
			return nil, fmt.Errorf("read columns: %w", err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var table, name, typ string
			if err := rows.Scan(&table, &name, &typ); err != nil {
				return nil, err
			}
			out[table+"."+name] = typ
		}
		return out, rows.Err()
	}
	have, err := columns(w.Conn)
	if err != nil {
		return fmt.Errorf("cluster front: %w", err)
	}
	want, err := columns(w.Cluster.Shards[0])
	if err != nil {
		return fmt.Errorf("shard %s: %w", w.Cluster.Addrs[0], err)
	}
	for c, typ := range want {
		if have[c] != typ {
			return fmt.Errorf("the cluster front's %s is %q, the shards' %q", c, have[c], typ)
		}
	}
	rows, err := w.Conn.Query(cctx, `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ?`, shardedSet())
	if err != nil {
		return fmt.Errorf("cluster front: read tables: %w", err)
	}
	defer rows.Close()
	engines := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return err
		}
		engines[name] = engine
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range ShardedTables {
		// Current servers quote the engine's arguments, 18.16 does not.
		plain := strings.NewReplacer("'", "", " ", "")
		want := distributedEngine(w.Cluster.Name, w.Cluster.Local, t)
		if plain.Replace(engines[t]) != plain.Replace(want) {
			return fmt.Errorf("the cluster front's %s is %q, not %s", t, engines[t], want)
		}
	}
	return nil
}

func shardedSet() clickhouse.GroupSet {
	set := clickhouse.GroupSet{}
	for _, t := range ShardedTables {
		set.Value = append(set.Value, t)
	}
	return set
}

func distributedEngine(cluster, local, table string) string {
	return fmt.Sprintf("Distributed(%s, %s, %s, %s)", cluster, local, table, ShardingKey)
}

// remakeFront drops the front's Distributed tables and creates them again over the
// shards' tables as they are now. A Distributed table holds no rows of its own (with
// insert_distributed_sync = 1 nothing waits in it), so nothing is lost; a figure read in
// between fails and is asked again.
func (w Warehouse) remakeFront(ctx context.Context) error {
	for _, t := range ShardedTables {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := w.Conn.Exec(cctx, "DROP TABLE IF EXISTS "+t)
		cancel()
		if err != nil {
			return fmt.Errorf("cluster front: drop %s: %w", t, err)
		}
	}
	return CreateDistributed(ctx, w.Conn, w.Cluster.Name, w.Cluster.Local)
}
