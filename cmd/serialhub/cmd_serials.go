package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/sites/serials"
)

const serialsUsage = `usage:
  serialhub serials request --site S --line L --gtin G --count N [--lot LOT] [--work-order WO]
                            [--request-id R] [--out FILE] [--format text|json]
      a repeated --request-id returns the same serials (without one, a new id is made and printed)
  serialhub serials return --site S --gtin G FILE|-     serials one per line
  serialhub serials pool --gtin G                        the pool and its guess probability (admin)
  serialhub serials alerts [--gtin G]                    low-pool and refusal alerts (admin)
A site key is used when SERIALHUB_TOKEN holds one; the local admin key otherwise.`

// runSerials is `serialhub serials request|return|pool|alerts`.
func runSerials(ctx context.Context, cfg Config, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", serialsUsage)
	}
	c := newClient(cfg)
	switch args[0] {
	case "request":
		return runSerialsRequest(ctx, c, args[1:], out, errOut)
	case "return":
		fs := flag.NewFlagSet("serials return", flag.ContinueOnError)
		site := fs.String("site", "", "site id")
		gtin := fs.String("gtin", "", "GTIN")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *site == "" || *gtin == "" || fs.NArg() != 1 {
			return fmt.Errorf("%s", serialsUsage)
		}
		list, err := readLines(fs.Arg(0))
		if err != nil {
			return err
		}
		var res serials.Returned
		if err := c.postJSON(ctx, "/v1/sites/"+url.PathEscape(*site)+"/serials/returns",
			serials.ReturnRequest{GTIN: *gtin, Serials: list}, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "%d serials returned, %d not (not issued to site %s, or returned already)\n", res.Returned, len(res.NotReturned), *site)
		for _, s := range res.NotReturned {
			fmt.Fprintf(out, "    not returned: %s\n", s)
		}
		return nil
	case "pool", "alerts":
		fs := flag.NewFlagSet("serials "+args[0], flag.ContinueOnError)
		gtin := fs.String("gtin", "", "GTIN")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if args[0] == "alerts" {
			return getJSON(ctx, c, "/v1/serial-alerts?gtin="+url.QueryEscape(*gtin), out)
		}
		if *gtin == "" {
			return fmt.Errorf("%s", serialsUsage)
		}
		return getJSON(ctx, c, "/v1/serial-pools/"+url.PathEscape(*gtin), out)
	}
	return fmt.Errorf("%s", serialsUsage)
}

func runSerialsRequest(ctx context.Context, c *apiClient, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("serials request", flag.ContinueOnError)
	site := fs.String("site", "", "site id (required)")
	var req serials.Request
	fs.StringVar(&req.LineID, "line", "", "packaging line id (required)")
	fs.StringVar(&req.GTIN, "gtin", "", "GTIN (required)")
	fs.IntVar(&req.Count, "count", 0, "number of serials (required)")
	fs.StringVar(&req.Lot, "lot", "", "lot/batch the serials are for")
	fs.StringVar(&req.WorkOrder, "work-order", "", "work order the serials are for")
	fs.StringVar(&req.RequestID, "request-id", "", "idempotency key: the same id returns the same serials")
	file := fs.String("out", "", "write the serials to FILE, one per line (default: standard output)")
	format := fs.String("format", "text", "text or json (the whole answer)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *site == "" || req.LineID == "" || req.GTIN == "" || req.Count <= 0 {
		return fmt.Errorf("%s", serialsUsage)
	}
	if req.RequestID == "" {
		// Made here, not by the hub, so that the user can repeat a request whose answer was lost.
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		req.RequestID = "cli-" + hex.EncodeToString(b)
	}
	var a serials.Allocation
	_, err := c.do(ctx, http.MethodPost, "/v1/sites/"+url.PathEscape(*site)+"/serials", "application/json",
		jsonBody(req), &a)
	if err != nil {
		if code := domain.ErrorCode(err); code != domain.CodeInternal && code != domain.CodeUnavailable {
			return err // the hub answered: repeating will not help
		}
		return fmt.Errorf("%w (request id %s: repeat with --request-id %s to retry safely)", err, req.RequestID, req.RequestID)
	}
	if *format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	dst := out
	if *file != "" {
		f, err := os.Create(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		dst = f
	}
	w := bufio.NewWriter(dst)
	for _, s := range a.Serials {
		w.WriteString(s)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	note := ""
	if a.Replayed {
		note = " (repeated request: the serials of the first answer)"
	}
	summary := errOut // keeps a serial list on standard output pipeable as it is
	if *file != "" {
		summary = out
	}
	fmt.Fprintf(summary, "%d serials for GTIN %s, site %s line %s, allocation %d, request id %s%s\n"+
		"pool: %d issued of %.3g possible, guess probability %.3g (limit %.0e), %d more may be issued\n",
		len(a.Serials), a.GTIN, a.SiteID, a.LineID, a.ID, a.RequestID, note,
		a.Pool.Issued, a.Pool.Space, a.Pool.GuessProbability, a.Pool.MaxGuessProbability, a.Pool.Remaining)
	return nil
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v) // plain structs: cannot fail
	return strings.NewReader(string(b))
}

// readLines reads non-empty lines from a file or standard input ("-").
func readLines(name string) ([]string, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}
