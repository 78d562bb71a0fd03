package gs1

import (
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// Checks against GS1 EPC Tag Data Translation (TDT 2.2) definition files: the regular
// expressions GS1 publishes for each URI form are the reference for what a valid URI is.

type tdtFile struct {
	Scheme struct {
		Name   string `xml:"name,attr"`
		Levels []struct {
			Type    string `xml:"type,attr"`
			Options []struct {
				Key     string `xml:"optionKey,attr"`
				Pattern string `xml:"pattern,attr"`
			} `xml:"option"`
		} `xml:"level"`
	} `xml:"scheme"`
}

// tdtPatterns returns the compiled patterns of one level, by option key (for URI levels
// the option key is the GS1 Company Prefix length).
func tdtPatterns(t *testing.T, file, level string) map[int]*regexp.Regexp {
	t.Helper()
	b, err := os.ReadFile(testvectors.Path(t, "epc-tag-data-translation", "xml", file))
	if err != nil {
		t.Fatal(err)
	}
	var f tdtFile
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[int]*regexp.Regexp{}
	for _, l := range f.Scheme.Levels {
		if l.Type != level {
			continue
		}
		for _, o := range l.Options {
			k, err := strconv.Atoi(o.Key)
			if err != nil {
				t.Fatalf("%s: option key %q", file, o.Key)
			}
			out[k] = regexp.MustCompile(o.Pattern)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no %s options", file, level)
	}
	return out
}

// serialCorpus exercises every CSET 82 character, escaped and not, and the length limits.
var serialCorpus = []string{
	"1", "6789", "ABCabc019", "A.B-C_D", "12345678901234567890",
	"!\"%&'()*+,-./", "0123456789:;<=>?", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "abcdefghijklmnopqrstuvwxyz",
	"%41", "a/b?c", "<x>", "\"q\"", "&&", "ÿ", "x y",
}

func gtinsForPrefix() []GTIN {
	return []GTIN{"80614141123458", "00614141123452", "10614141123459", "99999999999997"}
}

func TestSGTINURIMatchesTDT(t *testing.T) {
	pats := tdtPatterns(t, "SGTIN-198.xml", "PURE_IDENTITY")
	for k := 6; k <= 12; k++ {
		re := pats[k]
		if re == nil {
			t.Fatalf("no TDT option for prefix length %d", k)
		}
		for _, g := range gtinsForPrefix() {
			for _, serial := range serialCorpus {
				uri, err := SGTIN{GTIN: g, Serial: serial, PrefixLen: k}.URI()
				valid := checkCSet82(serial, 20) == nil
				if (err == nil) != valid {
					t.Errorf("URI(%s, %q, %d) error = %v, want valid=%v", g, serial, k, err, valid)
					continue
				}
				if err != nil {
					continue
				}
				m := re.FindStringSubmatch(uri)
				if m == nil {
					t.Errorf("%s does not match TDT pattern for prefix length %d", uri, k)
					continue
				}
				if m[1] != string(g[1:1+k]) || m[2] != string(g[:1])+string(g[1+k:13]) {
					t.Errorf("%s: TDT groups %q %q", uri, m[1], m[2])
				}
				back, err := ParseSGTINURI(uri)
				if err != nil || back.GTIN != g || back.Serial != serial || back.PrefixLen != k {
					t.Errorf("ParseSGTINURI(%s) = %+v, %v", uri, back, err)
				}
			}
		}
	}
}

// For URIs built from valid and broken parts, the parser accepts exactly what the TDT
// patterns accept (lower-case escapes aside, see TestLowerCaseEscapesAccepted).
func TestSGTINParseAgreesWithTDT(t *testing.T) {
	pats := tdtPatterns(t, "SGTIN-198.xml", "PURE_IDENTITY")
	var corpus []string
	digits := "0614141812345678901"
	for k := 4; k <= 14; k++ {
		for itemLen := 0; itemLen <= 9; itemLen++ {
			if k+itemLen > len(digits) {
				continue
			}
			cp, item := digits[:k], digits[k:k+itemLen]
			for _, s := range []string{"1", "6789", "A%2FB", "a/b", "%41", "", "x y", "12345678901234567890", "123456789012345678901", "%2", "%ZZ", "%25%25", "a.b.c", "é"} {
				corpus = append(corpus, sgtinPrefix+cp+"."+item+"."+s)
			}
		}
	}
	corpus = append(corpus, "urn:epc:id:sgtin:0614141.812345", "urn:epc:id:sgtin:0614141", "urn:epc:id:sgtin:", "urn:epc:id:sgtin:061414a.812345.1",
		"urn:epc:id:sgtin:0614141.81234b.1", "URN:EPC:ID:SGTIN:0614141.812345.1", "urn:epc:id:sgtin:0614141..1")
	for _, uri := range corpus {
		tdt := false
		for _, re := range pats {
			tdt = tdt || re.MatchString(uri)
		}
		_, err := ParseSGTINURI(uri)
		if (err == nil) != tdt {
			t.Errorf("ParseSGTINURI(%q) error = %v, TDT match = %v", uri, err, tdt)
		}
	}
}

func TestLowerCaseEscapesAccepted(t *testing.T) {
	s, err := ParseSGTINURI("urn:epc:id:sgtin:0614141.812345.a%2fb")
	if err != nil || s.Serial != "a/b" {
		t.Fatalf("got %+v, %v", s, err)
	}
	if u, _ := s.URI(); u != "urn:epc:id:sgtin:0614141.812345.a%2Fb" {
		t.Errorf("re-rendered as %q, want upper-case escape", u)
	}
}

func TestSSCCURIMatchesTDT(t *testing.T) {
	pats := tdtPatterns(t, "SSCC-96.xml", "PURE_IDENTITY")
	for _, v := range []string{"106141412345678908", "000000000000000000", "999999999999999995", "376104250021234569"} {
		for k := 6; k <= 12; k++ {
			uri, err := SSCC{Value: v, PrefixLen: k}.URI()
			if err != nil {
				t.Errorf("SSCC %s URI(%d): %v", v, k, err)
				continue
			}
			m := pats[k].FindStringSubmatch(uri)
			if m == nil || m[1] != v[1:1+k] || m[2] != v[:1]+v[1+k:17] {
				t.Errorf("%s does not match TDT pattern for prefix length %d (%q)", uri, k, m)
			}
			back, err := ParseSSCCURI(uri)
			if err != nil || back.Value != v || back.PrefixLen != k {
				t.Errorf("ParseSSCCURI(%s) = %+v, %v", uri, back, err)
			}
		}
	}
}

func TestSGLNURIMatchesTDT(t *testing.T) {
	pats := tdtPatterns(t, "SGLN-195.xml", "PURE_IDENTITY")
	for _, g := range []GLN{"0614141123452", "9520123456788"} {
		for _, ext := range []string{"", "400", "32a/b", "12345678901234567890"} {
			for k := 6; k <= 12; k++ {
				uri, err := SGLNURI(g, ext, k)
				if err != nil {
					t.Errorf("SGLNURI(%s, %q, %d): %v", g, ext, k, err)
					continue
				}
				m := pats[k].FindStringSubmatch(uri)
				if m == nil || m[1] != string(g[:k]) || m[2] != string(g[k:12]) {
					t.Errorf("%s does not match TDT pattern for prefix length %d", uri, k)
				}
				gg, e, p, err := ParseSGLNURI(uri)
				if err != nil || gg != g || e != ext || p != k {
					t.Errorf("ParseSGLNURI(%s) = %s %q %d %v", uri, gg, e, p, err)
				}
			}
		}
	}
}

// The Digital Link level of the SGTIN TDT file: FormatDigitalLink output for 01+21 must
// match it. TDT (like the DL 1.2 grammar) lists '"' as a raw character, which RFC 3986
// does not allow; this package and the GS1 Syntax Engine write %22, so '"' is left out.
func TestDigitalLinkMatchesTDT(t *testing.T) {
	pats := tdtPatterns(t, "SGTIN-198.xml", "GS1_DIGITAL_LINK")
	re := pats[12] // every option carries the same pattern
	if re == nil {
		t.Fatal("no SGTIN GS1_DIGITAL_LINK option")
	}
	for _, serial := range serialCorpus {
		if checkCSet82(serial, 20) != nil || strings.Contains(serial, "\"") {
			continue
		}
		uri, err := FormatDigitalLink("https://example.com", els("01", "80614141123458", "21", serial))
		if err != nil {
			t.Errorf("FormatDigitalLink(%q): %v", serial, err)
			continue
		}
		if m := re.FindStringSubmatch(uri); m == nil || m[1] != "80614141123458" {
			t.Errorf("%s does not match the TDT Digital Link pattern", uri)
		}
	}
}

func TestSGTINPatternURI(t *testing.T) {
	tests := []struct {
		uri     string
		want    SGTINPattern
		gtin    GTIN
		matches []SGTIN
		misses  []SGTIN
	}{
		{"urn:epc:idpat:sgtin:0614141.812345.6789", SGTINPattern{"0614141", "812345", "6789"}, "80614141123458",
			[]SGTIN{{GTIN: "80614141123458", Serial: "6789"}}, []SGTIN{{GTIN: "80614141123458", Serial: "6780"}}},
		{"urn:epc:idpat:sgtin:0614141.812345.*", SGTINPattern{"0614141", "812345", ""}, "80614141123458",
			[]SGTIN{{GTIN: "80614141123458", Serial: "1", PrefixLen: 7}}, []SGTIN{{GTIN: "80614141123458", Serial: "1", PrefixLen: 8}, {GTIN: "00614141123452", Serial: "1"}}},
		{"urn:epc:idpat:sgtin:0614141.*.*", SGTINPattern{"0614141", "", ""}, "",
			[]SGTIN{{GTIN: "00614141123452", Serial: "x"}}, []SGTIN{{GTIN: "09506000134352", Serial: "x"}}},
		{"urn:epc:idpat:sgtin:*.*.*", SGTINPattern{}, "", []SGTIN{{GTIN: "09506000134352", Serial: "x"}}, nil},
		{"urn:epc:idpat:sgtin:0614141.812345.a%2Fb", SGTINPattern{"0614141", "812345", "a/b"}, "80614141123458", nil, nil},
	}
	for _, tc := range tests {
		p, err := ParseSGTINPatternURI(tc.uri)
		if err != nil || p != tc.want {
			t.Errorf("ParseSGTINPatternURI(%q) = %+v, %v", tc.uri, p, err)
			continue
		}
		if back, err := p.URI(); err != nil || back != tc.uri {
			t.Errorf("URI() = %q, %v", back, err)
		}
		if g, ok := p.GTIN(); g != tc.gtin || ok != (tc.gtin != "") {
			t.Errorf("%s: GTIN() = %q, %v", tc.uri, g, ok)
		}
		for _, s := range tc.matches {
			if !p.Match(s) {
				t.Errorf("%s should match %+v", tc.uri, s)
			}
		}
		for _, s := range tc.misses {
			if p.Match(s) {
				t.Errorf("%s should not match %+v", tc.uri, s)
			}
		}
	}
	for uri, want := range map[string]string{
		"urn:epc:idpat:sgtin:*.812345.*":        "after a \"*\" company prefix",
		"urn:epc:idpat:sgtin:0614141.*.6789":    "after a \"*\" item reference",
		"urn:epc:idpat:sgtin:0614141.81234.*":   "item reference: 5 digits",
		"urn:epc:idpat:sgtin:0614141.812345":    "want CompanyPrefix",
		"urn:epc:idpat:sgtin:0614141.812345.a/": "not allowed unescaped",
		"urn:epc:id:sgtin:0614141.812345.1":     "does not start with",
	} {
		if _, err := ParseSGTINPatternURI(uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSGTINPatternURI(%q) error = %v, want %q", uri, err, want)
		}
	}
	// Hand-built, inconsistent patterns must not panic.
	for _, p := range []SGTINPattern{{CompanyPrefix: "01234567890123456789"}, {CompanyPrefix: "0614141", ItemRef: "1"}, {ItemRef: "812345"}} {
		if p.Match(SGTIN{GTIN: "80614141123458", Serial: "1"}) {
			t.Errorf("inconsistent pattern %+v matched", p)
		}
		if _, err := p.URI(); err == nil {
			t.Errorf("inconsistent pattern %+v rendered", p)
		}
	}
	if _, err := (SGTINPattern{ItemRef: "812345"}).URI(); err == nil {
		t.Error("pattern with a fixed item reference after * rendered")
	}
}

func TestParseEPCURI(t *testing.T) {
	tests := []struct {
		uri  string
		want EPC
		ais  []Element
	}{
		{"urn:epc:id:sgtin:0614141.812345.6789", SGTIN{GTIN: "80614141123458", Serial: "6789", PrefixLen: 7}, els("01", "80614141123458", "21", "6789")},
		{"urn:epc:id:sscc:0614141.1234567890", SSCC{Value: "106141412345678908", PrefixLen: 7}, els("00", "106141412345678908")},
		{"urn:epc:id:sgln:0614141.12345.400", SGLN{GLN: "0614141123452", Extension: "400", PrefixLen: 7}, els("414", "0614141123452", "254", "400")},
		{"urn:epc:id:sgln:0614141.12345.0", SGLN{GLN: "0614141123452", PrefixLen: 7}, els("414", "0614141123452")},
		{"urn:epc:class:lgtin:4012345.012345.998877", LGTIN{GTIN: "04012345123456", Lot: "998877", PrefixLen: 7}, els("01", "04012345123456", "10", "998877")},
		{"urn:epc:idpat:sgtin:4012345.066666.*", SGTINPattern{CompanyPrefix: "4012345", ItemRef: "066666"}, nil},
	}
	for _, tc := range tests {
		got, err := ParseEPCURI(tc.uri)
		if err != nil || got != tc.want {
			t.Errorf("ParseEPCURI(%q) = %#v, %v", tc.uri, got, err)
			continue
		}
		if u, err := got.URI(); err != nil || u != tc.uri {
			t.Errorf("URI() = %q, %v", u, err)
		}
		if fmt.Sprint(got.Elements()) != fmt.Sprint(tc.ais) {
			t.Errorf("Elements() = %v, want %v", got.Elements(), tc.ais)
		}
	}
	for uri, want := range map[string]string{
		"urn:epc:id:grai:0614141.12345.400": "EPC scheme \"urn:epc:id:grai:\" is not supported",
		"https://id.gs1.org/01/1":           "not an EPC URI",
		"urn:epc:id:sgln:0614141.1234.400":  "location reference: 4 digits",
		"urn:epc:class:lgtin:0614141.1.1":   "item reference: 1 digits",
	} {
		if _, err := ParseEPCURI(uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEPCURI(%q) error = %v, want %q", uri, err, want)
		}
	}
}
