package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// TestVRSCommands runs product verification through the CLI against a whole hub: a partner
// key, the hub asking "a partner" that is itself through that key, both sides logged.
func TestVRSCommands(t *testing.T) {
	const partner = "0614141000012"
	getenv, cfg := testHubEnv(t, map[string]string{"SERIALHUB_INTAKE_RULES": "lifecycle", "SERIALHUB_GLN": "0614141000005"})
	ctx := context.Background()
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Exec(ctx, `INSERT INTO sites (id, name) VALUES ('vrs-site', 'S');
		INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state, last_event_time)
		VALUES ('urn:epc:id:sgtin:0312345.067890.V1', '00312345678906', 'V1', 'L1', '2028-05-31', 'vrs-site', 'recalled', now())`); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	if _, err := masterdata.NewStore(pg).PutPartner(ctx, masterdata.Partner{GLN: partner, Name: "VRS partner"},
		masterdata.PutOptions{By: "test"}); err != nil {
		t.Fatal(err)
	}
	keyOut := cli("vrs", "key", "--partner", partner)
	token := strings.TrimSpace(keyOut[strings.LastIndex(keyOut, ":")+1:])
	tokFile := filepath.Join(t.TempDir(), "partner.token")
	if err := os.WriteFile(tokFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("vrs", "partner", partner, "--endpoint", cfg.URL+"/v1/vrs", "--credentials", "file:"+tokFile)

	args := []string{"vrs", "verify", "--gtin", "00312345678906", "--serial", "V1", "--lot", "L1", "--expiry", "280531"}
	if out := cli(args...); !strings.Contains(out, "VERIFIED (Recalled)") {
		t.Errorf("verify: %q", out)
	}
	if out := cli(append(args, "--partner", partner)...); !strings.Contains(out, "VERIFIED (Recalled)") {
		t.Errorf("verify --partner: %q", out)
	}
	if out := cli("vrs", "verify", "--gtin", "00312345678906", "--serial", "V2", "--lot", "L1", "--expiry", "280531"); !strings.Contains(out, "No_match_GTIN_Serial") {
		t.Errorf("unknown serial: %q", out)
	}
	out := cli("vrs", "log")
	if strings.Count(out, "\n") != 5 || !strings.Contains(out, " in ") || !strings.Contains(out, " out ") {
		t.Errorf("log:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Error("the partner's token shows in the log")
	}
}
