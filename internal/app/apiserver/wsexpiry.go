package apiserver

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// A WebSocket is authenticated once, by the token in its connection_init, and may live
// for hours. It ends when that token does: its context is cancelled then (endWithToken,
// from the transport's InitFunc), which stops every subscription on it, and gqlgen
// closes the connection. gqlgen closes it as a normal closure ("terminated"), which a
// client would take for a server going away and reconnect with the same expired
// token; the close is sent instead with CloseTokenExpired, so the client knows to get a
// new token first.

// CloseTokenExpired is the WebSocket close code of a connection whose token expired
// (graphql-transport-ws uses 4401 for "unauthorized").
const CloseTokenExpired = 4401

// CloseTokenExpiredReason is the close message sent with CloseTokenExpired.
const CloseTokenExpiredReason = "UNAUTHENTICATED: the token has expired; connect again with a new token"

// wsTokenEnd is one connection's token end, shared by the InitFunc that learns it and
// the connection that closes with it.
type wsTokenEnd struct {
	mu  sync.Mutex
	end time.Time // zero until connection_init is accepted
}

func (e *wsTokenEnd) expired() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.end.IsZero() && !time.Now().Before(e.end)
}

type wsTokenEndKey struct{}

// withTokenEnd gives a WebSocket upgrade request its wsTokenEnd (before gqlgen's
// transport sees it: the connection's context is the request's).
func withTokenEnd(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wsTokenEndKey{}, &wsTokenEnd{}))
}

// endWithToken is the connection's context, cancelled when its token's remaining
// lifetime left has passed.
func endWithToken(ctx context.Context, left time.Duration) context.Context {
	if e, ok := ctx.Value(wsTokenEndKey{}).(*wsTokenEnd); ok {
		e.mu.Lock()
		e.end = time.Now().Add(left)
		e.mu.Unlock()
	}
	ctx, stop := context.WithTimeout(ctx, left)
	context.AfterFunc(ctx, stop)
	return ctx
}

// expiringWebsockets accepts connections as its implementation does, and closes those
// whose token has expired with CloseTokenExpired.
type expiringWebsockets struct {
	transport.WebsocketImplementation
}

func (x expiringWebsockets) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := x.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	end, _ := r.Context().Value(wsTokenEndKey{}).(*wsTokenEnd)
	return &expiringConn{WebsocketConn: conn, end: end}, nil
}

// expiringConn is a connection whose normal close becomes CloseTokenExpired once its
// token has expired. It passes on the read limit and deadline its implementation has
// (the transport finds them by type assertion).
type expiringConn struct {
	transport.WebsocketConn
	end *wsTokenEnd
}

func (c *expiringConn) WriteClose(code int, message string) error {
	if code == transport.WebsocketCloseNormalClosure && c.end != nil && c.end.expired() {
		code, message = CloseTokenExpired, CloseTokenExpiredReason
	}
	return c.WebsocketConn.WriteClose(code, message)
}

func (c *expiringConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *expiringConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
