// Package idempotency makes create mutations safe to retry: a create that carries a key
// records (key -> id of what it creates) in the same transaction, and a retry with the
// same key returns that id instead of writing again.
//
// There is one way to hold a key: the create makes its record's id first (db.NewID)
// and the claim writes the key's row, naming that id, before the create runs (one
// INSERT … ON CONFLICT DO NOTHING). The key's unique index then does all the
// serialising: a racing retry's INSERT waits for the first call's transaction, and
// finds its row (a replay) or, if it rolled back, claims the key itself.
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
// caller's key (empty: no key, nothing to claim), the operation, the request's input,
// whose fingerprint tells a retry from a key reused for another request, and ResultID,
// the id the create will give its record, made before the claim (db.NewID; the id of
// the row the create will write, which for a save that may revise an existing row is
// that row's). The create must return that id: it is what a retry replays.
type Request struct {
	OrganisationID string
	Key            string
	Operation      string
	Input          any
	ResultID       string
}

// Once is every create's claim-and-replay, inside the create's transaction tx: the
// first call with a key claims it for r.ResultID and runs create; a retry of the same
// request calls replay with the first call's id instead, so the caller returns the
// first record and writes nothing; a key reused for another request is a CONFLICT.
// Without a key, create just runs.
func Once(ctx context.Context, tx pgx.Tx, r Request, create func() (id string, err error), replay func(id string) error) error {
	return Claim(ctx, tx, r).Then(create, replay)
}

// Pending is a claim whose statement is queued in the create's transaction (Claim)
// and answered when its round trip comes back (Then).
type Pending struct {
	ctx  context.Context
	tx   pgx.Tx
	r    Request
	hash string
	err  error        // the claim's own refusal (a key too long, no ResultID)
	wait func() error // the claim's round trip
	// claimed: the claim wrote the key's row, so this call creates.
	claimed bool
}

// MaxKey is the longest key, in bytes (idempotency_key.key's CHECK counts characters,
// which are never more).
const MaxKey = 200

// Claim queues the claim of r's key in tx (db.FetchRow): the key's row, naming
// r.ResultID, written at once if the key is free. A create that still has a statement
// to send before it can decide sends the claim with it, in one round trip, and then
// calls Then; Once does both at once. The row serialises callers of the same key: a
// racing retry's INSERT waits on the key's unique index for the first call's end,
// after which the retry finds the committed row (or, if the first call rolled back,
// claims the key itself). A create that fails rolls its transaction, and so its claim,
// back.
func Claim(ctx context.Context, tx pgx.Tx, r Request) *Pending {
	p := &Pending{ctx: ctx, tx: tx, r: r, hash: hash(r.Operation, r.Input)}
	if r.Key == "" {
		return p
	}
	if len(r.Key) > MaxKey {
		p.err = apperr.Invalidf("input.idempotencyKey", "idempotency key must be at most %d characters", MaxKey)
		return p
	}
	if !db.IsUUID(r.ResultID) {
		p.err = fmt.Errorf("idempotency: %s claims a key without the id it will create (Request.ResultID)", r.Operation)
		return p
	}
	p.wait = db.FetchRow(ctx, tx, "idempotency claim", func(row pgx.Row) error {
		err := row.Scan(&p.claimed)
		if err == pgx.ErrNoRows {
			return nil // the key is taken: Then looks it up
		}
		return err
	}, `INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id, key) DO NOTHING RETURNING true`,
		r.OrganisationID, r.Key, r.Operation, p.hash, r.ResultID)
	return p
}

// Then waits for the claim's answer and, as Once says, runs create (the key is this
// call's) or replays the first call's record.
func (p *Pending) Then(create func() (id string, err error), replay func(id string) error) error {
	if p.err != nil {
		return p.err
	}
	if p.wait != nil {
		if err := p.wait(); err != nil {
			return fmt.Errorf("idempotency claim: %w", err)
		}
		if !p.claimed {
			return p.replay(replay)
		}
	}
	id, err := create()
	if err != nil {
		return err
	}
	if p.wait != nil && id != p.r.ResultID {
		return fmt.Errorf("idempotency: %s created %s, not the claimed id %s", p.r.Operation, id, p.r.ResultID)
	}
	return nil
}

// replay answers a claim that found the key taken by another call (committed: the
// claim waited for it), whose row says whether this is its retry.
func (p *Pending) replay(replay func(id string) error) error {
	var op, requestHash, resultID string
	err := db.FetchRow(p.ctx, p.tx, "idempotency lookup", func(row pgx.Row) error {
		return row.Scan(&op, &requestHash, &resultID)
	}, `SELECT operation, request_hash, result_id::text FROM idempotency_key WHERE organisation_id = $1 AND key = $2`,
		p.r.OrganisationID, p.r.Key)()
	if db.IsNoRows(err) {
		// Removed (pruned) between the claim and the lookup: the caller may retry.
		return apperr.Conflictf("input.idempotencyKey", "this idempotency key was in use a moment ago; try again")
	}
	if err != nil {
		return fmt.Errorf("idempotency lookup: %w", err)
	}
	if op != p.r.Operation || requestHash != p.hash {
		return apperr.Conflictf("input.idempotencyKey", "this idempotency key was used for a different request")
	}
	audit.Replayed(p.ctx, resultID)
	return replay(resultID)
}

// hash fingerprints a request so that a key reused for a different request is refused.
func hash(operation string, input any) string {
	b, _ := json.Marshal(input)
	sum := sha256.Sum256(append([]byte(operation+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}
