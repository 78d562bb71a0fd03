package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/clickhouse"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/workflows/ingest"
	"github.com/serialhub/serialhub/workflows/submission"
)

// deps are the connections every server command needs.
type deps struct {
	pg *pgxpool.Pool
	ch driver.Conn
	tc client.Client
}

func (d *deps) close() {
	if d.tc != nil {
		d.tc.Close()
	}
	if d.ch != nil {
		d.ch.Close()
	}
	if d.pg != nil {
		d.pg.Close()
	}
}

func (c Config) clickhouse() clickhouse.Config {
	return clickhouse.Config{Addr: c.CHAddr, Database: c.CHDatabase, User: c.CHUser, Password: c.CHPassword}
}

// connect opens PostgreSQL, ClickHouse and Temporal and refuses an old schema.
func connect(ctx context.Context, cfg Config, log *slog.Logger) (*deps, error) {
	d := &deps{}
	var err error
	if d.pg, err = postgres.Open(ctx, cfg.PGDSN); err != nil {
		return nil, err
	}
	if err := postgres.CheckCurrent(ctx, d.pg); err != nil {
		d.close()
		return nil, err
	}
	if d.ch, err = clickhouse.Open(ctx, cfg.clickhouse(), false); err != nil {
		d.close()
		return nil, err
	}
	if err := clickhouse.CheckCurrent(ctx, d.ch); err != nil {
		d.close()
		return nil, err
	}
	d.tc, err = client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddr,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal")),
	})
	if err != nil {
		d.close()
		return nil, fmt.Errorf("temporal: dial %s: %w", cfg.TemporalAddr, err)
	}
	return d, nil
}

// runHub runs the API, the worker, or both, until ctx is cancelled.
func runHub(ctx context.Context, cfg Config, log *slog.Logger, serve, work bool) error {
	d, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()
	store := sites.NewStore(d.pg)
	starter := ingest.Starter{Client: d.tc, TaskQueue: cfg.TaskQueue, Hooks: []string{submission.CreateObligationsName}}

	g, ctx := errgroup.WithContext(ctx)
	if serve {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
		}
		srv := &http.Server{Handler: newMux(cfg, d, store, starter, log), ReadHeaderTimeout: 10 * time.Second}
		log.Info("API listening", "addr", ln.Addr().String())
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		})
	}
	if work {
		w := worker.New(d.tc, cfg.TaskQueue, worker.Options{})
		w.RegisterWorkflow(ingest.Workflow)
		w.RegisterActivity(&ingest.Activities{Store: store, Sink: analytics.NewWriter(analytics.NewStore(d.ch), 0, 0),
			Rules: intakeRules(cfg, d, log), Log: log})
		if err := startSubmissions(ctx, g, cfg, d, store, w, log); err != nil {
			return err
		}
		if err := startEUHub(ctx, g, cfg, d, log); err != nil {
			return err
		}
		if err := startRecalls(ctx, g, cfg, d, log); err != nil {
			return err
		}
		if err := runWorkers(ctx, g, "ingest", w); err != nil {
			return err
		}
		log.Info("worker started", "task_queue", cfg.TaskQueue)
		every(ctx, g, 30*time.Second, log, "sweep of pending documents failed", func(ctx context.Context) error {
			return ingest.Sweep(ctx, store, starter, 30*time.Second, log)
		})
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// startStopper is a Temporal worker as runWorkers uses it.
type startStopper interface {
	Start() error
	Stop()
}

// runWorkers starts each worker and stops it when ctx is done.
func runWorkers(ctx context.Context, g *errgroup.Group, what string, ws ...startStopper) error {
	for _, w := range ws {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start %s workers: %w", what, err)
		}
		g.Go(func() error {
			<-ctx.Done()
			w.Stop()
			return nil
		})
	}
	return nil
}

// every runs f now and then at each interval until ctx is done (sweeps of work whose start
// was lost); a failure is logged with msg and tried again at the next tick.
func every(ctx context.Context, g *errgroup.Group, interval time.Duration, log *slog.Logger, msg string, f func(context.Context) error) {
	g.Go(func() error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := f(ctx); err != nil && ctx.Err() == nil {
				log.Warn(msg, "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
}

// newMux wires every HTTP route.
func newMux(cfg Config, d *deps, store *sites.Store, starter ingest.Starter, log *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	auth := func(h http.Handler) http.Handler { return api.RequireAuth(store, log, h) }
	(&sites.Handler{Store: store, Starter: starter, Log: log, MaxBytes: cfg.MaxDocumentBytes}).Routes(mux, auth)
	(&analytics.Handler{Store: analytics.NewStore(d.ch).WithPostgres(d.pg), Log: log}).Routes(mux, auth)
	submissionRoutes(mux, auth, cfg, d, log)
	masterdataRoutes(mux, auth, d, log)
	euhubRoutes(mux, auth, cfg, d, log)
	recallRoutes(mux, auth, cfg, d, log)
	if err := vrsRoutes(mux, auth, cfg, d, log); err != nil {
		log.Error("verification API disabled", "err", err)
	}
	inboundRoutes(mux, auth, cfg, d, store, starter, log)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		checks := readiness(r.Context(), d)
		status := http.StatusOK
		for _, v := range checks {
			if v != "ok" {
				status = http.StatusServiceUnavailable
			}
		}
		api.WriteJSON(w, status, checks)
	})
	return mux
}

// readiness checks every dependency and the schema versions.
func readiness(ctx context.Context, d *deps) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res := map[string]string{}
	set := func(name string, err error) {
		res[name] = "ok"
		if err != nil {
			res[name] = domain.ErrorMessage(err)
			if domain.ErrorCode(err) == domain.CodeInternal {
				res[name] = err.Error()
			}
		}
	}
	err := d.pg.Ping(ctx)
	if err == nil {
		err = postgres.CheckCurrent(ctx, d.pg)
	}
	set("postgres", err)
	err = d.ch.Ping(ctx)
	if err == nil {
		err = clickhouse.CheckCurrent(ctx, d.ch)
	}
	set("clickhouse", err)
	_, err = d.tc.CheckHealth(ctx, &client.CheckHealthRequest{})
	set("temporal", err)
	return res
}

// runMigrate applies the PostgreSQL and ClickHouse migrations.
func runMigrate(ctx context.Context, cfg Config, out io.Writer) error {
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	applied, err := postgres.Migrate(ctx, pg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "postgres: applied %v\n", applied)
	ch, err := clickhouse.Open(ctx, cfg.clickhouse(), true)
	if err != nil {
		return err
	}
	defer ch.Close()
	applied, err = clickhouse.Migrate(ctx, ch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "clickhouse: applied %v\n", applied)
	return nil
}

// runBootstrap makes sure the local admin key exists: the token lives in DATA/admin.token
// (mode 0600), its hash in PostgreSQL.
func runBootstrap(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.DataDir == "" {
		return errors.New("bootstrap: no data folder (set SERIALHUB_DATA or run `make up` first)")
	}
	path := filepath.Join(cfg.DataDir, "admin.token")
	token := cfg.Token
	if b, err := os.ReadFile(path); err == nil {
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		token = sites.NewToken()
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			return fmt.Errorf("bootstrap: write %s: %w", path, err)
		}
	}
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := sites.NewStore(pg).EnsureKey(ctx, token, domain.RoleAdmin, "", "local admin (bootstrap)"); err != nil {
		return err
	}
	fmt.Fprintf(out, "admin key ready (token in %s)\n", path)
	return nil
}
