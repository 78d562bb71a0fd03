package gs1

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// Seeds: inputs from the gs1/gs1-syntax-engine unit tests plus every EPC URI found in the
// shared EPCIS example documents, turned into element strings and Digital Links.

var elementStringSeeds = []string{
	"]d201095060001343521726123110ABC123\x1d21XYZ",
	"(01)09506000134352(17)261231(10)ABC123(21)XYZ",
	"^0112345678901231^800112341234512398",
	"]e0011231231231233310ABC123\x1d1199122598TESTING\x1d97XYZ",
	"(01)12345678901231(10)12345\\(11)991225",
	"(8030)DIGSIG(01)12345678901231(21)ABC123",
	"(00)123456789012345675(4309)18000000010000000000",
	"^01123456789012317007211225211231",
	"(10)(11)98765", "(17)9(90)217", "(", "]d2", "^^", "\x1d",
}

var digitalLinkSeeds = []string{
	"https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231",
	"https://a/00/faux/00/006141411234567890",
	"https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987",
	"https://brand.example.com/some/path/gtin/9506000134352/lot/L%2F1/ser/S1?exp=261231&x=y",
	"https://[2001:db8::1]/01/12312312312333#frag",
	"https://id.gs1.org/414/9520123456788/254/32a%2Fb",
	"http://a/", "https://a/01/", "HTTPS://a/01/12312312312333?&&&99=ABC",
}

var epcURIRe = regexp.MustCompile(`urn:epc:(?:id|class|idpat):[a-z]+:[^\s<>"',\]]+`)

// vectorEPCURIs collects the EPC URIs used in the shared EPCIS examples.
func vectorEPCURIs(t testing.TB) []string {
	seen := map[string]bool{}
	var out []string
	for _, dir := range []string{"epcis-1.2", "epcis-2.0", "dscsa-partner-samples"} {
		root := testvectors.Path(t, dir)
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, m := range epcURIRe.FindAllString(string(b), -1) {
				if !seen[m] {
					seen[m] = true
					out = append(out, m)
				}
			}
			return nil
		})
	}
	return out
}

func TestVectorEPCURIs(t *testing.T) {
	uris := vectorEPCURIs(t)
	ok := 0
	for _, u := range uris {
		if _, err := ParseEPCURI(u); err == nil {
			ok++
		}
	}
	// The examples mix schemes we do not support (GRAI, GIAI...) and deliberately broken
	// samples, but most are SGTIN/SSCC/SGLN/LGTIN and must parse.
	if len(uris) < 20 || ok < len(uris)/2 {
		t.Errorf("%d of %d EPC URIs from the EPCIS examples parse", ok, len(uris))
	}
}

func seedFromEPCs(f *testing.F) {
	for _, u := range vectorEPCURIs(f) {
		f.Add(u)
	}
}

func FuzzParseElementString(f *testing.F) {
	for _, s := range elementStringSeeds {
		f.Add(s)
	}
	for _, u := range vectorEPCURIs(f) {
		if e, err := ParseEPCURI(u); err == nil && len(e.Elements()) > 0 {
			if s, err := FormatElementString(e.Elements(), FormatOptions{SymbologyID: "]d2"}); err == nil {
				f.Add(s)
			}
			if s, err := FormatHRI(e.Elements()); err == nil {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ParseElementString(in)
		if err != nil {
			return
		}
		raw, err := FormatElementString(es.Elements, FormatOptions{})
		if err != nil {
			t.Fatalf("parsed %q but cannot format %v: %v", in, es.Elements, err)
		}
		hri, err := FormatHRI(es.Elements)
		if err != nil {
			t.Fatalf("parsed %q but cannot format HRI: %v", in, err)
		}
		for _, s := range []string{raw, hri} {
			back, err := ParseElementString(s)
			if err != nil || !reflect.DeepEqual(back.Elements, es.Elements) {
				t.Fatalf("%q -> %v -> %q -> %v, %v", in, es.Elements, s, back, err)
			}
		}
	})
}

func FuzzParseDigitalLink(f *testing.F) {
	for _, s := range digitalLinkSeeds {
		f.Add(s)
	}
	for _, u := range vectorEPCURIs(f) {
		if e, err := ParseEPCURI(u); err == nil && len(e.Elements()) > 0 {
			if s, err := FormatDigitalLink("https://example.com/dl", e.Elements()); err == nil {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		dl, err := ParseDigitalLink(in)
		if err != nil {
			return
		}
		for _, s := range []string{dl.Canonical(), dl.String()} {
			back, err := ParseDigitalLink(s)
			if err != nil || !reflect.DeepEqual(back.Elements(), dl.Elements()) {
				t.Fatalf("%q -> %v -> %q -> %v", in, dl.Elements(), s, err)
			}
		}
		// The AIs of a valid link always make a valid element string.
		if _, err := FormatElementString(dl.Elements(), FormatOptions{}); err != nil {
			t.Fatalf("%q: AIs %v do not format: %v", in, dl.Elements(), err)
		}
	})
}

func FuzzParseEPCURI(f *testing.F) {
	seedFromEPCs(f)
	for _, s := range []string{
		"urn:epc:id:sgtin:0614141.812345.6789", "urn:epc:id:sgtin:0614141.812345.a%2Fb",
		"urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sgln:061414112345..0",
		"urn:epc:class:lgtin:4012345.012345.998877", "urn:epc:idpat:sgtin:0614141.*.*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ParseEPCURI(in)
		if err != nil {
			return
		}
		u, err := e.URI()
		if err != nil {
			t.Fatalf("parsed %q but cannot render: %v", in, err)
		}
		back, err := ParseEPCURI(u)
		if err != nil || back != e {
			t.Fatalf("%q -> %#v -> %q -> %#v, %v", in, e, u, back, err)
		}
		if !strings.HasPrefix(u, "urn:epc:") {
			t.Fatalf("rendered %q", u)
		}
		if els := e.Elements(); len(els) > 0 {
			for _, el := range els {
				if _, err := ValidateAI(el.AI, el.Value); err != nil {
					t.Fatalf("%q gives invalid AI: %v", in, err)
				}
			}
		}
	})
}

func FuzzParseAny(f *testing.F) {
	for _, s := range elementStringSeeds {
		f.Add(s)
	}
	for _, s := range digitalLinkSeeds {
		f.Add(s)
	}
	f.Add("]E02112345678900")
	f.Add("]Q1https://example.com/01/12312312312333?99=TEST")
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = ParseAny(in)
	})
}
