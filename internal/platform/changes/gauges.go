package changes

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterBacklogGauges registers <prefix>_pending_changes and
// <prefix>_oldest_pending_seconds on reg: the outbox's backlog (Backlog) read from db
// at each scrape, so that the figures are as of the scrape, and -1 for both when
// PostgreSQL does not answer within two seconds. A figure kept from the last good read
// would tell the alert "nothing waits" all through an outage. scope, when not nil,
// prepares the read's context (the API's pool needs a system principal: the outbox has
// row-level security). The API (outcomes_outbox) and the loader (outcomes_loader) both
// expose the backlog through this one reading.
func RegisterBacklogGauges(reg prometheus.Registerer, prefix string, db DB, scope func(context.Context) context.Context) {
	read := func() (count, age float64) {
		ctx := context.Background()
		if scope != nil {
			ctx = scope(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n, oldest, err := Backlog(ctx, db, "")
		if err != nil {
			return -1, -1
		}
		if oldest != nil {
			age = time.Since(*oldest).Seconds()
		}
		return float64(n), age
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_pending_changes",
			Help: "Changes written in PostgreSQL and not yet in the warehouse, as of the scrape (-1: unknown, PostgreSQL did not answer)."},
			func() float64 { n, _ := read(); return n }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + "_oldest_pending_seconds",
			Help: "Age of the oldest change not yet in the warehouse, as of the scrape (0: none; -1: unknown, PostgreSQL did not answer)."},
			func() float64 { _, a := read(); return a }),
	)
}
