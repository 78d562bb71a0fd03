package recall

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
)

func vectorsXSD(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "vectors", "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("EPCIS 1.2 XSD not found: %v", err)
	}
	return p
}

func testPacks() (NoticeHeader, []Pack) {
	shipped := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := Recall{Decision: Decision{ID: "RC-2026-001", GTIN: "04012345000016", Lots: []string{"L1", "L2"},
		Reason: "out-of-specification dissolution, \"stage 2\"", Class: ClassII, DecidedBy: "Dr. A. Quality"},
		CreatedAt: time.Date(2026, 3, 9, 8, 30, 15, 0, time.UTC)}
	packs := []Pack{
		{EPC: "urn:epc:id:sgtin:4012345.000001.S1", GTIN: r.GTIN, Serial: "S1", Lot: "L1", Expiry: "2028-01-31", State: "shipped",
			CaseAtShipment: "urn:epc:id:sscc:4012345.0000000001", PalletAtShipment: "urn:epc:id:sscc:4012345.0000000002", ShippedAt: &shipped},
		{EPC: "urn:epc:id:sgtin:4012345.000001.S2", GTIN: r.GTIN, Serial: "S2", Lot: "L1", Expiry: "2028-01-31", State: "dispensed", ShippedAt: &shipped},
		{EPC: "urn:epc:id:sgtin:4012345.000001.S3", GTIN: r.GTIN, Serial: "S3", Lot: "L2", Expiry: "2028-02-29", State: "shipped", ShippedAt: &shipped},
	}
	return NoticeHeader{Recall: r, DocumentID: NoticeObligationID(r.ID, "4099201000002"), SenderGLN: "4012345000009",
		PartnerGLN: "4099201000002", Country: "DE"}, packs
}

// TestEPCISNotice: the notice validates against the official EPCIS 1.2 XSD, says recalled in
// CBV words, names exactly the packs (per lot), and reads back with the hub's own decoder.
func TestEPCISNotice(t *testing.T) {
	xsd := vectorsXSD(t)
	h, packs := testPacks()
	b, err := WriteEPCIS(h, packs)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "notice.xml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, b)
	}
	again, _ := WriteEPCIS(h, packs)
	if !bytes.Equal(b, again) {
		t.Error("building the notice twice gave other bytes")
	}
	dec := epcisxml.NewDecoder(bytes.NewReader(b), epcis.DefaultLimits)
	doc, err := dec.Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Header == nil || doc.Header.InstanceIdentifier != "recallnotice-RC-2026-001-4099201000002" ||
		doc.Header.Receiver[0].Identifier != "4099201000002" {
		t.Errorf("SBDH: %+v", doc.Header)
	}
	byLot := map[string][]string{}
	for {
		ev, err := dec.Next()
		if err != nil {
			break
		}
		if ev.Type != epcis.ObjectEvent || ev.Action != epcis.ActionObserve || ev.BizStep != BizStepHolding || ev.Disposition != DispRecalled {
			t.Errorf("event: %s %s %s %s", ev.Type, ev.Action, ev.BizStep, ev.Disposition)
		}
		lot := ""
		for _, x := range ev.Extensions {
			for _, c := range x.Children {
				if c.Name.Local == "lot" {
					lot = c.Text
				}
			}
		}
		byLot[lot] = append(byLot[lot], ev.EPCList...)
	}
	want := map[string][]string{"L1": {packs[0].EPC, packs[1].EPC}, "L2": {packs[2].EPC}}
	for lot, epcs := range want {
		if !slices.Equal(byLot[lot], epcs) {
			t.Errorf("lot %s: %v, want %v", lot, byLot[lot], epcs)
		}
	}
	if len(byLot) != 2 {
		t.Errorf("lots: %v", byLot)
	}
}

func TestCSVNotice(t *testing.T) {
	h, packs := testPacks()
	b, err := WriteCSV(h, packs)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || !slices.Equal(recs[0], csvHeader) {
		t.Fatalf("csv:\n%s", b)
	}
	col := func(name string) int { return slices.Index(csvHeader, name) }
	for i, p := range packs {
		row := recs[i+1]
		if row[col("epc")] != p.EPC || row[col("lot")] != p.Lot || row[col("state")] != p.State ||
			row[col("recall_id")] != "RC-2026-001" || row[col("class")] != "II" || row[col("partner_gln")] != "4099201000002" ||
			row[col("reason")] != h.Recall.Reason || row[col("shipped_at")] != "2026-03-02T10:00:00Z" {
			t.Errorf("row %d: %v", i+1, row)
		}
	}
	if !strings.Contains(string(b), `"out-of-specification dissolution, ""stage 2"""`) {
		t.Errorf("reason not quoted:\n%s", b)
	}
}
