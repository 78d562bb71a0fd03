package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

// TestEUHubCommands runs the EU Hub part of the demo (release in chunks, recall, two alerts
// investigated) on an in-process hub, then the euhub and alerts commands on what it left.
func TestEUHubCommands(t *testing.T) {
	getenv, _ := testHub(t)
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, getenv, &out, io.Discard)
		return out.String(), err
	}
	// A commissioned batch, as the demo makes it, then the demo's EU Hub part.
	_, cfg := getenvCfg(t, getenv)
	admin := newClient(cfg)
	site := domain.Site{ID: demoSite, Name: "EU test site", GLN: demoSiteGLN, Country: "DE"}
	if err := admin.postJSON(ctx, "/v1/sites", site, &site); err != nil {
		t.Fatal(err)
	}
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+demoSite+"/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	siteClient := admin.withToken(key.Token)
	gtin, err := demoGTIN()
	if err != nil {
		t.Fatal(err)
	}
	lot := "L" + time.Now().UTC().Format("060102150405")
	issued, err := demoMasterData(ctx, admin, siteClient, gtin, lot, demoPacks)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := demoDocumentWith(gtin, lot, issued)
	if err != nil {
		t.Fatal(err)
	}
	r, err := siteClient.upload(ctx, demoSite, "application/xml", doc)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = siteClient.waitReceipt(ctx, r.ID, 2*time.Minute); err != nil || r.Status != domain.StatusProcessed {
		t.Fatalf("upload: %+v %v", r, err)
	}
	var buf bytes.Buffer
	if err := demoEUHub(ctx, cfg, admin, string(gtin), lot, issued, &buf); err != nil {
		t.Fatalf("EU Hub demo: %v\n%s", err, buf.String())
	}
	out := buf.String()
	for _, want := range []string{"released to EU markets: 12 packs in 3 chunks", "12 of 12 packs acknowledged", "holds exactly 12 packs",
		"recall of batch", "scan_error_gs_separator", "never_commissioned"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("EU Hub demo:\n%s", out)

	out, err = cli("euhub", "status", "--gtin", string(gtin), "--lot", lot)
	if err != nil || !strings.Contains(out, "complete: true") {
		t.Fatalf("euhub status: %v\n%s", err, out)
	}
	out, err = cli("alerts", "list", "--code", "A3")
	if err != nil || strings.Count(out, "\n") != 3 {
		t.Fatalf("alerts list: %v\n%s", err, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err = cli("alerts", "close", id, "--reason", "checked with the pharmacy"); err != nil || !strings.Contains(out, "closed: checked") {
		t.Fatalf("alerts close: %v\n%s", err, out)
	}
	if out, err = cli("alerts", "export", "--status", "closed"); err != nil || strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, "id,code") {
		t.Fatalf("alerts export: %v\n%s", err, out)
	}
	if _, err = cli("euhub", "withdraw", "--gtin", string(gtin), "--reason", "test", "--confirm", "yes"); err == nil || !strings.Contains(err.Error(), "cannot be undone") {
		t.Fatalf("withdraw without confirmation: %v", err)
	}
	if out, err = cli("euhub", "decommission", "--gtin", string(gtin), "--lot", lot, "--expiry", "2028-01-01", "--status", "sample", "X1"); err == nil {
		t.Fatalf("decommission with an ISO expiry accepted: %s", out)
	}
}

func getenvCfg(t *testing.T, getenv func(string) string) (func(string) string, Config) {
	t.Helper()
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	return getenv, cfg
}
