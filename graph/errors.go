package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

func isAppErr(err error) bool { _, ok := apperr.As(err); return ok }

// nullIfNotFound turns NOT_FOUND into a null result, as single-item queries promise.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if err != nil && apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return v, err
}

// ErrorPresenter is the one place where errors become GraphQL errors: domain errors
// keep their message and get extensions.code and extensions.field; anything else is
// logged once and answered with a generic INTERNAL error.
func ErrorPresenter(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	var already *gqlerror.Error
	if errors.As(err, &already) && already.Extensions != nil && already.Extensions["code"] != nil {
		return gqlErr // gqlgen's own parse and validation errors
	}
	if !isAppErr(err) && db.IsUnavailable(err) {
		// PostgreSQL went away: the caller may retry, and nothing of theirs was written.
		err = db.ErrUnavailable
	}
	if e, ok := apperr.As(err); ok {
		gqlErr.Message = e.Message
		gqlErr.Extensions = map[string]any{"code": string(e.Code)}
		if apperr.Retryable(e.Code) {
			gqlErr.Extensions["retryable"] = true
		}
		switch {
		case e.Field != "":
			gqlErr.Extensions["field"] = e.Field
		case len(gqlErr.Path) > 0: // e.g. a scalar that failed to parse
			gqlErr.Extensions["field"] = gqlErr.Path.String()
		}
		if all := apperr.All(err); len(all) > 1 {
			details := make([]map[string]string, len(all))
			for i, d := range all {
				details[i] = map[string]string{"code": string(d.Code), "field": d.Field, "message": d.Message}
			}
			gqlErr.Extensions["errors"] = details
		}
		return gqlErr
	}
	if gqlErr.Message == "introspection disabled" || errors.Is(err, context.DeadlineExceeded) {
		code := "INTROSPECTION_DISABLED"
		if errors.Is(err, context.DeadlineExceeded) {
			code, gqlErr.Message = "TIMEOUT", "the request took longer than the server allows"
		}
		gqlErr.Extensions = map[string]any{"code": code}
		return gqlErr
	}
	ev := zerolog.Ctx(ctx).Error().Str("path", gqlErr.Path.String())
	// Only errors of this program reach here. Their text comes from Go and driver code
	// (never a PostgreSQL message, below), which do not quote request values.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// PostgreSQL's message may quote the value it refused (a name, an identity
		// number): log what identifies the failure, never the message.
		ev = ev.Str("sqlstate", pgErr.Code).Str("constraint", pgErr.ConstraintName).Str("table", pgErr.TableName)
	} else {
		ev = ev.Err(err)
	}
	ev.Msg("internal error")
	gqlErr.Message = "internal error"
	gqlErr.Extensions = map[string]any{"code": string(apperr.Internal)}
	return gqlErr
}
