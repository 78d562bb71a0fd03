// Package sim simulates packaging sites talking to the hub: N sites × M lines producing at
// their ideal rates with rejects and downtime, requesting serials, commissioning packs,
// aggregating them into cases and pallets, shipping to trading partners, uploading EPCIS
// documents with each site's API key and sending the lines' data for OEE. On request it also
// sends faulty documents (duplicates, unknown children, wrong lot) that the hub must reject.
// It talks to the hub over HTTP only, so cmd/sitesim, the demo and tests share it.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Config is one simulation run.
type Config struct {
	URL   string // the hub's API base URL
	Token string // an admin token: sets up master data and site keys
	// Keys are site API keys by site id; a site without one gets a new key (admin token).
	Keys       map[string]string
	HTTPClient *http.Client

	Sites      int    // number of sites (default 2)
	Lines      int    // lines per site (default 2)
	SitePrefix string // site ids are SitePrefix-1, SitePrefix-2... (default "sim-site")
	Partners   int    // trading partners shipped to (default 3)

	// A run ends after Batches batches per line or after Duration, whichever is first
	// (neither: 1 batch). A batch is one lot and one Period of simulated production.
	Batches  int
	Duration time.Duration
	Period   time.Duration // simulated time per batch (default 15m)
	// IdealRate in packs/min; 0 takes each line's rate from the master data (120 for a new line).
	IdealRate      float64
	PacksPerCase   int // default 20
	CasesPerPallet int // default 5

	Faults Faults
	Seed   uint64        // behaviour of the lines (rejects, stops); 0: from the clock
	Wait   time.Duration // longest wait for a receipt (default 2m)
	// InFlight is how many documents may be uploaded and not yet processed at once (default
	// 4: documents of different sites are processed side by side; those of one site wait for
	// the site's lock, on a connection outside the hub's pool).
	InFlight int
	Log      io.Writer // progress lines; nil: none
}

// Faults are how many faulty documents of each kind to send (each on its own, after the
// good batches, round-robin over sites and lines).
type Faults struct {
	Duplicates      int // a new document repeating an accepted document's events: duplicate_event
	UnknownChildren int // packs never commissioned aggregated into a case: child_not_commissioned
	WrongLot        int // serials requested for one lot, commissioned with another: lot_mismatch
}

// ExpectedCode is the rule code the hub must give each kind of faulty document.
var ExpectedCode = map[string]string{
	FaultDuplicate:       "duplicate_event",
	FaultUnknownChildren: "child_not_commissioned",
	FaultWrongLot:        "lot_mismatch",
}

// The kinds of faulty documents.
const (
	FaultDuplicate       = "duplicate"
	FaultUnknownChildren = "unknown-children"
	FaultWrongLot        = "wrong-lot"
)

// Result is what a run did, counted from the documents the hub accepted.
type Result struct {
	RunID            string
	Sites, Lines     int
	Batches          int // good batches (documents) sent
	Documents        int // documents uploaded, faulty ones included
	Processed        int
	Rejected         int
	Packs            int // commissioned in processed documents
	Cases            int
	Pallets          int
	Shipments        int // shipping events (one per pallet)
	LineRejects      int // packs the lines rejected (serials printed, not commissioned)
	SerialsRequested int
	SerialsReturned  int
	Stops            int // unplanned stops (state down)
	LineStates       int // line data records sent
	LineCounts       int
	Lots             []Lot
	Faulty           []Faulty
	// Unexpected lists what went wrong: good documents rejected, faulty ones accepted or
	// rejected for another reason.
	Unexpected []string
}

// Lot is one batch that the hub accepted.
type Lot struct {
	Site, Line, GTIN, Lot, Expiry string
	Packs, Cases, Pallets         int
	Partner                       string // GLN shipped to
}

// Faulty is a faulty document and what the hub said about it.
type Faulty struct {
	Kind, Site, Line string
	Receipt          domain.Receipt
	Codes            []string // rule codes of the receipt's errors
}

// Check reports an error when anything unexpected happened.
func (r *Result) Check() error {
	if len(r.Unexpected) > 0 {
		return fmt.Errorf("site simulation: %s", strings.Join(r.Unexpected, "; "))
	}
	return nil
}

// Print writes the counts and the faulty documents with the hub's reasons.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "%d sites × %d lines, %d batches: %d documents uploaded (%d processed, %d rejected)\n",
		r.Sites, r.Lines, r.Batches, r.Documents, r.Processed, r.Rejected)
	fmt.Fprintf(w, "packs %d, cases %d, pallets %d, shipments %d; line rejects %d, unplanned stops %d\n",
		r.Packs, r.Cases, r.Pallets, r.Shipments, r.LineRejects, r.Stops)
	fmt.Fprintf(w, "serials requested %d, returned %d; line data: %d state changes, %d count records\n",
		r.SerialsRequested, r.SerialsReturned, r.LineStates, r.LineCounts)
	for _, f := range r.Faulty {
		fmt.Fprintf(w, "faulty %-16s %s/%s receipt %s: %s\n", f.Kind, f.Site, f.Line, f.Receipt.ID, f.Receipt.Status)
		for i, e := range f.Receipt.Errors {
			if i == 3 {
				fmt.Fprintf(w, "    ... %d more\n", len(f.Receipt.Errors)-i)
				break
			}
			fmt.Fprintf(w, "    %s\n", e)
		}
	}
	for _, u := range r.Unexpected {
		fmt.Fprintf(w, "UNEXPECTED: %s\n", u)
	}
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Sites, 2)
	def(&c.Lines, 2)
	def(&c.Partners, 3)
	def(&c.PacksPerCase, 20)
	def(&c.CasesPerPallet, 5)
	def(&c.InFlight, 4)
	if c.Batches <= 0 && c.Duration <= 0 {
		c.Batches = 1
	}
	if c.Period <= 0 {
		c.Period = 15 * time.Minute
	}
	if c.SitePrefix == "" {
		c.SitePrefix = "sim-site"
	}
	if c.Wait <= 0 {
		c.Wait = 2 * time.Minute
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Run sets up what the simulation needs, runs every line until its batches are done (or the
// duration is over), then sends the faulty documents. The error is about the run itself
// (the hub unreachable, set-up refused); what the hub said about documents is in the Result
// (see Result.Check).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	admin := &client{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, http: cfg.HTTPClient,
		inFlight: make(chan struct{}, cfg.InFlight)}
	now := time.Now().UTC().Truncate(time.Second)
	res := &Result{RunID: strconv.FormatInt(now.Unix(), 36), Sites: cfg.Sites, Lines: cfg.Lines}
	world, err := setUp(ctx, cfg, admin)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "sitesim run %s: %d sites × %d lines, %d partners\n", res.RunID, cfg.Sites, cfg.Lines, len(world.partners))

	// Simulated time: the lines start far enough back that their batches end before now;
	// with a duration, lines catch up and then produce in real time.
	span := cfg.Period * time.Duration(max(cfg.Batches, 1))
	if cfg.Batches == 0 {
		span = 8 * time.Hour
	}
	start := now.Add(-span - time.Minute).Truncate(time.Minute)
	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	var lines []*line
	for si, s := range world.sites {
		for li := range s.lines {
			ln := &line{cfg: &cfg, site: s, id: s.lines[li].id, rate: s.lines[li].rate, idx: si*cfg.Lines + li,
				world: world, runID: res.RunID, clock: start,
				rng: rand.New(rand.NewPCG(cfg.Seed, uint64(si*1000+li)))}
			lines = append(lines, ln)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ln.run(runCtx, ctx, res, &mu); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	if err := sendFaults(ctx, cfg, lines, res); err != nil {
		return res, err
	}
	sort.Slice(res.Lots, func(i, j int) bool { return res.Lots[i].Lot < res.Lots[j].Lot })
	return res, nil
}

// sendFaults sends the requested faulty documents round-robin over the lines and records
// the hub's answers.
func sendFaults(ctx context.Context, cfg Config, lines []*line, res *Result) error {
	var kinds []string
	for k, n := range map[string]int{FaultDuplicate: cfg.Faults.Duplicates, FaultUnknownChildren: cfg.Faults.UnknownChildren, FaultWrongLot: cfg.Faults.WrongLot} {
		for range n {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	for i, kind := range kinds {
		ln := lines[i%len(lines)]
		f, err := ln.fault(ctx, kind, res)
		if err != nil {
			return fmt.Errorf("faulty document %s on %s/%s: %w", kind, ln.site.id, ln.id, err)
		}
		res.Documents++
		if f.Receipt.Status == domain.StatusRejected {
			res.Rejected++
		} else {
			res.Processed++
		}
		f.Codes = codesOf(f.Receipt.Errors)
		want := ExpectedCode[kind]
		switch {
		case f.Receipt.Status != domain.StatusRejected:
			res.Unexpected = append(res.Unexpected, fmt.Sprintf("faulty document %s (%s, receipt %s) was %s", kind, ln.site.id, f.Receipt.ID, f.Receipt.Status))
		case !contains(f.Codes, want):
			res.Unexpected = append(res.Unexpected, fmt.Sprintf("faulty document %s (receipt %s) rejected with %v, want %s", kind, f.Receipt.ID, f.Codes, want))
		}
		res.Faulty = append(res.Faulty, f)
		fmt.Fprintf(cfg.Log, "faulty %s %s/%s: receipt %s %s %v\n", kind, ln.site.id, ln.id, f.Receipt.ID, f.Receipt.Status, f.Codes)
	}
	return nil
}

// codesOf takes the rule codes out of a receipt's errors ("[code] event 0 ...").
func codesOf(errs []string) []string {
	var out []string
	for _, e := range errs {
		if !strings.HasPrefix(e, "[") {
			continue
		}
		if i := strings.Index(e, "]"); i > 1 && !contains(out, e[1:i]) {
			out = append(out, e[1:i])
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// esc escapes a path segment.
func esc(s string) string { return url.PathEscape(s) }
