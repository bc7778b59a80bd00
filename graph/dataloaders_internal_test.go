package graph

import (
	"context"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
)

// TestLoadersOnePerRequestMadeWhenAsked: a response's loaders are made when a resolver
// first asks for them, and every resolver of the response (concurrent ones too) gets
// the same ones, so batching is unchanged; a response that never asks makes none (a
// participant whose nested lists are not read does not ask), and the next response
// (the next request's, or the next operation's on the same WebSocket) gets loaders of
// its own.
func TestLoadersOnePerRequestMadeWhenAsked(t *testing.T) {
	t.Parallel()
	r := &Resolver{}
	var got [][]*Loaders
	var untouched *requestLoaders
	respond := func(asks bool) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			if !asks {
				// A participant answered without its nested lists (a create's id) asks for none.
				_ = r.person(ctx, &participant.Participant{ID: "p"}).ID
				_ = r.people(ctx, []*participant.Participant{{ID: "q"}})
				untouched, _ = ctx.Value(loadersKey{}).(*requestLoaders)
				return nil
			}
			mine := make([]*Loaders, 8)
			var wg sync.WaitGroup
			for i := range mine {
				wg.Add(1)
				go func() { defer wg.Done(); mine[i] = r.loaders(ctx) }()
			}
			wg.Wait()
			got = append(got, mine)
			return nil
		}
	}
	// One context for all three, as a WebSocket's operations share their connection's.
	ctx := context.Background()
	for _, asks := range []bool{true, false, true} {
		r.LoadersPerResponse(ctx, respond(asks))
	}
	if untouched == nil || untouched.l != nil {
		t.Fatalf("a response that asked for no loaders: %+v, want its holder with no loaders made", untouched)
	}
	for _, mine := range got {
		for _, l := range mine {
			if l == nil || l != mine[0] {
				t.Fatalf("one response's resolvers got different loaders: %p and %p", l, mine[0])
			}
		}
	}
	if len(got) != 2 || got[0][0] == got[1][0] {
		t.Fatalf("two responses shared their loaders (%d responses seen)", len(got))
	}
}
