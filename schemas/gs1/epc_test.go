package gs1

import (
	"strings"
	"testing"
)

func TestSGTINURI(t *testing.T) {
	// Pairs from GS1 TDS 2.x section 6.3.1 and E.3 examples.
	tests := []struct {
		uri    string
		gtin   string
		serial string
		plen   int
	}{
		{"urn:epc:id:sgtin:0614141.812345.6789", "80614141123458", "6789", 7},
		{"urn:epc:id:sgtin:0614141.712345.32a%2Fb", "70614141123451", "32a/b", 7},
		{"urn:epc:id:sgtin:061414112345.0.1", "00614141123452", "1", 12},
		{"urn:epc:id:sgtin:061414.0123456.A.B-C", "00614141234561", "A.B-C", 6},
		{"urn:epc:id:sgtin:0614141.012345.%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_", "00614141123452", "\"%&/<>?!'()*+,-.:;=_", 7},
	}
	for _, tc := range tests {
		s, err := ParseSGTINURI(tc.uri)
		if err != nil {
			t.Errorf("ParseSGTINURI(%q): %v", tc.uri, err)
			continue
		}
		if string(s.GTIN) != tc.gtin || s.Serial != tc.serial || s.PrefixLen != tc.plen {
			t.Errorf("ParseSGTINURI(%q) = %+v, want %s %q %d", tc.uri, s, tc.gtin, tc.serial, tc.plen)
		}
		back, err := s.URI()
		if err != nil || back != tc.uri {
			t.Errorf("URI() of %+v = %q, %v; want %q", s, back, err, tc.uri)
		}
	}
}

func TestSGTINURIInvalid(t *testing.T) {
	tests := []struct{ uri, err string }{
		{"urn:epc:id:sgtin:0614141.812345", "want CompanyPrefix"},
		{"urn:epc:id:sscc:0614141.1234567890", "does not start"},
		{"urn:epc:id:sgtin:0614141.81234.6789", "item reference: 5 digits"},
		{"urn:epc:id:sgtin:06141.8123456.6789", "company prefix: 5 digits"},
		{"urn:epc:id:sgtin:0614141.812345.", "serial: empty"},
		{"urn:epc:id:sgtin:0614141.812345.a/b", "not allowed unescaped"},
		{"urn:epc:id:sgtin:0614141.812345.a%41", "only %22"},
		{"urn:epc:id:sgtin:0614141.812345.a%2", "truncated escape"},
		{"urn:epc:id:sgtin:0614141.812345.123456789012345678901", "21 characters"},
		{"urn:epc:id:sgtin:0614141.812345.a b", "not allowed unescaped"},
	}
	for _, tc := range tests {
		_, err := ParseSGTINURI(tc.uri)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseSGTINURI(%q) error = %v, want containing %q", tc.uri, err, tc.err)
		}
	}
}

func TestSGTINURINeedsPrefixLen(t *testing.T) {
	_, err := SGTIN{GTIN: "80614141123458", Serial: "1"}.URI()
	if err == nil || !strings.Contains(err.Error(), "prefix length 0") {
		t.Fatalf("URI without PrefixLen: err = %v", err)
	}
}

func TestSSCCURI(t *testing.T) {
	s, err := ParseSSCCURI("urn:epc:id:sscc:0614141.1234567890")
	if err != nil {
		t.Fatal(err)
	}
	if s.Value != "106141412345678908" || s.PrefixLen != 7 {
		t.Fatalf("got %+v", s)
	}
	back, err := s.URI()
	if err != nil || back != "urn:epc:id:sscc:0614141.1234567890" {
		t.Fatalf("URI() = %q, %v", back, err)
	}
	if _, err := ParseSSCCURI("urn:epc:id:sscc:0614141.123456789"); err == nil {
		t.Fatal("short serial reference accepted")
	}
}

func TestSGLNURI(t *testing.T) {
	tests := []struct {
		uri, gln, ext string
		plen          int
	}{
		{"urn:epc:id:sgln:0614141.12345.400", "0614141123452", "400", 7},
		{"urn:epc:id:sgln:0614141.12345.0", "0614141123452", "", 7},
		{"urn:epc:id:sgln:061414112345..0", "0614141123452", "", 12},
	}
	for _, tc := range tests {
		gln, ext, p, err := ParseSGLNURI(tc.uri)
		if err != nil || string(gln) != tc.gln || ext != tc.ext || p != tc.plen {
			t.Errorf("ParseSGLNURI(%q) = %s %q %d %v", tc.uri, gln, ext, p, err)
			continue
		}
		back, err := SGLNURI(gln, ext, p)
		if err != nil || back != tc.uri {
			t.Errorf("SGLNURI = %q, %v; want %q", back, err, tc.uri)
		}
	}
}

func TestLGTINURI(t *testing.T) {
	g, lot, p, err := ParseLGTINURI("urn:epc:class:lgtin:4012345.012345.998877")
	if err != nil || g != "04012345123456" || lot != "998877" || p != 7 {
		t.Fatalf("got %s %q %d %v", g, lot, p, err)
	}
	back, err := LGTINURI(g, lot, p)
	if err != nil || back != "urn:epc:class:lgtin:4012345.012345.998877" {
		t.Fatalf("LGTINURI = %q, %v", back, err)
	}
}
