package codec_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson/jsonschematest"
	"github.com/serialhub/serialhub/schemas/epcis/eventhash"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

func TestDetect(t *testing.T) {
	xml20 := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0">`)
	xml12 := []byte(`<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2">`)
	query12 := []byte(`<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:1">`)
	def20 := []byte(`<EPCISDocument xmlns="urn:epcglobal:epcis:xsd:2">`)
	bare := []byte(`<ObjectEvent><eventTime>`)
	bare12 := []byte(`<ObjectEvent schemaVersion="1.2">`)
	json := []byte("\xef\xbb\xbf  {\"@context\": []")
	tests := []struct {
		ct      string
		peek    []byte
		want    codec.Format
		wantErr string
	}{
		{"", xml20, codec.XML20, ""},
		{"", xml12, codec.XML12, ""},
		{"", query12, codec.XML12, ""},
		{"", def20, codec.XML20, ""},
		{"", bare, codec.XML20, ""},
		{"", bare12, codec.XML12, ""},
		{"", json, codec.JSONLD, ""},
		{"application/xml; charset=utf-8", xml20, codec.XML20, ""},
		{"text/xml", xml12, codec.XML12, ""},
		{"application/ld+json", json, codec.JSONLD, ""},
		{"application/json", json, codec.JSONLD, ""},
		{"application/octet-stream", xml12, codec.XML12, ""},
		{"application/ld+json", xml20, codec.Unknown, "body is XML"},
		{"application/xml", json, codec.Unknown, "body is JSON"},
		{"image/png", xml20, codec.Unknown, "not an EPCIS document"},
		{"", []byte("hello"), codec.Unknown, "neither JSON nor XML"},
		{"", []byte(`<html xmlns="http://www.w3.org/1999/xhtml">`), codec.Unknown, "root element <html>"},
		{"", []byte(`<?xml version="1.0"?><!-- long`), codec.Unknown, "no root element"},
		{"bad/;;", xml20, codec.Unknown, "content type"},
	}
	for _, tt := range tests {
		got, err := codec.Detect(tt.ct, tt.peek)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Detect(%q, %.30q) = %v, %v; want error %q", tt.ct, tt.peek, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Detect(%q, %.30q) = %v, %v; want %v", tt.ct, tt.peek, got, err, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []codec.Format{codec.XML12, codec.XML20, codec.JSONLD} {
		got, err := codec.ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := codec.ParseFormat("yaml"); err == nil {
		t.Error("yaml accepted")
	}
}

// files lists valid example documents of one format.
func files(t *testing.T, f codec.Format) []string {
	t.Helper()
	var globs [][]string
	switch f {
	case codec.XML12:
		globs = [][]string{
			{"epcis-1.2", "examples-gs1", "*.xml"},
			{"epcis-1.2", "examples-openepcis", "XML", "Capture", "Documents", "*.xml"},
		}
	case codec.XML20:
		globs = [][]string{
			{"epcis-2.0", "examples-gs1-xml", "*.xml"},
			{"epcis-2.0", "examples-gs1-xml", "*", "*.xml"},
			{"epcis-2.0", "examples-openepcis", "XML", "Capture", "Documents", "*.xml"},
			{"epcis-2.0", "examples-openepcis", "XML", "Capture", "Events", "*.xml"},
			{"epcis-event-hash", "examples", "*.xml"},
		}
	case codec.JSONLD:
		globs = [][]string{
			{"epcis-2.0", "examples-gs1-jsonld", "*.jsonld"},
			{"epcis-2.0", "examples-gs1-jsonld", "*", "*.jsonld"},
			{"epcis-2.0", "examples-openepcis", "JSON", "Capture", "Documents", "*.json"},
			{"epcis-2.0", "examples-openepcis", "JSON", "Capture", "Events", "*.json"},
			{"epcis-event-hash", "examples", "*.jsonld"},
		}
	}
	var out []string
	for _, g := range globs {
		m, err := filepath.Glob(testvectors.Path(t, g...))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// decodeFile decodes a whole document with the format Detect finds; ok is false when the
// document is one our decoders refuse (deliberately broken vectors, or strictness of
// epcisxml on element order).
func decodeFile(t *testing.T, path string) (codec.Format, *epcis.Document, []*epcis.Event, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := codec.Detect("", raw[:min(len(raw), 1024)])
	if err != nil {
		return f, nil, nil, err
	}
	doc, evs, err := decodeBytes(raw, f)
	return f, doc, evs, err
}

func decodeBytes(raw []byte, f codec.Format) (*epcis.Document, []*epcis.Event, error) {
	d, err := codec.NewDecoder(bytes.NewReader(raw), f, epcis.Limits{})
	if err != nil {
		return nil, nil, err
	}
	var evs []*epcis.Event
	for {
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		evs = append(evs, e)
	}
	doc, err := d.Document()
	return doc, evs, err
}

func convert(t *testing.T, in []byte, from, to codec.Format) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := codec.Convert(bytes.NewReader(in), from, to, &out); err != nil {
		t.Fatalf("%v → %v: %v", from, to, err)
	}
	return out.Bytes()
}

// same compares events by content: their pre-hash strings (binding-neutral, order- and
// form-insensitive) and the fields the hash leaves out.
func same(t *testing.T, a, b *epcis.Event) {
	t.Helper()
	pa, err := eventhash.PreHash(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := eventhash.PreHash(b)
	if err != nil {
		t.Fatal(err)
	}
	if pa != pb {
		t.Errorf("event %d differs:\n%s\n%s", a.Pos.Index, pa, pb)
	}
	if a.EventID != b.EventID {
		t.Errorf("event %d: eventID %q → %q", a.Pos.Index, a.EventID, b.EventID)
	}
	if (a.RecordTime == nil) != (b.RecordTime == nil) || a.RecordTime != nil && !a.RecordTime.Equal(*b.RecordTime) {
		t.Errorf("event %d: recordTime %v → %v", a.Pos.Index, a.RecordTime, b.RecordTime)
	}
	da, db := a.ErrorDeclaration, b.ErrorDeclaration
	if (da == nil) != (db == nil) {
		t.Fatalf("event %d: errorDeclaration %v → %v", a.Pos.Index, da, db)
	}
	if da != nil && (!da.DeclarationTime.Equal(db.DeclarationTime) ||
		!epcis.VocabErrorReason.Equal(da.Reason, db.Reason) ||
		strings.Join(da.CorrectiveEventIDs, " ") != strings.Join(db.CorrectiveEventIDs, " ")) {
		t.Errorf("event %d: errorDeclaration %+v → %+v", a.Pos.Index, da, db)
	}
	if !a.EventTime.Equal(b.EventTime) || a.EventTimeZoneOffset != b.EventTimeZoneOffset {
		t.Errorf("event %d: time %v %s → %v %s", a.Pos.Index, a.EventTime, a.EventTimeZoneOffset, b.EventTime, b.EventTimeZoneOffset)
	}
}

// TestConvertXMLJSONXML: XML (1.2 and 2.0) → JSON-LD → XML of the same version keeps the
// events, and so does the JSON-LD in between.
func TestConvertXMLJSONXML(t *testing.T) {
	for _, path := range append(files(t, codec.XML12), files(t, codec.XML20)...) {
		name, _ := filepath.Rel(testvectors.Dir(t), path)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, doc, evs, err := decodeFile(t, path)
			if err != nil {
				// Deliberately odd vectors (DTDs, elements out of XSD order) that
				// epcisxml refuses.
				t.Skipf("not decodable: %v", err)
			}
			{
				js := convert(t, raw, f, codec.JSONLD)
				if err := jsonschematest.Validate(t, js); err != nil && !schemaGap(evs) {
					t.Errorf("converted document fails the JSON schema: %v", err)
				}
				_, evsJ, err := decodeBytes(js, codec.JSONLD)
				if err != nil {
					t.Fatalf("decoding the JSON-LD: %v\n%s", err, js)
				}
				back := convert(t, js, codec.JSONLD, f)
				doc2, evs2, err := decodeBytes(back, f)
				if err != nil {
					t.Fatalf("decoding the XML again: %v\n%s", err, back)
				}
				if len(evsJ) != len(evs) || len(evs2) != len(evs) {
					t.Fatalf("%d events → %d JSON → %d XML", len(evs), len(evsJ), len(evs2))
				}
				for i := range evs {
					same(t, evs[i], evsJ[i])
					same(t, evs[i], evs2[i])
				}
				if !doc.CreationDate.IsZero() && !doc.CreationDate.Equal(doc2.CreationDate) {
					t.Errorf("creationDate %v → %v", doc.CreationDate, doc2.CreationDate)
				}
				if len(doc.MasterData) != len(doc2.MasterData) {
					t.Errorf("%d vocabularies → %d", len(doc.MasterData), len(doc2.MasterData))
				}
			}
		})
	}
}

// TestConvertJSONXMLJSON: JSON-LD → 2.0 XML → JSON-LD, and → 1.2 XML → JSON-LD.
func TestConvertJSONXMLJSON(t *testing.T) {
	for _, path := range files(t, codec.JSONLD) {
		for _, via := range []codec.Format{codec.XML20, codec.XML12} {
			t.Run(via.String()+"/"+filepath.Base(path), func(t *testing.T) {
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				_, _, evs, err := decodeFile(t, path)
				if err != nil {
					t.Skipf("not decodable: %v", err)
				}
				x := convert(t, raw, codec.JSONLD, via)
				back := convert(t, x, via, codec.JSONLD)
				_, evs2, err := decodeBytes(back, codec.JSONLD)
				if err != nil {
					t.Fatalf("decoding the JSON-LD again: %v\n%s", err, back)
				}
				if len(evs2) != len(evs) {
					t.Fatalf("%d events → %d", len(evs), len(evs2))
				}
				for i := range evs {
					same(t, evs[i], evs2[i])
				}
			})
		}
	}
}

func TestConvertErrors(t *testing.T) {
	var out bytes.Buffer
	err := codec.Convert(strings.NewReader(`{"type":"EPCISDocument"`), codec.JSONLD, codec.XML20, &out)
	var de *epcis.DecodeError
	if !errors.As(err, &de) {
		t.Errorf("truncated input: %v, want a DecodeError", err)
	}
	if err := codec.Convert(strings.NewReader(""), codec.Unknown, codec.XML20, &out); err == nil {
		t.Error("unknown source format accepted")
	}
	ok := `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-01T00:00:00Z","epcisBody":{"eventList":[]}}`
	if err := codec.Convert(strings.NewReader(ok), codec.JSONLD, codec.Unknown, &out); err == nil {
		t.Error("unknown target format accepted")
	}
}

func TestForFormat(t *testing.T) {
	e := &epcis.Event{
		Type: epcis.ObjectEvent, EventTime: time.Now(), BizStep: "shipping", Disposition: "https://ref.gs1.org/cbv/Disp-in_transit",
		BizTransactions: []epcis.BizTransaction{{Type: "po", Value: "urn:x:y"}},
		SensorElements:  []epcis.SensorElement{{Reports: []epcis.SensorReport{{Type: "Temperature", Component: "x"}}}},
	}
	codec.ForFormat(e, codec.XML12)
	if e.BizStep != "urn:epcglobal:cbv:bizstep:shipping" || e.Disposition != "urn:epcglobal:cbv:disp:in_transit" ||
		e.BizTransactions[0].Type != "urn:epcglobal:cbv:btt:po" ||
		e.SensorElements[0].Reports[0].Type != "https://gs1.org/voc/Temperature" ||
		e.SensorElements[0].Reports[0].Component != "urn:epcglobal:cbv:comp:x" {
		t.Errorf("ForFormat(XML12) = %+v", e)
	}
}

// schemaGap reports events that EPCIS 2.0 and its XML binding allow but the JSON schema
// rejects: persistentDisposition on event types other than Object and Transformation, sensor
// reports without type, and an EPC listed twice (the converter keeps what it was given).
func schemaGap(evs []*epcis.Event) bool {
	for _, e := range evs {
		for _, l := range [][]string{e.EPCList, e.InputEPCList, e.OutputEPCList} {
			seen := map[string]bool{}
			for _, epc := range l {
				if seen[epc] {
					return true
				}
				seen[epc] = true
			}
		}
		if e.PersistentDisposition != nil && e.Type != epcis.ObjectEvent && e.Type != epcis.TransformationEvent {
			return true
		}
		for _, se := range e.SensorElements {
			for _, r := range se.Reports {
				if r.Type == "" {
					return true
				}
			}
		}
	}
	return false
}
