package epcisxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// benchEvents sizes the benchmark document: about 100 MB of XML (≈ 1.2 KB per event).
// SERIALHUB_BENCH_EVENTS overrides it.
func benchEvents() int {
	if s := os.Getenv("SERIALHUB_BENCH_EVENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 80000
}

var benchDocs sync.Map // epcis.Version -> []byte

func benchDoc(b *testing.B, v epcis.Version) []byte {
	b.Helper()
	if d, ok := benchDocs.Load(v); ok {
		return d.([]byte)
	}
	var buf bytes.Buffer
	if err := GenerateDocument(&buf, v, benchEvents()); err != nil {
		b.Fatal(err)
	}
	benchDocs.Store(v, buf.Bytes())
	return buf.Bytes()
}

// decodeCount decodes a whole document and returns the number of events.
func decodeCount(r io.Reader) (int, error) {
	d := NewDecoder(r, epcis.Limits{})
	if _, err := d.Document(); err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := d.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func benchDecode(b *testing.B, v epcis.Version) {
	doc := benchDoc(b, v)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		var err error
		n, err = decodeCount(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDecode12(b *testing.B) { benchDecode(b, epcis.Version12) }
func BenchmarkDecode20(b *testing.B) { benchDecode(b, epcis.Version20) }

func benchEncode(b *testing.B, v epcis.Version) {
	doc := benchDoc(b, v)
	d, evs, err := decodeAll(b, bytes.NewReader(doc))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		enc := NewEncoder(io.Discard, v)
		if err := encodeAll(enc, d, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEncode12(b *testing.B) { benchEncode(b, epcis.Version12) }
func BenchmarkEncode20(b *testing.B) { benchEncode(b, epcis.Version20) }

// BenchmarkRawXMLTokens is the yardstick: encoding/xml's Token loop over the same bytes,
// with no model built.
func BenchmarkRawXMLTokens(b *testing.B) {
	doc := benchDoc(b, epcis.Version20)
	events := benchEvents()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := x.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeAllocs reports bytes allocated per event at two document sizes; flat
// memory means the figure does not grow with the document.
func BenchmarkDecodeAllocs(b *testing.B) {
	for _, n := range []int{1000, 20000} {
		b.Run(strconv.Itoa(n)+"events", func(b *testing.B) {
			var buf bytes.Buffer
			if err := GenerateDocument(&buf, epcis.Version20, n); err != nil {
				b.Fatal(err)
			}
			var before, after runtime.MemStats
			b.ResetTimer()
			runtime.ReadMemStats(&before)
			for i := 0; i < b.N; i++ {
				if _, err := decodeCount(bytes.NewReader(buf.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n*b.N), "B/event")
		})
	}
}
