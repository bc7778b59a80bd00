// Package migrations holds the versioned schema of both stores, embedded so that every
// binary and every test applies exactly the same files.
package migrations

import "embed"

// Postgres holds NNNN_name.up.sql / NNNN_name.down.sql pairs for PostgreSQL.
//
//go:embed postgres/*.sql
var Postgres embed.FS

// ClickHouse holds NNNN_name.sql files for ClickHouse; they must run on 18.16 and on a
// current server (see ARCHITECTURE.md).
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS
