package apiserver

import (
	"context"
	"errors"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/platform/apperr"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
)

// warehouseConn is a ClickHouse connection that is opened lazily when ClickHouse was
// down at start, so the API can start (and take writes) without the warehouse. It
// offers only what the API needs (chstore.Querier for the readers, and Ping for
// readiness): nothing else can be called on it, so nothing can reach a missing
// connection. Every
// failure to reach ClickHouse (at the query or while reading its rows) is answered as
// the typed, retryable WAREHOUSE_UNAVAILABLE, so that analytics callers know to retry
// and casework is untouched; errors ClickHouse itself raised pass through.
type warehouseConn struct {
	mu     sync.Mutex
	conn   driver.Conn
	reopen func() (driver.Conn, error)
}

var errWarehouseDown = apperr.New(apperr.WarehouseUnavailable, "", "the outcome warehouse is not reachable; try again shortly")

// warehouseError types an error of the ClickHouse driver: a server exception (the
// warehouse answered) or the caller's own cancellation passes through; anything else
// means the warehouse could not be reached.
func warehouseError(ctx context.Context, err error) error {
	var ex *clickhouse.Exception
	if err == nil || errors.As(err, &ex) || ctx.Err() != nil {
		return err
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return errWarehouseDown
}

func (w *warehouseConn) get() (driver.Conn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		return w.conn, nil
	}
	if w.reopen == nil {
		return nil, errWarehouseDown
	}
	c, err := w.reopen()
	if err != nil {
		return nil, errWarehouseDown
	}
	w.conn = c
	return c, nil
}

func (w *warehouseConn) Ping(ctx context.Context) error {
	c, err := w.get()
	if err != nil {
		return err
	}
	return warehouseError(ctx, c.Ping(ctx))
}

func (w *warehouseConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	c, err := w.get()
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, warehouseError(ctx, err)
	}
	return &warehouseRows{Rows: rows, ctx: ctx}, nil
}

var _ chstore.Querier = (*warehouseConn)(nil)

// warehouseRows types the errors met while reading rows.
type warehouseRows struct {
	driver.Rows
	ctx context.Context
}

func (r *warehouseRows) Err() error { return warehouseError(r.ctx, r.Rows.Err()) }

func (r *warehouseRows) Scan(dest ...any) error { return warehouseError(r.ctx, r.Rows.Scan(dest...)) }
