package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// apiClient is the CLI's client of the REST API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newClient(cfg Config) *apiClient {
	return &apiClient{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: &http.Client{Timeout: 5 * time.Minute}}
}

func (c *apiClient) withToken(token string) *apiClient {
	cp := *c
	cp.token = token
	return &cp
}

// do sends a request and decodes a JSON answer into out (see api.Send).
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) (int, error) {
	status, err := api.Send(ctx, c.http, c.base, c.token, method, path, contentType, body, out)
	if err != nil && status == 0 {
		return 0, fmt.Errorf("%w (is the hub running? `make up`)", err)
	}
	return status, err
}

func (c *apiClient) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, path, "application/json", bytes.NewReader(b), out)
	return err
}

func (c *apiClient) upload(ctx context.Context, site, contentType string, body []byte) (domain.Receipt, error) {
	var r domain.Receipt
	_, err := c.do(ctx, http.MethodPost, "/v1/sites/"+url.PathEscape(site)+"/documents", contentType, bytes.NewReader(body), &r)
	return r, err
}

func (c *apiClient) receipt(ctx context.Context, id string) (domain.Receipt, error) {
	var r domain.Receipt
	_, err := c.do(ctx, http.MethodGet, "/v1/receipts/"+url.PathEscape(id), "", nil, &r)
	return r, err
}

// waitReceipt polls a receipt until its document is processed or rejected.
func (c *apiClient) waitReceipt(ctx context.Context, id string, timeout time.Duration) (domain.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		r, err := c.receipt(ctx, id)
		if err != nil {
			return r, err
		}
		if r.Status == domain.StatusProcessed || r.Status == domain.StatusRejected {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("receipt %s still %s after %s", id, r.Status, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *apiClient) recall(ctx context.Context, gtin, lot string) (analytics.RecallResponse, error) {
	var r analytics.RecallResponse
	_, err := c.do(ctx, http.MethodGet, "/v1/recall?gtin="+url.QueryEscape(gtin)+"&lot="+url.QueryEscape(lot), "", nil, &r)
	return r, err
}

// recallQuery asks for a recall by lots, expiry range, serials or EPCs.
func (c *apiClient) recallQuery(ctx context.Context, rq analytics.RecallQuery) (analytics.RecallResponse, error) {
	var r analytics.RecallResponse
	err := c.postJSON(ctx, "/v1/recall", rq, &r)
	return r, err
}

// contentTypeOf guesses an EPCIS document's content type from its name.
func contentTypeOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonld":
		return "application/ld+json"
	}
	return "application/xml"
}

func runUpload(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	site := fs.String("site", "", "site id (required)")
	wait := fs.Bool("wait", true, "wait until each document is processed")
	mode := fs.String("errors", "", "capture error behaviour: rollback or proceed (default: the site's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *site == "" || fs.NArg() == 0 {
		return errors.New("usage: serialhub upload --site S [--errors rollback|proceed] FILE [more files]")
	}
	c := newClient(cfg)
	failed := 0
	for i, name := range fs.Args() {
		fmt.Fprintf(out, "[%d/%d] %s ", i+1, fs.NArg(), name)
		start := time.Now()
		r, err := c.uploadFile(ctx, *site, name, *mode, out)
		if err != nil {
			fmt.Fprintf(out, "failed: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(out, "stored in %s, receipt %s", time.Since(start).Round(time.Millisecond), r.ID)
		if *wait && !r.Duplicate {
			fmt.Fprint(out, ", processing")
			if r, err = c.waitReceiptProgress(ctx, r.ID, time.Hour, out); err != nil {
				fmt.Fprintf(out, " failed: %v\n", err)
				failed++
				continue
			}
		}
		fmt.Fprintf(out, "\n    %s: %d events, %d serials%s (%s)\n", r.Status, r.Events, r.Serials, dupNote(r),
			time.Since(start).Round(time.Millisecond))
		for _, e := range r.Errors {
			fmt.Fprintf(out, "    error: %s\n", e)
		}
		if r.Status == domain.StatusRejected {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d documents failed or were rejected", failed, fs.NArg())
	}
	return nil
}

// uploadFile streams a file to the intake API, printing how much was sent at every tenth.
func (c *apiClient) uploadFile(ctx context.Context, site, name, mode string, out io.Writer) (domain.Receipt, error) {
	f, err := os.Open(name)
	if err != nil {
		return domain.Receipt{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return domain.Receipt{}, err
	}
	fmt.Fprintf(out, "(%.1f MB) ", float64(st.Size())/1e6)
	path := "/v1/sites/" + url.PathEscape(site) + "/documents"
	if mode != "" {
		path += "?errors=" + url.QueryEscape(mode)
	}
	var r domain.Receipt
	_, err = c.do(ctx, http.MethodPost, path, contentTypeOf(name), &progressReader{r: f, total: st.Size(), out: out}, &r)
	return r, err
}

// progressReader prints 10%, 20%... as a body is read.
type progressReader struct {
	r     io.Reader
	total int64
	n     int64
	shown int64
	out   io.Writer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.total > 0 {
		for tenth := p.n * 10 / p.total; p.shown < tenth; {
			p.shown++
			fmt.Fprintf(p.out, "%d%% ", p.shown*10)
		}
	}
	return n, err
}

// waitReceiptProgress is waitReceipt printing a dot a second while the hub works.
func (c *apiClient) waitReceiptProgress(ctx context.Context, id string, timeout time.Duration, out io.Writer) (domain.Receipt, error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	defer func() { close(done); wg.Wait() }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprint(out, ".")
			}
		}
	}()
	return c.waitReceipt(ctx, id, timeout)
}

func dupNote(r domain.Receipt) string {
	if r.Duplicate {
		return " (duplicate of an earlier upload; not processed again)"
	}
	return ""
}

func runReceipt(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: serialhub receipt ID")
	}
	r, err := newClient(cfg).receipt(ctx, args[0])
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func runRecall(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("recall", flag.ContinueOnError)
	gtin := fs.String("gtin", "", "GTIN (8, 12, 13 or 14 digits)")
	lot := fs.String("lot", "", "lot/batch number; several separated by commas")
	expFrom := fs.String("expiry-from", "", "first expiry date (YYYY-MM-DD) of an expiry-range recall")
	expTo := fs.String("expiry-to", "", "last expiry date (YYYY-MM-DD) of an expiry-range recall")
	serials := fs.String("serials", "", "serials (with --gtin) or SGTIN EPC URIs: comma-separated, or @FILE with one per line")
	format := fs.String("format", "table", "table, json or csv")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rq := analytics.RecallQuery{GTIN: *gtin, Lots: splitList(*lot), ExpiryFrom: *expFrom, ExpiryTo: *expTo}
	list, err := readList(*serials)
	if err != nil {
		return err
	}
	for _, s := range list {
		if strings.HasPrefix(s, "urn:epc:") {
			rq.EPCs = append(rq.EPCs, s)
		} else {
			rq.Serials = append(rq.Serials, s)
		}
	}
	if len(rq.EPCs) == 0 && (*gtin == "" || (len(rq.Lots) == 0 && len(rq.Serials) == 0 && *expFrom == "" && *expTo == "")) {
		return fmt.Errorf("usage: serialhub recall --gtin G (--lot L[,L...] | --expiry-from D --expiry-to D | --serials S,...|@FILE) [--format table|json|csv]\n" +
			"       serialhub recall --serials EPC,...|@FILE")
	}
	c := newClient(cfg)
	var r analytics.RecallResponse
	if len(rq.Lots) == 1 && len(list) == 0 && *expFrom == "" && *expTo == "" {
		r, err = c.recall(ctx, rq.GTIN, rq.Lots[0])
	} else {
		r, err = c.recallQuery(ctx, rq)
	}
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return writeRecallCSV(out, r)
	case "table":
		printRecall(out, r)
		return nil
	}
	return fmt.Errorf("--format %q: want table, json or csv", *format)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// readList reads a comma-separated list, or one item per line from @FILE.
func readList(s string) ([]string, error) {
	name, ok := strings.CutPrefix(s, "@")
	if !ok {
		return splitList(s), nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return splitList(strings.ReplaceAll(string(b), "\n", ",")), nil
}

func printRecall(out io.Writer, r analytics.RecallResponse) {
	what := "lot " + r.Lot
	if r.Lot == "" {
		what = fmt.Sprintf("%d lots", len(r.Summary.ByLot))
	}
	fmt.Fprintf(out, "GTIN %s %s: %d packs\n", r.GTIN, what, r.Count)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tLOT\tEXPIRY\tSTATE\tCASE\tPALLET\tSHIPPED\tPARTNER\tCOUNTRY\tSITE")
	for _, it := range r.Items {
		shipped := ""
		if it.ShippedAt != nil {
			shipped = it.ShippedAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Serial, it.Lot, it.Expiry, it.State, it.Case, it.Pallet,
			shipped, it.Partner, it.Country, it.Site)
	}
	tw.Flush()
	s := r.Summary
	fmt.Fprintf(out, "\nsummary: %d packs, %d shipped, %d dispensed, %d decommissioned, in %d cases on %d pallets\n",
		s.Packs, s.Shipped, s.Dispensed, s.Decommissioned, s.Cases, s.Pallets)
	for _, g := range []struct {
		name string
		m    map[string]int
	}{{"by state", s.ByState}, {"by partner", s.ByPartner}, {"by country", s.ByCountry}} {
		if len(g.m) == 0 {
			continue
		}
		keys := make([]string, 0, len(g.m))
		for k := range g.m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return g.m[keys[i]] > g.m[keys[j]] || g.m[keys[i]] == g.m[keys[j]] && keys[i] < keys[j]
		})
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, g.m[k])
		}
		fmt.Fprintf(out, "  %-11s %s\n", g.name+":", strings.Join(parts, ", "))
	}
}

// writeRecallCSV writes one line per pack, for spreadsheets and partner notices.
func writeRecallCSV(out io.Writer, r analytics.RecallResponse) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"epc", "gtin", "serial", "lot", "expiry", "site", "state", "case", "pallet", "case_at_shipment",
		"pallet_at_shipment", "shipped_at", "partner", "country", "dispensed", "decommissioned"})
	for _, it := range r.Items {
		shipped := ""
		if it.ShippedAt != nil {
			shipped = it.ShippedAt.UTC().Format(time.RFC3339)
		}
		_ = w.Write([]string{it.EPC, it.GTIN, it.Serial, it.Lot, it.Expiry, it.Site, it.State, it.Case, it.Pallet,
			it.CaseAtShipment, it.PalletAtShipment, shipped, it.Partner, it.Country,
			strconv.FormatBool(it.Dispensed), strconv.FormatBool(it.Decommissioned)})
	}
	w.Flush()
	return w.Error()
}
