package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Fields is the API's one field middleware (server.go installs it with AroundFields):
// before a field resolves, the organisations it names must be open to the caller
// (OrganisationScope); a failure naming several input fields becomes one error per
// field (EveryFieldError); every personal record in its value is an audited read
// (AuditFields). gqlgen runs it around every field of a response, some 1,500 for a page
// of 50 participants, most of them in goroutines of their own: one middleware instead
// of three nested ones saves a closure and several stack frames per field, and with
// them much of the goroutines' stack growth.
func Fields(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if err := OrganisationScope(ctx, fc); err != nil {
		return EveryFieldError(ctx, nil, err)
	}
	res, err := next(ctx)
	if err != nil {
		return EveryFieldError(ctx, res, err)
	}
	AuditFields(ctx, fc, res)
	return res, nil
}
