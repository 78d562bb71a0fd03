package dscsa

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/serialhub/serialhub/gateways"
)

// xsdPath is the EPCIS 1.2 schema of the shared GS1 vectors.
func xsdPath(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "vectors", "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("EPCIS 1.2 XSD not found at %s", p)
	}
	return p
}

// ValidateXSD runs xmllint on doc against the EPCIS 1.2 schema.
func validateXSD(t testing.TB, doc []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", xsdPath(t), f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// verifyXMLSec checks an enveloped signature with xmlsec1 and the signer's certificate.
func verifyXMLSec(t testing.TB, doc, certPEM []byte) {
	t.Helper()
	dir := t.TempDir()
	f, c := filepath.Join(dir, "signed.xml"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", c, f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
	}
}

func TestFileConformance(t *testing.T) {
	certPEM, keyPEM, err := gateways.SelfSigned("serialhub test signer")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gateways.ParseSigner(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, packs := range []int{12, 2001} {
		var buf bytes.Buffer
		if err := SampleShipment(packs).WriteFile(&buf); err != nil {
			t.Fatal(err)
		}
		doc := buf.Bytes()
		for _, want := range []string{"gs1ushc:dscsaTransactionStatement", "US_FDA_NDC", "GS1 US DSCSA R1.3",
			"urn:epcglobal:cbv:btt:desadv", "cbvmda:itemExpirationDate", "urn:epcglobal:cbv:sdt:owning_party", "<AggregationEvent>"} {
			if !bytes.Contains(doc, []byte(want)) {
				t.Errorf("%d packs: file lacks %q", packs, want)
			}
		}
		validateXSD(t, doc)
		signed, err := signer.SignEnveloped(doc)
		if err != nil {
			t.Fatal(err)
		}
		validateXSD(t, signed)
		verifyXMLSec(t, signed, certPEM)
		if packs > 100 {
			continue // goxmldsig's validator caps the elements it walks (a DoS guard); xmlsec1 checked it
		}
		if err := gateways.VerifyEnveloped(signed, signer.Certificate()); err != nil {
			t.Fatalf("VerifyEnveloped: %v", err)
		}
		tampered := bytes.Replace(signed, []byte("A123"), []byte("A124"), 1)
		if err := gateways.VerifyEnveloped(tampered, signer.Certificate()); err == nil {
			t.Fatal("tampered file verified")
		}
	}
}

func TestClassPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"urn:epc:id:sgtin:030001.0012345.11", "urn:epc:idpat:sgtin:030001.0012345.*"},
		{"urn:epc:id:sscc:030001.41234567890", ""},
		{"urn:epc:id:sgtin:bad", ""},
	}
	for _, tt := range tests {
		if got := ClassPattern(tt.in); got != tt.want {
			t.Errorf("ClassPattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkBuildSign100k builds and signs the file of a 100,000-pack shipment (goal < 3 s).
func BenchmarkBuildSign100k(b *testing.B) {
	certPEM, keyPEM, err := gateways.SelfSigned("bench")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := gateways.ParseSigner(certPEM, keyPEM)
	s := SampleShipment(100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		doc, err := s.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		signed, err := signer.SignEnveloped(doc)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(signed))/1e6, "MB")
		b.ReportMetric(float64(len(doc))/float64(s.sizeHint()), "size/hint")
	}
}
