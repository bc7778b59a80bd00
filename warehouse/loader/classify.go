package loader

import (
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// Errors come in two classes (after PeerDB's classifier):
//
//   - permanent: the rows of some participant can never be written as they are: the
//     driver refused a value for its column's type (chstore.RefusedError), the snapshot
//     could not be built or holds a value ClickHouse cannot represent, or ClickHouse
//     answered an insert with an exception that is not on the list below. The batch is
//     split to isolate the participant, who becomes a dead letter;
//   - transient: everything about reaching or the state of the stores: network and
//     connection errors, timeouts, PostgreSQL's errors (the loader's own reads and
//     marks, never about a change's content), and ClickHouse exceptions that say the
//     server is busy, short of memory, or its tables are not what the loader expects
//     (not migrated yet, or being recreated by a rebuild). The batch is retried with
//     growing waits and its changes stay pending.
//
// A missing table or column is transient on purpose: it concerns every batch, and
// dead-lettering everyone until an operator migrates would be far worse than waiting.

// transientCodes are ClickHouse exception codes that say nothing about the rows.
var transientCodes = map[int32]bool{
	3:   true, // UNEXPECTED_END_OF_FILE
	16:  true, // NO_SUCH_COLUMN_IN_TABLE (not migrated)
	32:  true, // ATTEMPT_TO_READ_AFTER_EOF
	47:  true, // UNKNOWN_IDENTIFIER (not migrated)
	60:  true, // UNKNOWN_TABLE (not migrated, or recreated by a rebuild)
	81:  true, // UNKNOWN_DATABASE
	159: true, // TIMEOUT_EXCEEDED
	164: true, // READONLY
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	203: true, // NO_FREE_CONNECTION
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	236: true, // ABORTED
	241: true, // MEMORY_LIMIT_EXCEEDED
	242: true, // TABLE_IS_READ_ONLY
	252: true, // TOO_MANY_PARTS
	319: true, // UNKNOWN_STATUS_OF_INSERT
	394: true, // QUERY_WAS_CANCELLED
	425: true, // SYSTEM_ERROR
}

// isTransient classifies an error (see above); nil is not transient.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	var refused *chstore.RefusedError
	var unrepresentable *chstore.Unrepresentable
	var build *BuildError
	var ex *clickhouse.Exception
	switch {
	case errors.As(err, &refused), errors.As(err, &unrepresentable), errors.As(err, &build):
		return false
	case errors.As(err, &ex):
		return transientCodes[ex.Code]
	}
	// Not a verdict on the rows: the connection, a deadline, PostgreSQL, or an error of
	// the driver that is not about a value.
	return true
}

// reasonOf is a dead letter's reason: the class and the column or exception, never a
// value (a driver's or server's message may quote one).
func reasonOf(err error) string {
	var refused *chstore.RefusedError
	var ex *clickhouse.Exception
	switch {
	case errors.As(err, &refused):
		return "clickhouse refused the rows: " + refused.Error()
	case errors.As(err, &ex):
		return fmt.Sprintf("clickhouse refused the rows: exception %d (%s)", ex.Code, ex.Name)
	}
	return "clickhouse refused the rows"
}
