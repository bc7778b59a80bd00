package graph

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/arbetsmarknad/outcomes/internal/domain/participant"
)

// TestLoadersOnePerRequestMadeWhenAsked: a request's loaders are made when a resolver
// first asks for them, and every resolver of the request (concurrent ones too) gets the
// same ones, so batching is unchanged; a request that never asks makes none (a
// participant whose nested lists are not read does not ask), and the
// next request gets loaders of its own.
func TestLoadersOnePerRequestMadeWhenAsked(t *testing.T) {
	t.Parallel()
	r := &Resolver{}
	var got [][]*Loaders
	var untouched *requestLoaders
	h := r.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/none" {
			// A participant answered without its nested lists (a create's id) asks for none.
			_ = r.person(req.Context(), &participant.Participant{ID: "p"}).ID
			_ = r.people(req.Context(), []*participant.Participant{{ID: "q"}})
			untouched, _ = req.Context().Value(loadersKey{}).(*requestLoaders)
			return
		}
		mine := make([]*Loaders, 8)
		var wg sync.WaitGroup
		for i := range mine {
			wg.Add(1)
			go func() { defer wg.Done(); mine[i] = r.loaders(req.Context()) }()
		}
		wg.Wait()
		got = append(got, mine)
	}))
	for _, path := range []string{"/a", "/none", "/b"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, nil))
	}
	if untouched == nil || untouched.l != nil {
		t.Fatalf("a request that asked for no loaders: %+v, want its holder with no loaders made", untouched)
	}
	for _, mine := range got {
		for _, l := range mine {
			if l == nil || l != mine[0] {
				t.Fatalf("one request's resolvers got different loaders: %p and %p", l, mine[0])
			}
		}
	}
	if len(got) != 2 || got[0][0] == got[1][0] {
		t.Fatalf("two requests shared their loaders (%d requests seen)", len(got))
	}
}
