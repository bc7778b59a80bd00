// Package idempotency makes create mutations safe to retry: a create that carries a key
// records (key -> id of what it created) in the same transaction, and a retry with the
// same key returns that id instead of writing again.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/audit"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
)

// Request is what a create claims under an idempotency key: the organisation and the
// caller's key (empty: no key, nothing to claim), the operation, and the request's
// input, whose fingerprint tells a retry from a key reused for another request.
type Request struct {
	OrganisationID string
	Key            string
	Operation      string
	Input          any
}

// Once is every create's claim-and-replay, inside the create's transaction tx: the
// first call with a key runs create and records the id it returns; a retry of the same
// request calls replay with that id instead, so the caller returns the first record and
// writes nothing; a key reused for another request is a CONFLICT. Without a key,
// create just runs.
func Once(ctx context.Context, tx pgx.Tx, r Request, create func() (id string, err error), replay func(id string) error) error {
	return Claim(ctx, tx, r).Then(create, replay)
}

// Pending is a claim whose statements are queued in the create's transaction (Claim)
// and answered when its round trip comes back (Then).
type Pending struct {
	ctx  context.Context
	tx   pgx.Tx
	r    Request
	hash string
	err  error        // the claim's own refusal (a key too long)
	wait func() error // the lookup's round trip
	// The lookup's row, when the key was used before.
	op, requestHash, resultID string
	found                     bool
}

// Claim queues the claim of r's key in tx (db.Queue, db.FetchRow): a create that
// still has a statement to send before it can decide sends the claim with it, in one
// round trip, and then calls Then; Once does both at once. Serialising callers of the
// same key: the advisory lock is held to the end of the transaction, so a retry racing
// the first call waits for its commit and then sees its row.
func Claim(ctx context.Context, tx pgx.Tx, r Request) *Pending {
	p := &Pending{ctx: ctx, tx: tx, r: r, hash: hash(r.Operation, r.Input)}
	if r.Key == "" {
		return p
	}
	if len(r.Key) > 200 {
		p.err = apperr.Invalidf("input.idempotencyKey", "idempotency key must be at most 200 characters")
		return p
	}
	if p.err = db.Queue(ctx, tx, "idempotency lock", nil, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`,
		r.OrganisationID, r.Key); p.err != nil {
		return p
	}
	p.wait = db.FetchRow(ctx, tx, "idempotency lookup", func(row pgx.Row) error {
		err := row.Scan(&p.op, &p.requestHash, &p.resultID)
		if err == pgx.ErrNoRows {
			return nil
		}
		p.found = err == nil
		return err
	}, `SELECT operation, request_hash, result_id::text FROM idempotency_key WHERE organisation_id = $1 AND key = $2`,
		r.OrganisationID, r.Key)
	return p
}

// Then waits for the claim's answer and, as Once says, replays the first call's record
// or runs create and records the key with the id it returns.
func (p *Pending) Then(create func() (id string, err error), replay func(id string) error) error {
	if p.err != nil {
		return p.err
	}
	if p.wait != nil {
		if err := p.wait(); err != nil {
			return fmt.Errorf("idempotency lookup: %w", err)
		}
	}
	if p.found {
		if p.op != p.r.Operation || p.requestHash != p.hash {
			return apperr.Conflictf("input.idempotencyKey", "this idempotency key was used for a different request")
		}
		audit.Replayed(p.ctx, p.resultID)
		return replay(p.resultID)
	}
	id, err := create()
	if err != nil {
		return err
	}
	return store(p.ctx, p.tx, p.r.OrganisationID, p.r.Key, p.r.Operation, p.hash, id)
}

// hash fingerprints a request so that a key reused for a different request is refused.
func hash(operation string, input any) string {
	b, _ := json.Marshal(input)
	sum := sha256.Sum256(append([]byte(operation+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}

// store records the key with the id the create produced, in the create's transaction,
// queued (db.Queue) to go with the COMMIT.
func store(ctx context.Context, tx pgx.Tx, orgID, key, operation, requestHash, resultID string) error {
	if key == "" {
		return nil
	}
	return db.Queue(ctx, tx, "idempotency store", nil, `INSERT INTO idempotency_key (organisation_id, key, operation,
		request_hash, result_id) VALUES ($1, $2, $3, $4, $5)`, orgID, key, operation, requestHash, resultID)
}
