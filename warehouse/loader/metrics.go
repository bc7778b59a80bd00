package loader

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the loader's Prometheus series.
type Metrics struct {
	Pending       prometheus.Gauge
	OldestPending prometheus.Gauge
	RowsWritten   prometheus.Counter
	EventsDone    prometheus.Counter
	BatchSize     prometheus.Histogram
	BatchSeconds  prometheus.Histogram
	Errors        *prometheus.CounterVec
	// RejectedBatches counts batches that were read but not written and marked (ClickHouse
	// refused or was unreachable, or the mark failed); their changes stay pending.
	RejectedBatches prometheus.Counter
}

// NewMetrics registers the series on reg (nil: not registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "outcomes_loader_pending_changes",
			Help: "Change events not yet written to ClickHouse."}),
		OldestPending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "outcomes_loader_oldest_pending_seconds",
			Help: "Age of the oldest change event not yet written to ClickHouse."}),
		RowsWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "outcomes_loader_rows_written_total",
			Help: "Warehouse rows written, tombstones included."}),
		EventsDone: prometheus.NewCounter(prometheus.CounterOpts{Name: "outcomes_loader_changes_processed_total",
			Help: "Change events marked processed after ClickHouse acknowledged their batch."}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "outcomes_loader_batch_rows",
			Help: "Rows per ClickHouse batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 10)}),
		BatchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "outcomes_loader_batch_seconds",
			Help: "Time to read, build, write and mark one batch.", Buckets: prometheus.DefBuckets}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "outcomes_loader_errors_total",
			Help: "Loader errors by stage."}, []string{"stage"}),
		RejectedBatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "outcomes_loader_rejected_batches_total",
			Help: "Batches read from the outbox but not written to ClickHouse and marked; their changes are retried."}),
	}
	if reg != nil {
		reg.MustRegister(m.Pending, m.OldestPending, m.RowsWritten, m.EventsDone, m.BatchSize, m.BatchSeconds, m.Errors, m.RejectedBatches)
	}
	return m
}
