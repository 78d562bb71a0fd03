package gs1

import "testing"

// A typical pharmaceutical DataMatrix scan (GTIN, expiry, lot, serial) and its Digital Link.
const (
	benchScan = "]d201095060001343521726123110ABC123\x1d21XYZ0123456789"
	benchHRI  = "(01)09506000134352(17)261231(10)ABC123(21)XYZ0123456789"
	benchDL   = "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ0123456789?17=261231"
	benchSGTI = "urn:epc:id:sgtin:9506000.013435.XYZ0123456789"
)

func BenchmarkParseElementString(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseElementString(benchScan); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseElementStringHRI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseElementString(benchHRI); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDigitalLink(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDigitalLink(benchDL); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSGTINURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSGTINURI(benchSGTI); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSGTINURI(b *testing.B) {
	s := SGTIN{GTIN: "09506000134352", Serial: "XYZ/0123456789", PrefixLen: 7}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.URI(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAny(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAny(benchScan); err != nil {
			b.Fatal(err)
		}
	}
}
