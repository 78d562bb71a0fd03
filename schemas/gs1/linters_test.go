package gs1

import (
	"strings"
	"testing"
)

// Linter vectors: unless noted, inputs and pass/fail outcomes come from the unit tests
// in gs1/gs1-syntax-engine src/c-lib/syntax/lint_<name>.c.
func TestLinters(t *testing.T) {
	tests := []struct {
		linter, in string
		err        string // "" for pass
	}{
		{"csumalpha", "22", ""},
		{"csumalpha", "33", "check character pair 33 should be 22"},
		{"csumalpha", "!22", ""},
		{"csumalpha", "1987654Ad4X4bL5ttr2310c2K", ""},
		{"csumalpha", "1987654Ad4X4bL5ttr2310cXK", "should be 2K"},
		{"csumalpha", "12345678901234567890123NT", ""},
		{"csumalpha", "12345_ABCDEFGHIJKLMCP", ""},
		{"csumalpha", "12345_!\"%&'()*+,-./LC", ""},
		{"csumalpha", "12345_0123456789:;<=>?62", ""},
		{"csumalpha", "23956qk1&dB!23", ""},
		{"csumalpha", "00000!HV", ""},
		{"csumalpha", "99999zzzzzzzzzzzzzzzzzzT2", ""},
		{"csumalpha", "2", "too short"},
		{"csumalpha", " 2345678901234567890123NT", "not in CSET 82"},
		{"csum", "123456789012345675", ""},
		{"csum", "123456789012345670", "check digit 0 should be 5"},
		{"yymmd0", "000606", ""},
		{"yymmd0", "200229", ""},
		{"yymmd0", "200230", "day 30 is not valid"},
		{"yymmd0", "210229", "day 29 is not valid"},
		{"yymmd0", "240229", ""},
		{"yymmd0", "000229", ""},
		{"yymmd0", "960229", ""},
		{"yymmd0", "200600", ""},
		{"yymmd0", "201310", "month 13 is not valid"},
		{"yymmd0", "200010", "month 00 is not valid"},
		{"yymmd0", "200431", "day 31 is not valid"},
		{"yymmd0", "2001x1", "not 6 digits"},
		{"yymmdd", "200600", "day 00 is not valid"},
		{"yymmdd", "201231", ""},
		{"yyyymmdd", "20240229", ""},
		{"yyyymmdd", "19000229", "day 29 is not valid"}, // 1900 is not a leap year
		{"yyyymmdd", "20000229", ""},
		{"hhmi", "2359", ""},
		{"hhmi", "2400", "hour 24 is not valid"},
		{"hhmi", "2360", "minute 60 is not valid"},
		{"ss", "59", ""},
		{"ss", "60", "second 60 is not valid"},
		{"posinseqslash", "1/1", ""},
		{"posinseqslash", "9/10", ""},
		{"posinseqslash", "999/999", ""},
		{"posinseqslash", "1/", "is not <position>/<end>"},
		{"posinseqslash", "1//2", "is not <position>/<end>"},
		{"posinseqslash", "0/1", "position must not be zero"},
		{"posinseqslash", "1/02", "end must not be zero"},
		{"posinseqslash", "10/9", "exceeds end"},
		{"posinseqslash", "101/100", "exceeds end"},
		{"mediatype", "01", ""},
		{"mediatype", "10", ""},
		{"mediatype", "11", "not assigned"},
		{"mediatype", "80", ""},
		{"mediatype", "00", "not assigned"},
		{"mediatype", "AA", "not assigned"},
		{"pcenc", "", ""},
		{"pcenc", "%Ff", ""},
		{"pcenc", "ABC%20XYZ", ""},
		{"pcenc", "ABC%fg", "bad percent escape"},
		{"pcenc", "ABC%g", "truncated"},
		{"importeridx", "-", ""},
		{"importeridx", "z", ""},
		{"importeridx", ".", "not valid"},
		{"importeridx", "AA", "one character"},
		{"pieceoftotal", "0102", ""},
		{"pieceoftotal", "0202", ""},
		{"nozeroprefix", "0", ""},
		{"nozeroprefix", "01", "must not start with 0"},
		{"hasnondigit", "12A", ""},
		{"hasnondigit", "123", "non-digit"},
		{"latitude", "1800000000", ""},
		{"longitude", "3600000000", ""},
		{"gcppos1", "0123", ""},
		{"gcppos1", "012", "too short"},
		{"gcppos2", "01234", ""},
		{"gcppos2", "0A234", "position 2"},
		// IBAN examples: ISO 13616 / European Committee for Banking Standards register.
		{"iban", "GB82WEST12345698765432", ""},
		{"iban", "DE89370400440532013000", ""},
		{"iban", "GB82WEST12345698765431", "check digits are not valid"},
		{"iban", "FR12_45678901234", "not 0-9 or A-Z"},
		{"iban", "FR12", "too short"},
	}
	for _, tc := range tests {
		lint, ok := linters[tc.linter]
		if !ok {
			t.Fatalf("linter %q not implemented", tc.linter)
		}
		_, msg := lint(tc.in)
		if tc.err == "" && msg != "" {
			t.Errorf("%s(%q) = %q, want pass", tc.linter, tc.in, msg)
		}
		if tc.err != "" && !strings.Contains(msg, tc.err) {
			t.Errorf("%s(%q) = %q, want %q", tc.linter, tc.in, msg, tc.err)
		}
	}
}

func TestCheckPair(t *testing.T) {
	// GS1 General Specifications 7.9.5 worked example (GMN 1987654Ad4X4bL5ttr2310c + 2K).
	got, err := CheckPair("1987654Ad4X4bL5ttr2310c")
	if err != nil || got != "2K" {
		t.Fatalf("CheckPair = %q, %v", got, err)
	}
	if _, err := CheckPair("ab cd"); err == nil {
		t.Fatal("CheckPair accepted a space")
	}
	if _, err := CheckPair(strings.Repeat("1", 98)); err == nil {
		t.Fatal("CheckPair accepted 98 characters")
	}
}
