package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestEUHubCommands runs the demo (its EU Hub part: release in chunks, recall, two alerts
// investigated) on an in-process hub, then the euhub and alerts commands on what it left.
func TestEUHubCommands(t *testing.T) {
	getenv, _ := testHub(t)
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, getenv, &out, io.Discard)
		return out.String(), err
	}
	out, err := cli("demo")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"released to EU markets: 12 packs in 3 chunks", "12 of 12 packs acknowledged", "holds exactly 12 packs",
		"recall of batch", "scan_error_gs_separator", "never_commissioned", "every step succeeded"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("demo:\n%s", out)
	m := regexp.MustCompile(`batch (L\d+) released`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("no lot in the demo output")
	}
	lot := m[1]
	gtin, _ := demoGTIN()

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
