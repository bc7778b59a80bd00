package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/logging"
)

// TestErrorsInLogLinesQuoteNoPersonalData: errors whose messages quote their input (a
// library's parse error, PostgreSQL's "invalid input syntax", a wrapped e-mail
// address) reach a log line without the personal data they quoted, through any
// logger, while what failed stays readable.
func TestErrorsInLogLinesQuoteNoPersonalData(t *testing.T) {
	_, atoi := strconv.Atoi("Anna Berg")
	_, parse := time.Parse("2006-01-02", "19900101-0017")
	jsonErr := json.Unmarshal([]byte(`{"name": 19900101}`), &struct{ Name string }{})
	pg := &pgconn.PgError{Severity: "ERROR", Code: "22P02", Message: `invalid input syntax for type uuid: "900101-0017 Anna"`,
		TableName: "participant"}
	cases := []struct {
		err  error
		keep string
	}{
		{fmt.Errorf("import row 3: %w", atoi), "strconv.Atoi"},
		{fmt.Errorf("birth date: %w", parse), "cannot parse"},
		{fmt.Errorf("decode: %w", jsonErr), "decode"},
		{fmt.Errorf("lookup participant: %w", pg), "SQLSTATE 22P02"},
		{fmt.Errorf("notify anna.berg@example.se for 199001010017: %w", errors.New("refused")), "refused"},
		{fmt.Errorf("coordination number 900161+0017: %w", errors.New("unknown")), "unknown"},
	}
	var buf bytes.Buffer
	loggers := []zerolog.Logger{logging.New(&buf, "info", "test"), zerolog.New(&buf)}
	for _, c := range cases {
		for _, l := range loggers {
			buf.Reset()
			l.Error().Err(c.err).AnErr("cause", c.err).Msg("failed")
			line := buf.String()
			for _, secret := range []string{"Anna", "Berg", "19900101", "900101-0017", "anna.berg", "example.se",
				"199001010017", "900161+0017"} {
				if strings.Contains(line, secret) {
					t.Errorf("log line quotes %q: %s", secret, line)
				}
			}
			if !strings.Contains(line, c.keep) {
				t.Errorf("log line lost %q: %s", c.keep, line)
			}
		}
	}
}
