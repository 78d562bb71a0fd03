package main

import (
	"bytes"
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

	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/workflows/alerts"
	"github.com/serialhub/serialhub/workflows/submission"
)

// euhubQueues are the task queues of EU Hub submissions and alert investigations; a hub on
// a task queue of its own (tests) gets queues of its own.
func euhubQueues(cfg Config) (subs, inv string) {
	if cfg.TaskQueue != "serialhub-ingest" {
		return cfg.TaskQueue + "-" + submission.TaskQueue(euhub.Name), cfg.TaskQueue + "-" + alerts.TaskQueue
	}
	return submission.TaskQueue(euhub.Name), alerts.TaskQueue
}

func euhubService(cfg Config, d *deps, log *slog.Logger) *euhub.Service {
	q, _ := euhubQueues(cfg)
	return &euhub.Service{Store: euhub.NewStore(d.pg), Starter: submission.Starter{Client: d.tc, Queue: q}, Log: log}
}

// euhubRoutes mounts the EU Hub operations and the alerts API.
func euhubRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, cfg Config, d *deps, log *slog.Logger) {
	(&euhub.Handler{Service: euhubService(cfg, d, log), Log: log}).Routes(mux, auth)
	_, iq := euhubQueues(cfg)
	(&alerts.Handler{Store: alerts.NewStore(d.pg), Starter: alerts.Starter{Client: d.tc, Queue: iq}, Log: log}).Routes(mux, auth)
}

// startEUHub starts the EU Hub submission worker and the alert investigation worker.
func startEUHub(ctx context.Context, g *errgroup.Group, cfg Config, d *deps, log *slog.Logger) error {
	gw := gateways.NewStore(d.pg)
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{CAFile: cfg.PartnerCA})
	if err != nil {
		return err
	}
	sender := os.Getenv("SERIALHUB_EUHUB_SENDER")
	if sender == "" {
		sender = "MAH"
	}
	sq, iq := euhubQueues(cfg)
	eg := euhub.New(euhub.Config{Requests: euhub.NewStore(d.pg), Sender: sender,
		Transport: &euhub.SOAPTransport{Partners: euhub.NewStore(d.pg), HTTP: hc, Secret: partnerSecret},
		Alerts:    &alerts.Intake{Store: alerts.NewStore(d.pg), Starter: alerts.Starter{Client: d.tc, Queue: iq}, Log: log}})
	sw := submission.NewWorker(d.tc, sq, &submission.Activities{Store: gw, Gateways: gateways.Registry{euhub.Name: eg}, Log: log},
		submission.Limits{Concurrent: 8, PerSecond: 100})
	aw := alerts.NewWorker(d.tc, iq, &alerts.Activities{Store: alerts.NewStore(d.pg)})
	if err := runWorkers(ctx, g, "EU Hub", sw, aw); err != nil {
		return err
	}
	log.Info("EU Hub workers started", "task_queue", sq, "alerts_queue", iq)
	return nil
}

const euhubUsage = `usage:
  serialhub euhub connect --endpoint URL [--credentials REF]   the EU Hub's delivery settings (server
                 side); also makes the key the hub sends alerts with (DATA/euhub-alerts.token)
  serialhub euhub product FILE.json                     upload product master data (A16 checked first)
  serialhub euhub release --gtin G --lot L --expiry YYMMDD [--serials FILE] [--chunk N] [--wait]
  serialhub euhub status --gtin G --lot L               chunks of a release and their acknowledgement
  serialhub euhub recall --gtin G --lot L --reason R
  serialhub euhub withdraw --gtin G --reason R --confirm "WITHDRAW G"   (irreversible)
  serialhub euhub decommission|undo --gtin G --lot L --expiry E --status S SERIAL...
      statuses: exported, sample, free_sample, destroyed, locked, stolen
  serialhub euhub requests [--gtin G] [--lot L]         recalls, withdrawals, status changes`

// runEUHub is `serialhub euhub ...`.
func runEUHub(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(euhubUsage)
	}
	c := newClient(cfg)
	fs := flag.NewFlagSet("euhub "+args[0], flag.ContinueOnError)
	gtin := fs.String("gtin", "", "product code (GTIN)")
	lot := fs.String("lot", "", "batch")
	expiry := fs.String("expiry", "", "expiry YYMMDD as on the pack")
	reason := fs.String("reason", "", "reason")
	confirm := fs.String("confirm", "", "confirmation of a withdrawal")
	status := fs.String("status", "", "decommissioning status")
	serialsFile := fs.String("serials", "", "file of serials, one a line (default: the lot's packs in the hub)")
	chunk := fs.Int("chunk", 0, "packs per upload message (default 10000)")
	wait := fs.Bool("wait", false, "wait until every chunk is acknowledged")
	endpoint := fs.String("endpoint", "", "the EU Hub's base URL")
	creds := fs.String("credentials", "", "credentials reference (env:NAME or file:PATH)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "connect":
		return euhubConnect(ctx, cfg, *endpoint, *creds, out)
	case "product":
		if fs.NArg() != 1 {
			return errors.New(euhubUsage)
		}
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		var res map[string]string
		if _, err := c.do(ctx, http.MethodPost, "/v1/euhub/products", "application/json", bytes.NewReader(b), &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "master data sent: %s\n", res["obligation"])
		return nil
	case "release":
		rel := euhub.Release{GTIN: *gtin, Lot: *lot, Expiry: *expiry, ChunkSize: *chunk}
		if *serialsFile != "" {
			list, err := readList("@" + *serialsFile)
			if err != nil {
				return err
			}
			rel.Serials = list
		}
		var res euhub.ReleaseResult
		if err := c.postJSON(ctx, "/v1/euhub/releases", rel, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "batch %s/%s released to the EU Hub: %d packs in %d chunks%s\n", rel.GTIN, rel.Lot, res.Packs,
			len(res.Obligations), map[bool]string{true: "", false: " (released before: nothing new)"}[res.Created])
		if *wait {
			return euhubWait(ctx, c, rel.GTIN, rel.Lot, out, 10*time.Minute)
		}
		return nil
	case "status":
		st, err := euhubStatus(ctx, c, *gtin, *lot)
		if err != nil {
			return err
		}
		printRelease(out, st)
		return nil
	case "recall":
		return euhubPost(ctx, c, out, "/v1/euhub/recalls", map[string]string{"gtin": *gtin, "lot": *lot, "reason": *reason}, "recall")
	case "withdraw":
		return euhubPost(ctx, c, out, "/v1/euhub/withdrawals", map[string]string{"gtin": *gtin, "reason": *reason, "confirm": *confirm}, "withdrawal")
	case "decommission", "undo":
		sc := euhub.StatusChange{GTIN: *gtin, Lot: *lot, Expiry: *expiry, Status: *status, Serials: fs.Args()}
		path := "/v1/euhub/decommissions"
		if args[0] == "undo" {
			path = "/v1/euhub/undos"
		}
		return euhubPost(ctx, c, out, path, sc, args[0])
	case "requests":
		var list []euhub.RequestSummary
		if err := c.get(ctx, "/v1/euhub/requests?gtin="+url.QueryEscape(*gtin)+"&lot="+url.QueryEscape(*lot), &list); err != nil {
			return err
		}
		return writeTable(out, "KIND\tGTIN\tLOT\tSTATUS\tSUBMISSION\tLAST ERROR", list, func(w io.Writer, r euhub.RequestSummary) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.GTIN, r.Lot, r.Status, r.Submission, r.LastError)
		})
	}
	return errors.New(euhubUsage)
}

func euhubPost(ctx context.Context, c *apiClient, out io.Writer, path string, in any, what string) error {
	var res map[string]string
	if err := c.postJSON(ctx, path, in, &res); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s sent to the EU Hub: submission %s (serialhub submissions show %s)\n", what, res["obligation"], res["obligation"])
	return nil
}

func euhubStatus(ctx context.Context, c *apiClient, gtin, lot string) (euhub.ReleaseStatus, error) {
	var st euhub.ReleaseStatus
	err := c.get(ctx, "/v1/euhub/releases/"+url.PathEscape(gtin)+"/"+url.PathEscape(lot), &st)
	return st, err
}

func printRelease(out io.Writer, st euhub.ReleaseStatus) {
	_ = writeTable(out, "CHUNK\tPACKS\tSTATUS\tATTEMPTS\tLAST ERROR", st.Chunks, func(w io.Writer, ch euhub.ChunkStatus) {
		fmt.Fprintf(w, "%d/%d\t%d\t%s\t%d\t%s\n", ch.Chunk, ch.Chunks, ch.Packs, ch.Status, ch.Attempts, ch.LastError)
	})
	fmt.Fprintf(out, "%s/%s: %d of %d packs acknowledged by the EU Hub, complete: %v\n", st.GTIN, st.Lot, st.Accepted, st.Packs, st.Complete)
}

// euhubWait waits until every chunk of a release is final, and fails unless all were accepted.
func euhubWait(ctx context.Context, c *apiClient, gtin, lot string, out io.Writer, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := euhubStatus(ctx, c, gtin, lot)
		if err != nil {
			return err
		}
		final := true
		for _, ch := range st.Chunks {
			final = final && ch.Status.Final()
		}
		if final || time.Now().After(deadline) {
			printRelease(out, st)
			if !st.Complete {
				return fmt.Errorf("release %s/%s: not every chunk was acknowledged", gtin, lot)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// euhubConnect records the EU Hub's delivery settings and the key it sends alerts with.
func euhubConnect(ctx context.Context, cfg Config, endpoint, creds string, out io.Writer) error {
	if endpoint == "" {
		return errors.New("euhub connect: --endpoint is required")
	}
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := euhub.NewStore(pg).SetConnection(ctx, endpoint, creds, true); err != nil {
		return err
	}
	fmt.Fprintf(out, "EU Hub endpoint: %s\n", endpoint)
	if cfg.DataDir == "" {
		return nil
	}
	path, err := euhubAlertKey(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the EU Hub's key for alerts: %s\n", path)
	return nil
}

// euhubAlertKey makes sure the key the EU Hub sends alerts with exists: the token in
// DATA/euhub-alerts.token (mode 0600), its hash in PostgreSQL. It returns the file's path.
func euhubAlertKey(ctx context.Context, cfg Config) (string, error) {
	if cfg.DataDir == "" {
		return "", errors.New("no data folder for the EU Hub's alert key")
	}
	path := filepath.Join(cfg.DataDir, "euhub-alerts.token")
	token := ""
	if b, err := os.ReadFile(path); err == nil {
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		token = sites.NewToken()
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("EU Hub alert key: %w", err)
		}
	}
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return "", err
	}
	defer pg.Close()
	if err := alerts.NewStore(pg).EnsureHubKey(ctx, token, euhub.HubGLN); err != nil {
		return "", err
	}
	return path, nil
}

const alertsUsage = `usage:
  serialhub alerts list [--code A3] [--status open|investigated|closed] [--gtin G] [--lot L] [--cause C]
  serialhub alerts show ID
  serialhub alerts close ID --reason R
  serialhub alerts export [--format csv|json] [filters as list]`

// runAlerts is `serialhub alerts list|show|close|export`.
func runAlerts(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(alertsUsage)
	}
	c := newClient(cfg)
	fs := flag.NewFlagSet("alerts "+args[0], flag.ContinueOnError)
	code := fs.String("code", "", "alert code")
	status := fs.String("status", "", "open, investigated or closed")
	gtin := fs.String("gtin", "", "product code")
	lot := fs.String("lot", "", "batch")
	cause := fs.String("cause", "", "classified cause")
	reason := fs.String("reason", "", "why the alert is closed")
	format := fs.String("format", "csv", "export format: csv or json")
	rest := args[1:]
	var id string
	if (args[0] == "show" || args[0] == "close") && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	query := url.Values{"code": {*code}, "status": {*status}, "gtin": {*gtin}, "lot": {*lot}, "cause": {*cause}}
	switch args[0] {
	case "list":
		var list []alerts.Record
		if err := c.get(ctx, "/v1/alerts?"+query.Encode(), &list); err != nil {
			return err
		}
		return writeTable(out, "ID\tCODE\tGTIN\tLOT\tSERIAL\tSTATUS\tCAUSE", list, func(w io.Writer, r alerts.Record) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Code, r.GTIN, r.Lot, r.Serial, r.Status, r.Cause)
		})
	case "show":
		if id == "" {
			return errors.New(alertsUsage)
		}
		var r alerts.Record
		if err := c.get(ctx, "/v1/alerts/"+url.PathEscape(id), &r); err != nil {
			return err
		}
		return printAlert(out, r)
	case "close":
		if id == "" {
			return errors.New(alertsUsage)
		}
		var r alerts.Record
		if err := c.postJSON(ctx, "/v1/alerts/"+url.PathEscape(id)+"/close", alerts.CloseRequest{Reason: *reason}, &r); err != nil {
			return err
		}
		return printAlert(out, r)
	case "export":
		var list []alerts.Record
		if err := c.get(ctx, "/v1/alerts?limit=100000&"+query.Encode(), &list); err != nil {
			return err
		}
		if *format == "json" {
			return writeJSON(out, list)
		}
		return alerts.WriteCSV(out, list)
	}
	return errors.New(alertsUsage)
}

func printAlert(out io.Writer, r alerts.Record) error {
	fmt.Fprintf(out, "alert %s  %s  raised %s  market %s\n  pack: gtin %s lot %s expiry %s serial %q\n  hub says: %s\n  status: %s\n",
		r.ID, r.Code, r.RaisedAt.Format(time.RFC3339), r.Market, r.GTIN, r.Lot, r.Expiry, r.Serial, r.Text, r.Status)
	if r.Cause != "" {
		fmt.Fprintf(out, "  likely cause: %s\n  proposed action: %s\n", r.Cause, r.Action)
	}
	if r.Facts != nil {
		b, _ := json.Marshal(r.Facts)
		fmt.Fprintf(out, "  facts: %s\n", b)
	}
	if r.Status == "closed" {
		fmt.Fprintf(out, "  closed: %s (%s)\n", r.ClosedReason, r.ClosedBy)
	}
	return nil
}
