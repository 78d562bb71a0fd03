package gs1

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// The embedded copy must be the released dictionary shipped in the shared vectors, so that
// an accidental edit of data/ cannot change validation unnoticed.
func TestDictionaryMatchesVectors(t *testing.T) {
	b, err := os.ReadFile(testvectors.Path(t, "gs1-barcode-syntax", "gs1-syntax-dictionary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != syntaxDictionary {
		t.Fatal("data/gs1-syntax-dictionary.txt differs from vectors/gs1-barcode-syntax/gs1-syntax-dictionary.txt")
	}
	if got := DictionaryRelease(); got != "2026-01-27" {
		t.Errorf("DictionaryRelease() = %q", got)
	}
}

// The unreleased main-branch edit must load too: a newer release should be a file swap.
func TestUnreleasedDictionaryParses(t *testing.T) {
	b, err := os.ReadFile(testvectors.Path(t, "gs1-barcode-syntax", "unreleased", "gs1-syntax-dictionary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDictionary(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.byAI) < 500 {
		t.Errorf("only %d AIs", len(d.byAI))
	}
}

func TestDictionaryEntries(t *testing.T) {
	tests := []struct {
		ai         string
		predefined bool
		dlAttr     bool
		min, max   int
		linters    []string
		dlpkey     bool
		quals      [][]string
		title      string
	}{
		{"00", true, true, 18, 18, []string{"csum", "gcppos2"}, true, nil, "SSCC"},
		{"01", true, true, 14, 14, []string{"csum", "gcppos2"}, true, [][]string{{"22", "10", "21"}, {"235"}}, "GTIN"},
		{"10", false, true, 1, 20, nil, false, nil, "BATCH/LOT"},
		{"17", true, true, 6, 6, []string{"yymmd0"}, false, nil, "USE BY or EXPIRY"},
		{"21", false, false, 1, 20, nil, false, nil, "SERIAL"},
		{"253", false, true, 13, 30, []string{"csum", "gcppos1"}, true, nil, "GDTI"},
		{"3103", true, true, 6, 6, nil, false, nil, "NET WEIGHT (kg)"},
		{"3955", false, true, 6, 6, nil, false, nil, "PRICE/UoM"},
		{"414", true, true, 13, 13, []string{"csum", "gcppos1"}, true, [][]string{{"254"}, {"7040"}}, "LOC No."},
		{"710", false, true, 1, 20, nil, false, nil, "NHRN PZN"},
		{"7003", false, true, 10, 10, []string{"yymmdd", "hhmi"}, false, nil, "EXPIRY TIME"},
		{"8006", false, true, 18, 18, []string{"csum", "gcppos2", "pieceoftotal"}, true, [][]string{{"22", "10", "21"}}, "ITIP"},
		{"99", false, true, 1, 90, nil, false, nil, "INTERNAL"},
	}
	for _, tc := range tests {
		t.Run(tc.ai, func(t *testing.T) {
			d := Lookup(tc.ai)
			if d == nil {
				t.Fatal("not defined")
			}
			var linters []string
			for _, c := range d.Components {
				linters = append(linters, c.Linters...)
			}
			if d.Predefined != tc.predefined || d.DLAttr != tc.dlAttr || d.MinLen() != tc.min || d.MaxLen() != tc.max ||
				!reflect.DeepEqual(linters, tc.linters) || d.DLPKey != tc.dlpkey || !reflect.DeepEqual(d.DLQualifiers, tc.quals) || d.Title != tc.title {
				t.Errorf("got %+v (min %d max %d linters %v)", *d, d.MinLen(), d.MaxLen(), linters)
			}
		})
	}
	if Lookup("89") != nil || Lookup("") != nil {
		t.Error("undefined AI found")
	}
	if n := len(AIs()); n < 500 {
		t.Errorf("AIs() has %d entries", n)
	}
}

func TestDictionaryReqEx(t *testing.T) {
	d := Lookup("8030")
	want := [][][]string{{{"00"}, {"01", "21"}, {"253"}, {"255"}, {"8003"}, {"8004"}, {"8006", "21"}, {"8010", "8011"}, {"8017"}, {"8018"}}}
	if !reflect.DeepEqual(d.Req, want) {
		t.Errorf("8030 Req = %v", d.Req)
	}
	if d := Lookup("3925"); !reflect.DeepEqual(d.Ex, []string{"392n", "393n"}) || len(d.Req) != 2 {
		t.Errorf("3925 = %+v", *d)
	}
}

// Structural facts the parsers rely on.
func TestDictionaryInvariants(t *testing.T) {
	for _, ai := range AIs() {
		d := Lookup(ai)
		if d.Predefined && d.MinLen() != d.MaxLen() {
			t.Errorf("AI %s: predefined length but %d..%d", ai, d.MinLen(), d.MaxLen())
		}
		for i, c := range d.Components {
			if c.Min != c.Max && i != len(d.Components)-1 {
				t.Errorf("AI %s: variable-length component %d is not last", ai, i+1)
			}
		}
	}
}

// Every linter the dictionary names is either implemented or on the list of checks we
// knowingly report as not checked; a new linter in a future release fails this test.
func TestDictionaryLintersKnown(t *testing.T) {
	knownUnchecked := map[string]bool{
		"iso3166": true, "iso3166999": true, "iso3166alpha2": true, "iso4217": true,
		"packagetype": true, "couponcode": true, "couponposoffer": true,
	}
	var missing []string
	seen := map[string]bool{}
	for _, ai := range AIs() {
		for _, c := range Lookup(ai).Components {
			for _, l := range c.Linters {
				if _, ok := linters[l]; !ok && !knownUnchecked[l] && !seen[l] {
					missing = append(missing, l)
				}
				seen[l] = true
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("linters neither implemented nor listed as unchecked: %v", missing)
	}
}

func TestParseDictionaryErrors(t *testing.T) {
	tests := []struct{ text, err string }{
		{"01 * N14\n01 * N14\n", "defined twice"},
		{"1 * N14\n", "bad AI"},
		{"3105-3100 * N6\n", "bad AI range"},
		{"01 * Q14\n", "unknown character set"},
		{"01 * N..x\n", "bad length"},
		{"01 * [N3\n", "bad component"},
		{"01\n", "too few fields"},
		{"01 * req=02\n", "no specification"},
		{"01 * N2\n011 * N2\n", "is a prefix of"},
	}
	for _, tc := range tests {
		if _, err := parseDictionary(tc.text); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseDictionary(%q) error = %v, want %q", tc.text, err, tc.err)
		}
	}
}

func TestMatchAIPattern(t *testing.T) {
	tests := []struct {
		pattern, ai string
		want        bool
	}{
		{"31nn", "3103", true}, {"394n", "3941", true}, {"394n", "3951", false},
		{"01", "01", true}, {"01", "011", false}, {"35nn", "3510", true},
	}
	for _, tc := range tests {
		if got := matchAIPattern(tc.pattern, tc.ai); got != tc.want {
			t.Errorf("matchAIPattern(%q, %q) = %v", tc.pattern, tc.ai, got)
		}
	}
}
