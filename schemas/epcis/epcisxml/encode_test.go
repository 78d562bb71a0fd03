package epcisxml

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

func ptr[T any](v T) *T { return &v }

// fullEvent carries every field the model has, 2.0-only ones included.
func fullEvent(typ epcis.EventType) *epcis.Event {
	rec := time.Date(2025, 5, 6, 7, 8, 9, 123000000, time.UTC)
	ev := &epcis.Event{
		Type:                typ,
		EventTime:           time.Date(2025, 5, 6, 8, 0, 0, 0, fixedZone(3600)),
		EventTimeZoneOffset: "+01:00",
		RecordTime:          &rec,
		EventID:             "urn:uuid:6f0d2c64-0c5c-4d2f-9c1b-5b7f0f6f2d11",
		ErrorDeclaration: &epcis.ErrorDeclaration{
			DeclarationTime:    time.Date(2025, 5, 7, 0, 0, 0, 0, time.UTC),
			Reason:             "urn:epcglobal:cbv:er:incorrect_data",
			CorrectiveEventIDs: []string{"urn:uuid:9f0d2c64-0c5c-4d2f-9c1b-5b7f0f6f2d12"},
		},
		CertificationInfo: []string{"https://cert.example.org/ABC"},
		BizStep:           "urn:epcglobal:cbv:bizstep:packing",
		Disposition:       "urn:epcglobal:cbv:disp:in_progress",
		PersistentDisposition: &epcis.PersistentDisposition{
			Set: []string{"urn:epcglobal:cbv:disp:completeness_verified"}, Unset: []string{"urn:epcglobal:cbv:disp:completeness_inferred"},
		},
		ReadPoint:   "urn:epc:id:sgln:0614141.00001.0",
		BizLocation: "urn:epc:id:sgln:0614141.00002.0",
		ReadPointExtensions: []epcis.Element{
			{Name: epcis.Name{Space: "urn:example:ext", Prefix: "ex", Local: "gate"}, Text: "7"},
		},
		BizTransactions: []epcis.BizTransaction{{Type: "urn:epcglobal:cbv:btt:po", Value: "urn:epcglobal:cbv:bt:0614141000005:PO1"}, {Value: "urn:x:untyped"}},
		Sources:         []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: "urn:epc:id:pgln:0614141.00000"}},
		Destinations:    []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:location", Value: "urn:epc:id:sgln:0012345.00001.0"}},
		SensorElements: []epcis.SensorElement{{
			Metadata: &epcis.SensorMetadata{Time: &rec, DeviceID: "urn:epc:id:giai:4000001.111",
				Other: []epcis.Attr{{Name: epcis.Name{Space: "urn:example:ext", Prefix: "ex", Local: "calibrated"}, Value: "yes"}}},
			Reports: []epcis.SensorReport{{Type: "gs1:Temperature", Value: ptr(3.5), UOM: "CEL", BooleanValue: ptr(false), MinValue: ptr(-1e-7)}},
			Extensions: []epcis.Element{
				{Name: epcis.Name{Local: "futureField"}, Text: "f"},
				{Name: epcis.Name{Space: "urn:example:ext", Prefix: "ex", Local: "note"}, Text: "n"},
			},
		}},
		Extensions: []epcis.Element{
			{Name: epcis.Name{Local: "unqualified"}, Text: "from a 1.2 extension slot"},
			{Name: epcis.Name{Space: "urn:example:ext", Prefix: "ex", Local: "batch"},
				Attrs:    []epcis.Attr{{Name: epcis.Name{Local: "plain"}, Value: `a"b<c`}, {Name: epcis.Name{Space: "urn:other", Prefix: "o", Local: "q"}, Value: "1"}},
				Children: []epcis.Element{{Name: epcis.Name{Space: "urn:default", Local: "inDefault"}, Children: []epcis.Element{{Name: epcis.Name{Local: "bare"}, Text: "x & y"}}}}},
		},
	}
	switch typ {
	case epcis.ObjectEvent:
		ev.EPCList = []string{"urn:epc:id:sgtin:0614141.107346.2017"}
		ev.QuantityList = []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:0614141.107346.L1", Quantity: ptr(12.5), UOM: "KGM"}, {EPCClass: "urn:epc:idpat:sgtin:0614141.107346.*", UOM: "EA"}}
		ev.ILMD = []epcis.Element{
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: "LOT1"},
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: "2027-01-31"},
		}
		ev.Action = epcis.ActionAdd
	case epcis.AggregationEvent, epcis.AssociationEvent:
		ev.ParentID = "urn:epc:id:sscc:0614141.1234567890"
		ev.EPCList = []string{"urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"}
		ev.QuantityList = []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:0614141.107346.L1", Quantity: ptr(3.0)}}
		ev.Action = epcis.ActionAdd
	case epcis.TransactionEvent:
		ev.ParentID = "urn:epc:id:sscc:0614141.1234567890"
		ev.EPCList = []string{"urn:epc:id:sgtin:0614141.107346.2017"}
		ev.QuantityList = []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:0614141.107346.L1", Quantity: ptr(3.0)}}
		ev.Action = epcis.ActionObserve
	case epcis.TransformationEvent:
		ev.InputEPCList = []string{"urn:epc:id:sgtin:0614141.107346.1"}
		ev.InputQuantityList = []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:0614141.107346.L1", Quantity: ptr(3.0), UOM: "KGM"}}
		ev.OutputEPCList = []string{"urn:epc:id:sgtin:0614141.107346.2"}
		ev.OutputQuantityList = []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:0614141.107346.L2", Quantity: ptr(1.0)}}
		ev.TransformationID = "urn:epc:id:gdti:0614141.12345.400"
		ev.ILMD = []epcis.Element{{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: "LOT2"}}
	}
	return ev
}

// TestEncodeRoundTrip writes events with every field, in both versions, and reads them
// back unchanged; the output must also be valid against the XSDs (checked in
// TestEncodeValidates).
func TestEncodeRoundTrip(t *testing.T) {
	doc := &epcis.Document{
		CreationDate: time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC),
		Namespaces:   map[string]string{"cbvmda": epcis.NSCBVMDA, "ex": "urn:example:ext", "epcis": epcis.NSEPCIS12},
		MasterData: []epcis.Vocabulary{{Type: "urn:epcglobal:epcis:vtype:Location", Elements: []epcis.VocabularyElement{{
			ID:         "urn:epc:id:sgln:0614141.00001.0",
			Attributes: []epcis.Attribute{{ID: "urn:epcglobal:cbv:mda#name", Value: "Plant 1"}},
			Children:   []string{"urn:epc:id:sgln:0614141.00001.1"},
		}}}},
		Extensions: []epcis.Element{{Name: epcis.Name{Space: "urn:example:ext", Prefix: "ex", Local: "docNote"}, Text: "kept"}},
	}
	out := t.TempDir()
	written := map[epcis.Version][]string{}
	source := map[string]string{}
	types := []epcis.EventType{epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent, epcis.TransformationEvent, epcis.AssociationEvent}
	for _, v := range []epcis.Version{epcis.Version12, epcis.Version20} {
		for _, withHeader := range []bool{false, true} {
			d := *doc
			if withHeader {
				d.Header = &epcis.SBDH{HeaderVersion: "1.0", Standard: "EPCglobal", TypeVersion: "1.0", InstanceIdentifier: "ID1", Type: "Events",
					CreationDateTime: doc.CreationDate,
					Sender:           []epcis.Partner{{Authority: "GS1", Identifier: "urn:epc:id:sgln:0614141.00000.0"}},
					Receiver:         []epcis.Partner{{Authority: "GS1", Identifier: "urn:epc:id:sgln:0012345.00000.0"}}}
			}
			var evs []*epcis.Event
			for _, typ := range types {
				evs = append(evs, fullEvent(typ))
			}
			var buf bytes.Buffer
			if err := encodeAll(NewEncoder(&buf, v, WithIndent("")), &d, evs); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "\n<") {
				t.Errorf("WithIndent(\"\") wrote line breaks")
			}
			p := filepath.Join(out, fmt.Sprintf("full-%s-%v.xml", v, withHeader))
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			written[v] = append(written[v], p)
			source[p] = fmt.Sprintf("every field (header %v)", withHeader)
			doc2, evs2, err := decodeAll(t, bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("%s: %v\n%s", v, err, buf.Bytes())
			}
			if len(evs2) != len(evs) {
				t.Fatalf("%s: %d events back, want %d", v, len(evs2), len(evs))
			}
			for i := range evs {
				if dd := diff(evs[i], evs2[i]); dd != "" {
					t.Errorf("%s header=%v %s: %s", v, withHeader, evs[i].Type, dd)
				}
			}
			if dd := diff(d.MasterData, doc2.MasterData); dd != "" {
				t.Errorf("%s header=%v master data: %s", v, withHeader, dd)
			}
			if dd := diff(d.Extensions, doc2.Extensions); dd != "" {
				t.Errorf("%s header=%v document extensions: %s", v, withHeader, dd)
			}
			if doc2.Namespaces["ex"] != "urn:example:ext" || doc2.Namespaces["epcis"] != map[epcis.Version]string{epcis.Version12: epcis.NSEPCIS12, epcis.Version20: epcis.NSEPCIS20}[v] {
				t.Errorf("%s: root namespaces %v", v, doc2.Namespaces)
			}
		}
	}
	lintAll(t, written, source)
}

func TestEncodeRefusesIncompleteEvents(t *testing.T) {
	ok := func() *epcis.Event { return fullEvent(epcis.ObjectEvent) }
	tests := []struct {
		name string
		ev   func() *epcis.Event
		want string
	}{
		{"no time", func() *epcis.Event { e := ok(); e.EventTime = time.Time{}; return e }, "no eventTime"},
		{"no offset", func() *epcis.Event { e := ok(); e.EventTimeZoneOffset = ""; return e }, "eventTimeZoneOffset"},
		{"bad action", func() *epcis.Event { e := ok(); e.Action = "CREATE"; return e }, `not "CREATE"`},
		{"transformation with action", func() *epcis.Event {
			e := fullEvent(epcis.TransformationEvent)
			e.Action = epcis.ActionAdd
			return e
		}, "has no action"},
		{"unknown type", func() *epcis.Event { e := ok(); e.Type = "QuantityEvent"; return e }, "unknown event type"},
		{"empty epc", func() *epcis.Event { e := ok(); e.EPCList = append(e.EPCList, ""); return e }, "empty EPC"},
		{"quantity without class", func() *epcis.Event { e := ok(); e.QuantityList[0].EPCClass = ""; return e }, "without epcClass"},
		{"bad expiry", func() *epcis.Event { e := ok(); e.ILMD[1].Text = "31.01.2027"; return e }, "not a date"},
		{"association without parent", func() *epcis.Event {
			e := fullEvent(epcis.AssociationEvent)
			e.ParentID = ""
			return e
		}, "needs a parentID"},
		{"transaction without transactions", func() *epcis.Event {
			e := fullEvent(epcis.TransactionEvent)
			e.BizTransactions = nil
			return e
		}, "at least one bizTransaction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := NewEncoder(io.Discard, epcis.Version20)
			err := enc.WriteEvent(tt.ev())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			// A refused event leaves the encoder usable.
			if err := enc.WriteEvent(ok()); err != nil {
				t.Errorf("next event: %v", err)
			}
			if err := enc.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestEncodeWithoutHeader writes events with no WriteHeader call: the encoder supplies a
// root.
func TestEncodeWithoutHeader(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, epcis.Version12)
	if err := enc.WriteEvent(fullEvent(epcis.ObjectEvent)); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteEvent(fullEvent(epcis.ObjectEvent)); err == nil {
		t.Error("WriteEvent after Close succeeded")
	}
	doc, evs, err := decodeAll(t, &buf)
	if err != nil || len(evs) != 1 || doc.SchemaVersion != epcis.Version12 || doc.CreationDate.IsZero() {
		t.Fatalf("doc=%+v events=%d err=%v", doc, len(evs), err)
	}
}

func TestGenerateDocument(t *testing.T) {
	for _, v := range []epcis.Version{epcis.Version12, epcis.Version20} {
		var buf bytes.Buffer
		if err := GenerateDocument(&buf, v, 101); err != nil {
			t.Fatal(err)
		}
		doc, evs, err := decodeAll(t, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 101 || doc.SchemaVersion != v || doc.Header == nil {
			t.Fatalf("%s: %d events, version %s", v, len(evs), doc.SchemaVersion)
		}
		kinds := map[string]int{}
		for _, ev := range evs {
			kinds[string(ev.Type)+"/"+ev.BizStep[strings.LastIndexByte(ev.BizStep, ':')+1:]]++
		}
		for _, k := range []string{"ObjectEvent/commissioning", "AggregationEvent/packing", "ObjectEvent/shipping"} {
			if kinds[k] == 0 {
				t.Errorf("%s: no %s events in %v", v, k, kinds)
			}
		}
		if evs[0].LotNumber() == "" || evs[0].ExpiryDate() == "" {
			t.Errorf("commissioning without lot or expiry: %+v", evs[0])
		}
	}
}
