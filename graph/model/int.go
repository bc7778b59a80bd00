package model

import (
	"math"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// MarshalInt writes an Int as gqlgen does.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int and refuses what GraphQL's Int cannot hold (it is a signed
// 32-bit integer): gqlgen's own Int takes any int64, and a version, headcount or total
// beyond int32 then reached PostgreSQL's integer columns and failed there as INTERNAL.
// A string is refused too, even "5" (which gqlgen and gqlparser would take), as the
// GraphQL specification and docs/FRONTEND.md say.
func UnmarshalInt(v any) (int, error) {
	if _, ok := v.(string); ok {
		return 0, apperr.Invalidf("", "an Int is a number, not a string")
	}
	i, err := graphql.UnmarshalInt64(v)
	if err != nil {
		return 0, apperr.Invalidf("", "not an integer")
	}
	if i < math.MinInt32 || i > math.MaxInt32 {
		return 0, apperr.Invalidf("", "an Int must be between %d and %d", math.MinInt32, math.MaxInt32)
	}
	return int(i), nil
}
