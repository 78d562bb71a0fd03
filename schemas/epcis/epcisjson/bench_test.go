package epcisjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson"
)

// generateDocument writes a pharma-shaped JSON-LD document of n events: commissioning with
// ILMD, packing (aggregation), shipping with transactions and parties, in rotation.
func generateDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"ex":"https://ex.example/ns/"}],` +
		`"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T10:00:00Z","epcisBody":{"eventList":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		serial := 100000 + i
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"type":"ObjectEvent","eventTime":"2024-05-01T10:%02d:%02d.123+02:00","eventTimeZoneOffset":"+02:00",`+
				`"epcList":["urn:epc:id:sgtin:0614141.107346.%d","urn:epc:id:sgtin:0614141.107346.%d","urn:epc:id:sgtin:0614141.107346.%d"],`+
				`"action":"ADD","bizStep":"commissioning","disposition":"active","readPoint":{"id":"urn:epc:id:sgln:0614141.00777.0"},`+
				`"bizLocation":{"id":"urn:epc:id:sgln:0614141.00777.0"},"ilmd":{"cbvmda:lotNumber":"LOT%d","cbvmda:itemExpirationDate":"2026-12-31"},`+
				`"ex:line":{"ex:id":"L%d","ex:speed":%d.5}}`, i/60%60, i%60, serial, serial+1, serial+2, i/100, i%7, i%300)
		case 1:
			fmt.Fprintf(&b, `{"type":"AggregationEvent","eventTime":"2024-05-01T11:%02d:%02d.456+02:00","eventTimeZoneOffset":"+02:00",`+
				`"parentID":"urn:epc:id:sscc:0614141.%010d","childEPCs":["urn:epc:id:sgtin:0614141.107346.%d","urn:epc:id:sgtin:0614141.107346.%d"],`+
				`"action":"ADD","bizStep":"packing","disposition":"in_progress","readPoint":{"id":"urn:epc:id:sgln:0614141.00777.0"}}`,
				i/60%60, i%60, i, serial, serial+1)
		default:
			fmt.Fprintf(&b, `{"type":"ObjectEvent","eventTime":"2024-05-02T08:%02d:%02d+02:00","eventTimeZoneOffset":"+02:00",`+
				`"eventID":"ni:///sha-256;%064x?ver=CBV2.0","epcList":["urn:epc:id:sscc:0614141.%010d"],"action":"OBSERVE","bizStep":"shipping",`+
				`"disposition":"in_transit","readPoint":{"id":"urn:epc:id:sgln:0614141.00777.0"},`+
				`"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:PO%d"},{"type":"desadv","bizTransaction":"urn:epcglobal:cbv:bt:0614141000005:ASN%d"}],`+
				`"sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:0614141.00000"}],`+
				`"destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:4012345.00000"},{"type":"location","destination":"urn:epc:id:sgln:4012345.00001.0"}]}`,
				i/60%60, i%60, i, i-1, i, i)
		}
	}
	b.WriteString("]}}\n")
	return b.Bytes()
}

const benchEvents = 3000

func BenchmarkDecodeJSON(b *testing.B) {
	doc := generateDocument(benchEvents)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := epcisjson.NewDecoder(bytes.NewReader(doc), epcis.Limits{})
		n := 0
		for {
			_, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchEvents {
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(benchEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEncodeJSON(b *testing.B) {
	doc := generateDocument(benchEvents)
	_, evs, err := decodeAll(bytes.NewReader(doc), epcis.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		enc := epcisjson.NewEncoder(&out)
		if err := enc.WriteHeader(&epcis.Document{SchemaVersion: epcis.Version20}); err != nil {
			b.Fatal(err)
		}
		for _, e := range evs {
			if err := enc.WriteEvent(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(out.Len()))
	}
	b.ReportMetric(float64(benchEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRawJSONTokens is the yardstick: a plain encoding/json Token loop over the same
// bytes, doing nothing with the tokens.
func BenchmarkRawJSONTokens(b *testing.B) {
	doc := generateDocument(benchEvents)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}
