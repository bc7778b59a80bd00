package loader

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the loader's Prometheus series that the loop counts. The backlog
// (outcomes_loader_pending_changes, _oldest_pending_seconds) is read from the outbox at
// each scrape instead (changes.RegisterBacklogGauges, in Run): a gauge set by the loop
// froze at its last value while PostgreSQL was down, or the loop stuck.
type Metrics struct {
	RowsWritten  prometheus.Counter
	EventsDone   prometheus.Counter
	BatchSize    prometheus.Histogram
	BatchSeconds prometheus.Histogram
	Errors       *prometheus.CounterVec
	// RejectedBatches counts batches that were read but not written and marked (ClickHouse
	// refused or was unreachable, or the mark failed); their changes stay pending.
	RejectedBatches prometheus.Counter
	DeadLetters     prometheus.Counter
}

// NewMetrics registers the series on reg (nil: not registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
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
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "outcomes_loader_dead_letters_total",
			Help: "Participants left out of a batch because ClickHouse cannot represent a value of theirs (see loader_dead_letter)."}),
	}
	if reg != nil {
		reg.MustRegister(m.RowsWritten, m.EventsDone, m.BatchSize, m.BatchSeconds, m.Errors, m.RejectedBatches, m.DeadLetters)
	}
	return m
}
