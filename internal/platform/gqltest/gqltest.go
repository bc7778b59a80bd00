// Package gqltest is a small GraphQL-over-HTTP client for tests.
package gqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
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
	r, _, err := c.DoStatus(ctx, query, vars)
	return r, err
}

// DoStatus is Do that returns the HTTP status too, for tests of what a refusal answers.
func (c *Client) DoStatus(ctx context.Context, query string, vars map[string]any) (Response, int, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Response{}, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Response{}, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, 0, err
	}
	defer resp.Body.Close()
	var r Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return Response{}, resp.StatusCode, fmt.Errorf("decode response (HTTP %d): %w", resp.StatusCode, err)
	}
	return r, resp.StatusCode, nil
}

// Upload sends a query with one file, as the GraphQL multipart request specification
// says: the operation (with the file's variable null), a map from the file part to
// the variable, then the file. chunked leaves the length unsaid, as a streaming client
// does. It returns the HTTP status too, since a refused upload may not reach GraphQL.
func (c *Client) Upload(ctx context.Context, query string, vars map[string]any, variable, filename string, content []byte, chunked bool) (Response, int, error) {
	all := map[string]any{variable: nil}
	for k, v := range vars {
		all[k] = v
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ops, err := json.Marshal(map[string]any{"query": query, "variables": all})
	if err != nil {
		return Response{}, 0, err
	}
	if err := mw.WriteField("operations", string(ops)); err != nil {
		return Response{}, 0, err
	}
	if err := mw.WriteField("map", `{"0": ["variables.`+variable+`"]}`); err != nil {
		return Response{}, 0, err
	}
	part, err := mw.CreateFormFile("0", filename)
	if err != nil {
		return Response{}, 0, err
	}
	part.Write(content) //nolint:errcheck // a bytes.Buffer does not fail
	if err := mw.Close(); err != nil {
		return Response{}, 0, err
	}
	var reader io.Reader = &body
	if chunked {
		reader = io.MultiReader(&body) // not a type net/http can measure
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, reader)
	if err != nil {
		return Response{}, 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range c.Header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, 0, err
	}
	defer resp.Body.Close()
	var r Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return Response{}, resp.StatusCode, fmt.Errorf("decode response (HTTP %d): %w", resp.StatusCode, err)
	}
	return r, resp.StatusCode, nil
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

// WantError fails the test unless errs is one error, with code on field and a message:
// the GraphQL counterpart of domaintest.WantErr.
func WantError(t testing.TB, errs []Error, code, field string) {
	t.Helper()
	if len(errs) != 1 || errs[0].Code() != code || errs[0].Field() != field || errs[0].Message == "" {
		t.Fatalf("errors %+v, want one %s on %q with a message", errs, code, field)
	}
}
