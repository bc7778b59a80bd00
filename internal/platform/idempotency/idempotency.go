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
)

// Hash fingerprints a request so that a key reused for a different request is refused.
func Hash(operation string, input any) string {
	b, _ := json.Marshal(input)
	sum := sha256.Sum256(append([]byte(operation+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}

// Claim is called first in a create's transaction. With an empty key it does nothing.
// If the key was used before by the same operation and request, it returns the id the
// first call created and found=true: the caller must then write nothing and return that
// record. A concurrent first call holding the key makes Claim wait for its commit.
// A key reused for another request is a CONFLICT.
func Claim(ctx context.Context, tx pgx.Tx, orgID, key, operation, requestHash string) (resultID string, found bool, err error) {
	if key == "" {
		return "", false, nil
	}
	if len(key) > 200 {
		return "", false, apperr.Invalidf("input.idempotencyKey", "idempotency key must be at most 200 characters")
	}
	// Serialise callers of the same key: the advisory lock is held to the end of the
	// transaction, so a retry racing the first call sees its committed row.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`, orgID, key); err != nil {
		return "", false, fmt.Errorf("idempotency lock: %w", err)
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

// Store records the key with the id the create produced, in the create's transaction.
func Store(ctx context.Context, tx pgx.Tx, orgID, key, operation, requestHash, resultID string) error {
	if key == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
		VALUES ($1, $2, $3, $4, $5)`, orgID, key, operation, requestHash, resultID)
	if err != nil {
		return fmt.Errorf("idempotency store: %w", err)
	}
	return nil
}
