package epcisxml

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// decodeAll reads a whole document.
func decodeAll(t testing.TB, r io.Reader) (*epcis.Document, []*epcis.Event, error) {
	t.Helper()
	d := NewDecoder(r, epcis.Limits{})
	doc, err := d.Document()
	if err != nil {
		return nil, nil, err
	}
	var evs []*epcis.Event
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return doc, evs, nil
		}
		if err != nil {
			return doc, evs, err
		}
		evs = append(evs, ev)
	}
}

func TestDecodePharmaExample(t *testing.T) {
	p := testvectors.Path(t, "epcis-1.2", "examples-openepcis", "XML", "Capture", "Documents", "GS1_US_Pharma_Example_2_2_1_1.xml")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, evs, err := decodeAll(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != epcis.Version12 || doc.Header == nil || doc.Header.InstanceIdentifier != "1100220001" {
		t.Errorf("document = %+v", doc)
	}
	if len(doc.MasterData) != 2 || len(doc.MasterData[1].Elements) != 4 {
		t.Errorf("master data = %+v", doc.MasterData)
	}
	if len(evs) != 8 {
		t.Fatalf("got %d events, want 8", len(evs))
	}
	e0 := evs[0]
	if e0.Type != epcis.ObjectEvent || e0.Action != epcis.ActionAdd || len(e0.EPCList) != 12 ||
		e0.LotNumber() != "A123" || e0.ExpiryDate() != "2025-03-27" || e0.EventTimeZoneOffset != "-05:00" ||
		e0.ReadPoint != "urn:epc:id:sgln:030001.111111.0" || !strings.HasSuffix(e0.BizStep, "commissioning") {
		t.Errorf("event 0 = %+v", e0)
	}
	e2 := evs[2]
	if e2.Type != epcis.AggregationEvent || e2.ParentID != "urn:epc:id:sgtin:030001.1012345.110" || len(e2.EPCList) != 4 {
		t.Errorf("event 2 = %+v", e2)
	}
	e7 := evs[7]
	if len(e7.BizTransactions) != 2 || len(e7.Sources) != 2 || len(e7.Destinations) != 2 ||
		len(e7.Extensions) != 1 || e7.Extensions[0].Name.Prefix != "gs1ushc" || e7.Action != epcis.ActionObserve {
		t.Errorf("event 7 = %+v", e7)
	}
}
