package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		err       error
		transient bool
	}{
		{"RefusedValue", fmt.Errorf("write: %w", &chstore.RefusedError{Table: "participant_month", Column: "gender", Type: "Enum8", Err: errors.New("unknown element")}), false},
		{"Unrepresentable", &chstore.Unrepresentable{Column: "participant_month.month"}, false},
		{"BuildPanic", &BuildError{Cause: "index out of range"}, false},
		{"ServerRefusesRows", fmt.Errorf("send batch: %w", &clickhouse.Exception{Code: 53, Name: "TYPE_MISMATCH"}), false},
		{"TooManyParts", &clickhouse.Exception{Code: 252, Name: "TOO_MANY_PARTS"}, true},
		{"TableRecreated", &clickhouse.Exception{Code: 60, Name: "UNKNOWN_TABLE"}, true},
		{"NotMigrated", &clickhouse.Exception{Code: 16, Name: "NO_SUCH_COLUMN_IN_TABLE"}, true},
		{"ConnectionLost", fmt.Errorf("send batch: %w", io.EOF), true},
		{"Deadline", context.DeadlineExceeded, true},
		{"PostgreSQL", &pgconn.PgError{Code: "57P01"}, true},
		{"Nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isTransient(tc.err); got != tc.transient {
				t.Errorf("isTransient(%v) = %v, want %v", tc.err, got, tc.transient)
			}
		})
	}
}

// A dead letter's reason names the column or the exception, never the driver's or
// server's message (which may quote a value).
func TestReasonNamesNoValue(t *testing.T) {
	t.Parallel()
	refused := &chstore.RefusedError{Table: "participant_month", Column: "gender", Type: "Enum8('' = 0)", Err: errors.New(`unknown element "secret"`)}
	ex := &clickhouse.Exception{Code: 53, Name: "TYPE_MISMATCH", Message: "value 'secret' cannot be parsed"}
	for _, err := range []error{refused, ex} {
		if r := reasonOf(err); r == "" || strings.Contains(r, "secret") {
			t.Errorf("reasonOf(%T) = %q", err, r)
		}
	}
}
