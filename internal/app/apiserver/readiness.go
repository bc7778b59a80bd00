package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// readiness answers /readyz. The API is ready when it can take writes, which needs
// PostgreSQL only: a ClickHouse outage does not take casework down, so the warehouse's
// state is reported beside it ("clickhouse") and only decides the status with
// /readyz?warehouse=1 (for a probe of the analytics path).
func readiness(pool *pgxpool.Pool, wh *warehouseConn) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		state := func(err error) string {
			if err != nil {
				return "unavailable"
			}
			return "ok"
		}
		// Both at once: a warehouse that hangs must not delay the answer about PostgreSQL.
		chErr := make(chan error, 1)
		go func() { chErr <- wh.Ping(ctx) }()
		pg := pool.Ping(ctx)
		ch := <-chErr
		status := http.StatusOK
		if pg != nil || (r.URL.Query().Get("warehouse") == "1" && ch != nil) {
			status = http.StatusServiceUnavailable
		}
		body := map[string]string{"status": "ready", "postgresql": state(pg), "clickhouse": state(ch)}
		if status != http.StatusOK {
			body["status"] = "not ready"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body) //nolint:errcheck
	})
}
