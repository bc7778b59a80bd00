package graph

import (
	"github.com/arbetsmarknad/outcomes/graph/model"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// edgesOf turns a store page into Relay edges and page info; edge builds one edge type.
func edgesOf[T any, E any](page db.Page[T], edge func(cursor string, node *T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(page.Items))
	for i := range page.Items {
		edges[i] = edge(page.Cursors[i], &page.Items[i])
	}
	info := &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage}
	if n := len(page.Cursors); n > 0 {
		info.StartCursor, info.EndCursor = &page.Cursors[0], &page.Cursors[n-1]
	}
	return edges, info
}

// enumOut maps a stored lower_snake value to its GraphQL enum (UPPER_SNAKE).
func enumOut[T ~string](s string) T { return T(model.EnumOut(s)) }

// enumOutPtr maps an optional stored value.
func enumOutPtr[T ~string](s *string) *T {
	if s == nil {
		return nil
	}
	v := enumOut[T](*s)
	return &v
}

// enumIn maps a GraphQL enum value to its stored lower_snake form.
func enumIn[T ~string](v T) string { return model.EnumIn(string(v)) }

// enumInPtr maps an optional enum input.
func enumInPtr[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := enumIn(*v)
	return &s
}

// deref returns the value or the zero value.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
