package gs1

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// els builds an element list from "ai", "value", "ai", "value"...
func els(kv ...string) []Element {
	var out []Element
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Element{AI: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestParseElementStringValid(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		symID string
		want  []Element
	}{
		{"pharma DataMatrix with ]d2", "]d201095060001343521726123110ABC123\x1d21XYZ", "]d2",
			els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ")},
		{"pharma without symbology identifier", "01095060001343521726123110ABC123\x1d21XYZ", "",
			els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ")},
		{"leading GS as FNC1", "\x1d010950600013435221ABC", "",
			els("01", "09506000134352", "21", "ABC")},
		{"caret as FNC1", "^0109506000134352^21ABC^10L1", "",
			els("01", "09506000134352", "21", "ABC", "10", "L1")},
		{"GS1-128 ]C1", "]C100106141412345678908", "]C1", els("00", "106141412345678908")},
		{"QR ]Q3", "]Q301095060001343521726120010ABC", "]Q3",
			els("01", "09506000134352", "17", "261200", "10", "ABC")},
		{"expiry day 00 allowed (yymmd0)", "(01)09506000134352(17)261200", "",
			els("01", "09506000134352", "17", "261200")},
		{"human readable", "(01)09506000134352(17)261231(10)ABC123(21)XYZ", "",
			els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ")},
		{"human readable escaped bracket", "(01)09506000134352(10)AB\\(C", "",
			els("01", "09506000134352", "10", "AB(C")},
		{"NHRN PZN (pharma)", "(01)04150123456782(710)1234567(21)SN1", "",
			els("01", "04150123456782", "710", "1234567", "21", "SN1")},
		{"expiry time 7003", "(01)09506000134352(7003)2612312359", "",
			els("01", "09506000134352", "7003", "2612312359")},
		{"leap day 2024", "(01)09506000134352(17)240229", "", els("01", "09506000134352", "17", "240229")},
		{"SSCC with count", "(00)106141412345678908(02)09506000134352(37)25", "",
			els("00", "106141412345678908", "02", "09506000134352", "37", "25")},
		{"GLN with extension", "(414)0614141123452(254)A1", "", els("414", "0614141123452", "254", "A1")},
		{"trailing FNC1 tolerated", "0109506000134352^10ABC^", "", els("01", "09506000134352", "10", "ABC")},
		{"redundant FNC1 after predefined", "0109506000134352\x1d10ABC", "", els("01", "09506000134352", "10", "ABC")},
		// Vectors below: gs1/gs1-syntax-engine src/c-lib/ai.c test_ai_parseAIdata and
		// test_ai_processAIdata (inputs and expected AIs).
		{"gse (01)(10)", "(01)12345678901231(10)12345", "", els("01", "12345678901231", "10", "12345")},
		{"gse escaped bracket", "(01)12345678901231(10)12345\\(11)991225", "", els("01", "12345678901231", "10", "12345(11)991225")},
		{"gse fixed run into next", "^0112345678901231991234", "", els("01", "12345678901231", "99", "1234")},
		{"gse N..6", "^01123456789012319123^242123456^10ABC123", "", els("01", "12345678901231", "91", "23", "242", "123456", "10", "ABC123")},
		{"gse 8001", "^0112345678901231^800112341234512398", "", els("01", "12345678901231", "8001", "12341234512398")},
		{"gse 7007 optional component", "^01123456789012317007211225", "", els("01", "12345678901231", "7007", "211225")},
		{"gse 7007 both components", "^01123456789012317007211225211231", "", els("01", "12345678901231", "7007", "211225211231")},
		{"gse 8003 empty final component", "^800302112345678900", "", els("8003", "02112345678900")},
		{"gse 7230", "^01123456789012317230121234567890123456789012345678", "", els("01", "12345678901231", "7230", "121234567890123456789012345678")},
		{"gse scan ]e0", "]e0011231231231233310ABC123\x1d99TESTING", "]e0", els("01", "12312312312333", "10", "ABC123", "99", "TESTING")},
		{"gse scan ]J1", "]J1011231231231233310ABC123\x1d99TESTING", "]J1", els("01", "12312312312333", "10", "ABC123", "99", "TESTING")},
		{"gse scan fixed then variable", "]e0011231231231233310ABC123\x1d1199122598TESTING\x1d97XYZ", "]e0",
			els("01", "12312312312333", "10", "ABC123", "11", "991225", "98", "TESTING", "97", "XYZ")},
		{"gse 8030 with 01+21", "(8030)DIGSIG(01)12345678901231(21)ABC123", "", els("8030", "DIGSIG", "01", "12345678901231", "21", "ABC123")},
		{"gse 392n req", "(01)12345678901231(3925)12599(3105)654321", "", els("01", "12345678901231", "3925", "12599", "3105", "654321")},
		{"gse repeated same value", "(01)12345678901231(400)ABC(99)DEF(400)ABC", "", els("01", "12345678901231", "400", "ABC", "99", "DEF", "400", "ABC")},
		{"gse GMN csumalpha", "(8013)1987654Ad4X4bL5ttr2310c2K", "", els("8013", "1987654Ad4X4bL5ttr2310c2K")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			es, err := ParseElementString(tc.in)
			if err != nil {
				t.Fatalf("ParseElementString(%q): %v", tc.in, err)
			}
			if es.SymbologyID != tc.symID {
				t.Errorf("SymbologyID = %q, want %q", es.SymbologyID, tc.symID)
			}
			if !reflect.DeepEqual(es.Elements, tc.want) {
				t.Errorf("Elements = %v, want %v", es.Elements, tc.want)
			}
		})
	}
}

func TestParseElementStringInvalid(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"bad check digit", "0109506000134353", "AI (01): check digit 3 should be 2"},
		{"day 32", "(01)09506000134352(17)261232", "AI (17): day 32 is not valid"},
		{"month 13", "(01)09506000134352(17)261301", "AI (17): month 13 is not valid"},
		{"29 Feb non-leap", "(01)09506000134352(17)250229", "AI (17): day 29 is not valid"},
		{"day 00 not allowed for 7006 (yymmdd)", "(01)09506000134352(7006)250100", "AI (7006): day 00 is not valid"},
		{"serial without GTIN", "(21)ABC", "AI (21) requires AI (01) or AI (03) or AI (8006)"},
		{"lot without GTIN", "10ABC", "AI (10) requires AI (01)"},
		{"serial too long", "(01)09506000134352(21)123456789012345678901", "AI (21): value too long: 21 characters, 1 to 20 allowed"},
		{"serial bad character", "(01)09506000134352(21)AB CD", "AI (21): character ' ' at position 3 is not in GS1 character set 82"},
		{"GTIN non-digit", "(01)0950600013435X", "AI (01): character 'X' at position 14 is not a digit"},
		{"GTIN too short at end", "01095060001343", "AI (01): value too short"},
		{"GTIN too short bracketed", "(01)0950600013435", "AI (01): value too short: 13 characters, exactly 14 required"},
		{"empty value", "(01)09506000134352(10)", "AI (10): value is empty"},
		{"unknown AI", "0109506000134352891234", "unknown AI \"8912\""},
		{"unknown AI bracketed", "(89)1234", "unknown AI (89)"},
		{"double separator", "0109506000134352^10ABC^^21X", "two FNC1 separators in a row"},
		{"not a GS1 symbology identifier", "]d1TESTING", "does not announce GS1 data"},
		{"no AIs", "]d2", "no AIs"},
		{"empty", "", "no AIs"},
		{"mutually exclusive 01 and 02", "(01)12345678901231(02)12345678901231", "AI (02) must not be used together with AI (01)"},
		{"exclusive by pattern 394n", "(255)5412345000150(3940)1234(3941)9999", "AI (3940) must not be used together with AI (3941)"},
		{"repeated AI different values", "(01)12345678901231(400)ABC(400)XYZ", "AI (400) appears twice with different values"},
		{"8030 requires a serialised key", "(8030)DIGSIG(01)12345678901231", "AI (8030) requires AI (00) or AI (01) with AI (21)"},
		{"250 needs 21 too", "(01)12345678901231(250)ABC123", "AI (250) requires AI (21)"},
		{"csumalpha", "(8013)123456ABXX", "AI (8013): check character pair"},
		{"gcp too short", "(401)123", "AI (401): too short to hold a GS1 Company Prefix"},
		{"gcp not digits", "(7023)12A4", "AI (7023): character 'A' at position 3 cannot be part"},
		{"importer index", "(7040)1AB=", "AI (7040): component 4: importer index '=' is not valid"},
		{"nonzero", "(01)12345678901231(8001)12340000012311", "AI (8001): component 2: must not be zero"},
		{"zero", "(8003)112345678901281234567890123456", "AI (8003): component 1: value \"1\" is not one of 0"},
		{"nozeroprefix", "(8010)1234(8011)023456789012", "AI (8011): must not start with 0"},
		{"yesno", "(00)123456789012345675(4321)2", "AI (4321): value \"2\" is not one of 0, 1"},
		{"winding", "(01)12345678901231(8001)12341234512321", "AI (8001): component 4: winding direction \"2\""},
		{"hour 24", "(00)123456789012345675(4324)2012252400", "AI (4324): component 2: hour 24 is not valid"},
		{"minute 60", "(00)123456789012345675(4324)2012252360", "AI (4324): component 2: minute 60 is not valid"},
		{"second 60", "(01)12345678901231(8008)201225230060", "AI (8008): component 4: second 60 is not valid"},
		{"zero piece", "(37)1(8026)123456789012310099", "AI (8026): component 2: piece number 00 is not valid"},
		{"zero total", "(37)1(8026)123456789012310100", "AI (8026): component 2: total 00 is not valid"},
		{"piece exceeds total", "(37)1(8026)123456789012310302", "AI (8026): component 2: piece number 03 exceeds total 02"},
		{"percent encoding", "(00)123456789012345675(4300)ABC%0g", "AI (4300): bad percent escape"},
		{"latitude", "(00)123456789012345675(4309)18000000010000000000", "AI (4309): component 1: latitude"},
		{"longitude", "(00)123456789012345675(4309)00000000003600000001", "AI (4309): component 2: longitude"},
		{"hyphen", "(00)123456789012345675(4330)000000X", "AI (4330): component 2: value \"X\" is not one of -"},
		{"iso5218", "(8018)123456789012345675(7252)5", "AI (7252): ISO/IEC 5218 sex code"},
		{"posinseqslash malformed", "(8018)123456789012345675(7259)B(7258)111", "AI (7258): \"111\" is not <position>/<end>"},
		{"posinseqslash exceeds", "(8018)123456789012345675(7259)B(7258)2/1", "AI (7258): position 2 exceeds end 1"},
		{"iban checksum", "(415)5412345000013(8020)1(8007)FR12345678901234", "AI (8007): IBAN check digits are not valid"},
		{"cset39", "(8010)123456_", "AI (8010): character '_' at position 7 is not in GS1 character set 39"},
		{"cset64", "(00)123456789012345675(8030)ABC:123", "AI (8030): character ':' at position 4 is not in GS1 character set 64"},
		// From gs1/gs1-syntax-engine ai.c test_ai_parseAIdata (invalid cases).
		{"gse empty value then AI", "(10)(11)98765", "AI (10): value is empty"},
		{"gse AI must be numeric", "(1A)12345", "\"1A\" is not an AI"},
		{"gse must start with AI", "1(12345", "expected an AI"},
		{"gse AI too short", "(1)12345", "\"1\" is not an AI"},
		{"gse AI too long", "(12345)12345", "\"12345\" is not an AI"},
		{"gse AI must terminate", "(15", "AI not closed"},
		{"gse fixed too long", "(01)123456789012312(10)12345", "AI (01): value too long"},
		{"gse caret in bracketed", "(01)12345678901231(10)12345^", "AI (10): character '^' at position 6"},
		{"gse 17 too short", "(17)9(90)217", "AI (17): value too short"},
		{"gse 8001 short", "^0112345678901231^80011234123451239", "AI (8001): value too short"},
		{"gse 7007 length", "^011234567890123170072112252", "AI (7007): component 2 is incomplete: 1 of 6 characters (value has 7)"},
		{"7007 too short", "^0112345678901231700721122", "AI (7007): value too short: 5 characters, 6 to 12 allowed"},
		{"gse 7230 too short", "^0112345678901231^723012", "AI (7230): value too short"},
		{"gse 2421234567 too long", "^0112345678901231^2421234567", "AI (242): value too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			es, err := ParseElementString(tc.in)
			if err == nil {
				t.Fatalf("ParseElementString(%q) = %v, want error containing %q", tc.in, es.Elements, tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error = %q, want containing %q", err, tc.err)
			}
		})
	}
}

func TestAIErrorPosition(t *testing.T) {
	_, err := ParseElementString("(01)09506000134352(21)AB CD")
	var ae *AIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AIError", err)
	}
	if ae.AI != "21" || ae.Pos != 3 {
		t.Errorf("AIError = %+v, want AI 21 position 3", ae)
	}
	_, err = ParseElementString("0109506000134352891234")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 16 {
		t.Errorf("error %v: want *SyntaxError at offset 16", err)
	}
}

func TestUncheckedLintersReported(t *testing.T) {
	es, err := ParseElementString("(01)09506000134352(422)276")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(es.Unchecked, []string{"AI (422): iso3166"}) {
		t.Errorf("Unchecked = %v", es.Unchecked)
	}
}

func TestFormatElementString(t *testing.T) {
	tests := []struct {
		name  string
		elems []Element
		opt   FormatOptions
		want  string
		hri   string
	}{
		{"pharma ]d2", els("01", "09506000134352", "17", "261231", "10", "ABC123", "21", "XYZ"), FormatOptions{SymbologyID: "]d2"},
			"]d201095060001343521726123110ABC123\x1d21XYZ", "(01)09506000134352(17)261231(10)ABC123(21)XYZ"},
		{"variable first needs separators", els("01", "09506000134352", "10", "ABC123", "17", "261231", "21", "XYZ"), FormatOptions{Separator: '^'},
			"010950600013435210ABC123^1726123121XYZ", "(01)09506000134352(10)ABC123(17)261231(21)XYZ"},
		{"bracket escaped in HRI", els("01", "09506000134352", "10", "A(B"), FormatOptions{},
			"010950600013435210A(B", "(01)09506000134352(10)A\\(B"},
		// gs1/gs1-syntax-engine scandata.c test_scandata_generateScanData (QR, DM cases).
		{"gse QR", els("01", "12312312312333", "10", "ABC123", "99", "TESTING"), FormatOptions{SymbologyID: "]Q3"},
			"]Q3011231231231233310ABC123\x1d99TESTING", "(01)12312312312333(10)ABC123(99)TESTING"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FormatElementString(tc.elems, tc.opt)
			if err != nil || got != tc.want {
				t.Fatalf("FormatElementString = %q, %v; want %q", got, err, tc.want)
			}
			hri, err := FormatHRI(tc.elems)
			if err != nil || hri != tc.hri {
				t.Fatalf("FormatHRI = %q, %v; want %q", hri, err, tc.hri)
			}
			for _, s := range []string{got, hri} {
				es, err := ParseElementString(s)
				if err != nil || !reflect.DeepEqual(es.Elements, tc.elems) {
					t.Errorf("round trip of %q = %v, %v", s, es, err)
				}
			}
		})
	}
	if _, err := FormatElementString(els("21", "X"), FormatOptions{}); err == nil {
		t.Error("FormatElementString accepted (21) without (01)")
	}
	if _, err := FormatHRI(nil); err == nil {
		t.Error("FormatHRI accepted no AIs")
	}
}
