package chstore

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/platform/config"
)

// CallTimeout bounds every ClickHouse call that has no tighter deadline of its own.
const CallTimeout = 30 * time.Second

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Options say where the warehouse is.
type Options struct {
	Addr     string
	Database string
	User     string
	Password string
	// A cluster (OpenWarehouse): Addr and Database are its front, Shards the shards'
	// addresses, ShardDatabase the warehouse database on each, Cluster its name in the
	// servers' remote_servers. No shards: one server.
	Cluster       string
	Shards        []string
	ShardDatabase string
}

// OptionsFrom reads the warehouse's address and credentials from the configuration:
// the one place a process turns its settings into ClickHouse options.
func OptionsFrom(cfg config.Config) Options {
	return Options{Addr: cfg.ClickHouseAddr, Database: cfg.ClickHouseDatabase,
		User: cfg.ClickHouseUser, Password: cfg.ClickHousePassword,
		Cluster: cfg.ClickHouseCluster, Shards: cfg.ClickHouseShards, ShardDatabase: cfg.ClickHouseShardDatabase}
}

// Querier is all that the warehouse's readers (analytics, cohort figures, reports) need
// of a connection: queries, no writes and no DDL. The API hands them a lazily
// reconnecting connection that implements only this.
type Querier interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
}

// Open connects to the warehouse database, creating it when missing.
func Open(ctx context.Context, o Options) (driver.Conn, error) {
	return openWith(ctx, o, nil)
}

// openWith is Open with settings sent with every query of the connection.
func openWith(ctx context.Context, o Options, settings clickhouse.Settings) (driver.Conn, error) {
	if !dbName.MatchString(o.Database) {
		return nil, fmt.Errorf("clickhouse database name %q is not a plain identifier", o.Database)
	}
	boot, err := open(o, "default", nil)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	err = boot.Exec(cctx, "CREATE DATABASE IF NOT EXISTS "+o.Database)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("create clickhouse database: %w", err)
	}
	conn, err := open(o, o.Database, settings)
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(cctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping clickhouse: %w", err)
	}
	return conn, nil
}

// open is the one builder of the driver's options.
func open(o Options, database string, settings clickhouse.Settings) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:     []string{o.Addr},
		Protocol: clickhouse.Native, // the HTTP protocol fails on 18.16
		// No compression (the driver's default, named here): the loader and the server
		// share a host or a fast network, where LZ4 would cost CPU on both ends to save
		// bandwidth nobody lacks. Across a slow link, clickhouse.CompressionLZ4 would be
		// the one to try.
		Compression:  &clickhouse.Compression{Method: clickhouse.CompressionNone},
		Auth:         clickhouse.Auth{Database: database, Username: o.User, Password: o.Password},
		DialTimeout:  5 * time.Second,
		ReadTimeout:  CallTimeout,
		MaxOpenConns: 8,
		MaxIdleConns: 4,
		Settings:     settings,
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	return conn, nil
}

// DropDatabase removes a database (tests only).
func DropDatabase(ctx context.Context, o Options) error {
	if !dbName.MatchString(o.Database) {
		return fmt.Errorf("bad database name")
	}
	boot, err := open(o, "default", nil)
	if err != nil {
		return err
	}
	defer boot.Close()
	cctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	return boot.Exec(cctx, "DROP DATABASE IF EXISTS "+o.Database)
}
