package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// EveryFieldError answers a failure that names several input fields (an apperr list)
// with one GraphQL error per field, each with its own extensions.code, .field and
// message, so that a form can mark every bad field at once. Fields calls it with a
// field's failure.
func EveryFieldError(ctx context.Context, res any, err error) (any, error) {
	all := apperr.All(err)
	if len(all) < 2 {
		return res, err
	}
	for _, e := range all[1:] {
		graphql.AddError(ctx, e)
	}
	return res, all[0]
}
