package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/arbetsmarknad/outcomes/internal/platform/changes"
	"github.com/arbetsmarknad/outcomes/internal/platform/config"
	"github.com/arbetsmarknad/outcomes/internal/platform/db"
	"github.com/arbetsmarknad/outcomes/internal/platform/logging"
	"github.com/arbetsmarknad/outcomes/warehouse/chstore"
	"github.com/arbetsmarknad/outcomes/warehouse/pseudonym"
)

// Open connects a loader to both stores as configured; close releases them.
func Open(ctx context.Context, cfg config.Config, log zerolog.Logger) (*Loader, func(), error) {
	pool, err := db.Connect(ctx, cfg.LoaderDatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	wh, err := chstore.OpenWarehouse(ctx, chstore.OptionsFrom(cfg))
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	l := &Loader{PG: pool, CH: wh.Conn, Cluster: wh.Cluster, Keys: pseudonym.New(cfg.PseudonymKey), BatchSize: cfg.LoaderBatchSize,
		Linger: cfg.LoaderLinger, Poll: cfg.LoaderPollInterval, Log: log}
	return l, func() { wh.Close(); pool.Close() }, nil
}

// Run starts the loader process (the loop and its /metrics, /healthz and /readyz
// endpoint) and blocks until ctx ends. cmd/loader only calls this, so tests start the
// loader exactly as production does. ready, when not nil, receives the metrics address
// once the loop runs (ClickHouse reached and its schema accepted).
//
// The endpoint is served from the start, before ClickHouse is reached: a loader that is
// up and waiting for ClickHouse is seen as such (/healthz 200, /readyz 503 "waiting for
// clickhouse", outcomes_loader_ready 0), not as a target that is down.
func Run(ctx context.Context, getenv func(string) string, stderr io.Writer, ready chan<- string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := logging.New(stderr, cfg.LogLevel, "loader")
	pool, err := db.Connect(ctx, cfg.LoaderDatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	changes.RegisterBacklogGauges(reg, "outcomes_loader", pool, nil)
	metrics := NewMetrics(reg)
	readyGauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "outcomes_loader_ready",
		Help: "1 when the loader runs, 0 while it waits for ClickHouse at start."})
	reg.MustRegister(readyGauge)
	var running atomic.Bool
	ln, err := net.Listen("tcp", cfg.LoaderMetricsAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{Handler: endpoints(reg, &running), ReadHeaderTimeout: 5 * time.Second}
	log.Info().Str("metrics_addr", addr).Msg("loader started")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	g.Go(func() error {
		defer cancel() // the loop ended: stop serving too
		wh, ok := waitForWarehouse(gctx, chstore.OptionsFrom(cfg), log)
		if !ok {
			return nil
		}
		defer wh.Close()
		// A loader newer than the warehouse would write rows the tables cannot take
		// (or mean something else by them): refuse, saying what to run. On a cluster
		// every shard and the front are checked.
		if err := wh.CheckSchema(gctx); err != nil {
			log.Error().Err(err).Msg("loader refuses to run against this warehouse")
			return err
		}
		l := &Loader{PG: pool, CH: wh.Conn, Cluster: wh.Cluster, Keys: pseudonym.New(cfg.PseudonymKey), BatchSize: cfg.LoaderBatchSize,
			Linger: cfg.LoaderLinger, Poll: cfg.LoaderPollInterval, Log: log, Metrics: metrics}
		running.Store(true)
		readyGauge.Set(1)
		log.Info().Str("metrics_addr", addr).Msg("loader running")
		if ready != nil {
			ready <- addr
		}
		return l.Run(gctx)
	})
	err = g.Wait()
	log.Info().Msg("loader stopped")
	return err
}

// waitForWarehouse opens the warehouse, retrying while ClickHouse is unreachable (the
// changes wait in PostgreSQL meanwhile); false when ctx ends first.
func waitForWarehouse(ctx context.Context, opts chstore.Options, log zerolog.Logger) (chstore.Warehouse, bool) {
	b := newBackoff()
	for {
		wh, err := chstore.OpenWarehouse(ctx, opts)
		if err == nil {
			return wh, true
		}
		wait := b.next()
		log.Warn().Err(err).Dur("retry_in", wait).Msg("clickhouse not reachable; waiting")
		if !sleep(ctx, wait) {
			return chstore.Warehouse{}, false
		}
	}
}

// endpoints serves /metrics, /healthz (the process is up: 200 from the start, as the
// API's) and /readyz (200 once the loop runs; 503 while it waits for ClickHouse).
func endpoints(reg *prometheus.Registry, running *atomic.Bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	state := func(w http.ResponseWriter, readiness bool) {
		if running.Load() {
			w.Write([]byte("ok\n")) //nolint:errcheck
			return
		}
		if readiness {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte("waiting for clickhouse\n")) //nolint:errcheck
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { state(w, false) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { state(w, true) })
	return mux
}
