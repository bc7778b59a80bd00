// Package audit records who read or wrote which personal record, in an append-only
// table. Entries are collected during a request and written before its response
// leaves the server: if they cannot be written, the response carries no data.
package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
	"github.com/arbetsmarknad/outcomes/internal/auth"
)

// Entry is one audited access.
type Entry struct {
	ID             int64
	At             time.Time
	Subject        string
	Role           string
	OrganisationID *string
	Action         string // read or write
	Entity         string // participant, enrolment, ...
	EntityID       string
	Operation      string // GraphQL field or admin command
	RequestID      string
}

// Recorder collects a request's entries.
type Recorder struct {
	mu      sync.Mutex
	entries []Entry
	seen    map[string]bool
}

type ctxKey struct{}

// NewContext returns ctx with a fresh recorder.
func NewContext(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{seen: map[string]bool{}}
	return context.WithValue(ctx, ctxKey{}, r), r
}

// Record notes an access in the request's recorder (once per entity and action).
func Record(ctx context.Context, action, entity, entityID, operation string) {
	r, ok := ctx.Value(ctxKey{}).(*Recorder)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := action + "/" + entity + "/" + entityID
	if r.seen[k] {
		return
	}
	r.seen[k] = true
	r.entries = append(r.entries, Entry{Action: action, Entity: entity, EntityID: entityID, Operation: operation})
}

// Store writes and reads the audit log.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Flush writes the recorder's entries for the caller in ctx.
func (s *Store) Flush(ctx context.Context, r *Recorder, requestID string) error {
	r.mu.Lock()
	entries := r.entries
	r.entries = nil
	r.mu.Unlock()
	if len(entries) == 0 {
		return nil
	}
	p, _ := auth.From(ctx)
	var org *string
	if p.OrgID != "" {
		org = &p.OrgID
	}
	rows := make([][]any, len(entries))
	for i, e := range entries {
		rows[i] = []any{p.Subject, string(p.Role), org, e.Action, e.Entity, e.EntityID, e.Operation, requestID}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"subject", "role", "organisation_id", "action", "entity", "entity_id", "operation", "request_id"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AppendSystem writes entries done outside a request (the admin CLI), under subject.
func (s *Store) AppendSystem(ctx context.Context, subject, requestID string, entries ...Entry) error {
	rows := make([][]any, len(entries))
	for i, e := range entries {
		rows[i] = []any{subject, string(auth.Admin), nil, e.Action, e.Entity, e.EntityID, e.Operation, requestID}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"audit_log"},
		[]string{"subject", "role", "organisation_id", "action", "entity", "entity_id", "operation", "request_id"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// Filter narrows a listing.
type Filter struct {
	Subject  string
	Entity   string
	EntityID string
}

// Page is one page of the log, newest first.
type Page struct {
	Items       []Entry
	HasNextPage bool
}

// Cursor encodes an entry's position.
func Cursor(e Entry) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(e.ID, 10)))
}

// List returns entries newest first.
func (s *Store) List(ctx context.Context, f Filter, first int, after string) (Page, error) {
	if first < 1 || first > 500 {
		return Page{}, apperr.Invalidf("first", "first must be between 1 and 500")
	}
	before := int64(1<<62 - 1)
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil {
			return Page{}, apperr.Invalidf("after", "malformed cursor")
		}
		if before, err = strconv.ParseInt(string(b), 10, 64); err != nil {
			return Page{}, apperr.Invalidf("after", "malformed cursor")
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, subject, role, organisation_id::text, action, entity, coalesce(entity_id, ''), operation, request_id
		FROM audit_log WHERE id < $1 AND ($2 = '' OR subject = $2) AND ($3 = '' OR entity = $3) AND ($4 = '' OR entity_id = $4)
		ORDER BY id DESC LIMIT $5`, before, f.Subject, f.Entity, f.EntityID, first+1)
	if err != nil {
		return Page{}, fmt.Errorf("list audit log: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.ID, &e.At, &e.Subject, &e.Role, &e.OrganisationID, &e.Action, &e.Entity, &e.EntityID, &e.Operation, &e.RequestID)
		return e, err
	})
	if err != nil {
		return Page{}, err
	}
	p := Page{Items: items}
	if len(items) > first {
		p.Items, p.HasNextPage = items[:first], true
	}
	return p, nil
}
