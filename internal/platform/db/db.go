// Package db holds the PostgreSQL plumbing shared by the domain stores: the pool, one
// transaction per store call, and the mapping of constraint violations to domain errors.
package db

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/internal/platform/auth"
)

// Connect opens a pool for the system (loader, admin CLI, migrations, tests' setup):
// its sessions see every organisation through row-level security.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return connect(ctx, url, func(cfg *pgxpool.Config) {
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, `SELECT set_config('app.org_ids', '*', false)`)
			return err
		}
	})
}

// ConnectScoped opens the API's pool: every time a connection is taken for a request,
// the session's organisation scope (app.org_ids, read by the row-level security
// policies) is set from the caller in the request's context. A context without a
// caller sees no organisation's personal data.
func ConnectScoped(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return ConnectScopedTraced(ctx, url, nil)
}

// ConnectScopedTraced is ConnectScoped with a query tracer (tests count statements).
func ConnectScopedTraced(ctx context.Context, url string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	return connect(ctx, url, func(cfg *pgxpool.Config) {
		if tracer != nil {
			cfg.ConnConfig.Tracer = tracer
		}
		cfg.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) {
			if ctx.Value(skipScopeKey{}) != nil {
				return true, nil // a read scope sets it inside its transaction (reads.go)
			}
			if _, err := c.Exec(ctx, `SELECT set_config('app.org_ids', $1, false), set_config('app.ref_org_ids', $2, false)`,
				OrgScope(ctx), RefScope(ctx)); err != nil {
				return false, err // destroy the connection: its scope is unknown
			}
			return true, nil
		}
	})
}

// OrgScope is the value of app.org_ids for the caller in ctx: "*" for admins and the
// system, the caseworker's organisation, or "" (nothing).
func OrgScope(ctx context.Context) string {
	p, ok := auth.From(ctx)
	switch {
	case !ok:
		return ""
	case p.SeesAllOrganisations():
		return "*"
	}
	// Only organisation ids reach the policies: whatever a token said, a value that is
	// not an id ("*", a list) never becomes this session's scope.
	return strings.Join(ValidUUIDs(p.PersonalDataOrgs()), ",")
}

// RefScope is the value of app.ref_org_ids for the caller in ctx: the organisations
// whose reference data (units, the measure catalogue) the caller may read, which covers
// the aggregate readers too; "*" for admins and the system, "-" for nothing (an empty
// value would fall back to app.org_ids).
func RefScope(ctx context.Context) string {
	p, ok := auth.From(ctx)
	switch {
	case !ok:
		return "-"
	case p.SeesAllOrganisations():
		return "*"
	}
	orgs := append([]string{}, p.PersonalDataOrgs()...)
	if p.OrgID != "" {
		orgs = append(orgs, p.OrgID)
	}
	orgs = append(orgs, p.Orgs...)
	if len(orgs) == 0 {
		return "-"
	}
	return strings.Join(orgs, ",")
}

func connect(ctx context.Context, url string, configure func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.MaxConnIdleTime = time.Minute
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (4 on a 2-core machine) queues requests behind each other as
		// soon as a few arrive together; a request holds one connection for its reads.
		cfg.MaxConns = int32(max(16, 4*runtime.NumCPU()))
	}
	configure(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// rollbackTimeout bounds the ROLLBACK of a connection whose request has gone.
const rollbackTimeout = 5 * time.Second

// Beginner is what WithTx needs: a pool or a connection.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// TxHook takes part in every transaction WithTx runs under a context that carries it
// (WithTxHook): BeforeCommit runs inside the transaction as its last statements, and its
// error rolls the transaction back; AfterCommit runs once the commit succeeded. The audit
// log uses it so that a write and its audit rows commit together or not at all.
type TxHook interface {
	BeforeCommit(ctx context.Context, tx pgx.Tx) error
	AfterCommit()
	AfterRollback()
}

type txHookKey struct{}

// WithTxHook returns ctx carrying h.
func WithTxHook(ctx context.Context, h TxHook) context.Context {
	return context.WithValue(ctx, txHookKey{}, h)
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise, so a failed write leaves nothing behind. A TxHook in ctx writes its
// statements in the same transaction, before the commit.
//
// On a pool the transaction is pipelined (pipetx.go): BEGIN goes with its first
// statement, and statements queued with Queue with the next statement or the COMMIT.
func WithTx(ctx context.Context, b Beginner, fn func(pgx.Tx) error) error {
	if pool, ok := b.(*pgxpool.Pool); ok {
		return withPipeTx(ctx, pool, fn)
	}
	tx, err := b.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return runTx(ctx, tx, fn)
}

type lockWaitKey struct{}

// WithLockWait returns ctx under which every transaction WithTx runs waits at most d
// for a lock another transaction holds (PostgreSQL's lock_timeout, set for the
// transaction only) and then fails with SQLSTATE 55P03. A batch job that works person
// by person (retention) uses it to go on with the next person instead of waiting, as
// long as it is held, on a row an edit or a forgotten session keeps locked.
func WithLockWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, lockWaitKey{}, d)
}

// runTx runs fn in tx with ctx's TxHook and lock wait, and commits or rolls back.
func runTx(ctx context.Context, tx pgx.Tx, fn func(pgx.Tx) error) error {
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if d, ok := ctx.Value(lockWaitKey{}).(time.Duration); ok && d > 0 {
		// Queued: on a pool it goes with BEGIN and the first statement, no round trip
		// of its own.
		if err := Queue(ctx, tx, "bound lock waits", nil, `SELECT set_config('lock_timeout', $1, true)`,
			fmt.Sprintf("%dms", max(d.Milliseconds(), 1))); err != nil {
			return err
		}
	}
	hook, _ := ctx.Value(txHookKey{}).(TxHook)
	if err := fn(tx); err != nil {
		if hook != nil {
			hook.AfterRollback()
		}
		return err
	}
	if hook != nil {
		if err := hook.BeforeCommit(ctx, tx); err != nil {
			hook.AfterRollback()
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		if hook != nil {
			hook.AfterRollback()
		}
		return fmt.Errorf("commit: %w", mapError(err))
	}
	if hook != nil {
		hook.AfterCommit()
	}
	return nil
}

// MapError turns constraint violations into domain errors; others pass through.
func MapError(err error) error { return mapError(err) }

func mapError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return apperr.Conflictf("", "already exists (%s)", pgErr.ConstraintName)
	case "23P01": // exclusion_violation: e.g. two spells of one person in one measure overlap
		return apperr.Conflictf("", "overlaps an existing record (%s)", pgErr.ConstraintName)
	case "23503": // foreign_key_violation
		return apperr.NotFoundf("", "a referenced record does not exist (%s)", pgErr.ConstraintName)
	case "23514", "22007", "22008": // check, datetime
		return apperr.Invalidf("", "value rejected by the database (%s)", pgErr.ConstraintName)
	case "22P02": // invalid text: in practice an id that is not a UUID, sent to a uuid column
		return apperr.Invalidf("", "a value is not well-formed (such as an id that is not one)")
	}
	return err
}

// ConstraintOf names the constraint a PostgreSQL error broke ("" for other errors), so a
// store can say in its own words what a known constraint means.
func ConstraintOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// IsNoRows reports whether err means "no row matched".
func IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// ValidUUIDs keeps the ids that are well-formed UUIDs, so that a malformed id from a
// caller reads as "not found" instead of failing the whole statement, and queries can
// compare uuid columns directly (and use their indexes).
func ValidUUIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if IsUUID(id) {
			out = append(out, id)
		}
	}
	return out
}

// UUIDs is ValidUUIDs as a uuid[] argument pgx encodes as it is, in binary. A []string
// cannot be: pgx first tries the binary format, fails (building an error), and then
// encodes the array again as text, which cost a loader's statement more CPU than its
// rows (a page of 50 participants sends five such arrays). A pgtype.FlatArray is
// encoded as it is; a plain []pgtype.UUID would be walked by reflection.
func UUIDs(ids []string) pgtype.FlatArray[pgtype.UUID] {
	out := make(pgtype.FlatArray[pgtype.UUID], 0, len(ids))
	for _, id := range ids {
		if !IsUUID(id) {
			continue
		}
		var u pgtype.UUID
		for i, j := 0, 0; i < 36; i += 2 {
			if id[i] == '-' {
				i++
			}
			u.Bytes[j] = unhex(id[i])<<4 | unhex(id[i+1])
			j++
		}
		u.Valid = true
		out = append(out, u)
	}
	return out
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// IsUUID reports whether s is a UUID in its 36-character text form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// NewID returns a new random UUID (version 4), the kind the tables' gen_random_uuid()
// defaults make. A store makes the id itself when it must name a row before writing it
// (a create records its change event in the same round trip as its INSERT).
func NewID() string {
	var b [16]byte
	rand.Read(b[:])         //nolint:errcheck // crypto/rand does not fail on Linux
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
