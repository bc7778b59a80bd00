package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// Run starts the loader process (the loop and its /metrics and /healthz endpoint) and
// blocks until ctx ends. cmd/loader only calls this, so tests start the loader exactly
// as production does. ready, when not nil, receives the metrics address.
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
	opts := chstore.OptionsFrom(cfg)
	// ClickHouse may be down at start: keep trying, the changes wait in PostgreSQL.
	var wait time.Duration
	b := newBackoff()
	for {
		wh, err := chstore.OpenWarehouse(ctx, opts)
		if err == nil {
			defer wh.Close()
			// A loader newer than the warehouse would write rows the tables cannot take
			// (or mean something else by them): refuse, saying what to run. On a cluster
			// every shard and the front are checked.
			if err := wh.CheckSchema(ctx); err != nil {
				log.Error().Err(err).Msg("loader refuses to run against this warehouse")
				return err
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector())
			changes.RegisterBacklogGauges(reg, "outcomes_loader", pool, nil)
			l := &Loader{PG: pool, CH: wh.Conn, Cluster: wh.Cluster, Keys: pseudonym.New(cfg.PseudonymKey), BatchSize: cfg.LoaderBatchSize,
				Linger: cfg.LoaderLinger, Poll: cfg.LoaderPollInterval, Log: log, Metrics: NewMetrics(reg)}
			return serve(ctx, l, reg, cfg.LoaderMetricsAddr, ready)
		}
		wait = b.next()
		log.Warn().Err(err).Dur("retry_in", wait).Msg("clickhouse not reachable; waiting")
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

func serve(ctx context.Context, l *Loader, reg *prometheus.Registry, addr string, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }) //nolint:errcheck
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	l.Log.Info().Str("metrics_addr", ln.Addr().String()).Msg("loader started")
	if ready != nil {
		ready <- ln.Addr().String()
	}
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
	g.Go(func() error { return l.Run(gctx) })
	err = g.Wait()
	l.Log.Info().Msg("loader stopped")
	return err
}
