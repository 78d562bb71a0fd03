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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/vrs"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites/masterdata"
)

const vrsUsage = `usage:
  serialhub vrs verify --gtin G --serial S --lot L --expiry YYMMDD [--partner GLN] [--json]
        ask our hub (or, with --partner, that partner's responder through the hub) whether the
        pack is genuine (GS1 Lightweight Messaging for verification, DSCSA saleable returns)
  serialhub vrs log [--partner GLN] [--limit N]       the verification requests on record
  serialhub vrs partner GLN --endpoint URL [--credentials env:NAME|file:PATH] [--disabled]
        (server command) where a partner answers verification requests
  serialhub vrs key --partner GLN                     (server command) a new partner API key`

// vrsRoutes registers the verification API: the LMS responder, the requester and the log.
func vrsRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, cfg Config, d *deps, log *slog.Logger) error {
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{CAFile: cfg.PartnerCA, Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	h := &vrs.Handler{Store: vrs.NewStore(d.pg), ResponderGLN: cfg.GLN, Log: log,
		Requester: &vrs.Requester{HTTP: hc, RequestorGLN: cfg.GLN, Secret: partnerSecret}}
	h.Routes(mux, auth)
	return nil
}

func runVRS(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(vrsUsage)
	}
	c := newClient(cfg)
	switch args[0] {
	case "verify":
		fs := flag.NewFlagSet("vrs verify", flag.ContinueOnError)
		var r vrs.Request
		fs.StringVar(&r.GTIN, "gtin", "", "GTIN (8, 12, 13 or 14 digits)")
		fs.StringVar(&r.Serial, "serial", "", "serial number (AI 21)")
		fs.StringVar(&r.Lot, "lot", "", "lot (AI 10)")
		fs.StringVar(&r.Expiry, "expiry", "", "expiry YYMMDD (AI 17) or YYYY-MM-DD")
		partner := fs.String("partner", "", "ask this partner's responder (GLN) instead of our hub")
		asJSON := fs.Bool("json", false, "print the LMS answer as JSON")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var resp vrs.Response
		var err error
		if *partner == "" {
			body, _ := json.Marshal(r)
			_, err = c.do(ctx, http.MethodPost, "/v1/vrs/verify", "application/json", strings.NewReader(string(body)), &resp)
		} else {
			body, _ := json.Marshal(vrs.AskBody{Partner: *partner, Request: r})
			_, err = c.do(ctx, http.MethodPost, "/v1/vrs/ask", "application/json", strings.NewReader(string(body)), &resp)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(resp)
		}
		fmt.Fprintln(out, describeVerification(resp))
		return nil
	case "log":
		fs := flag.NewFlagSet("vrs log", flag.ContinueOnError)
		partner := fs.String("partner", "", "only requests of/to this partner GLN")
		limit := fs.Int("limit", 50, "at most this many, newest first")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		v := url.Values{"partner": {*partner}, "limit": {fmt.Sprint(*limit)}}
		var log []vrs.LogEntry
		if _, err := c.do(ctx, http.MethodGet, "/v1/vrs/requests?"+v.Encode(), "", nil, &log); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tDIR\tPARTNER\tGTIN\tSERIAL\tLOT\tEXPIRY\tANSWER\tMS")
		for _, e := range log {
			ans := describeVerification(vrs.Response{Data: e.Data})
			if e.Verified == nil {
				ans = fmt.Sprintf("HTTP %d %s", e.HTTPStatus, e.Err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n", e.At.Local().Format(time.DateTime), e.Direction,
				e.PartnerGLN, e.Request.GTIN, e.Request.Serial, e.Request.Lot, e.Request.Expiry, clipNote(ans, 60),
				float64(e.Duration.Microseconds())/1000)
		}
		return tw.Flush()
	case "partner", "key":
		pg, err := postgres.Open(ctx, cfg.PGDSN)
		if err != nil {
			return err
		}
		defer pg.Close()
		st := vrs.NewStore(pg)
		if args[0] == "key" {
			fs := flag.NewFlagSet("vrs key", flag.ContinueOnError)
			partner := fs.String("partner", "", "the partner's GLN")
			if err := fs.Parse(args[1:]); err != nil {
				return err
			}
			tok, err := st.CreatePartnerKey(ctx, *partner, "partner "+*partner)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "partner key for %s (shown once): %s\n", *partner, tok)
			return nil
		}
		fs := flag.NewFlagSet("vrs partner", flag.ContinueOnError)
		endpoint := fs.String("endpoint", "", "the partner's responder base URL (the Digital Link path is appended)")
		creds := fs.String("credentials", "", "bearer token reference: env:NAME or file:PATH")
		disabled := fs.Bool("disabled", false, "pause every exchange with this partner (false: resume)")
		gln, rest := firstArg(args[1:])
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if err := updatePartner(ctx, pg, gln, func(p *masterdata.Partner) {
			p.VRSEndpoint, p.VRSCredentialsRef = *endpoint, *creds
			fs.Visit(func(f *flag.Flag) {
				if f.Name == "disabled" { // pauses every exchange with the partner, deliveries too
					p.Disabled = *disabled
				}
			})
		}); err != nil {
			return err
		}
		fmt.Fprintf(out, "partner %s answers verifications at %s\n", gln, *endpoint)
		return nil
	}
	return errors.New(vrsUsage)
}

func describeVerification(r vrs.Response) string {
	s := "VERIFIED"
	if !r.Data.Verified {
		s = "NOT VERIFIED: " + r.Data.VerificationFailureReason
	}
	if r.Data.AdditionalInfo != "" {
		s += " (" + r.Data.AdditionalInfo + ")"
	}
	return s
}
