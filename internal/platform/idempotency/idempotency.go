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
//
// ResultID, when set, is the id the create will give its record, made before the
// claim (db.NewID): the claim is then the key's row itself, written at once (one
// INSERT … ON CONFLICT DO NOTHING instead of a lock, a lookup and an INSERT after the
// create), and create must return that id. Without it, the key is locked and looked up
// first and recorded with the id create returns.
type Request struct {
	OrganisationID string
	Key            string
	Operation      string
	Input          any
	ResultID       string
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
	// claimed: the key's row with r.ResultID was written by this claim (r.ResultID set).
	claimed bool
}

// Claim queues the claim of r's key in tx (db.Queue, db.FetchRow): a create that
// still has a statement to send before it can decide sends the claim with it, in one
// round trip, and then calls Then; Once does both at once. Serialising callers of the
// same key: with r.ResultID, the key's row written by the first call makes a racing
// retry's INSERT wait for that call's end (its unique index), after which the retry
// finds the committed row (or, if the first call rolled back, claims the key itself);
// without it, an advisory lock held to the end of the transaction does the same for
// the lookup. A create that fails rolls its transaction, and so its claim, back.
func Claim(ctx context.Context, tx pgx.Tx, r Request) *Pending {
	p := &Pending{ctx: ctx, tx: tx, r: r, hash: hash(r.Operation, r.Input)}
	if r.Key == "" {
		return p
	}
	if len(r.Key) > 200 {
		p.err = apperr.Invalidf("input.idempotencyKey", "idempotency key must be at most 200 characters")
		return p
	}
	if r.ResultID != "" {
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
	if p.err = db.Queue(ctx, tx, "idempotency lock", nil, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`,
		r.OrganisationID, r.Key); p.err != nil {
		return p
	}
	p.wait = p.lookup()
	return p
}

// lookup queues the read of the key's row (found, op, requestHash, resultID).
func (p *Pending) lookup() (wait func() error) {
	return db.FetchRow(p.ctx, p.tx, "idempotency lookup", func(row pgx.Row) error {
		err := row.Scan(&p.op, &p.requestHash, &p.resultID)
		if err == pgx.ErrNoRows {
			return nil
		}
		p.found = err == nil
		return err
	}, `SELECT operation, request_hash, result_id::text FROM idempotency_key WHERE organisation_id = $1 AND key = $2`,
		p.r.OrganisationID, p.r.Key)
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
	known := p.r.Key != "" && p.r.ResultID != ""
	if known && !p.claimed {
		// Another call holds the key (committed: the claim waited for it): its row says
		// whether this is its retry.
		if err := p.lookup()(); err != nil {
			return fmt.Errorf("idempotency lookup: %w", err)
		}
		if !p.found {
			// Removed (pruned) between the claim and the lookup: the caller may retry.
			return apperr.Conflictf("input.idempotencyKey", "this idempotency key was in use a moment ago; try again")
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
	if known {
		if id != p.r.ResultID {
			return fmt.Errorf("idempotency: %s created %s, not the claimed id %s", p.r.Operation, id, p.r.ResultID)
		}
		return nil // the claim wrote the key's row
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
