package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/serialhub/serialhub/sites"
)

const exceptionsUsage = `usage:
  serialhub exceptions list [--site S]
  serialhub exceptions show RECEIPT
  serialhub exceptions reprocess RECEIPT      (after the master data is fixed)
  serialhub exceptions dismiss RECEIPT --reason TEXT`

// runExceptions is the exception queue from the command line.
func runExceptions(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(exceptionsUsage)
	}
	c := newClient(cfg)
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("exceptions list", flag.ContinueOnError)
		site := fs.String("site", "", "only this site")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var list []sites.ExceptionSummary
		if _, err := c.do(ctx, http.MethodGet, "/v1/exceptions?site="+url.QueryEscape(*site), "", nil, &list); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECEIPT\tFROM\tSTATUS\tATTEMPT\tOPEN\tFIRST ERROR")
		for _, e := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", e.ReceiptID, owner(e.SiteID, e.PartnerGLN), e.Status, e.Attempt, e.Open, e.FirstError)
		}
		return tw.Flush()
	case "show":
		if len(args) != 2 {
			return errors.New(exceptionsUsage)
		}
		var d sites.ExceptionDetail
		if _, err := c.do(ctx, http.MethodGet, "/v1/exceptions/"+url.PathEscape(args[1]), "", nil, &d); err != nil {
			return err
		}
		r := d.Receipt
		fmt.Fprintf(out, "receipt %s  %s  %s  attempt %d  %d events accepted, %d rejected  (%s)\n",
			r.ID, owner(r.SiteID, r.PartnerGLN), r.Status, r.Attempt, r.Events, r.RejectedEvents, r.ErrorMode)
		for _, e := range d.Exceptions {
			where := "document"
			if e.Event != nil {
				where = fmt.Sprintf("event %d", *e.Event)
			}
			fmt.Fprintf(out, "  #%d attempt %d %s: %s", e.ID, e.Attempt, where, e.Status)
			if e.Reason != "" {
				fmt.Fprintf(out, " (%s, by %s)", e.Reason, e.ClosedBy)
			}
			fmt.Fprintln(out)
			for _, re := range e.Errors {
				fmt.Fprintf(out, "      %s\n", re)
			}
		}
		return nil
	case "reprocess":
		if len(args) != 2 {
			return errors.New(exceptionsUsage)
		}
		var rr sites.ReprocessResponse
		if _, err := c.do(ctx, http.MethodPost, "/v1/exceptions/"+url.PathEscape(args[1])+"/reprocess", "", nil, &rr); err != nil {
			return err
		}
		fmt.Fprintf(out, "receipt %s: attempt %d started\n", rr.ReceiptID, rr.Attempt)
		return nil
	case "dismiss":
		fs := flag.NewFlagSet("exceptions dismiss", flag.ContinueOnError)
		reason := fs.String("reason", "", "why (required)")
		if len(args) < 2 {
			return errors.New(exceptionsUsage)
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		var res struct {
			Dismissed int `json:"dismissed"`
		}
		if err := c.postJSON(ctx, "/v1/exceptions/"+url.PathEscape(args[1])+"/dismiss", sites.DismissRequest{Reason: *reason}, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "receipt %s: %d exceptions dismissed\n", args[1], res.Dismissed)
		return nil
	}
	return errors.New(exceptionsUsage)
}

// owner names who sent a document: "site S" or "partner GLN".
func owner(site, partner string) string {
	if partner != "" {
		return "partner " + partner
	}
	return "site " + site
}
