package sites

import (
	"testing"

	"github.com/serialhub/serialhub/schemas/gs1"
)

// TestSplitEPC: the remembered GTIN of a company prefix and item reference gives what a full
// parse gives, for plain serials after the head is known and for serials that need the parse
// (escapes, dots, punctuation, too long), and invalid identifiers stay empty.
func TestSplitEPC(t *testing.T) {
	epcs := []string{
		"urn:epc:id:sgtin:4012345.000001.A1", // parsed, head remembered
		"urn:epc:id:sgtin:4012345.000001.A2", // from memory
		"urn:epc:id:sgtin:4012345.000001.12345678901234567890",
		"urn:epc:id:sgtin:4012345.000001.123456789012345678901", // 21 characters: invalid
		"urn:epc:id:sgtin:4012345.000001.a%2Fb",                 // escaped '/'
		"urn:epc:id:sgtin:4012345.000001.x.y",                   // a dot in the serial
		"urn:epc:id:sgtin:4012345.000001.a%25",                  // escaped '%'
		"urn:epc:id:sgtin:4012345.000001.",                      // empty serial
		"urn:epc:id:sgtin:4012345.000001.a b",                   // space: not in CSET 82
		"urn:epc:id:sgtin:4012345.0000X1.A1",                    // item reference not digits
		"urn:epc:id:sgtin:0614141.812345.6789",
		"urn:epc:id:sgtin:0614141.812345.6790",
		"urn:epc:id:sscc:4012345.0000000001",
		"urn:epc:id:sgln:4012345.00000.L1",
	}
	for round := range 2 {
		for _, epc := range epcs {
			g, s := splitEPC(epc)
			var wantG, wantS string
			if sg, err := gs1.ParseSGTINURI(epc); err == nil {
				wantG, wantS = string(sg.GTIN), sg.Serial
			} else if sscc, err := gs1.ParseSSCCURI(epc); err == nil {
				wantS = sscc.Value
			}
			if g != wantG || s != wantS {
				t.Errorf("round %d: splitEPC(%q) = %q, %q; want %q, %q", round, epc, g, s, wantG, wantS)
			}
		}
	}
}
