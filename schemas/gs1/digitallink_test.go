package gs1

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// Valid Digital Links and the AIs they carry (path then query). "gse" cases: inputs and
// expected AI strings from gs1/gs1-syntax-engine src/c-lib/dl.c test_dl_parseDLuri
// (expected "^..." strings rewritten as AI lists). "dljs": gs1/digital-link.js tests/index.js.
func TestParseDigitalLinkValid(t *testing.T) {
	tests := []struct {
		name, in  string
		stem      string
		want      []Element
		canonical string
	}{
		{"pharma", "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231", "https://id.gs1.org",
			els("01", "09506000134352", "10", "ABC123", "21", "XYZ", "17", "261231"),
			"https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231"},
		{"short names and stem", "https://brand.example.com/some/path/gtin/9506000134352/lot/L%2F1/ser/S1?exp=261231", "https://brand.example.com/some/path",
			els("01", "09506000134352", "10", "L/1", "21", "S1", "17", "261231"),
			"https://id.gs1.org/01/09506000134352/10/L%2F1/21/S1?17=261231"},
		{"GTIN-8 normalised", "https://example.com/01/96385074", "https://example.com",
			els("01", "00000096385074"), "https://id.gs1.org/01/00000096385074"},
		{"GTIN-12 normalised", "https://a/01/416000336108", "https://a", els("01", "00416000336108"), ""},
		{"GTIN-13 normalised", "https://a/01/2112345678900", "https://a", els("01", "02112345678900"), ""},
		{"extension parameters kept apart", "https://example.com/01/09506000134352?linkType=gs1:pip&17=261231", "https://example.com",
			els("01", "09506000134352", "17", "261231"), "https://id.gs1.org/01/09506000134352?17=261231"},
		{"gse http", "http://a/00/006141411234567890", "http://a", els("00", "006141411234567890"), ""},
		{"gse HTTP", "HTTP://a/00/006141411234567890", "HTTP://a", els("00", "006141411234567890"), ""},
		{"gse HTTPS", "HTTPS://a/00/006141411234567890", "HTTPS://a", els("00", "006141411234567890"), ""},
		{"gse punycode", "https://xn--fsq.xn--0zwm56d/01/12312312312333", "https://xn--fsq.xn--0zwm56d", els("01", "12312312312333"), ""},
		{"gse port", "https://a:65535/01/12312312312333", "https://a:65535", els("01", "12312312312333"), ""},
		{"gse IPv6", "https://[2001:db8::1]/01/12312312312333", "https://[2001:db8::1]", els("01", "12312312312333"), ""},
		{"gse stem", "https://a/more/stem/00/006141411234567890", "https://a/more/stem", els("00", "006141411234567890"), ""},
		{"gse faux AI in stem", "https://a/00/faux/00/006141411234567890", "https://a/00/faux", els("00", "006141411234567890"), ""},
		{"gse alphas", "https://a/gtin/12312312312333/ser/ABC123", "https://a", els("01", "12312312312333", "21", "ABC123"), ""},
		{"gse sscc alpha", "https://a/sscc/006141411234567890", "https://a", els("00", "006141411234567890"), ""},
		{"gse all qualifiers", "https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ", "https://a",
			els("01", "12312312312333", "22", "TEST", "10", "ABC", "21", "XYZ"), ""},
		{"gse 235 alternative", "https://a/01/12312312312333/235/TEST", "https://a", els("01", "12312312312333", "235", "TEST"), ""},
		{"gse 253", "https://a/253/1231231231232TEST5678901234567", "https://a", els("253", "1231231231232TEST5678901234567"), ""},
		{"gse 8018+8019", "https://a/8018/123456789012345675/8019/123", "https://a", els("8018", "123456789012345675", "8019", "123"), ""},
		{"gse empty query", "https://a/stem/00/006141411234567890?", "https://a/stem", els("00", "006141411234567890"), ""},
		{"gse query 99", "https://a/stem/00/006141411234567890?99=ABC", "https://a/stem", els("00", "006141411234567890", "99", "ABC"), ""},
		{"gse extraneous separators", "https://a/01/12312312312333?&&&99=ABC&&&&&&98=XYZ&&&", "https://a",
			els("01", "12312312312333", "99", "ABC", "98", "XYZ"), ""},
		{"gse unknown and singleton params", "https://a/01/12312312312333?singleton1&unknown1=555&99=ABC&singleton2&98=XYZ&unknown3=777", "https://a",
			els("01", "12312312312333", "99", "ABC", "98", "XYZ"), ""},
		{"gse percent escapes", "https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987", "https://a",
			els("01", "12312312312333", "22", "ABC-123", "99", "ABC", "98", "XYZ/987"), ""},
		{"gse plus in path is plus", "https://a/01/12312312312333/22/ABC+123?99=ABC", "https://a",
			els("01", "12312312312333", "22", "ABC+123", "99", "ABC"), ""},
		{"gse fragment ignored", "https://a/01/12312312312333/22/test/10/abc/21/xyz#fragment", "https://a",
			els("01", "12312312312333", "22", "test", "10", "abc", "21", "xyz"), ""},
		{"gse fragment after query", "https://a/stem/00/006141411234567890?99=ABC#", "https://a/stem", els("00", "006141411234567890", "99", "ABC"), ""},
		{"gse spec 17 attribute", "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426", "https://id.gs1.org",
			els("01", "09520123456788", "10", "ABC1", "21", "12345", "17", "180426"), ""},
		{"gse spec weights", "https://example.com/01/9520123456788?3103=000195&3922=0299&17=201225", "https://example.com",
			els("01", "09520123456788", "3103", "000195", "3922", "0299", "17", "201225"),
			"https://id.gs1.org/01/09520123456788?3103=000195&3922=0299&17=201225"},
		{"gse SSCC with content", "https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123", "https://id.gs1.org",
			els("00", "952012345678912345", "02", "09520123456788", "37", "25", "10", "ABC123"), ""},
		{"gse GLN extension", "https://id.gs1.org/414/9520123456788/254/32a%2Fb", "https://id.gs1.org",
			els("414", "9520123456788", "254", "32a/b"), "https://id.gs1.org/414/9520123456788/254/32a%2Fb"},
		{"gse GIAI with GTIN attribute", "https://example.com/8004/9520614141234567?01=9520123456788", "https://example.com",
			els("8004", "9520614141234567", "01", "09520123456788"), ""},
		{"gse lot in query with 235", "https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123", "https://id.gs1.org",
			els("01", "09520123456788", "235", "XYZ", "10", "ABC123"), ""},
		{"dljs example", "https://gs1.evrythng.com/01/9780345418913/10/38737643/21/58943?15=230911&thngId=U5mQKGDpnymBwQwRakyBqeYh", "https://gs1.evrythng.com",
			els("01", "09780345418913", "10", "38737643", "21", "58943", "15", "230911"),
			"https://id.gs1.org/01/09780345418913/10/38737643/21/58943?15=230911"},
		{"dljs short names", "https://dlnkd.tn.gg/gtin/09780345418913/lot/231/ser/345345?15=120820", "https://dlnkd.tn.gg",
			els("01", "09780345418913", "10", "231", "21", "345345", "15", "120820"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dl, err := ParseDigitalLink(tc.in)
			if err != nil {
				t.Fatalf("ParseDigitalLink(%q): %v", tc.in, err)
			}
			if dl.Stem != tc.stem {
				t.Errorf("Stem = %q, want %q", dl.Stem, tc.stem)
			}
			if got := dl.Elements(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Elements = %v, want %v", got, tc.want)
			}
			if tc.canonical != "" && dl.Canonical() != tc.canonical {
				t.Errorf("Canonical = %q, want %q", dl.Canonical(), tc.canonical)
			}
			// The canonical form and the stem form parse back to the same AIs.
			for _, s := range []string{dl.Canonical(), dl.String()} {
				back, err := ParseDigitalLink(s)
				if err != nil || !reflect.DeepEqual(back.Elements(), tc.want) {
					t.Errorf("re-parse of %q = %v, %v", s, back, err)
				}
			}
		})
	}
}

func TestParseDigitalLinkInvalid(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"bad qualifier order", "https://id.gs1.org/01/09506000134352/21/XYZ/10/ABC", "qualifier AI (10) must come before AI (21)"},
		{"cpv after lot", "https://id.gs1.org/01/09506000134352/10/ABC/22/V", "qualifier AI (22) must come before AI (10)"},
		{"mixed alternatives", "https://id.gs1.org/01/09506000134352/10/ABC/235/T", "mix alternative sequences"},
		{"not a qualifier", "https://id.gs1.org/01/09506000134352/17/261231", "AI (17) is not a key qualifier of AI (01)"},
		{"key without qualifiers", "https://id.gs1.org/00/106141412345678908/21/1", "AI (00) takes no key qualifiers"},
		{"repeated qualifier", "https://id.gs1.org/01/09506000134352/21/A/21/B", "qualifier AI (21) appears twice"},
		{"bad check digit", "https://id.gs1.org/01/09506000134353", "AI (01): check digit 3 should be 2"},
		{"GTIN wrong length", "https://id.gs1.org/01/123456789", "GTIN has 9 digits"},
		{"bad expiry", "https://id.gs1.org/01/09506000134352?17=261332", "AI (17): month 13 is not valid"},
		{"serial not an attribute", "https://id.gs1.org/01/09506000134352?21=ABC", "AI (21) is not permitted as a Digital Link data attribute"},
		{"lot belongs in path", "https://example.com/01/09520123456788?10=ABC123", "AI (10) is a key qualifier of AI (01) and belongs in the path"},
		{"unknown numeric param", "https://a/01/12312312312333?99=ABC&999=faux", "query parameter \"999\": unknown AI"},
		{"unknown AI in path", "https://example.com/01/09520123456788/89/ABC123?99=XYZ", "path segment \"89\" is not a GS1 AI"},
		{"unknown AI in query", "https://example.com/01/09520123456788?99=XYZ&89=ABC123", "unknown AI"},
		{"empty query value", "https://a/01/12312312312333?99=", "AI (99): value is empty"},
		{"plus is space in query", "https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ+987", "AI (98): character ' '"},
		{"duplicate path and query", "https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&01=09520123456788", "AI (01) is both in the path and in the query"},
		{"duplicate query", "https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&99=XYZ789", "AI (99) appears twice in the query"},
		{"trailing slash", "https://a/stem/00/006141411234567890/", "path ends with \"/\""},
		{"no key", "https://example.com/products/123", "no GS1 primary key"},
		{"no path", "https://a", "no path"},
		{"empty host", "http:///01/12312312312333", "empty host"},
		{"bad scheme", "ftp://a/01/12312312312333", "scheme must be http or https"},
		{"mixed-case scheme", "HtTp://a/00/006141411234567890", "scheme must be http or https"},
		{"bad host character", "https://a$/01/12312312312333", "character '$' at position 2 of the host"},
		{"IPv6 zone", "https://[fe80::1%25lo]/01/12312312312333", "of the host is not allowed"},
		{"bad escape", "https://a/01/12312312312333/10/AB%4G", "bad percent escape"},
		{"truncated escape", "https://a/01/12312312312333/10/AB%4", "truncated percent escape"},
		{"NUL by escape", "https://a/01/12312312312333/10/A%00B", "AI (10): character '\\x00'"},
		{"253 too long", "https://a/253/1231231231232TEST56789012345678", "AI (253): value too long"},
		{"pair rule", "https://id.gs1.org/00/106141412345678908?37=25", "AI (37) requires AI (02) or AI (8026)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dl, err := ParseDigitalLink(tc.in)
			if err == nil {
				t.Fatalf("ParseDigitalLink(%q) = %v, want error %q", tc.in, dl.Elements(), tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error = %q, want containing %q", err, tc.err)
			}
		})
	}
}

func TestDigitalLinkErrorUnwrapsToAIError(t *testing.T) {
	_, err := ParseDigitalLink("https://id.gs1.org/01/09506000134352?17=261232")
	var ae *AIError
	if !errors.As(err, &ae) || ae.AI != "17" {
		t.Fatalf("error %v does not unwrap to AIError for AI 17", err)
	}
	var de *DLError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is not a *DLError", err)
	}
}

func TestFormatDigitalLink(t *testing.T) {
	tests := []struct {
		name  string
		stem  string
		elems []Element
		want  string
		err   string
	}{
		{"space refused", "", els("01", "09506000134352", "21", "S 1"), "", "AI (21): character ' '"},
		{"pharma qualifiers reordered", "", els("01", "09506000134352", "21", "S/1", "17", "261231", "10", "L1"),
			"https://id.gs1.org/01/09506000134352/10/L1/21/S%2F1?17=261231", ""},
		{"custom stem", "https://example.com/dl/", els("414", "0614141123452", "254", "A1"),
			"https://example.com/dl/414/0614141123452/254/A1", ""},
		{"SSCC", "", els("00", "106141412345678908"), "https://id.gs1.org/00/106141412345678908", ""},
		{"key not first", "", els("10", "L1", "02", "09506000134352", "37", "1", "00", "106141412345678908"),
			"https://id.gs1.org/00/106141412345678908?10=L1&02=09506000134352&37=1", ""},
		{"attribute not permitted", "", els("01", "09506000134352", "235", "T", "21", "X"), "", "must not be used together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FormatDigitalLink(tc.stem, tc.elems)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("FormatDigitalLink error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FormatDigitalLink = %q, %v; want %q", got, err, tc.want)
			}
			if _, err := ParseDigitalLink(got); err != nil {
				t.Errorf("generated link does not parse: %v", err)
			}
		})
	}
	if _, err := FormatDigitalLink("", els("99", "X")); err == nil || !strings.Contains(err.Error(), "no AI that is a Digital Link primary key") {
		t.Errorf("FormatDigitalLink without key: %v", err)
	}
}

// Every alphabetic code in the GS1 Digital Link 1.2 grammar maps to the same AI in
// dlShortNames, and every short name is in the grammar.
func TestDLShortNamesMatchGrammar(t *testing.T) {
	b, err := os.ReadFile(testvectors.Path(t, "gs1-digital-link", "GS1_Digital_Link_Grammar_1_2.abnf"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^[A-Za-z-]+Code\s*=\s*"(\d+)"\s*/\s*%s"(\w+)"|^[a-zA-Z-]+-code\s*=\s*"(\d+)"\s*/\s*%s"(\w+)"`)
	found := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		ai, name := m[1], m[2]
		if ai == "" {
			ai, name = m[3], m[4]
		}
		found[name] = ai
	}
	if len(found) < 20 {
		t.Fatalf("only %d short names found in the grammar: %v", len(found), found)
	}
	if !reflect.DeepEqual(found, dlShortNames) {
		t.Errorf("grammar short names %v\ndiffer from dlShortNames %v", found, dlShortNames)
	}
	// Primary keys of the grammar must be dictionary dlpkeys.
	for name, ai := range found {
		d := Lookup(ai)
		if d == nil {
			t.Errorf("short name %s: AI %s not in dictionary", name, ai)
		}
	}
}
