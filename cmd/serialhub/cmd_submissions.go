package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
	"github.com/serialhub/serialhub/workflows/submission"
)

// gatewaySigner loads the hub's signing identity, or on a local stack makes one in the data
// folder (DATA/gateway-signing.{crt,key}) the first time.
func gatewaySigner(cfg Config) (*gateways.Signer, error) {
	if cfg.SigningCert != "" {
		return gateways.LoadSigner(cfg.SigningCert, cfg.SigningKey)
	}
	if cfg.DataDir == "" {
		return nil, nil // files go out unsigned; said in the log
	}
	crt, key := filepath.Join(cfg.DataDir, "gateway-signing.crt"), filepath.Join(cfg.DataDir, "gateway-signing.key")
	if _, err := os.Stat(crt); errors.Is(err, os.ErrNotExist) {
		c, k, err := gateways.SelfSigned("serialhub local signing")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(key, k, 0o600); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		if err := os.WriteFile(crt, c, 0o644); err != nil {
			return nil, fmt.Errorf("signing certificate: %w", err)
		}
	}
	return gateways.LoadSigner(crt, key)
}

// partnerSecret resolves a partner's credentials reference: env:NAME or file:PATH. The value
// is never logged or stored.
func partnerSecret(ref string) (string, error) {
	kind, name, _ := strings.Cut(ref, ":")
	switch kind {
	case "env":
		if v, ok := os.LookupEnv(name); ok && v != "" {
			return v, nil
		}
		return "", fmt.Errorf("environment variable %s is not set", name)
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", fmt.Errorf("credentials reference %q: want env:NAME or file:PATH", ref)
}

// submissionStarter starts submissions on the gateway's task queue; a hub on a task queue of
// its own (tests, a second hub on one Temporal) gets gateway queues of its own too.
func submissionStarter(cfg Config, d *deps) submission.Starter {
	st := submission.Starter{Client: d.tc,
		Defaults: submission.Input{InitialInterval: cfg.SubmissionRetry, PollInterval: cfg.SubmissionPoll}}
	if cfg.TaskQueue != "serialhub-ingest" {
		st.Queue = cfg.TaskQueue + "-" + submission.TaskQueue(dscsa.Name)
	}
	return st
}

// startSubmissions registers the obligation hook with the ingest worker and starts one
// worker per gateway (its own task queue, concurrency and rate limit) and the sweep of
// obligations whose start was lost.
func startSubmissions(ctx context.Context, g *errgroup.Group, cfg Config, d *deps, store *sites.Store, ingestWorker worker.Worker, log *slog.Logger) error {
	gw, md := gateways.NewStore(d.pg), masterdata.NewStore(d.pg)
	starter := submissionStarter(cfg, d)
	ingestWorker.RegisterActivity(&submission.Hook{Docs: store, Store: gw, Partners: md, Starter: starter, Log: log})
	signer, err := gatewaySigner(cfg)
	if err != nil {
		return err
	}
	if signer == nil {
		log.Warn("no signing certificate (SERIALHUB_SIGNING_CERT): DSCSA files go out unsigned")
	}
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{CAFile: cfg.PartnerCA})
	if err != nil {
		return err
	}
	dcfg := dscsa.Config{Source: dscsa.PGSource{Pool: d.pg}, Partners: md, Signer: signer, HTTP: hc, Secret: partnerSecret}
	if s := as2Sender(cfg, d, hc, log); s != nil {
		dcfg.AS2 = s
	}
	dg := dscsa.New(dcfg)
	acts := &submission.Activities{Store: gw, Gateways: gateways.Registry{dscsa.Name: dg}, Log: log}
	queue := submission.TaskQueue(dscsa.Name)
	if starter.Queue != "" {
		queue = starter.Queue
	}
	w := submission.NewWorker(d.tc, queue, acts, submission.Limits{})
	if err := runWorkers(ctx, g, dscsa.Name, w); err != nil {
		return err
	}
	log.Info("gateway worker started", "task_queue", queue)
	every(ctx, g, time.Minute, log, "sweep of pending obligations failed", func(ctx context.Context) error {
		return submission.Sweep(ctx, gw, starter, time.Minute, log)
	})
	return nil
}

// submissionRoutes registers the submissions API.
func submissionRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, cfg Config, d *deps, log *slog.Logger) {
	h := &submission.Handler{Store: gateways.NewStore(d.pg), Control: submissionStarter(cfg, d), Log: log}
	h.Routes(mux, auth)
}

const submissionsUsage = `usage:
  serialhub submissions list [--status S] [--partner GLN] [--limit N]
  serialhub submissions show ID [--payload FILE|-] [--stage built|signed]
  serialhub submissions retry ID
  serialhub submissions cancel ID`

// runSubmissions is `serialhub submissions list|show|retry|cancel`.
func runSubmissions(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(submissionsUsage)
	}
	c := newClient(cfg)
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("submissions list", flag.ContinueOnError)
		status := fs.String("status", "", "only this status (pending, delivering, awaiting_ack, accepted, rejected, cancelled, failed)")
		partner := fs.String("partner", "", "only this partner GLN")
		limit := fs.Int("limit", 50, "at most this many, newest first")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		v := url.Values{}
		v.Set("status", *status)
		v.Set("partner", *partner)
		v.Set("limit", fmt.Sprint(*limit))
		var res struct {
			Submissions []gateways.Submission `json:"submissions"`
		}
		if err := c.get(ctx, "/v1/submissions?"+v.Encode(), &res); err != nil {
			return err
		}
		return writeTable(out, "ID\tPARTNER\tSTATUS\tATTEMPTS\tUPDATED\tLAST ERROR / REASONS", res.Submissions, func(w io.Writer, s gateways.Submission) {
			note := s.LastError
			if len(s.Reasons) > 0 {
				note = strings.Join(s.Reasons, "; ")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.PartnerGLN, s.Status, s.Attempts,
				s.UpdatedAt.Local().Format(time.DateTime), clipNote(note, 80))
		})
	case "show":
		fs := flag.NewFlagSet("submissions show", flag.ContinueOnError)
		payload := fs.String("payload", "", "write the exact bytes sent to FILE (- for stdout) instead of the record")
		stage := fs.String("stage", "signed", "with --payload: signed (as sent) or built (before signing)")
		id, err := parseArg(fs, args[1:])
		if err != nil {
			return err
		}
		if id == "" {
			return errors.New(submissionsUsage)
		}
		path := "/v1/submissions/" + url.PathEscape(id)
		if *payload != "" {
			return writePayload(ctx, c, path+"/payload?stage="+url.QueryEscape(*stage), *payload, out)
		}
		var s gateways.Submission
		if err := c.get(ctx, path, &s); err != nil {
			return err
		}
		return writeJSON(out, s)
	case "retry", "cancel":
		if len(args) != 2 {
			return errors.New(submissionsUsage)
		}
		var res map[string]any
		if _, err := c.do(ctx, http.MethodPost, "/v1/submissions/"+url.PathEscape(args[1])+"/"+args[0], "", nil, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %s requested\n", args[1], args[0])
		return nil
	}
	return errors.New(submissionsUsage)
}

func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func clipNote(s string, n int) string {
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// writePayload writes the raw payload bytes, unchanged, to path or stdout.
func writePayload(ctx context.Context, c *apiClient, apiPath, dst string, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+apiPath, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("payload: %w (is the hub running? `make up`)", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    domain.Code `json:"code"`
			Message string      `json:"message"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return &domain.Error{Code: e.Code, Message: e.Message}
	}
	w := out
	if dst != "-" {
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if dst != "-" {
		fmt.Fprintf(out, "%d bytes written to %s\n", n, dst)
	}
	return nil
}
