// Package gqltest is a small GraphQL-over-HTTP client for tests.
package gqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Error is one GraphQL error as the API presents it.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Field is extensions.field.
func (e Error) Field() string { s, _ := e.Extensions["field"].(string); return s }

// Response is a decoded GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Client posts GraphQL requests to one endpoint.
type Client struct {
	URL    string
	Header http.Header
	HTTP   *http.Client
}

// New returns a client for url.
func New(url string) *Client {
	return &Client{URL: url, Header: http.Header{}, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Do sends a query and decodes the response.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any) (Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	var r Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return Response{}, fmt.Errorf("decode response (HTTP %d): %w", resp.StatusCode, err)
	}
	return r, nil
}

// MustData sends a query that must succeed and decodes its data into out.
func (c *Client) MustData(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	r, err := c.Do(context.Background(), query, vars)
	if err != nil {
		t.Fatalf("graphql request: %v", err)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// MustFail sends a query that must fail and returns its errors.
func (c *Client) MustFail(t testing.TB, query string, vars map[string]any) []Error {
	t.Helper()
	r, err := c.Do(context.Background(), query, vars)
	if err != nil {
		t.Fatalf("graphql request: %v", err)
	}
	if len(r.Errors) == 0 {
		t.Fatalf("expected errors, got data %s", r.Data)
	}
	return r.Errors
}
