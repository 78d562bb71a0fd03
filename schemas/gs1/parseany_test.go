package gs1

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAny(t *testing.T) {
	pharmaKeys := Keys{GTIN: "09506000134352", Serial: "XYZ", Lot: "ABC123", Expiry: "261231"}
	tests := []struct {
		name, in string
		kind     Kind
		symID    string
		keys     Keys
		ais      []Element
		epc      string
		dl       string
	}{
		{"DataMatrix scan", "]d201095060001343521726123110ABC123\x1d21XYZ\r\n", KindElementString, "]d2", pharmaKeys,
			els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ"), "",
			"https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231"},
		{"human readable", "(01)09506000134352(17)261231(10)ABC123(21)XYZ", KindElementString, "", pharmaKeys,
			els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ"), "",
			"https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231"},
		{"Digital Link", "https://example.com/01/09506000134352/10/ABC123/21/XYZ?17=261231", KindDigitalLink, "", pharmaKeys,
			els("01", "09506000134352", "10", "ABC123", "21", "XYZ", "17", "261231"), "",
			"https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231"},
		// gs1/gs1-syntax-engine scandata.c: Digital Link in a non-GS1 QR Code / DataMatrix.
		{"DL in ]Q1", "]Q1https://example.com/01/12312312312333?99=TEST", KindDigitalLink, "]Q1", Keys{GTIN: "12312312312333"},
			els("01", "12312312312333", "99", "TEST"), "", "https://id.gs1.org/01/12312312312333?99=TEST"},
		{"DL in ]d1", "]d1https://example.com/01/12312312312333?99=TEST", KindDigitalLink, "]d1", Keys{GTIN: "12312312312333"},
			els("01", "12312312312333", "99", "TEST"), "", ""},
		{"EAN-13 ]E0", "]E02112345678900", KindRetail, "]E0", Keys{GTIN: "02112345678900"}, els("01", "02112345678900"), "",
			"https://id.gs1.org/01/02112345678900"},
		{"EAN-8 ]E4", "]E402345673", KindRetail, "]E4", Keys{GTIN: "00000002345673"}, els("01", "00000002345673"), "", ""},
		{"SGTIN", "urn:epc:id:sgtin:0614141.812345.6789", KindEPCURI, "", Keys{GTIN: "80614141123458", Serial: "6789", CompanyPrefixLen: 7},
			els("01", "80614141123458", "21", "6789"), "urn:epc:id:sgtin:0614141.812345.6789", "https://id.gs1.org/01/80614141123458/21/6789"},
		{"SSCC", "urn:epc:id:sscc:0614141.1234567890", KindEPCURI, "", Keys{SSCC: "106141412345678908", CompanyPrefixLen: 7},
			els("00", "106141412345678908"), "urn:epc:id:sscc:0614141.1234567890", ""},
		{"SGLN", "urn:epc:id:sgln:0614141.12345.400", KindEPCURI, "", Keys{GLN: "0614141123452", GLNExtension: "400", CompanyPrefixLen: 7},
			els("414", "0614141123452", "254", "400"), "urn:epc:id:sgln:0614141.12345.400", ""},
		{"LGTIN", "urn:epc:class:lgtin:4012345.012345.998877", KindEPCURI, "", Keys{GTIN: "04012345123456", Lot: "998877", CompanyPrefixLen: 7},
			els("01", "04012345123456", "10", "998877"), "urn:epc:class:lgtin:4012345.012345.998877", ""},
		{"SGTIN pattern", "urn:epc:idpat:sgtin:0614141.812345.*", KindEPCPattern, "", Keys{GTIN: "80614141123458", CompanyPrefixLen: 7},
			nil, "urn:epc:idpat:sgtin:0614141.812345.*", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseAny(tc.in)
			if err != nil {
				t.Fatalf("ParseAny(%q): %v", tc.in, err)
			}
			if r.Kind != tc.kind || r.SymbologyID != tc.symID || r.Keys != tc.keys || r.EPC != tc.epc {
				t.Errorf("got kind %s sym %q keys %+v epc %q", r.Kind, r.SymbologyID, r.Keys, r.EPC)
			}
			if !reflect.DeepEqual(r.Elements, tc.ais) {
				t.Errorf("Elements = %v, want %v", r.Elements, tc.ais)
			}
			if tc.dl != "" && r.DigitalLink != tc.dl {
				t.Errorf("DigitalLink = %q, want %q", r.DigitalLink, tc.dl)
			}
		})
	}
}

func TestParseAnyInvalid(t *testing.T) {
	tests := []struct{ in, err string }{
		{"", "empty input"},
		{"  \r\n", "empty input"},
		{"]Q1TESTING", "]Q1 data is not GS1 data"},
		{"]E02112345678901", "check digit 1 should be 0"},
		{"]E0123456789012", "12 digits, want 13"},
		{"]E4123456789", "9 digits, want 8"},
		{"urn:epc:id:sgtin:0614141.812345", "want CompanyPrefix"},
		{"https://example.com/01/09506000134352/21/1/10/2", "must come before"},
		{"(01)09506000134352(17)261232", "AI (17): day 32 is not valid"},
		{"hello", "expected an AI"},
	}
	for _, tc := range tests {
		if _, err := ParseAny(tc.in); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseAny(%q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestResultEPCURI(t *testing.T) {
	tests := []struct {
		in   string
		plen int
		want string
		err  string
	}{
		{"(01)80614141123458(21)6789", 7, "urn:epc:id:sgtin:0614141.812345.6789", ""},
		{"(00)106141412345678908", 7, "urn:epc:id:sscc:0614141.1234567890", ""},
		{"(414)0614141123452", 7, "urn:epc:id:sgln:0614141.12345.0", ""},
		{"(01)04012345123456(10)998877", 7, "urn:epc:class:lgtin:4012345.012345.998877", ""},
		{"(01)80614141123458(21)6789", 0, "", "company prefix length 0"},
		{"(01)80614141123458", 7, "", "no EPC for these AIs"},
	}
	for _, tc := range tests {
		r, err := ParseAny(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.EPCURI(tc.plen)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("EPCURI(%s, %d) error = %v, want %q", tc.in, tc.plen, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("EPCURI(%s, %d) = %q, %v; want %q", tc.in, tc.plen, got, err, tc.want)
		}
	}
}

func TestResultFields(t *testing.T) {
	r, err := ParseAny("(01)09506000134352(21)X")
	if err != nil {
		t.Fatal(err)
	}
	want := []AIField{{AI: "01", Title: "GTIN", Value: "09506000134352"}, {AI: "21", Title: "SERIAL", Value: "X"}}
	if got := r.Fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("Fields() = %v", got)
	}
	if v, ok := r.Get("21"); !ok || v != "X" {
		t.Errorf("Get(21) = %q, %v", v, ok)
	}
}
