package livefigures_test

import (
	"context"
	"testing"
	"time"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
)

// The hub delivers an organisation's events to its subscribers only, bounds the
// subscriptions of a token, and frees a slot when a subscription ends.
func TestHubScopesAndBounds(t *testing.T) {
	h := livefigures.NewHub(2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	subCtx, end := context.WithCancel(ctx)
	a, err := h.Subscribe(subCtx, "tok", "org-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Subscribe(ctx, "tok", "org-b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe(ctx, "tok", "org-a"); apperr.CodeOf(err) != livefigures.TooMany {
		t.Errorf("third subscription of a token: %v", err)
	}
	if _, err := h.Subscribe(ctx, "other-token", "org-a"); err != nil {
		t.Errorf("another token: %v", err)
	}
	h.Deliver(livefigures.Event{OrganisationID: "org-b"})
	if e := <-b; e.OrganisationID != "org-b" {
		t.Errorf("b got %+v", e)
	}
	select {
	case e := <-a:
		t.Errorf("a got b's event %+v", e)
	default:
	}
	end()
	for range a { // closed when its context ends
	}
	for h.Count() != 2 {
		select {
		case <-ctx.Done():
			t.Fatal("the ended subscription was not removed")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := h.Subscribe(ctx, "tok", "org-a"); err != nil {
		t.Errorf("a slot was not freed: %v", err)
	}
}
