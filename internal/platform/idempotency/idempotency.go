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
	hash := hash(r.Operation, r.Input)
	id, found, err := claim(ctx, tx, r.OrganisationID, r.Key, r.Operation, hash)
	if err != nil {
		return err
	}
	if found {
		return replay(id)
	}
	if id, err = create(); err != nil {
		return err
	}
	return store(ctx, tx, r.OrganisationID, r.Key, r.Operation, hash, id)
}

// hash fingerprints a request so that a key reused for a different request is refused.
func hash(operation string, input any) string {
	b, _ := json.Marshal(input)
	sum := sha256.Sum256(append([]byte(operation+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}

// claim is called first in a create's transaction. With an empty key it does nothing.
// If the key was used before by the same operation and request, it returns the id the
// first call created and found=true: the caller must then write nothing and return that
// record. A concurrent first call holding the key makes Claim wait for its commit.
// A key reused for another request is a CONFLICT.
func claim(ctx context.Context, tx pgx.Tx, orgID, key, operation, requestHash string) (resultID string, found bool, err error) {
	if key == "" {
		return "", false, nil
	}
	if len(key) > 200 {
		return "", false, apperr.Invalidf("input.idempotencyKey", "idempotency key must be at most 200 characters")
	}
	// Serialise callers of the same key: the advisory lock is held to the end of the
	// transaction, so a retry racing the first call sees its committed row. It is queued
	// (db.Queue): it runs just before the lookup below, in the same round trip.
	if err := db.Queue(ctx, tx, "idempotency lock", nil, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`,
		orgID, key); err != nil {
		return "", false, err
	}
	var op, hash string
	err = tx.QueryRow(ctx, `SELECT operation, request_hash, result_id::text FROM idempotency_key
		WHERE organisation_id = $1 AND key = $2`, orgID, key).Scan(&op, &hash, &resultID)
	if err == pgx.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("idempotency lookup: %w", err)
	}
	if op != operation || hash != requestHash {
		return "", false, apperr.Conflictf("input.idempotencyKey", "this idempotency key was used for a different request")
	}
	audit.Replayed(ctx, resultID)
	return resultID, true, nil
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
