package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/idempotency"
	"github.com/arbetsmarknad/outcomes/internal/platform/testenv"
)

// outcome is what one call of Once did: the id it created or replayed.
type outcome struct {
	created, replayed string
	err               error
}

// once runs Once in a transaction of its own; create returns the request's ResultID
// after calling during, and fails with fail.
func once(ctx context.Context, pool *pgxpool.Pool, r idempotency.Request, during func(), fail error) outcome {
	var o outcome
	o.err = db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		return idempotency.Once(ctx, tx, r, func() (string, error) {
			if during != nil {
				during()
			}
			if fail != nil {
				return "", fail
			}
			o.created = r.ResultID
			return r.ResultID, nil
		}, func(id string) error {
			o.replayed = id
			return nil
		})
	})
	return o
}

// waitForBlockedClaim returns once a session of the test's database waits for a lock
// (the racing claim's INSERT waiting for the first call's row).
func waitForBlockedClaim(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the racing claim never waited for the first call")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClaimWithTheIDMadeAhead: with the record's id made before the claim
// (Request.ResultID), the claim is the key's row itself. A retry racing the first call
// waits for it and replays its id once it commits; it creates (with its own id) when
// the first call fails and rolls back; a key reused for another request is a CONFLICT;
// without a key nothing is claimed. Exactly one key row, naming the created id, is left.
func TestClaimWithTheIDMadeAhead(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	org := testenv.Organisation(t, pool, "idem-test")
	req := func(key string, input any) idempotency.Request {
		return idempotency.Request{OrganisationID: org, Key: key, Operation: "createThing", Input: input, ResultID: db.NewID()}
	}
	keyRows := func(key string) (n int, id string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(min(result_id::text), '') FROM idempotency_key
			WHERE organisation_id = $1 AND key = $2`, org, key).Scan(&n, &id); err != nil {
			t.Fatal(err)
		}
		return n, id
	}

	for _, firstFails := range []bool{false, true} {
		key := map[bool]string{false: "race-commit", true: "race-rollback"}[firstFails]
		first, retry := req(key, "same input"), req(key, "same input")
		claimed, release := make(chan struct{}), make(chan struct{})
		var fail error
		if firstFails {
			fail = errors.New("refused")
		}
		firstDone := make(chan outcome)
		go func() {
			firstDone <- once(ctx, pool, first, func() { close(claimed); <-release }, fail)
		}()
		<-claimed // the first call's key row is written, not committed
		retryDone := make(chan outcome)
		go func() { retryDone <- once(ctx, pool, retry, nil, nil) }()
		waitForBlockedClaim(t, pool)
		close(release)
		a, b := <-firstDone, <-retryDone
		if b.err != nil {
			t.Fatalf("%s: the retry failed: %v", key, b.err)
		}
		n, id := keyRows(key)
		if !firstFails {
			if a.err != nil || a.created != first.ResultID {
				t.Fatalf("%s: first call %+v, want it to create %s", key, a, first.ResultID)
			}
			if b.created != "" || b.replayed != first.ResultID {
				t.Errorf("%s: the racing retry %+v, want a replay of %s", key, b, first.ResultID)
			}
			if n != 1 || id != first.ResultID {
				t.Errorf("%s: %d key rows naming %q, want one naming %s", key, n, id, first.ResultID)
			}
		} else {
			if !errors.Is(a.err, fail) {
				t.Fatalf("%s: first call %+v, want its refusal", key, a)
			}
			if b.replayed != "" || b.created != retry.ResultID {
				t.Errorf("%s: the retry after a refused first call %+v, want it to create %s", key, b, retry.ResultID)
			}
			if n != 1 || id != retry.ResultID {
				t.Errorf("%s: %d key rows naming %q, want one naming %s", key, n, id, retry.ResultID)
			}
		}
	}

	// A key reused for another request.
	o := once(ctx, pool, req("race-commit", "other input"), nil, nil)
	var ae *apperr.Error
	if !errors.As(o.err, &ae) || ae.Code != apperr.Conflict || ae.Field != "input.idempotencyKey" || o.created != "" {
		t.Errorf("a key reused for another request: %+v, want CONFLICT on input.idempotencyKey", o)
	}
	// Without a key: created, nothing claimed.
	var before, after int
	count := `SELECT count(*) FROM idempotency_key WHERE organisation_id = $1`
	if err := pool.QueryRow(ctx, count, org).Scan(&before); err != nil {
		t.Fatal(err)
	}
	r := req("", "no key")
	if o := once(ctx, pool, r, nil, nil); o.err != nil || o.created != r.ResultID {
		t.Errorf("without a key: %+v", o)
	}
	if err := pool.QueryRow(ctx, count, org).Scan(&after); err != nil || after != before {
		t.Errorf("without a key the key rows went from %d to %d (%v)", before, after, err)
	}
}

// TestClaimReplaysARetry: a retry that comes after the first call committed, with an
// id of its own made ahead as every call makes one, replays the first call's id and
// creates nothing; the key's one row still names the first id.
func TestClaimReplaysARetry(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	org := testenv.Organisation(t, pool, "idem-test-late")
	req := func() idempotency.Request {
		return idempotency.Request{OrganisationID: org, Key: "k", Operation: "createThing", Input: 1, ResultID: db.NewID()}
	}
	first, retry := req(), req()
	a := once(ctx, pool, first, nil, nil)
	b := once(ctx, pool, retry, nil, nil)
	if a.err != nil || b.err != nil || a.created != first.ResultID || b.created != "" || b.replayed != a.created {
		t.Fatalf("first %+v, retry %+v: want the retry to replay the first id", a, b)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_key WHERE organisation_id = $1 AND key = 'k'
		AND result_id = $2`, org, first.ResultID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d key rows naming the first id (%v), want 1", n, err)
	}
}

// TestClaimNeedsTheIDMadeAhead: the claim is the key's row naming the id the create
// will give its record, so a keyed request without that id is refused before create
// runs, and a create that makes another id than the one claimed fails; neither leaves
// a key behind. Neither is the client's doing: the errors are internal, not apperr.
func TestClaimNeedsTheIDMadeAhead(t *testing.T) {
	t.Parallel()
	pool := testenv.Postgres(t)
	ctx := context.Background()
	org := testenv.Organisation(t, pool, "idem-test-id")

	o := once(ctx, pool, idempotency.Request{OrganisationID: org, Key: "no-id", Operation: "createThing", Input: 1}, nil, nil)
	if _, ok := apperr.As(o.err); o.err == nil || ok || o.created != "" {
		t.Errorf("a keyed claim without ResultID: %+v, want an internal error before create", o)
	}

	r := idempotency.Request{OrganisationID: org, Key: "other-id", Operation: "createThing", Input: 1, ResultID: db.NewID()}
	err := db.WithTx(ctx, pool, func(tx pgx.Tx) error {
		return idempotency.Once(ctx, tx, r, func() (string, error) { return db.NewID(), nil },
			func(string) error { t.Error("replayed a key never used"); return nil })
	})
	if _, ok := apperr.As(err); err == nil || ok {
		t.Errorf("a create that made another id than the claimed one: %v, want an internal error", err)
	}

	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_key WHERE organisation_id = $1`, org).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d key rows left (%v), want none", n, err)
	}
}
