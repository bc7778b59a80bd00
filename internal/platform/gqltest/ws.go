package gqltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/coder/websocket"
)

// Subscription is one graphql-ws (graphql-transport-ws) subscription.
type Subscription struct {
	conn *websocket.Conn
}

// Subscribe opens a WebSocket to httpURL's /graphql endpoint (http becomes ws), sends
// connection_init with the Authorization header value, waits for connection_ack and
// subscribes. It fails when the server refuses the connection or the token.
func Subscribe(ctx context.Context, httpURL, authorization, query string, vars map[string]any) (*Subscription, error) {
	u := "ws" + strings.TrimPrefix(httpURL, "http")
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	s := &Subscription{conn: conn}
	init := map[string]any{"type": "connection_init", "payload": map[string]any{}}
	if authorization != "" {
		init["payload"] = map[string]any{"Authorization": authorization}
	}
	if err := s.send(ctx, init); err != nil {
		return nil, err
	}
	var ack struct{ Type string }
	if err := s.read(ctx, &ack); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("waiting for connection_ack: %w", err)
	}
	if ack.Type != "connection_ack" {
		conn.CloseNow()
		return nil, fmt.Errorf("got %q instead of connection_ack", ack.Type)
	}
	if err := s.send(ctx, map[string]any{"id": "1", "type": "subscribe",
		"payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Subscription) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.conn.Write(ctx, websocket.MessageText, b)
}

func (s *Subscription) read(ctx context.Context, v any) error {
	_, b, err := s.conn.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Next waits for the next message of the subscription: its data, or its errors (an
// "error" message, or a "next" with errors). Pings are answered and skipped.
func (s *Subscription) Next(ctx context.Context) (Response, error) {
	for {
		var m struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := s.read(ctx, &m); err != nil {
			return Response{}, err
		}
		switch m.Type {
		case "ping":
			if err := s.send(ctx, map[string]any{"type": "pong"}); err != nil {
				return Response{}, err
			}
		case "pong":
		case "next":
			var r Response
			err := json.Unmarshal(m.Payload, &r)
			return r, err
		case "error":
			var r Response
			err := json.Unmarshal(m.Payload, &r.Errors)
			return r, err
		case "complete":
			return Response{}, fmt.Errorf("subscription completed")
		default:
			return Response{}, fmt.Errorf("unexpected message %q", m.Type)
		}
	}
}

// Close ends the subscription and its connection.
func (s *Subscription) Close() { s.conn.Close(websocket.StatusNormalClosure, "") } //nolint:errcheck
