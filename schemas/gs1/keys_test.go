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
