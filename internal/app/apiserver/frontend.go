package apiserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/arbetsmarknad/outcomes/graph/generated"
	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/livefigures"
)

// graphiqlFiles are GraphiQL 3.8.3 and React 18.3.1 as published on npm (UMD
// builds), with the page that starts them: nothing is fetched from a CDN.
//
//go:embed graphiql
var graphiqlFiles embed.FS

func graphiqlIndex() http.Handler {
	page, _ := graphiqlFiles.ReadFile("graphiql/index.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page) //nolint:errcheck
	})
}

func graphiqlAssets() http.Handler {
	sub, _ := fs.Sub(graphiqlFiles, "graphiql")
	files := http.StripPrefix("/graphiql/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// SDL is the running schema in GraphQL's schema definition language, as served at
// /schema.graphql and committed as schema.graphql.
func SDL() string {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(generated.NewExecutableSchema(generated.Config{}).Schema())
	return b.String()
}

// schemaHandler serves the SDL without a token: the schema is not a secret (the
// API checks every caller), and code generators fetch it at build time.
func schemaHandler() http.Handler {
	var once sync.Once
	var sdl []byte
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { sdl = []byte(SDL()) })
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(sdl) //nolint:errcheck
	})
}

func isWebsocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

// websocketTransport serves subscriptions over graphql-ws (the graphql-transport-ws
// subprotocol, and the older subscriptions-transport-ws one). The token comes in the
// connection_init payload: {"Authorization": "Bearer <token>"}.
func websocketTransport(v *auth.Verifier, dir auth.OrgDirectory) transport.Websocket {
	return transport.Websocket{
		// The origin is checked by the handler, with the CORS policy, before the upgrade.
		Implementation: expiringWebsockets{transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}}},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 20 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			h := p.Authorization()
			if h == "" {
				h = p.GetString("authorization")
			}
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || strings.TrimSpace(token) == "" {
				return refuseConnection(ctx, "a bearer token is required in the connection_init payload ({\"Authorization\": \"Bearer …\"})")
			}
			token = strings.TrimSpace(token)
			pr, err := v.Verify(token)
			if err == nil { // the token's organisations must exist, as for HTTP requests
				pr, err = plainOrgIDs(pr).Resolve(ctx, dir)
			}
			if err != nil {
				return refuseConnection(ctx, "the bearer token is not valid")
			}
			sum := sha256.Sum256([]byte(token))
			ctx = livefigures.WithToken(auth.With(ctx, pr), hex.EncodeToString(sum[:]))
			ctx = context.WithValue(ctx, viaWebsocket{}, true) // its operations pass websocketGate
			if left, ends := v.Remaining(pr); ends {
				// The connection ends with its token: a subscription running then stops,
				// and the client is told why by the close (wsexpiry.go); operations sent
				// before that are checked by websocketGate's Verifier.Current.
				ctx = endWithToken(ctx, left)
			}
			return ctx, nil, nil
		},
	}
}

// refuseConnection refuses a connection_init whose token is missing or not valid. gqlgen
// would close the connection as a normal closure ("terminated"), which graphql-ws takes
// for a server going away: it reconnects with the same token, again and again, and the
// app never learns why. The close is CloseTokenExpired's 4401 (graphql-transport-ws's
// "unauthorized", which graphql-ws reports to the subscription's error callback without
// retrying) with the reason, as for a token that expires on a live connection.
func refuseConnection(ctx context.Context, why string) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, CloseTokenExpired)
	ctx = transport.AppendCloseReason(ctx, "UNAUTHENTICATED: "+why)
	return ctx, nil, apperr.New(apperr.Unauthenticated, "", "%s", why)
}
