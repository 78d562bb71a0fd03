package epcisjson_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson"
)

const ctx = `"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ex.example/ns/"}]`

const event = `{"type":"ObjectEvent","eventTime":"2024-01-02T03:04:05.678+01:00","eventTimeZoneOffset":"+01:00",
 "epcList":["urn:epc:id:sgtin:0614141.107346.2017"],"action":"OBSERVE","bizStep":"shipping",
 "ex:note":"hello","ex:n":12.50,"ex:b":true,"ex:z":null,"ex:list":[1,"two"],"ex:obj":{"ex:in":"x","plain":"y"}}`

func doc(members ...string) string {
	return "{" + strings.Join(members, ",") + "}"
}

// onlyReader hides io.Seeker.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(b []byte) (int, error) { return o.r.Read(b) }

func TestDecodeShapes(t *testing.T) {
	body := `"epcisBody":{"eventList":[` + event + `]}`
	head := `"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-02T00:00:00Z"`
	tests := []struct {
		name     string
		in       string
		seekable bool
		wantNS   string // namespace of ex:note
	}{
		{"header first", doc(ctx, head, body), true, "https://ex.example/ns/"},
		{"header last, seekable", doc(body, head, ctx), true, "https://ex.example/ns/"},
		{"header last, stream", doc(body, head, ctx), false, ""},
		{"query document", doc(ctx, `"type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"2024-01-02T00:00:00Z",
			"epcisBody":{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[`+event+`]}}}`), true, "https://ex.example/ns/"},
		{"bare event", `{` + ctx + `,` + event[1:], true, "https://ex.example/ns/"},
		{"bare event, type last", `{` + ctx + `,"eventTime":"2024-01-02T03:04:05Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":[],"ex:note":"hi","type":"ObjectEvent"}`, true, "https://ex.example/ns/"},
		{"event context after use", doc(`"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"`, head,
			`"epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2024-01-02T03:04:05Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":[],"ex:note":"hi","@context":{"ex":"https://ex.example/ns/"}}]}`), true, "https://ex.example/ns/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.in)
			if !tt.seekable {
				r = onlyReader{r}
			}
			d, evs, err := decodeAll(r, epcis.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			e := evs[0]
			if e.Extensions[0].Name.Local != "note" || e.Extensions[0].Name.Space != tt.wantNS {
				t.Errorf("ex:note resolved to %+v", e.Extensions[0].Name)
			}
			if tt.wantNS == "" && d.Namespaces["ex"] != "https://ex.example/ns/" {
				t.Errorf("document namespaces after EOF: %v", d.Namespaces)
			}
			if d.SchemaVersion != epcis.Version20 {
				t.Errorf("schemaVersion %q", d.SchemaVersion)
			}
		})
	}
}

func TestDecodeExtensionKinds(t *testing.T) {
	in := doc(ctx, `"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-02T00:00:00Z"`, `"epcisBody":{"eventList":[`+event+`]}`)
	_, evs, err := decodeAll(strings.NewReader(in), epcis.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ext := evs[0].Extensions
	type want struct {
		local, text string
		kind        epcis.ValueKind
		children    int
	}
	wants := []want{
		{"note", "hello", epcis.KindString, 0},
		{"n", "12.50", epcis.KindNumber, 0},
		{"b", "true", epcis.KindBool, 0},
		{"z", "", epcis.KindNull, 0},
		{"list", "1", epcis.KindNumber, 0},
		{"list", "two", epcis.KindString, 0},
		{"obj", "", epcis.KindString, 2},
	}
	if len(ext) != len(wants) {
		t.Fatalf("%d extensions: %+v", len(ext), ext)
	}
	for i, w := range wants {
		el := ext[i]
		if el.Name.Local != w.local || el.Text != w.text || el.Kind != w.kind || len(el.Children) != w.children {
			t.Errorf("extension %d = %+v, want %+v", i, el, w)
		}
	}
	if c := ext[6].Children[1]; c.Name.Space != "" || c.Name.Local != "plain" {
		t.Errorf("plain key inside a user object: %+v", c.Name)
	}
	// Round trip keeps the kinds.
	out := encodeAll(t, nil, evs)
	if !bytes.Contains(out, []byte(`"ex:n":12.50`)) || !bytes.Contains(out, []byte(`"ex:list":[1,"two"]`)) || !bytes.Contains(out, []byte(`"ex:z":null`)) {
		t.Errorf("kinds lost: %s", out)
	}
}

func TestDecodeErrors(t *testing.T) {
	head := `"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-02T00:00:00Z"`
	ev := func(fields string) string {
		return doc(ctx, head, `"epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2024-01-02T03:04:05Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":[]`+fields+`}]}`)
	}
	deep := strings.Repeat(`{"ex:a":`, 100) + `1` + strings.Repeat(`}`, 100)
	tests := []struct {
		name string
		in   string
		lim  epcis.Limits
		want string
	}{
		{"not an object", `[1,2]`, epcis.Limits{}, "document: an EPCIS JSON document must be a JSON object"},
		{"empty", ``, epcis.Limits{}, "document: empty document"},
		{"truncated", doc(ctx, head)[:40], epcis.Limits{}, "unexpected end of document"},
		{"syntax", `{"type":"EPCISDocument",,}`, epcis.Limits{}, "malformed JSON"},
		{"trailing data", doc(ctx, head, `"epcisBody":{"eventList":[]}`) + `{}`, epcis.Limits{}, "data after the end of the document"},
		{"unknown type", doc(ctx, `"type":"Foo"`), epcis.Limits{}, `field type: "Foo" is neither`},
		{"no body", doc(ctx, head), epcis.Limits{}, "field epcisBody: missing"},
		{"no creationDate", doc(ctx, `"type":"EPCISDocument","schemaVersion":"2.0","epcisBody":{"eventList":[]}`), epcis.Limits{}, "field creationDate: missing"},
		{"event not object", doc(ctx, head, `"epcisBody":{"eventList":[1]}`), epcis.Limits{}, "event 0: an event must be a JSON object"},
		{"undefined prefix", ev(`,"zz:a":1`), epcis.Limits{}, `event 0 (line 1), field zz:a: uses prefix "zz", which no @context defines`},
		{"field of another type", ev(`,"childEPCs":[]`), epcis.Limits{}, "event 0 (line 1), field childEPCs: is not a field of ObjectEvent"},
		{"bad tz", ev(`,"eventTimeZoneOffset":"+1:00"`), epcis.Limits{}, `field eventTimeZoneOffset: "+1:00" is not a time zone offset`},
		{"not uri", ev(`,"readPoint":{"id":"no scheme"}`), epcis.Limits{}, `field readPoint.id: "no scheme" is not a URI`},
		{"bad uom", ev(`,"quantityList":[{"epcClass":"urn:x:y","quantity":1,"uom":"kg"}]`), epcis.Limits{}, `field quantityList[0].uom: "kg" is not a UN/CEFACT`},
		{"custom source type", ev(`,"sourceList":[{"type":"place","source":"urn:x:y"}]`), epcis.Limits{}, `field sourceList[0].type: "place" is not a standard source/destination type value`},
		{"sensor element without report", ev(`,"sensorElementList":[{"sensorMetadata":{}}]`), epcis.Limits{}, "field sensorElementList[0]: sensorElement needs at least one sensorReport"},
		{"array of arrays", ev(`,"ex:a":[[1]]`), epcis.Limits{}, "field ex:a[0]: arrays of arrays are not supported"},
		{"too deep", ev(`,"ex:deep":` + deep), epcis.Limits{MaxDepth: 20}, "nesting deeper than 20 levels"},
		{"event too large", ev(`,"ex:big":"` + strings.Repeat("x", 20000) + `"`), epcis.Limits{MaxEventBytes: 10000}, "event 0: event larger than 10000 bytes"},
		{"document too large", ev(`,"ex:big":"` + strings.Repeat("x", 20000) + `"`), epcis.Limits{MaxTotalBytes: 10000}, "document larger than 10000 bytes"},
		{"ilmd without ADD", doc(ctx, head, `"epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2024-01-02T03:04:05Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":[],"ilmd":{"ex:a":1}}]}`), epcis.Limits{}, "field ilmd: only an ObjectEvent with action ADD carries ilmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeAll(strings.NewReader(tt.in), tt.lim)
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a DecodeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want %q", err, tt.want)
			}
		})
	}
}

// TestDecodeFlatMemory: a large document is read with a small per-event limit, which holds
// only if events are decoded one at a time.
func TestDecodeFlatMemory(t *testing.T) {
	doc := generateDocument(5000)
	d := epcisjson.NewDecoder(bytes.NewReader(doc), epcis.Limits{MaxEventBytes: 4096})
	n := 0
	for {
		_, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 5000 {
		t.Fatalf("%d events", n)
	}
}

func TestEncoderOptionalHeader(t *testing.T) {
	var buf bytes.Buffer
	enc := epcisjson.NewEncoder(&buf)
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	_, evs, err := decodeAll(&buf, epcis.Limits{})
	if err != nil || len(evs) != 0 {
		t.Fatalf("empty document: %v, %d events", err, len(evs))
	}
	if err := enc.WriteEvent(&epcis.Event{Type: epcis.ObjectEvent}); err == nil {
		t.Error("WriteEvent after Close succeeded")
	}
	enc = epcisjson.NewEncoder(&buf)
	if err := enc.WriteEvent(&epcis.Event{Type: "Nope"}); err == nil {
		t.Error("unknown event type encoded")
	}
}

// TestUnqualifiedNames: elements without namespace (EPCIS 1.2 ##local content, from XML)
// travel as epcis:name, the JSON-LD home of standard EPCIS terms.
func TestUnqualifiedNames(t *testing.T) {
	ev := &epcis.Event{
		Type: epcis.ObjectEvent, EventTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), EventTimeZoneOffset: "+00:00",
		Action: epcis.ActionAdd, EPCList: []string{"urn:epc:id:sgtin:0614141.107346.2017"},
		ILMD: []epcis.Element{{Name: epcis.Name{Local: "lot"}, Text: "L1"}},
		Extensions: []epcis.Element{{Name: epcis.Name{Local: "myField"}, Children: []epcis.Element{
			{Name: epcis.Name{Local: "inner"}, Text: "x"},
		}}},
	}
	out := encodeAll(t, nil, []*epcis.Event{ev})
	if !bytes.Contains(out, []byte(`"epcis:myField":{"inner":"x"}`)) || !bytes.Contains(out, []byte(`"ilmd":{"epcis:lot":"L1"}`)) {
		t.Fatalf("unqualified names written as %s", out)
	}
	if err := validateSchema(t, out); err != nil {
		t.Errorf("schema: %v", err)
	}
	_, evs, err := decodeAll(bytes.NewReader(out), epcis.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := canonical(ev), canonical(evs[0]); a != b {
		t.Errorf("round trip:\n%s\n%s", a, b)
	}
}

// TestDecodeErrorLine: errors inside events carry the line where the problem is.
func TestDecodeErrorLine(t *testing.T) {
	in := "{" + ctx + `,
"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-01-02T00:00:00Z",
"epcisBody":{"eventList":[
` + event + `,
{"type":"ObjectEvent",
 "eventTime":"2024-01-02T03:04:05Z",
 "eventTimeZoneOffset":"+00:00",
 "action":"ADDED",
 "epcList":[]}
]}}`
	_, _, err := decodeAll(strings.NewReader(in), epcis.Limits{})
	var de *epcis.DecodeError
	if !errors.As(err, &de) || de.Event != 1 || de.Line != 10 || de.Field != "action" {
		t.Fatalf("got %v (%+v), want event 1, line 10, field action", err, de)
	}
}
