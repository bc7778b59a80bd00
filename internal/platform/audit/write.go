package audit

import (
	"context"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Writes are audited inside the transaction that makes them (issue 11): BeginWrite puts
// a db.TxHook in the context of one write operation (a mutation's root field, an admin
// command), and every transaction db.WithTx commits under it writes, as its last
// statement, one audit row for the operation and one per person it touched. When the
// audit rows cannot be written the transaction rolls back and the write did not happen.
//
// Who was touched comes from the transactional outbox: changes.Record, the one writer of
// change events, reports each change with Touched. A write that records no change event
// (an organisation, an employer) gets the operation's row alone, naming the entity the
// operation returns.

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id for the audit rows written under it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type writeKey struct{}

type change struct{ entity, entityID, participantID string }

// write is the audit state of one write operation.
type write struct {
	operation, entity string
	replayed          string // id an idempotent retry returned

	mu        sync.Mutex
	opWritten bool     // the operation's own row is in a committed transaction
	people    []string // people whose row is in a committed transaction
	pending   []change // changes of the transaction under way
	staged    struct { // rows of the transaction under way, confirmed by AfterCommit
		op     bool
		people []string
	}
}

// BeginWrite returns ctx under which every transaction audits itself as a write by
// operation; entity names what the operation writes when no change event says it.
func BeginWrite(ctx context.Context, operation, entity string) context.Context {
	w := &write{operation: operation, entity: entity}
	return db.WithTxHook(context.WithValue(ctx, writeKey{}, w), w)
}

// Touched notes a change made in the transaction under way (changes.Record calls it).
func Touched(ctx context.Context, entity, entityID, participantID string) {
	w, ok := ctx.Value(writeKey{}).(*write)
	if !ok {
		return
	}
	w.mu.Lock()
	w.pending = append(w.pending, change{entity, entityID, participantID})
	w.mu.Unlock()
}

// Replayed notes that the operation is an idempotent retry answered with the record id
// the first call created: the retry is audited as a write of that record.
func Replayed(ctx context.Context, id string) {
	if w, ok := ctx.Value(writeKey{}).(*write); ok {
		w.mu.Lock()
		w.replayed = id
		w.mu.Unlock()
	}
}

// BeforeCommit writes the transaction's audit rows inside it. A transaction that has
// written nothing (txid_current_if_assigned() is null: a read a mutation made) adds none,
// unless it answered an idempotent retry.
func (w *write) BeforeCommit(ctx context.Context, tx pgx.Tx) error {
	w.mu.Lock()
	pending := w.pending
	w.pending = nil
	var entities, ids []string
	add := func(entity, id string) {
		entities, ids = append(entities, entity), append(ids, id)
	}
	w.staged.op, w.staged.people = false, nil
	if !w.opWritten {
		entity, id := w.entity, ""
		if len(pending) > 0 {
			entity, id = pending[0].entity, pending[0].entityID
		} else if w.replayed != "" {
			id = w.replayed
		}
		add(entity, id)
		w.staged.op = true
	}
	for _, c := range pending {
		if c.participantID == "" || slices.Contains(w.people, c.participantID) || slices.Contains(w.staged.people, c.participantID) {
			continue
		}
		w.staged.people = append(w.staged.people, c.participantID)
		if len(entities) > 0 && entities[0] == "participant" && ids[0] == c.participantID && w.staged.op {
			continue // the operation's row already names this person
		}
		add("participant", c.participantID)
	}
	replay := w.replayed != ""
	w.mu.Unlock()
	if len(entities) == 0 {
		return nil
	}
	p, _ := auth.From(ctx)
	var org *string
	if p.OrgID != "" {
		org = &p.OrgID
	}
	subject, role := p.Subject, string(p.Role)
	if p.System && subject == "" {
		subject, role = "system", string(auth.Admin)
	}
	// Queued (db.Queue): on a pool's transaction the rows go with the COMMIT, in its
	// round trip; a failure there fails the COMMIT, and WithTx calls AfterRollback.
	return db.Queue(ctx, tx, "write audit log", func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			w.mu.Lock()
			w.staged.op, w.staged.people = false, nil
			w.mu.Unlock()
		}
		return nil
	}, `INSERT INTO audit_log (subject, role, organisation_id, action, entity, entity_id, operation, request_id)
		SELECT $1, $2, $3, 'write', e, nullif(i, ''), $4, $5 FROM unnest($6::text[], $7::text[]) AS u(e, i)
		WHERE $8 OR txid_current_if_assigned() IS NOT NULL`, subject, role, org, w.operation, RequestID(ctx), entities, ids, replay)
}

// AfterCommit confirms the rows BeforeCommit wrote.
func (w *write) AfterCommit() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.opWritten = w.opWritten || w.staged.op
	w.people = append(w.people, w.staged.people...)
	w.staged.op, w.staged.people = false, nil
}

// AfterRollback forgets what the rolled-back transaction did.
func (w *write) AfterRollback() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = nil
	w.staged.op, w.staged.people = false, nil
}
