package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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

// do sends a request and decodes a JSON answer into out; an error answer becomes an error
// carrying the API's message. It returns the HTTP status.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w (is the hub running? `make up`)", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e api.ErrorBody
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return resp.StatusCode, &domain.Error{Code: e.Code, Message: e.Message}
		}
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *site == "" || fs.NArg() == 0 {
		return errors.New("usage: serialhub upload --site S FILE ...")
	}
	c := newClient(cfg)
	failed := 0
	for i, name := range fs.Args() {
		body, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "[%d/%d] %s (%d bytes) ... ", i+1, fs.NArg(), name, len(body))
		r, err := c.upload(ctx, *site, contentTypeOf(name), body)
		if err != nil {
			fmt.Fprintf(out, "failed: %v\n", err)
			failed++
			continue
		}
		if *wait && !r.Duplicate {
			if r, err = c.waitReceipt(ctx, r.ID, 10*time.Minute); err != nil {
				fmt.Fprintf(out, "failed: %v\n", err)
				failed++
				continue
			}
		}
		fmt.Fprintf(out, "%s receipt %s: %d events, %d serials%s\n", r.Status, r.ID, r.Events, r.Serials, dupNote(r))
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
	lot := fs.String("lot", "", "lot/batch number")
	format := fs.String("format", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *gtin == "" || *lot == "" {
		return fmt.Errorf("usage: serialhub recall --gtin G --lot L [--format table|json]")
	}
	r, err := newClient(cfg).recall(ctx, *gtin, *lot)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printRecall(out, r)
	return nil
}

func printRecall(out io.Writer, r analytics.RecallResponse) {
	fmt.Fprintf(out, "GTIN %s lot %s: %d packs\n", r.GTIN, r.Lot, r.Count)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tEXPIRY\tCASE\tSITE\tLAST STEP")
	for _, it := range r.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Serial, it.Expiry, it.Parent, it.Site, it.LastBizStep)
	}
	tw.Flush()
}
