// Package errview is the one translator from an error to what a client sees, for the
// GraphQL API (graph.ErrorPresenter) and the plain HTTP endpoints (apiserver's
// writeError) alike: a domain error (apperr) keeps its message and gets its code,
// field, retryable flag and the list of all its errors; PostgreSQL out of reach is
// UNAVAILABLE; a deadline is TIMEOUT; anything else is logged once, here, and shown as
// INTERNAL without its text.
package errview

import (
	"context"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Timeout is the code of a request that ran out of time.
const Timeout = "TIMEOUT"

// View is an error as a client sees it: the message and the extensions of a GraphQL
// error, and the HTTP status of a plain endpoint.
type View struct {
	Message    string
	Extensions map[string]any
	Status     int
}

// Code is the view's extensions.code.
func (v View) Code() string { s, _ := v.Extensions["code"].(string); return s }

// Of translates err. Internal errors are logged with the logger in ctx.
func Of(ctx context.Context, err error) View {
	if _, ok := apperr.As(err); !ok && db.IsUnavailable(err) {
		// PostgreSQL went away: the caller may retry, and nothing of theirs was written.
		err = db.ErrUnavailable
	}
	err = Typed(err)
	if e, ok := apperr.As(err); ok {
		v := View{Message: e.Message, Extensions: map[string]any{"code": string(e.Code)}, Status: Status(e.Code)}
		if apperr.Retryable(e.Code) {
			v.Extensions["retryable"] = true
		}
		if e.Field != "" {
			v.Extensions["field"] = e.Field
		}
		if all := apperr.All(err); len(all) > 1 {
			details := make([]map[string]string, len(all))
			for i, d := range all {
				details[i] = map[string]string{"code": string(d.Code), "field": d.Field, "message": d.Message}
			}
			v.Extensions["errors"] = details
		}
		return v
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return View{Message: "the request took longer than the server allows", Extensions: map[string]any{"code": Timeout},
			Status: http.StatusServiceUnavailable}
	}
	LogInternal(zerolog.Ctx(ctx).Error(), err).Msg("internal error")
	return View{Message: "internal error", Extensions: map[string]any{"code": string(apperr.Internal)},
		Status: http.StatusInternalServerError}
}

// Typed is err with a refusal by PostgreSQL's rules (a constraint, a malformed value)
// as the domain error it means, wherever it was raised: a store that does not map its
// statement's error itself still answers the caller with a typed client error, never
// INTERNAL, since the database refused the caller's values and wrote nothing. Domain
// errors and other errors pass as they are.
func Typed(err error) error {
	if _, ok := apperr.As(err); ok || err == nil {
		return err
	}
	return db.MapError(err)
}

// LogInternal adds err to a log event without what may quote a request's values:
// PostgreSQL's message, which may quote the value it refused (a name, an identity
// number), is replaced by what identifies the failure; any other error's text goes
// through logging.Redact, as every error in a log line does.
func LogInternal(ev *zerolog.Event, err error) *zerolog.Event {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return ev.Str("sqlstate", pgErr.Code).Str("constraint", pgErr.ConstraintName).Str("table", pgErr.TableName)
	}
	return ev.Err(err)
}

// Status is the HTTP status of a code.
func Status(c apperr.Code) int {
	switch c {
	case apperr.Invalid, apperr.NotEligible:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unavailable, apperr.WarehouseUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
