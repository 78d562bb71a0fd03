// Command sitesim simulates packaging sites against a running hub (sites/sim): N sites × M
// lines produce batches at their ideal rates with rejects and downtime, request serials,
// commission, aggregate into cases and pallets, ship to partners, upload EPCIS documents with
// each site's key and send line data; on request it sends faulty documents the hub must
// reject. It finds the hub like the serialhub CLI does: SERIALHUB_URL (or SERIALHUB_HTTP_ADDR /
// SERIALHUB_HTTP_PORT of the local stack) and SERIALHUB_TOKEN (or deploy/local/data/admin.token).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/sites/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], localenv.Getenv(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sitesim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("sitesim", flag.ContinueOnError)
	var c sim.Config
	fs.IntVar(&c.Sites, "sites", 3, "number of sites")
	fs.IntVar(&c.Lines, "lines", 4, "packaging lines per site")
	fs.StringVar(&c.SitePrefix, "site-prefix", "sim-site", "site ids are PREFIX-1, PREFIX-2...")
	fs.IntVar(&c.Partners, "partners", 3, "trading partners to ship to")
	fs.IntVar(&c.Batches, "batches", 0, "batches per line (0: until -duration; neither: 1)")
	fs.DurationVar(&c.Duration, "duration", 0, "run for this long (lines catch up, then produce in real time)")
	fs.DurationVar(&c.Period, "period", 0, "simulated production time per batch (default 15m)")
	fs.Float64Var(&c.IdealRate, "rate", 0, "ideal rate in packs/min (0: the line's master data, 120 for a new line)")
	fs.IntVar(&c.PacksPerCase, "case", 20, "packs per case")
	fs.IntVar(&c.CasesPerPallet, "pallet", 5, "cases per pallet")
	fs.IntVar(&c.Faults.Duplicates, "duplicates", 0, "faulty documents repeating accepted events")
	fs.IntVar(&c.Faults.UnknownChildren, "unknown-children", 0, "faulty documents aggregating packs never commissioned")
	fs.IntVar(&c.Faults.WrongLot, "wrong-lot", 0, "faulty documents commissioning serials with another lot")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the lines' behaviour (0: from the clock)")
	fs.IntVar(&c.InFlight, "in-flight", 4, "documents uploaded and not yet processed at once")
	keys := fs.String("keys", "", "site API keys SITE=TOKEN,... (others are created with the admin token)")
	verbose := fs.Bool("v", false, "print every batch")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.URL, c.Token = hubOf(getenv)
	if c.Token == "" {
		return errors.New("no admin token: set SERIALHUB_TOKEN or start the local stack (make up)")
	}
	if *keys != "" {
		c.Keys = map[string]string{}
		for _, kv := range strings.Split(*keys, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("-keys: %q is not SITE=TOKEN", kv)
			}
			c.Keys[k] = v
		}
	}
	if *verbose {
		c.Log = out
	}
	res, err := sim.Run(ctx, c)
	if res != nil {
		res.Print(out)
	}
	if err != nil {
		return err
	}
	return res.Check()
}

// hubOf finds the API and the admin token like the serialhub CLI: SERIALHUB_URL, else
// SERIALHUB_HTTP_ADDR or the stack's SERIALHUB_HTTP_PORT; SERIALHUB_TOKEN, else the token
// file beside the local stack's env file (or in SERIALHUB_DATA).
func hubOf(getenv func(string) string) (base, token string) {
	base = getenv("SERIALHUB_URL")
	if base == "" {
		addr := getenv("SERIALHUB_HTTP_ADDR")
		if addr == "" && getenv("SERIALHUB_HTTP_PORT") != "" {
			addr = "127.0.0.1:" + getenv("SERIALHUB_HTTP_PORT")
		}
		if addr == "" {
			addr = "127.0.0.1:18080"
		}
		base = "http://" + addr
	}
	token = getenv("SERIALHUB_TOKEN")
	if token != "" {
		return base, token
	}
	dir := getenv("SERIALHUB_DATA")
	if dir == "" {
		if wd, err := os.Getwd(); err == nil {
			if p := localenv.Find(wd); p != "" {
				dir = filepath.Dir(p)
			}
		}
	}
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "admin.token")); err == nil {
			token = strings.TrimSpace(string(b))
		}
	}
	return base, token
}
