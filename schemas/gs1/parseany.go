package gs1

import (
	"fmt"
	"strings"
)

// Kind says which notation ParseAny recognised.
type Kind string

// Notations recognised by ParseAny.
const (
	KindElementString Kind = "element-string" // raw or bracketed AIs, possibly with a symbology identifier
	KindDigitalLink   Kind = "digital-link"
	KindEPCURI        Kind = "epc-uri"
	KindEPCPattern    Kind = "epc-pattern"
	KindRetail        Kind = "ean-upc" // ]E0 / ]E4 scan of an EAN-13, UPC-A or EAN-8
)

// Keys are the identifiers a serialisation system cares about, lifted out of the AIs.
type Keys struct {
	GTIN         GTIN   `json:"gtin,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Lot          string `json:"lot,omitempty"`
	Expiry       string `json:"expiry,omitempty"` // AI (17) as YYMMDD
	SSCC         string `json:"sscc,omitempty"`
	GLN          GLN    `json:"gln,omitempty"`
	GLNExtension string `json:"glnExtension,omitempty"`
	// CompanyPrefixLen is known only when the input was an EPC URI.
	CompanyPrefixLen int `json:"companyPrefixLength,omitempty"`
}

// Result is what ParseAny found.
type Result struct {
	Kind        Kind      `json:"kind"`
	SymbologyID string    `json:"symbologyId,omitempty"`
	Elements    []Element `json:"ais"`
	Keys        Keys      `json:"keys"`
	// EPC is the input EPC URI re-rendered, when the input was one.
	EPC string `json:"epc,omitempty"`
	// Pattern is set for an SGTIN pattern URI.
	Pattern *SGTINPattern `json:"pattern,omitempty"`
	// DigitalLink is the canonical Digital Link for the AIs, when they have a primary key.
	DigitalLink string `json:"digitalLink,omitempty"`
	// Unchecked lists dictionary content checks not performed, e.g. "AI (422): iso3166".
	Unchecked []string `json:"unchecked,omitempty"`
}

// Get returns the value of an AI in the result.
func (r *Result) Get(ai string) (string, bool) {
	for _, e := range r.Elements {
		if e.AI == ai {
			return e.Value, true
		}
	}
	return "", false
}

// ParseAny detects the notation of input (GS1 element string in any scanner or
// human-readable form, GS1 Digital Link URI, EPC URI or pattern, EAN/UPC scan) and
// returns its AIs and keys. Surrounding spaces and line ends, as scanners append, are
// ignored.
func ParseAny(input string) (*Result, error) {
	s := strings.Trim(input, " \t\r\n")
	if s == "" {
		return nil, fmt.Errorf("gs1: empty input")
	}
	// Non-GS1 symbology identifiers (]Q1, ]d1, ]J0) come in front of Digital Link URIs.
	symID := ""
	if len(s) >= 3 && s[0] == ']' {
		switch s[:3] {
		case "]Q1", "]d1", "]J0":
			symID, s = s[:3], s[3:]
			if !isHTTP(s) {
				return nil, fmt.Errorf("gs1: %s data is not GS1 data and not a Digital Link URI", symID)
			}
		case "]E0", "]E4":
			return parseRetail(s)
		}
	}
	r := &Result{SymbologyID: symID}
	switch {
	case strings.HasPrefix(s, "urn:epc:"):
		epc, err := ParseEPCURI(s)
		if err != nil {
			return nil, err
		}
		r.Kind = KindEPCURI
		r.EPC, _ = epc.URI()
		switch v := epc.(type) {
		case SGTINPattern:
			r.Kind = KindEPCPattern
			r.Pattern = &v
			if g, ok := v.GTIN(); ok {
				r.Keys.GTIN = g
			}
			r.Keys.Serial = v.Serial
			r.Keys.CompanyPrefixLen = len(v.CompanyPrefix)
		case SGTIN:
			r.Keys.CompanyPrefixLen = v.PrefixLen
		case SSCC:
			r.Keys.CompanyPrefixLen = v.PrefixLen
		case SGLN:
			r.Keys.CompanyPrefixLen = v.PrefixLen
		case LGTIN:
			r.Keys.CompanyPrefixLen = v.PrefixLen
		}
		r.Elements = epc.Elements()
	case isHTTP(s):
		dl, err := ParseDigitalLink(s)
		if err != nil {
			return nil, err
		}
		r.Kind = KindDigitalLink
		r.Elements = dl.Elements()
		r.Unchecked = dl.Unchecked
	default:
		es, err := ParseElementString(s)
		if err != nil {
			return nil, err
		}
		r.Kind = KindElementString
		r.SymbologyID = es.SymbologyID
		r.Elements = es.Elements
		r.Unchecked = es.Unchecked
	}
	r.fillKeys()
	return r, nil
}

func isHTTP(s string) bool {
	for _, p := range []string{"http://", "https://", "HTTP://", "HTTPS://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// parseRetail reads an EAN/UPC scan: ]E0 + 13 digits (EAN-13, UPC-A with a leading 0)
// or ]E4 + 8 digits (EAN-8).
func parseRetail(s string) (*Result, error) {
	id, digits := s[:3], s[3:]
	want := 13
	if id == "]E4" {
		want = 8
	}
	if len(digits) != want {
		return nil, fmt.Errorf("gs1: %s scan: %d digits, want %d", id, len(digits), want)
	}
	g, err := ParseGTIN(digits)
	if err != nil {
		return nil, fmt.Errorf("%s scan: %w", id, err)
	}
	r := &Result{Kind: KindRetail, SymbologyID: id, Elements: []Element{{AI: "01", Value: string(g)}}}
	r.fillKeys()
	return r, nil
}

func (r *Result) fillKeys() {
	for _, e := range r.Elements {
		switch e.AI {
		case "01":
			r.Keys.GTIN = GTIN(e.Value)
		case "21":
			r.Keys.Serial = e.Value
		case "10":
			r.Keys.Lot = e.Value
		case "17":
			r.Keys.Expiry = e.Value
		case "00":
			r.Keys.SSCC = e.Value
		case "414":
			r.Keys.GLN = GLN(e.Value)
		case "254":
			r.Keys.GLNExtension = e.Value
		}
	}
	if len(r.Elements) > 0 {
		if dl, err := FormatDigitalLink("", r.Elements); err == nil {
			r.DigitalLink = dl
		}
	}
}

// EPCURI renders the EPC URI for the result's AIs, which needs the GS1 Company Prefix
// length: SGTIN for 01+21, SSCC for 00, SGLN for 414 (+254), LGTIN for 01+10.
func (r *Result) EPCURI(prefixLen int) (string, error) {
	k := r.Keys
	switch {
	case k.GTIN != "" && k.Serial != "":
		return SGTIN{GTIN: k.GTIN, Serial: k.Serial, PrefixLen: prefixLen}.URI()
	case k.SSCC != "":
		return SSCC{Value: k.SSCC, PrefixLen: prefixLen}.URI()
	case k.GLN != "":
		return SGLNURI(k.GLN, k.GLNExtension, prefixLen)
	case k.GTIN != "" && k.Lot != "":
		return LGTINURI(k.GTIN, k.Lot, prefixLen)
	}
	return "", fmt.Errorf("gs1: no EPC for these AIs (need 01+21, 00, 414 or 01+10)")
}

// AIField is an AI with its dictionary title, for display.
type AIField struct {
	AI    string `json:"ai"`
	Title string `json:"title,omitempty"`
	Value string `json:"value"`
}

// Fields returns the AIs with their Syntax Dictionary titles.
func (r *Result) Fields() []AIField {
	out := make([]AIField, 0, len(r.Elements))
	for _, e := range r.Elements {
		f := AIField{AI: e.AI, Value: e.Value}
		if d := Lookup(e.AI); d != nil {
			f.Title = d.Title
		}
		out = append(out, f)
	}
	return out
}
