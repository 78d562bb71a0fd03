package epcisjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson/jsonschematest"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// validJSONFiles lists every JSON-LD example that is a valid EPCIS 2.0 document or bare event
// (SOURCES.md: SensorData_with_combined_events.json lacks its top-level type).
func validJSONFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	globs := [][]string{
		{"epcis-2.0", "examples-gs1-jsonld", "*.jsonld"},
		{"epcis-2.0", "examples-gs1-jsonld", "*", "*.jsonld"},
		{"epcis-2.0", "examples-openepcis", "JSON", "Capture", "Documents", "*.json"},
		{"epcis-2.0", "examples-openepcis", "JSON", "Capture", "Events", "*.json"},
		{"epcis-2.0", "examples-openepcis", "JSON", "Query", "*.json"},
		{"epcis-2.0", "examples-gs1-xml", "WithEventHashID", "*.json"},
		{"epcis-event-hash", "examples", "*.jsonld"},
		{"epcis-event-hash", "expected_equal", "*.json"},
		{"dscsa-partner-samples", "*.jsonld"},
	}
	for _, g := range globs {
		m, err := filepath.Glob(testvectors.Path(t, g...))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if filepath.Base(f) == "SensorData_with_combined_events.json" {
				continue
			}
			files = append(files, f)
		}
	}
	if len(files) < 100 {
		t.Fatalf("found only %d JSON examples", len(files))
	}
	return files
}

func rel(t testing.TB, path string) string {
	r, err := filepath.Rel(testvectors.Dir(t), path)
	if err != nil {
		return path
	}
	return r
}

// decodeAll decodes a whole document.
func decodeAll(r io.Reader, lim epcis.Limits) (*epcis.Document, []*epcis.Event, error) {
	d := epcisjson.NewDecoder(r, lim)
	if _, err := d.Document(); err != nil {
		return nil, nil, err
	}
	var evs []*epcis.Event
	for {
		e, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, evs, err
		}
		evs = append(evs, e)
	}
	doc, err := d.Document()
	return doc, evs, err
}

func decodeFile(t testing.TB, path string) (*epcis.Document, []*epcis.Event) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, evs, err := decodeAll(f, epcis.Limits{})
	if err != nil {
		t.Fatalf("%s: %v", rel(t, path), err)
	}
	return doc, evs
}

func encodeAll(t testing.TB, doc *epcis.Document, evs []*epcis.Event, opts ...epcisjson.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := epcisjson.NewEncoder(&buf, opts...)
	if err := enc.WriteHeader(doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := enc.WriteEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// canonical renders an event for comparison: CBV values in web URI form, times in UTC, the
// source position dropped.
func canonical(e *epcis.Event) string {
	c := *e
	c.Pos = epcis.Position{}
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	c.EventTime = c.EventTime.UTC()
	c.RecordTime = utc(c.RecordTime)
	c.BizStep = epcis.VocabBizStep.WebURI(c.BizStep)
	c.Disposition = epcis.VocabDisposition.WebURI(c.Disposition)
	if d := c.ErrorDeclaration; d != nil {
		dd := *d
		dd.DeclarationTime = dd.DeclarationTime.UTC()
		dd.Reason = epcis.VocabErrorReason.WebURI(dd.Reason)
		c.ErrorDeclaration = &dd
	}
	if pd := c.PersistentDisposition; pd != nil {
		np := epcis.PersistentDisposition{}
		for _, s := range pd.Set {
			np.Set = append(np.Set, epcis.VocabDisposition.WebURI(s))
		}
		for _, s := range pd.Unset {
			np.Unset = append(np.Unset, epcis.VocabDisposition.WebURI(s))
		}
		c.PersistentDisposition = &np
	}
	c.BizTransactions = append([]epcis.BizTransaction(nil), c.BizTransactions...)
	for i := range c.BizTransactions {
		c.BizTransactions[i].Type = epcis.VocabBizTransactionType.WebURI(c.BizTransactions[i].Type)
	}
	sd := func(in []epcis.SourceDest) []epcis.SourceDest {
		out := append([]epcis.SourceDest(nil), in...)
		for i := range out {
			out[i].Type = epcis.VocabSourceDestType.WebURI(out[i].Type)
		}
		return out
	}
	c.Sources, c.Destinations = sd(c.Sources), sd(c.Destinations)
	c.SensorElements = append([]epcis.SensorElement(nil), c.SensorElements...)
	for i := range c.SensorElements {
		se := &c.SensorElements[i]
		if m := se.Metadata; m != nil {
			mm := *m
			mm.Time, mm.StartTime, mm.EndTime = utc(mm.Time), utc(mm.StartTime), utc(mm.EndTime)
			se.Metadata = &mm
		}
		se.Reports = append([]epcis.SensorReport(nil), se.Reports...)
		for j := range se.Reports {
			r := &se.Reports[j]
			if !strings.Contains(r.Type, ":") {
				r.Type = "gs1:" + r.Type // a bare term is a GS1 Web Vocabulary term
			}
			r.Type = epcis.VocabMeasurementType.WebURI(r.Type)
			r.Exception = epcis.VocabSensorAlertType.WebURI(r.Exception)
			r.Component = epcis.VocabComponent.WebURI(r.Component)
			r.Time = utc(r.Time)
		}
	}
	c.Extensions = noPrefix(c.Extensions)
	c.ILMD = noPrefix(c.ILMD)
	c.ReadPointExtensions = noPrefix(c.ReadPointExtensions)
	c.BizLocationExtensions = noPrefix(c.BizLocationExtensions)
	if c.ErrorDeclaration != nil {
		c.ErrorDeclaration.Extensions = noPrefix(c.ErrorDeclaration.Extensions)
	}
	for i := range c.SensorElements {
		se := &c.SensorElements[i]
		se.Extensions = noPrefix(se.Extensions)
		if se.Metadata != nil {
			se.Metadata.Other = noPrefixAttrs(se.Metadata.Other)
		}
		for j := range se.Reports {
			se.Reports[j].Other = noPrefixAttrs(se.Reports[j].Other)
		}
	}
	b, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		panic(err)
	}
	return string(b)
}

func validateSchema(t testing.TB, doc []byte) error {
	t.Helper()
	return jsonschematest.Validate(t, doc)
}

func withIndent(s string) epcisjson.Option { return epcisjson.WithIndent(s) }

// noPrefix drops prefixes of resolved names: they are spelling, not content.
func noPrefix(els []epcis.Element) []epcis.Element {
	if els == nil {
		return nil
	}
	out := make([]epcis.Element, len(els))
	for i, el := range els {
		if el.Name.Space != "" {
			el.Name.Prefix = ""
		}
		el.Attrs = noPrefixAttrs(el.Attrs)
		el.Children = noPrefix(el.Children)
		out[i] = el
	}
	return out
}

func noPrefixAttrs(as []epcis.Attr) []epcis.Attr {
	if as == nil {
		return nil
	}
	out := make([]epcis.Attr, len(as))
	for i, a := range as {
		if a.Name.Space != "" {
			a.Name.Prefix = ""
		}
		out[i] = a
	}
	return out
}
