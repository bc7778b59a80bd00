// Package livefigures tells API subscribers that an organisation's warehouse figures
// changed. The loader and the API are separate processes: after the loader has written
// a batch to ClickHouse and marked its changes processed, the same statement
// (changes.MarkProcessed) sends a PostgreSQL NOTIFY per organisation on Channel (delivered at commit, so never before
// the figures are readable). Every API process LISTENs on one dedicated connection and
// fans the notices out to its subscribers of that organisation.
package livefigures

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
)

// Channel is the PostgreSQL notification channel; the payload is an organisation id.
const Channel = "outcomes_figures_changed"

// Event says that the figures of an organisation changed.
type Event struct {
	OrganisationID string
	// At is when this API process received the notice.
	At time.Time
}

// Hub fans notices out to subscribers.
type Hub struct {
	// MaxPerToken bounds the live subscriptions of one token.
	MaxPerToken int

	mu      sync.Mutex
	subs    map[*sub]struct{}
	byToken map[string]int
	ready   chan struct{} // closed once the first LISTEN succeeded
}

type sub struct {
	org string
	ch  chan Event
}

// NewHub returns a hub without a listener (Deliver feeds it; tests and Listen use it).
func NewHub(maxPerToken int) *Hub {
	if maxPerToken < 1 {
		maxPerToken = 5
	}
	return &Hub{MaxPerToken: maxPerToken, subs: map[*sub]struct{}{}, byToken: map[string]int{}, ready: make(chan struct{})}
}

// Listen starts a hub that LISTENs on url until ctx ends, reconnecting with growing
// waits when the connection drops (notices sent meanwhile are lost; a dashboard
// refreshes on its next notice or its own timer).
func Listen(ctx context.Context, url string, maxPerToken int, log zerolog.Logger) *Hub {
	h := NewHub(maxPerToken)
	go h.listen(ctx, url, log)
	return h
}

// Ready is closed once the hub listens.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

func (h *Hub) listen(ctx context.Context, url string, log zerolog.Logger) {
	wait := 100 * time.Millisecond
	var once sync.Once
	for ctx.Err() == nil {
		err := func() error {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
				return err
			}
			once.Do(func() { close(h.ready) })
			wait = 100 * time.Millisecond
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					return err
				}
				h.Deliver(Event{OrganisationID: n.Payload, At: time.Now()})
			}
		}()
		if ctx.Err() != nil {
			return
		}
		log.Warn().Err(err).Dur("retry_in", wait).Msg("figures listener lost its connection")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// Deliver hands an event to every subscriber of its organisation. A subscriber that
// has not taken the previous event yet misses nothing it needs: one pending "changed"
// is as good as two.
func (h *Hub) Deliver(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.org == e.OrganisationID {
			select {
			case s.ch <- e:
			default:
			}
		}
	}
}

// TooMany is the error code when a token holds MaxPerToken subscriptions already.
const TooMany apperr.Code = "TOO_MANY_SUBSCRIPTIONS"

// Subscribe returns the events of orgID until ctx ends. token identifies the caller's
// token (a hash of it); one token holds at most MaxPerToken subscriptions.
func (h *Hub) Subscribe(ctx context.Context, token, orgID string) (<-chan Event, error) {
	h.mu.Lock()
	if h.byToken[token] >= h.MaxPerToken {
		h.mu.Unlock()
		return nil, apperr.New(TooMany, "", "a token may hold at most %d subscriptions; close one first", h.MaxPerToken)
	}
	h.byToken[token]++
	s := &sub{org: orgID, ch: make(chan Event, 1)}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	out := make(chan Event)
	go func() {
		defer func() {
			h.mu.Lock()
			delete(h.subs, s)
			if h.byToken[token]--; h.byToken[token] <= 0 {
				delete(h.byToken, token)
			}
			h.mu.Unlock()
			close(out)
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-s.ch:
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// Count is the number of live subscriptions (for tests and metrics).
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

type tokenKey struct{}

// WithToken records the caller's token identity for Subscribe's per-token bound.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// Token is the identity WithToken recorded, or "".
func Token(ctx context.Context) string { s, _ := ctx.Value(tokenKey{}).(string); return s }
