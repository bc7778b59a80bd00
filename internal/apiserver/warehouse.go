package apiserver

import (
	"context"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/arbetsmarknad/outcomes/internal/apperr"
)

// warehouseConn is a ClickHouse connection that is opened lazily when ClickHouse was
// down at start, so the API can start (and take writes) without the warehouse.
type warehouseConn struct {
	driver.Conn
	mu     sync.Mutex
	conn   driver.Conn
	reopen func() (driver.Conn, error)
}

var errWarehouseDown = apperr.New(apperr.Unavailable, "", "the outcome warehouse is not reachable; try again shortly")

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
	return c.Ping(ctx)
}

func (w *warehouseConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	c, err := w.get()
	if err != nil {
		return nil, err
	}
	return c.Query(ctx, query, args...)
}
