package chstore

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ApplyFile exposes applyFile to the external tests.
func ApplyFile(ctx context.Context, conn driver.Conn, body string) error {
	return applyFile(ctx, conn, splitStatements(body))
}

// MigrateFrom runs the migrations of another file tree (tests of the runner itself).
var MigrateFrom = migrate

// OneColumnPerAlter exposes the runner's statement check.
var OneColumnPerAlter = oneColumnPerAlter

// SplitStatements exposes the runner's file splitter.
var SplitStatements = splitStatements

// The content strings reconcile's checksums hash, from Go and in ClickHouse.
var (
	EnrolmentContentSQL = enrolmentContentSQL
	EnrolmentContent    = enrolmentContent
	MonthContentSQL     = monthContentSQL
	MonthContent        = monthContent
)
