package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/errview"
)

func isAppErr(err error) bool { _, ok := apperr.As(err); return ok }

// nullIfNotFound turns NOT_FOUND into a null result, as single-item queries promise.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if err != nil && apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return v, err
}

// ErrorPresenter presents errors as GraphQL errors: gqlgen's own parse and validation
// errors as they are; every other error as errview.Of translates it, the same as the
// HTTP endpoints do, with the path as its field when the error names none (a scalar
// that failed to parse). An argument's path is named from the argument, as the domain
// names its fields (month, input.startDate), not from the query field it belongs to.
func ErrorPresenter(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	var already *gqlerror.Error
	if errors.As(err, &already) && already.Extensions != nil && already.Extensions["code"] != nil {
		return gqlErr
	}
	err = errview.Typed(err) // a database refusal names its field below like any domain error
	v := errview.Of(zerolog.Ctx(ctx).With().Str("path", gqlErr.Path.String()).Logger().WithContext(ctx), err)
	gqlErr.Message, gqlErr.Extensions = v.Message, v.Extensions
	if _, named := v.Extensions["field"]; !named && isAppErr(err) && len(gqlErr.Path) > 0 {
		gqlErr.Extensions["field"] = argumentPath(ctx, gqlErr.Path).String()
	}
	return gqlErr
}

// argumentPath is path without the leading path of the field whose argument failed:
// steeringReport.month is month, createEnrolment.input.startDate is input.startDate.
// A path that does not reach past the field (an error of the field itself) is kept.
func argumentPath(ctx context.Context, path ast.Path) ast.Path {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return path
	}
	field := fc.Path()
	if len(path) <= len(field) {
		return path
	}
	for i := range field {
		if path[i] != field[i] {
			return path
		}
	}
	return path[len(field):]
}
