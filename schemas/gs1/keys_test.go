package gs1

import (
	"strings"
	"testing"
)

func TestCheckDigit(t *testing.T) {
	// Examples from GS1 General Specifications section 7.9 and well-known published keys.
	tests := []struct {
		in   string
		want byte
		err  string
	}{
		{"0061414112345", '2', ""},     // GTIN-14 00614141123452 (TDS examples)
		{"1061414112345", '9', ""},     // indicator 1
		{"629104150021", '3', ""},      // GTIN-13 6291041500213 (GenSpecs 7.9.1 example)
		{"9638507", '4', ""},           // GTIN-8 96385074
		{"10614141234567890", '8', ""}, // SSCC 106141412345678908 (TDS SSCC example)
		{"061414112345", '2', ""},      // GLN 0614141123452
		{"", 0, "empty"},
		{"12a4", 0, "position 3"},
	}
	for _, tc := range tests {
		got, err := CheckDigit(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CheckDigit(%q) error = %v, want containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CheckDigit(%q) = %c, %v; want %c", tc.in, got, err, tc.want)
		}
	}
}

func TestParseGTIN(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"00614141123452", "00614141123452", ""},
		{"614141123452", "00614141123452", ""}, // GTIN-12 (UPC-A)
		{"6291041500213", "06291041500213", ""},
		{"96385074", "00000096385074", ""},
		{"10614141123459", "10614141123459", ""},
		{"00614141123453", "", "check digit 3 should be 2"},
		{"0061414112346", "", "check digit 6 should be 5"},
		{"123", "", "length 3"},
		{"0061414112345X", "", "position 14"},
		{"", "", "length 0"},
	}
	for _, tc := range tests {
		got, err := ParseGTIN(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseGTIN(%q) error = %v, want containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("ParseGTIN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestGTINShort(t *testing.T) {
	tests := map[GTIN]string{
		"00000096385074": "96385074",
		"00614141123452": "614141123452",
		"06291041500213": "6291041500213",
		"10614141123459": "10614141123459",
	}
	for g, want := range tests {
		if got := g.Short(); got != want {
			t.Errorf("%s.Short() = %q, want %q", g, got, want)
		}
	}
}

func TestParseGLNAndSSCC(t *testing.T) {
	if g, err := ParseGLN("0614141123452"); err != nil || g.String() != "0614141123452" {
		t.Errorf("ParseGLN = %q, %v", g, err)
	}
	for in, want := range map[string]string{
		"0614141123453":  "check digit 3 should be 2",
		"061414112345":   "length 12, want 13",
		"061414112345X2": "length 14",
		"06141411234X2":  "character 'X' at position 12",
	} {
		if _, err := ParseGLN(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseGLN(%q) error = %v, want %q", in, err, want)
		}
	}
	if s, err := ParseSSCC("106141412345678908"); err != nil || s.Value != "106141412345678908" || s.PrefixLen != 0 {
		t.Errorf("ParseSSCC = %+v, %v", s, err)
	}
	if _, err := ParseSSCC("106141412345678909"); err == nil || !strings.Contains(err.Error(), "check digit 9 should be 8") {
		t.Errorf("ParseSSCC bad check digit: %v", err)
	}
}

func TestURNEscaping(t *testing.T) {
	// TDS: exactly " % & / < > ? are escaped; every other CSET 82 character stays.
	in := "!\"%&'()*+,-./:;<=>?_Az09"
	want := "!%22%25%26'()*+,-.%2F:;%3C=%3E%3F_Az09"
	if got := EscapeURN(in); got != want {
		t.Errorf("EscapeURN = %q, want %q", got, want)
	}
	if got, err := UnescapeURN(want); err != nil || got != in {
		t.Errorf("UnescapeURN = %q, %v", got, err)
	}
}
