package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/gateways/recallnotice"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/sites/masterdata"
	"github.com/serialhub/serialhub/workflows/recall"
	"github.com/serialhub/serialhub/workflows/submission"
)

// recallQueues are the task queues of recall workflows and of recall-notice submissions; a
// hub on a task queue of its own (tests) gets queues of its own.
func recallQueues(cfg Config) (recalls, notices string) {
	if cfg.TaskQueue != "serialhub-ingest" {
		return cfg.TaskQueue + "-" + recall.TaskQueue, cfg.TaskQueue + "-" + submission.TaskQueue(recallnotice.Name)
	}
	return recall.TaskQueue, submission.TaskQueue(recallnotice.Name)
}

func recallService(cfg Config, d *deps, log *slog.Logger) *recall.Service {
	rq, _ := recallQueues(cfg)
	return &recall.Service{Store: recall.NewStore(d.pg), Client: d.tc, Queue: rq, Log: log}
}

// recallRoutes mounts the recalls API.
func recallRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, cfg Config, d *deps, log *slog.Logger) {
	(&recall.Handler{Service: recallService(cfg, d, log), Log: log}).Routes(mux, auth)
}

// euhubRecalls is the EU Hub as the recall workflow uses it: is a batch released there, and
// recall it (an EU Hub obligation).
type euhubRecalls struct{ svc *euhub.Service }

func (e euhubRecalls) Released(ctx context.Context, gtin, lot string) (bool, error) {
	_, err := e.svc.Store.ReleaseStatus(ctx, gtin, lot)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return false, nil
	}
	return err == nil, err
}

func (e euhubRecalls) Recall(ctx context.Context, gtin, lot, reason string) (string, error) {
	return e.svc.Recall(ctx, gtin, lot, reason)
}

// startRecalls starts the recall worker, the worker of recall-notice submissions (the
// partners' DSCSA transports: HTTPS, capture, AS2) and the sweep of recalls whose start was
// lost.
func startRecalls(ctx context.Context, g *errgroup.Group, cfg Config, d *deps, log *slog.Logger) error {
	gw := gateways.NewStore(d.pg)
	rq, nq := recallQueues(cfg)
	signer, err := gatewaySigner(cfg)
	if err != nil {
		return err
	}
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{CAFile: cfg.PartnerCA})
	if err != nil {
		return err
	}
	// The DSCSA adapter signs and delivers, with the partners' delivery settings of master
	// data as the DSCSA submissions read them.
	tcfg := dscsa.Config{Partners: masterdata.NewStore(d.pg), Signer: signer, HTTP: hc, Secret: partnerSecret}
	if s := as2Sender(cfg, d, hc, log); s != nil {
		tcfg.AS2 = s
	}
	store := recall.NewStore(d.pg)
	rg := recallnotice.New(recallnotice.Config{Notices: store, Transport: dscsa.New(tcfg)})
	nw := submission.NewWorker(d.tc, nq, &submission.Activities{Store: gw, Gateways: gateways.Registry{recallnotice.Name: rg}, Log: log},
		submission.Limits{})
	acts := &recall.Activities{Store: store, Analytics: analytics.NewStore(d.ch), Obligations: gw,
		Submissions: submission.Starter{Client: d.tc, Queue: nq}, EUHub: euhubRecalls{euhubService(cfg, d, log)}, Log: log}
	rw := recall.NewWorker(d.tc, rq, acts)
	if err := runWorkers(ctx, g, "recall", nw, rw); err != nil {
		return err
	}
	svc := recallService(cfg, d, log)
	every(ctx, g, time.Minute, log, "sweep of recorded recalls failed", func(ctx context.Context) error {
		return svc.Sweep(ctx, time.Minute)
	})
	log.Info("recall workers started", "task_queue", rq, "notices_queue", nq)
	return nil
}

const recallsUsage = `usage:
  serialhub recalls start --id ID --gtin G --lot L[,L2...] --class I|II|III --reason R --decided-by NAME [--wait D]
  serialhub recalls list [--status recorded|preparing|notifying|acknowledged|closed] [--limit N]
  serialhub recalls show ID [--format table|json]
  serialhub recalls notice ID --partner GLN [--format csv|epcis] [--out FILE]
  serialhub recalls close ID --reason R [--by NAME]`

// runRecalls is `serialhub recalls ...`: recall decisions and their workflows (the query of
// affected packs alone is `serialhub recall`).
func runRecalls(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(recallsUsage)
	}
	c := newClient(cfg)
	fs := flag.NewFlagSet("recalls "+args[0], flag.ContinueOnError)
	id := fs.String("id", "", "recall id (business key, e.g. RC-2026-001)")
	gtin := fs.String("gtin", "", "GTIN")
	lots := fs.String("lot", "", "lot(s), comma-separated")
	class := fs.String("class", "", "recall class: I, II or III")
	reason := fs.String("reason", "", "reason")
	decidedBy := fs.String("decided-by", "", "who decided the recall")
	by := fs.String("by", "", "who closes the recall (default: the key)")
	wait := fs.Duration("wait", 0, "with start: wait this long for the notices to be sent")
	status := fs.String("status", "", "only this status")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	format := fs.String("format", "", "show: table or json; notice: csv or epcis")
	partner := fs.String("partner", "", "partner GLN")
	outFile := fs.String("out", "-", "notice: write to FILE (- for stdout)")
	pos, err := parseArg(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "start":
		d := recall.Decision{ID: *id, GTIN: *gtin, Lots: splitList(*lots), Class: recall.Class(*class), Reason: *reason, DecidedBy: *decidedBy}
		var res recall.StartResponse
		if err := c.postJSON(ctx, "/v1/recalls", d, &res); err != nil {
			return err
		}
		verb := "recorded"
		if !res.Created {
			verb = "already recorded (nothing started again)"
		}
		fmt.Fprintf(out, "recall %s %s: workflow %s, status %s\n", res.ID, verb, res.WorkflowID, res.Status)
		if *wait <= 0 {
			return nil
		}
		deadline := time.Now().Add(*wait)
		for {
			var r recall.Recall
			if err := c.get(ctx, "/v1/recalls/"+url.PathEscape(res.ID), &r); err != nil {
				return err
			}
			if r.DispatchedAt != nil || r.Status.Final() || time.Now().After(deadline) {
				printRecallDecision(out, r)
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	case "list":
		v := url.Values{}
		v.Set("status", *status)
		v.Set("limit", fmt.Sprint(*limit))
		var res struct {
			Recalls []recall.Recall `json:"recalls"`
		}
		if err := c.get(ctx, "/v1/recalls?"+v.Encode(), &res); err != nil {
			return err
		}
		return writeTable(out, "ID\tGTIN\tLOTS\tCLASS\tSTATUS\tPACKS\tSHIPPED\tDECIDED", res.Recalls, func(w io.Writer, r recall.Recall) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s by %s\n", r.ID, r.GTIN, strings.Join(r.Lots, ","), r.Class, r.Status,
				r.Packs, r.Shipped, r.CreatedAt.Local().Format(time.DateTime), r.DecidedBy)
		})
	case "show":
		if pos == "" {
			return errors.New(recallsUsage)
		}
		var r recall.Recall
		if err := c.get(ctx, "/v1/recalls/"+url.PathEscape(pos), &r); err != nil {
			return err
		}
		if *format == "json" {
			return writeJSON(out, r)
		}
		printRecallDecision(out, r)
		return nil
	case "notice":
		if pos == "" || *partner == "" {
			return errors.New(recallsUsage)
		}
		f := *format
		if f == "" {
			f = recall.FormatCSV
		}
		return writePayload(ctx, c, "/v1/recalls/"+url.PathEscape(pos)+"/notices/"+url.PathEscape(*partner)+"?format="+url.QueryEscape(f), *outFile, out)
	case "close":
		if pos == "" {
			return errors.New(recallsUsage)
		}
		var r recall.Recall
		if err := c.postJSON(ctx, "/v1/recalls/"+url.PathEscape(pos)+"/close", recall.CloseRequest{Reason: *reason, By: *by}, &r); err != nil {
			return err
		}
		fmt.Fprintf(out, "recall %s closed: %s (%d of %d targets acknowledged)\n", r.ID, r.CloseReason, r.Acknowledged, len(r.Targets))
		return nil
	}
	return errors.New(recallsUsage)
}

// printRecallDecision prints a recall, its figures and every target's acknowledgement.
func printRecallDecision(out io.Writer, r recall.Recall) {
	fmt.Fprintf(out, "recall %s: GTIN %s lots %s, class %s, %s\n", r.ID, r.GTIN, strings.Join(r.Lots, ","), r.Class, r.Status)
	fmt.Fprintf(out, "  reason: %s\n  decided by %s at %s\n", r.Reason, r.DecidedBy, r.CreatedAt.Local().Format(time.DateTime))
	if r.PreparedAt != nil {
		fmt.Fprintf(out, "  packs: %d, shipped %d, in house %d (from %s)\n", r.Packs, r.Shipped, r.Summary.InHouse, r.Source)
	}
	if len(r.Discrepancies) > 0 {
		fmt.Fprintf(out, "  ClickHouse and PostgreSQL disagree on %d packs (the union is notified), e.g. %s\n", len(r.Discrepancies), r.Discrepancies[0])
	}
	if r.ClosedAt != nil {
		fmt.Fprintf(out, "  %s by %s at %s: %s\n", r.Status, r.ClosedBy, r.ClosedAt.Local().Format(time.DateTime), r.CloseReason)
	}
	if len(r.Targets) == 0 {
		return
	}
	fmt.Fprintf(out, "  acknowledged: %d of %d\n\n", r.Acknowledged, len(r.Targets))
	_ = writeTable(out, "  TARGET\tCOUNTRY/LOT\tPACKS\tSTATUS\tATTEMPTS\tOBLIGATION\tLAST ERROR / REASONS", r.Targets, func(w io.Writer, t recall.Target) {
		who, where := t.PartnerGLN, t.Country
		if t.Kind == recall.TargetEUHub {
			who, where = "EU Hub", "lot "+t.Lot
		}
		note := t.LastError
		if len(t.Reasons) > 0 {
			note = strings.Join(t.Reasons, "; ")
		}
		fmt.Fprintf(w, "  %s\t%s\t%d\t%s\t%d\t%s\t%s\n", who, where, t.Packs, t.Status, t.Attempts, t.ObligationID, clipNote(note, 60))
	})
}
