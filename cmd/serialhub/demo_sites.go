package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/serialhub/serialhub/sites/sim"
)

// demoSites runs the site simulator (sites/sim) for a short burst: 3 sites × 4 lines, one
// batch each, then one faulty document of each kind; it shows the counts, the rejected
// documents with the hub's reasons and a recall of one lot.
func demoSites(ctx context.Context, cfg Config, admin *apiClient, out io.Writer) error {
	step := func(format string, a ...any) { fmt.Fprintf(out, "• "+format+"\n", a...) }
	start := time.Now()
	res, err := sim.Run(ctx, sim.Config{URL: cfg.URL, Token: cfg.Token, Sites: 3, Lines: 4, Batches: 1,
		Period: 2 * time.Minute, IdealRate: 60, PacksPerCase: 10, CasesPerPallet: 5,
		Faults: sim.Faults{Duplicates: 1, UnknownChildren: 1, WrongLot: 1}, Wait: time.Minute})
	if err != nil {
		return err
	}
	step("site simulator (cmd/sitesim) ran 3 sites × 4 lines for a burst in %s:", time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(out)
	res.Print(out)
	fmt.Fprintln(out)
	if err := res.Check(); err != nil {
		return err
	}
	if len(res.Lots) == 0 {
		return fmt.Errorf("no lot was accepted")
	}
	lot := res.Lots[0]
	rec, err := admin.recall(ctx, lot.GTIN, lot.Lot)
	if err != nil {
		return fmt.Errorf("recall: %w", err)
	}
	if rec.Count != lot.Packs || rec.Summary.Shipped != lot.Packs {
		return fmt.Errorf("recall of lot %s: %d packs, %d shipped; want %d, all shipped", lot.Lot, rec.Count, rec.Summary.Shipped, lot.Packs)
	}
	step("recall of GTIN %s lot %s (%s/%s), first packs:", lot.GTIN, lot.Lot, lot.Site, lot.Line)
	fmt.Fprintln(out)
	if len(rec.Items) > 3 {
		rec.Items = rec.Items[:3]
	}
	printRecall(out, rec)
	fmt.Fprintln(out)
	return nil
}
