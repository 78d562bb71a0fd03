package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/serialhub/serialhub/sites/sim"
)

// TestSiteSim runs the site simulator in-process against a test hub with every intake rule:
// 2 sites × 2 lines, one short batch each, then one faulty document of each kind. The good
// batches are processed and recallable; each faulty document is rejected with its rule code.
func TestSiteSim(t *testing.T) {
	_, cfg := testHubEnv(t, map[string]string{"SERIALHUB_INTAKE_RULES": "all"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := sim.Run(ctx, sim.Config{URL: cfg.URL, Token: cfg.Token, Sites: 2, Lines: 2, Batches: 1,
		Period: time.Minute, IdealRate: 60, PacksPerCase: 10, CasesPerPallet: 2, Seed: 7,
		Faults: sim.Faults{Duplicates: 1, UnknownChildren: 1, WrongLot: 1}, Wait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"batches", res.Batches, 4},
		{"documents", res.Documents, 7},
		{"processed", res.Processed, 4},
		{"rejected", res.Rejected, 3},
		{"lots", len(res.Lots), 4},
		{"line count records", res.LineCounts, 4},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	cases, pallets := 0, 0
	for _, l := range res.Lots {
		cases += (l.Packs + 9) / 10
		pallets += ((l.Packs+9)/10 + 1) / 2
	}
	if res.Packs == 0 || res.Cases != cases || res.Pallets != pallets || res.Shipments != res.Pallets {
		t.Errorf("packs %d, cases %d, pallets %d, shipments %d", res.Packs, res.Cases, res.Pallets, res.Shipments)
	}
	if res.SerialsRequested != res.Packs+res.LineRejects || res.SerialsReturned != res.LineRejects {
		t.Errorf("serials requested %d, returned %d; packs %d, line rejects %d", res.SerialsRequested, res.SerialsReturned, res.Packs, res.LineRejects)
	}
	kinds := map[string]bool{}
	for _, f := range res.Faulty {
		kinds[f.Kind] = true
		if want := sim.ExpectedCode[f.Kind]; f.Receipt.Status != "rejected" || !slices.Contains(f.Codes, want) {
			t.Errorf("faulty %s: status %s, codes %v, want rejected with %s", f.Kind, f.Receipt.Status, f.Codes, want)
		}
	}
	if len(kinds) != 3 {
		t.Errorf("faulty kinds sent: %v", kinds)
	}
	lot := res.Lots[0]
	rec, err := newClient(cfg).recall(ctx, lot.GTIN, lot.Lot)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Count != lot.Packs || rec.Summary.Shipped != lot.Packs || rec.Summary.Pallets != lot.Pallets {
		t.Errorf("recall of %s: %d packs, %d shipped, %d pallets; want %d packs on %d pallets, all shipped",
			lot.Lot, rec.Count, rec.Summary.Shipped, rec.Summary.Pallets, lot.Packs, lot.Pallets)
	}
}
