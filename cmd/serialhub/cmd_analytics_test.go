package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/domain"
)

// TestAnalyticsCommands runs line-data intake, oee, trace, recall (csv) and analytics rebuild
// against an in-process hub, with the site isolation of each.
func TestAnalyticsCommands(t *testing.T) {
	getenv, cfg := testHub(t)
	ctx := context.Background()
	admin := newClient(cfg)
	tokens := map[string]string{}
	for _, id := range []string{"site-a", "site-b"} {
		if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: id, Name: id}, nil); err != nil {
			t.Fatal(err)
		}
		var key struct{ Token string }
		if err := admin.postJSON(ctx, "/v1/sites/"+id+"/keys", nil, &key); err != nil {
			t.Fatal(err)
		}
		tokens[id] = key.Token
	}
	a, b := admin.withToken(tokens["site-a"]), admin.withToken(tokens["site-b"])

	// Line data: run 06–07, down 07–07:30 (jam), planned break 07:30–08:00; 90 good and 10
	// rejected in the first hour at an ideal 2 packs/min. Sent twice: counts once.
	d := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ld := analytics.LineData{Line: "L1",
		States: []analytics.LineState{{At: d, State: "running"}, {At: d.Add(time.Hour), State: "down", Reason: "jam"},
			{At: d.Add(90 * time.Minute), State: "planned", Reason: "break"}},
		Counts: []analytics.LineCount{{Start: d, End: d.Add(time.Hour), Good: 90, Rejected: 10, IdealRate: 2,
			SerialsUsed: 100, RejectReasons: map[string]int{"vision": 6, "weight": 4}}},
	}
	for range 2 {
		if err := a.postJSON(ctx, "/v1/sites/site-a/linedata", ld, nil); err != nil {
			t.Fatalf("line data: %v", err)
		}
	}
	if err := a.postJSON(ctx, "/v1/sites/site-b/linedata", ld, nil); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site A sending line data for site B: %v, want forbidden", err)
	}
	bad := ld
	bad.States = []analytics.LineState{{At: d, State: "down"}}
	if err := a.postJSON(ctx, "/v1/sites/site-a/linedata", bad, nil); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("down without reason: %v, want invalid", err)
	}
	if _, err := b.do(ctx, "GET", "/v1/oee?site=site-a&from=2026-03-02&to=2026-03-02", "", nil, nil); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site B reading site A's OEE: %v, want forbidden", err)
	}

	svg := filepath.Join(t.TempDir(), "oee.svg")
	var out bytes.Buffer
	args := []string{"oee", "--site", "site-a", "--from", "2026-03-02T06:00:00Z", "--to", "2026-03-02T08:00:00Z", "--format", "json", "--svg", svg}
	if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
		t.Fatalf("oee: %v", err)
	}
	var r analytics.OEEResponse
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		"availability": {r.Site.Availability, 60.0 / 90}, "performance": {r.Site.Performance, 100.0 / 120},
		"quality": {r.Site.Quality, 0.9}, "oee": {r.Site.OEE, 0.5},
	}
	for k, v := range want {
		if math.Abs(v[0]-v[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, v[0], v[1])
		}
	}
	if len(r.Downtime) != 1 || r.Downtime[0].Reason != "jam" || r.Downtime[0].Minutes != 30 {
		t.Errorf("downtime = %+v, want 30 min jam", r.Downtime)
	}
	if len(r.Rejects) != 2 || r.Rejects[0].Reason != "vision" || r.Rejects[0].Count != 6 {
		t.Errorf("rejects = %+v, want vision 6 first", r.Rejects)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("chart: %v %.40q", err, b)
	}

	// Upload a document, then recall as CSV and trace a pack from it.
	gtin, err := demoGTIN()
	if err != nil {
		t.Fatal(err)
	}
	doc, ids, err := demoDocument(gtin, "LOT-TR", 3)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := a.upload(ctx, "site-a", "application/xml", doc)
	if err != nil {
		t.Fatal(err)
	}
	if rc, err = a.waitReceipt(ctx, rc.ID, time.Minute); err != nil || rc.Status != domain.StatusProcessed {
		t.Fatalf("upload: %+v %v", rc, err)
	}
	out.Reset()
	if err := run(ctx, []string{"recall", "--gtin", string(gtin), "--lot", "LOT-TR", "--format", "csv"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("recall: %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 4 || !strings.Contains(out.String(), ids.caseURI) {
		t.Errorf("recall csv (%d lines):\n%s", n, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"trace", ids.caseURI, "--format", "json"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("trace: %v", err)
	}
	var tr analytics.TraceResponse
	if err := json.Unmarshal(out.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.DownCount != 3 {
		t.Errorf("trace of the case: holds %d, want 3: %s", tr.DownCount, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"trace", ids.packs[0]}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), ids.caseURI) {
		t.Errorf("trace of a pack: %v\n%s", err, out.String())
	}

	// Rebuild from PostgreSQL: the same recall.
	out.Reset()
	if err := run(ctx, []string{"analytics", "rebuild", "--truncate"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	rec, err := admin.recall(ctx, string(gtin), "LOT-TR")
	if err != nil || rec.Count != 3 || rec.Items[0].Case != ids.caseURI {
		t.Errorf("recall after rebuild: %+v %v", rec, err)
	}
}
