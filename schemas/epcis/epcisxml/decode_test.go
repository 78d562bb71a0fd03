package epcisxml

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// TestInvalidVectors checks that every document in the vectors' Invalid folders is refused
// with a message that names the problem.
func TestInvalidVectors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"Capture/Invalid/ObjectEvent_bare_event_without_action.xml", "field action: missing action"},
		{"Capture/Invalid/ObjectEvent_with_invalid_action.xml", `invalid action "CREATE"`},
		{"Capture/Invalid/ObjectEvent_with_invalid_eventTime_format.xml", `field eventTime: "22-07-2026": not an xsd:dateTime`},
		{"Capture/Invalid/ObjectEvent_with_near_miss_action.xml", `invalid action "OBSERV", did you mean OBSERVE?`},
		{"Capture/Invalid/ObjectEvent_with_unknown_element.xml", "unknown element <madeUpField> in ObjectEvent"},
		{"Capture/Invalid/ObjectEvent_with_wrong_element_order.xml", "<eventTime> must come before <action>"},
		{"Capture/Invalid/ObjectEvent_without_eventTime.xml", "field eventTime: missing eventTime"},
		{"Query/Invalid/QueryDocument_with_invalid_action.xml", `invalid action "INVALIDACTION"`},
		{"Query/Invalid/QueryDocument_with_invalid_eventType.xml", "unknown event type <ObjectEventInvalid>"},
		{"Query/Invalid/QueryDocument_with_missing_value.xml", "query parameter EQ_readPoint has no value"},
		{"Query/Queries/Invalid/Query_without_queryName.xml", "Poll without queryName"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(testvectors.Path(t, "epcis-2.0", "examples-openepcis", "XML", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, _, err = decodeAll(t, f)
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *epcis.DecodeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if de.Line == 0 {
				t.Errorf("err = %q names no line", err)
			}
		})
	}
	// Every XML file in an Invalid folder must be in the table.
	root := testvectors.Path(t, "epcis-2.0", "examples-openepcis", "XML")
	for _, pattern := range []string{"*/Invalid/*.xml", "*/*/Invalid/*.xml"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, p := range m {
			rel, _ := filepath.Rel(root, p)
			if !seen[rel] {
				t.Errorf("invalid vector %s has no expected error in the table", rel)
			}
		}
	}
}

// TestPartnerSamples decodes the DSCSA trading-partner samples: the valid ones completely,
// the broken ones to a clear error.
func TestPartnerSamples(t *testing.T) {
	tests := []struct {
		file   string
		events int    // when valid
		want   string // error substring when broken
	}{
		{file: "epcis_1.2.cardinal_health.xml", events: 3},
		{file: "cardinal_health_2.0.xml", events: 3},
		{file: "amerisourcebergen-complex-sample.xml", want: `unsupported encoding "UTF‐8"`},
		{file: "epcis_1.2.master_data_sample.xml", want: "root element <EPCISMasterDataBody> is not an EPCIS document"},
		{file: "epcis_1.2.sample_hospital.xml", want: `event 1 (line 110), field ilmd/cbvmda:itemExpirationDate: "2020-12-12T11" is not a date`},
		{file: "tracelink_sample.xml", want: "event 3 (line 211), field bizTransaction: unknown attribute date on <bizTransaction>"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(testvectors.Path(t, "dscsa-partner-samples", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, evs, err := decodeAll(t, f)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) != tt.events {
					t.Errorf("got %d events, want %d", len(evs), tt.events)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

const doc20 = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2025-01-01T00:00:00Z">
<EPCISBody><EventList>%s</EventList></EPCISBody></epcis:EPCISDocument>`

const okEvent = `<ObjectEvent><eventTime>2025-01-01T10:00:00+01:00</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
<epcList><epc>urn:epc:id:sgtin:0614141.107346.1</epc></epcList><action>ADD</action></ObjectEvent>`

// TestHostileInput checks the defences against untrusted documents: no DTDs, limits on
// depth and size, well-formedness, and precise errors.
func TestHostileInput(t *testing.T) {
	deep := strings.Repeat("<x:a>", 80) + strings.Repeat("</x:a>", 80)
	tests := []struct {
		name  string
		doc   string
		lim   epcis.Limits
		want  string
		event int // index the error names, -1 for the document
	}{
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>`,
			epcis.Limits{}, "DTDs and entity declarations are not accepted", -1},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE foo SYSTEM "file:///etc/passwd"><foo/>`, epcis.Limits{}, "DTDs", -1},
		{"doctype after prolog", strings.Replace(fmt.Sprintf(doc20, okEvent), "<epcis:EPCISDocument", "<!DOCTYPE epcis:EPCISDocument><epcis:EPCISDocument", 1),
			epcis.Limits{}, "DTDs", -1},
		{"undefined entity", fmt.Sprintf(doc20, strings.Replace(okEvent, "ADD", "&add;", 1)), epcis.Limits{}, "malformed XML", 0},
		{"too deep", fmt.Sprintf(doc20, strings.Replace(okEvent, "</ObjectEvent>", `<x:a xmlns:x="urn:x">`+deep+`</x:a></ObjectEvent>`, 1)),
			epcis.Limits{MaxDepth: 64}, "nested deeper than MaxDepth (64)", 0},
		{"event too large", fmt.Sprintf(doc20, okEvent+strings.Replace(okEvent, "</ObjectEvent>", `<x:a xmlns:x="urn:x">`+strings.Repeat("y", 300<<10)+`</x:a></ObjectEvent>`, 1)),
			epcis.Limits{MaxEventBytes: 100 << 10}, "larger than MaxEventBytes", 1},
		{"document too large", fmt.Sprintf(doc20, strings.Repeat(okEvent, 2000)), epcis.Limits{MaxTotalBytes: 100 << 10}, "larger than MaxTotalBytes", -2},
		{"unbound prefix", fmt.Sprintf(doc20, strings.Replace(okEvent, "</ObjectEvent>", `<ext:a>1</ext:a></ObjectEvent>`, 1)),
			epcis.Limits{}, `namespace prefix "ext" of <ext:a> is not declared`, 0},
		{"mismatched tags", fmt.Sprintf(doc20, strings.Replace(okEvent, "</action>", "</actoin>", 1)), epcis.Limits{}, "malformed XML", 0},
		{"truncated", fmt.Sprintf(doc20, okEvent)[:300], epcis.Limits{}, "malformed XML: unexpected EOF", 0},
		{"second root", fmt.Sprintf(doc20, okEvent) + "<again/>", epcis.Limits{}, "second root element", -1},
		{"second root after empty body", strings.Replace(fmt.Sprintf(doc20, ""), "<EventList></EventList>", "", 1) + "<again/>", epcis.Limits{}, "second root element", -1},
		{"quantity event", fmt.Sprintf(doc20, "<QuantityEvent/>"), epcis.Limits{}, "QuantityEvent is deprecated", 0},
		{"not EPCIS", `<html><body/></html>`, epcis.Limits{}, "root element <html> is not an EPCIS document", -1},
		{"bad offset", fmt.Sprintf(doc20, strings.Replace(okEvent, "<eventTimeZoneOffset>+01:00", "<eventTimeZoneOffset>+1:00", 1)),
			epcis.Limits{}, `field eventTimeZoneOffset: "+1:00": not a time-zone offset`, 0},
		{"offset out of range", fmt.Sprintf(doc20, strings.Replace(okEvent, "<eventTimeZoneOffset>+01:00", "<eventTimeZoneOffset>+15:00", 1)),
			epcis.Limits{}, "out of range", 0},
		{"missing offset", fmt.Sprintf(doc20, strings.Replace(okEvent, "<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>", "", 1)),
			epcis.Limits{}, "missing eventTimeZoneOffset", 0},
		{"February 30", fmt.Sprintf(doc20, strings.Replace(okEvent, "2025-01-01T10", "2025-02-30T10", 1)), epcis.Limits{}, "out of range", 0},
		{"action in transformation", fmt.Sprintf(doc20, strings.NewReplacer("ObjectEvent", "TransformationEvent", "epcList", "inputEPCList").Replace(okEvent)),
			epcis.Limits{}, "<action> is not a field of TransformationEvent", 0},
		{"childEPCs in ObjectEvent", fmt.Sprintf(doc20, strings.ReplaceAll(okEvent, "epcList", "childEPCs")), epcis.Limits{}, "<childEPCs> is not a field of ObjectEvent", 0},
		{"duplicate", fmt.Sprintf(doc20, strings.Replace(okEvent, "<action>ADD</action>", "<action>ADD</action><action>ADD</action>", 1)),
			epcis.Limits{}, "<action> given twice", 0},
		{"bad quantity", fmt.Sprintf(doc20, strings.Replace(okEvent, "</ObjectEvent>", "<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:0614141.107346.L1</epcClass><quantity>1e3</quantity></quantityElement></quantityList></ObjectEvent>", 1)),
			epcis.Limits{}, `"1e3" is not a decimal number`, 0},
		{"bad expiry", fmt.Sprintf(doc20, strings.Replace(okEvent, "</ObjectEvent>", `<ilmd><cbvmda:itemExpirationDate xmlns:cbvmda="urn:epcglobal:cbv:mda">2020-12-12T11</cbvmda:itemExpirationDate></ilmd></ObjectEvent>`, 1)),
			epcis.Limits{}, `"2020-12-12T11" is not a date`, 0},
		{"transaction without bizTransactionList", fmt.Sprintf(doc20, strings.ReplaceAll(okEvent, "ObjectEvent", "TransactionEvent")),
			epcis.Limits{}, "missing bizTransactionList", 0},
		{"source without type", fmt.Sprintf(doc20, strings.Replace(okEvent, "</ObjectEvent>", "<sourceList><source>urn:epc:id:sgln:0614141.00001.0</source></sourceList></ObjectEvent>", 1)),
			epcis.Limits{}, "missing attribute type on <source>", 0},
		{"second event broken", fmt.Sprintf(doc20, okEvent+strings.Replace(okEvent, "ADD", "ADDED", 1)), epcis.Limits{}, `event 1 (line 5), field action: invalid action "ADDED", did you mean ADD?`, 1},
		{"latin1 accepted, then bad action", strings.Replace(fmt.Sprintf(doc20, strings.Replace(okEvent, "ADD", "AD\xe9", 1)), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1),
			epcis.Limits{}, `invalid action "ADé"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(tt.doc), tt.lim)
			var err error
			if _, err = d.Document(); err == nil {
				for err == nil {
					_, err = d.Next()
				}
			}
			if errors.Is(err, io.EOF) {
				t.Fatal("document accepted")
			}
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %#v, want a *epcis.DecodeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if tt.event != -2 && de.Event != tt.event {
				t.Errorf("err = %q names event %d, want %d", err, de.Event, tt.event)
			}
			// The error is sticky.
			if _, err2 := d.Next(); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("second Next: %v, want the same error", err2)
			}
		})
	}
}

// endless yields a valid document start and then an unending text node: the decoder must
// stop at its byte limit instead of buffering forever.
type endless struct{ head []byte }

func (e *endless) Read(p []byte) (int, error) {
	if len(e.head) > 0 {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestEndlessTextStopsAtLimit(t *testing.T) {
	head := strings.SplitAfter(fmt.Sprintf(doc20, okEvent), "<action>")[0]
	d := NewDecoder(&endless{head: []byte(head)}, epcis.Limits{MaxEventBytes: 1 << 20})
	if _, err := d.Document(); err != nil {
		t.Fatal(err)
	}
	_, err := d.Next()
	if err == nil || !strings.Contains(err.Error(), "event 0") || !strings.Contains(err.Error(), "MaxEventBytes") {
		t.Fatalf("err = %v, want event 0 over MaxEventBytes", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestReadErrorIsWrapped keeps I/O failures distinguishable from bad documents.
func TestReadErrorIsWrapped(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := NewDecoder(io.MultiReader(strings.NewReader(`<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">`), failingReader{boom}), epcis.Limits{}).Document()
	var de *epcis.DecodeError
	if !errors.Is(err, boom) || errors.As(err, &de) {
		t.Errorf("err = %#v, want the reader's error wrapped, not a DecodeError", err)
	}
}

// TestDocumentAfterBrokenEvent: the header stays available when an event fails.
func TestDocumentAfterBrokenEvent(t *testing.T) {
	d := NewDecoder(strings.NewReader(fmt.Sprintf(doc20, strings.Replace(okEvent, "ADD", "ADDX", 1))), epcis.Limits{})
	if _, err := d.Next(); err == nil {
		t.Fatal("broken event accepted")
	}
	if doc, err := d.Document(); err != nil || doc.SchemaVersion != epcis.Version20 {
		t.Errorf("Document() = %v, %v", doc, err)
	}
}
