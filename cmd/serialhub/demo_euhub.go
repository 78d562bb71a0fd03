package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/gateways/euhub/sim"
	"github.com/serialhub/serialhub/workflows/alerts"
)

// demoEUHub releases the demo batch to EU markets through a simulated EU Hub on loopback:
// master data, the packs in acknowledged chunks, a recall reaching the hub, and two alerts
// raised by simulated pharmacy scans, investigated by the hub.
func demoEUHub(ctx context.Context, cfg Config, admin *apiClient, gtin, lot string, packs []string, out io.Writer) error {
	step := func(format string, a ...any) { fmt.Fprintf(out, "• "+format+"\n", a...) }
	if cfg.DataDir == "" {
		return fmt.Errorf("EU Hub demo: no data folder")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	simToken := hex.EncodeToString(b)
	tokFile := filepath.Join(cfg.DataDir, "euhub-sim.token")
	if err := os.WriteFile(tokFile, []byte(simToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("EU Hub demo: %w", err)
	}
	keyFile, err := euhubAlertKey(ctx, cfg)
	if err != nil {
		return err
	}
	hubKey, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("EU Hub demo: %w", err)
	}
	s, err := sim.Start("127.0.0.1:0", sim.Config{Token: simToken, Callback: cfg.URL, CallbackToken: strings.TrimSpace(string(hubKey))})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := euhubConnect(ctx, cfg, s.URL(), "file:"+tokFile, io.Discard); err != nil {
		return err
	}
	step("EU Hub simulator on %s (SOAP); hub delivery settings point at it", s.URL())

	md := euhub.ProductMasterData{Product: euhub.ProductCode{Scheme: "GTIN", Code: gtin}, Name: "Demo pills 10 mg",
		CommonName: "demoxetine", Form: "film-coated tablet", Strength: "10 mg", PackType: "blister", PackSize: 30,
		// The national code carries the run's lot: master data that changes is a new message, so
		// every demo run (and test hub) uploads it once.
		Markets: []euhub.Market{{Country: "DE", NationalCode: lot}, {Country: "FR"}},
		MAH:     euhub.Address{Name: "Demo Pharma GmbH", Street: "Demostr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}}
	var res map[string]string
	if err := admin.postJSON(ctx, "/v1/euhub/products", md, &res); err != nil {
		return fmt.Errorf("EU Hub master data: %w", err)
	}
	if err := demoWaitSubmission(ctx, admin, res["obligation"], gateways.StatusAccepted); err != nil {
		return err
	}
	step("product master data of %s accepted by the EU Hub (%s)", gtin, res["obligation"])

	expiry := time.Now().UTC().AddDate(2, 0, 0).Format("060102")
	var rel euhub.ReleaseResult
	if err := admin.postJSON(ctx, "/v1/euhub/releases", euhub.Release{GTIN: gtin, Lot: lot, Expiry: expiry, ChunkSize: 5}, &rel); err != nil {
		return fmt.Errorf("EU Hub release: %w", err)
	}
	step("batch %s released to EU markets: %d packs in %d chunks", lot, rel.Packs, len(rel.Obligations))
	fmt.Fprintln(out)
	if err := euhubWait(ctx, admin, gtin, lot, out, 2*time.Minute); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if n := s.BatchPacks(gtin, lot); n != len(packs) {
		return fmt.Errorf("the EU Hub holds %d packs of %s, want %d", n, lot, len(packs))
	}
	step("the EU Hub holds exactly %d packs of batch %s", len(packs), lot)

	if err := admin.postJSON(ctx, "/v1/euhub/recalls", map[string]string{"gtin": gtin, "lot": lot, "reason": "demo: quality defect"}, &res); err != nil {
		return fmt.Errorf("EU Hub recall: %w", err)
	}
	if err := demoWaitSubmission(ctx, admin, res["obligation"], gateways.StatusAccepted); err != nil {
		return err
	}
	if !s.Recalled(gtin, lot) {
		return fmt.Errorf("the recall of %s did not reach the EU Hub", lot)
	}
	step("recall of batch %s acknowledged by the EU Hub", lot)

	scans := []sim.Scan{
		{GTIN: gtin, Lot: lot, Expiry: expiry, Serial: packs[0] + "17" + expiry, Market: "DE"}, // GS separator lost
		{GTIN: gtin, Lot: lot, Expiry: expiry, Serial: "FAKE0000001", Market: "FR"},            // never made
	}
	for _, sc := range scans {
		a, err := s.ScanPack(ctx, sc)
		if err != nil {
			return err
		}
		if a == nil {
			return fmt.Errorf("scan of %s raised no alert", sc.Serial)
		}
		r, err := demoWaitAlert(ctx, admin, a.AlertID)
		if err != nil {
			return err
		}
		step("pharmacy in %s scanned serial %q: alert %s %s (%s)\n    investigation: %s\n    proposed: %s", sc.Market, sc.Serial, r.Code, r.Text, r.ID, r.Cause, r.Action)
	}
	return nil
}

func demoWaitSubmission(ctx context.Context, c *apiClient, id string, want gateways.Status) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var sub gateways.Submission
		if _, err := c.do(ctx, http.MethodGet, "/v1/submissions/"+url.PathEscape(id), "", nil, &sub); err != nil {
			return err
		}
		if sub.Status.Final() || time.Now().After(deadline) {
			if sub.Status != want {
				return fmt.Errorf("submission %s: %s %v %s", id, sub.Status, sub.Reasons, sub.LastError)
			}
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func demoWaitAlert(ctx context.Context, c *apiClient, id string) (alerts.Record, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var r alerts.Record
		if _, err := c.do(ctx, http.MethodGet, "/v1/alerts/"+url.PathEscape(id), "", nil, &r); err != nil {
			return r, err
		}
		if r.Status == "investigated" && r.Cause != "" {
			return r, nil
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("alert %s was not investigated in time", id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
