package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/serialhub/serialhub/sites/masterdata"
	"github.com/serialhub/serialhub/sites/serials"
)

// masterdataRoutes mounts the master-data and serial-pool APIs.
func masterdataRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, d *deps, log *slog.Logger) {
	md := masterdata.NewStore(d.pg)
	(&masterdata.Handler{Store: md, Log: log}).Routes(mux, auth)
	(&serials.Handler{Store: serials.NewStore(d.pg, md, log), Log: log}).Routes(mux, auth)
}

const masterdataUsage = `usage:
  serialhub masterdata import [--kind K] [--all-or-nothing=false] FILE.csv...
      kinds: markets, sites, lines, products, partners (detected from the header when not given);
      all-or-nothing (default): a file with any wrong row imports nothing
  serialhub masterdata list KIND [--site S] [--after KEY] [--limit N]
  serialhub masterdata show KIND KEY        (lines: SITE/LINE)
  serialhub masterdata history KIND KEY     every recorded version, with who and when`

// runMasterdata is `serialhub masterdata import|list|show|history`.
func runMasterdata(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", masterdataUsage)
	}
	c := newClient(cfg)
	switch args[0] {
	case "import":
		return runMasterdataImport(ctx, c, args[1:], out)
	case "list":
		fs := flag.NewFlagSet("masterdata list", flag.ContinueOnError)
		site := fs.String("site", "", "site of the lines")
		after := fs.String("after", "", "list after this key")
		limit := fs.Int("limit", 100, "at most this many (max 1000)")
		if len(args) < 2 {
			return fmt.Errorf("%s", masterdataUsage)
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		path, err := kindPath(args[1], *site)
		if err != nil {
			return err
		}
		path += "?after=" + url.QueryEscape(*after) + "&limit=" + strconv.Itoa(*limit)
		return getJSON(ctx, c, path, out)
	case "show", "history":
		if len(args) != 3 {
			return fmt.Errorf("%s", masterdataUsage)
		}
		kind, key := singular(args[1]), args[2]
		if args[0] == "history" {
			return getJSON(ctx, c, "/v1/masterdata/versions/"+url.PathEscape(kind)+"/"+key, out)
		}
		site, line, isLine := strings.Cut(key, "/")
		if kind == masterdata.KindLine {
			if !isLine {
				return fmt.Errorf("a line is named SITE/LINE")
			}
			return getJSON(ctx, c, "/v1/sites/"+url.PathEscape(site)+"/lines/"+url.PathEscape(line), out)
		}
		path, err := kindPath(kind, "")
		if err != nil {
			return err
		}
		return getJSON(ctx, c, path+"/"+url.PathEscape(key), out)
	}
	return fmt.Errorf("%s", masterdataUsage)
}

// singular accepts "products" or "product".
func singular(kind string) string { return strings.TrimSuffix(strings.ToLower(kind), "s") }

func kindPath(kind, site string) (string, error) {
	switch singular(kind) {
	case masterdata.KindMarket, masterdata.KindProduct, masterdata.KindSite, masterdata.KindPartner:
		return "/v1/" + singular(kind) + "s", nil
	case masterdata.KindLine:
		if site == "" {
			return "", fmt.Errorf("lines belong to a site: give --site")
		}
		return "/v1/sites/" + url.PathEscape(site) + "/lines", nil
	}
	return "", fmt.Errorf("unknown kind %q: want markets, products, sites, lines or partners", kind)
}

func getJSON(ctx context.Context, c *apiClient, path string, out io.Writer) error {
	var v json.RawMessage
	if _, err := c.do(ctx, http.MethodGet, path, "", nil, &v); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, string(v))
	return err
}

func runMasterdataImport(ctx context.Context, c *apiClient, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("masterdata import", flag.ContinueOnError)
	kind := fs.String("kind", "", "markets, sites, lines, products or partners (default: from the header)")
	all := fs.Bool("all-or-nothing", true, "import nothing from a file with any wrong row (false: import the valid rows)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s", masterdataUsage)
	}
	k := ""
	if *kind != "" {
		k = singular(*kind)
	}
	failed := 0
	for _, name := range fs.Args() {
		res, err := importFile(ctx, c, name, k, *all)
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", name, err)
			failed++
			continue
		}
		fmt.Fprintf(out, "%s: %ss: %d rows: %d created, %d updated, %d unchanged, %d with errors\n", filepath.Base(name),
			res.Kind, res.Rows, res.Created, res.Updated, res.Unchanged, res.Rejected)
		for _, e := range res.Errors {
			fmt.Fprintf(out, "    %s\n", e.String())
		}
		switch {
		case !res.Committed:
			fmt.Fprintf(out, "    nothing imported (all-or-nothing): fix the rows above, or --all-or-nothing=false to import the valid rows\n")
			failed++
		case res.Rejected > 0:
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files had errors", failed, fs.NArg())
	}
	return nil
}

// importFile posts one CSV file. Its answer carries the row errors both when it was
// imported (200) and when nothing was (422).
func importFile(ctx context.Context, c *apiClient, name, kind string, all bool) (masterdata.ImportAnswer, error) {
	var res masterdata.ImportAnswer
	f, err := os.Open(name)
	if err != nil {
		return res, err
	}
	defer f.Close()
	path := "/v1/masterdata/import?all_or_nothing=" + strconv.FormatBool(all) + "&kind=" + url.QueryEscape(kind)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, f)
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return res, fmt.Errorf("POST %s: %w (is the hub running? `make up`)", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return res, fmt.Errorf("read answer: %w", err)
	}
	if err := json.Unmarshal(b, &res); err != nil || (resp.StatusCode != http.StatusOK && res.Kind == "") {
		if res.Message != "" {
			return res, fmt.Errorf("%s", res.Message)
		}
		return res, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return res, nil
}
