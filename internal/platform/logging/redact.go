package logging

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
)

// Every error a log line carries (zerolog's Err, AnErr and Errs, in every binary and
// package, whichever logger) goes through Redact: libraries quote their input in their
// messages (strconv, time, encoding/json, PostgreSQL's "invalid input syntax … \"…\""),
// and that input can be a personal identity number, a name or an e-mail address.
func init() {
	zerolog.ErrorMarshalFunc = func(err error) any {
		if err == nil {
			return nil
		}
		return Redact(err)
	}
}

var (
	// quoted is a double-quoted string, as Go's %q and PostgreSQL quote values.
	quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// identityNumber is a Swedish personal (or coordination) identity number, with or
	// without the century and the separator.
	identityNumber = regexp.MustCompile(`\b(?:\d{2})?\d{6}[-+]?\d{4}\b`)
	// email is an e-mail address.
	email = regexp.MustCompile(`[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+`)
)

// Redact is err's message for a log line without the values it quotes: PostgreSQL's
// message is replaced by its SQLSTATE (and the constraint and table it names), quoted
// strings by "…", and identity numbers and e-mail addresses by [redacted]. What failed
// and where stays readable: the wrapping context, the error's kind and codes.
func Redact(err error) string {
	msg := err.Error()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s (SQLSTATE %s", pgErr.Severity, pgErr.Code)
		if pgErr.ConstraintName != "" {
			fmt.Fprintf(&b, ", constraint %s", pgErr.ConstraintName)
		}
		if pgErr.TableName != "" {
			fmt.Fprintf(&b, ", table %s", pgErr.TableName)
		}
		b.WriteString(")")
		msg = strings.ReplaceAll(msg, pgErr.Error(), b.String())
	}
	return Text(msg)
}

// Text is s without the values Redact takes out of an error's message: quoted strings
// (as "…"), identity numbers and e-mail addresses (as [redacted]). A log line passes
// through it any text from outside that it names, such as a token's subject: an
// identity provider may name a person by their identity number or e-mail address.
func Text(s string) string {
	s = quoted.ReplaceAllString(s, `"…"`)
	s = identityNumber.ReplaceAllString(s, "[redacted]")
	return email.ReplaceAllString(s, "[redacted]")
}
