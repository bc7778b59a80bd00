package errview_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/errview"
)

// TestOf pins the one translation both the GraphQL API and the HTTP endpoints show.
func TestOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("domain error keeps its message, code and field", func(t *testing.T) {
		v := errview.Of(ctx, fmt.Errorf("create unit: %w", apperr.Invalidf("input.name", "name is required")))
		if v.Message != "name is required" || v.Code() != "INVALID" || v.Extensions["field"] != "input.name" || v.Status != http.StatusBadRequest {
			t.Fatalf("got %+v", v)
		}
	})
	t.Run("several errors are listed", func(t *testing.T) {
		var l apperr.List
		l.Add(apperr.Invalidf("a", "bad a"))
		l.Add(apperr.Invalidf("b", "bad b"))
		v := errview.Of(ctx, l.Err())
		if details, _ := v.Extensions["errors"].([]map[string]string); len(details) != 2 || details[1]["field"] != "b" {
			t.Fatalf("got %+v", v.Extensions)
		}
	})
	t.Run("retryable", func(t *testing.T) {
		v := errview.Of(ctx, apperr.New(apperr.WarehouseUnavailable, "", "down"))
		if v.Extensions["retryable"] != true || v.Status != http.StatusServiceUnavailable {
			t.Fatalf("got %+v", v)
		}
	})
	t.Run("anything else is INTERNAL without its text", func(t *testing.T) {
		v := errview.Of(ctx, errors.New("pq: value 19121212-1212 violates something"))
		if v.Message != "internal error" || v.Code() != "INTERNAL" || v.Status != http.StatusInternalServerError {
			t.Fatalf("got %+v", v)
		}
	})
	t.Run("a deadline is TIMEOUT", func(t *testing.T) {
		if v := errview.Of(ctx, fmt.Errorf("query: %w", context.DeadlineExceeded)); v.Code() != errview.Timeout {
			t.Fatalf("got %+v", v)
		}
	})
}
