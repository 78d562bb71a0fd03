package eventhash

import (
	"testing"
	"unicode/utf8"
)

// FuzzCanonValue: value normalisation never panics and is idempotent (a canonical value is
// its own canonical form), so that hashing a re-encoded event gives the same ID.
func FuzzCanonValue(f *testing.F) {
	for _, s := range []string{
		"urn:epc:id:sgtin:4012345.011111.9876", "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
		"urn:epc:id:sscc:4012345.3111111111", "urn:epc:id:sgln:4012345.00005.0", "urn:epc:id:grai:4012345.00022.334455",
		"urn:epc:id:gdti:987659999999..9", "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
		"urn:epc:id:itip:4012345.011111.01.02.987", "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
		"urn:epc:class:lgtin:4012345.012345.Lot987", "urn:epc:idpat:sgtin:4012345.044444.*",
		"https://example.com/gtin/09780345418913/21/765tz?abc=211121", "https://id.gs1.org/01/09506000134352/22/2A/10/L1/21/S",
		"urn:epcglobal:cbv:bizstep:shipping", "urn:epcglobal:cbv:bt:4012345000009:ASN1099",
		"26.0", "0.00001", "111100001111000011110000", "-0", "+5", ".5", "1e400", "  x ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := canonValue(s)
		if !utf8.ValidString(s) {
			return
		}
		if again := canonValue(c); again != c {
			t.Errorf("canonValue not idempotent: %q → %q → %q", s, c, again)
		}
	})
}
