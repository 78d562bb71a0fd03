package gs1

import (
	"fmt"
	"strings"
)

// EPC URI prefixes (TDS section 6 / TDT prefixMatch). The URN form is matched exactly, in
// lower case, as every TDT pattern does.
const (
	sgtinPrefix = "urn:epc:id:sgtin:"
	ssccPrefix  = "urn:epc:id:sscc:"
	sglnPrefix  = "urn:epc:id:sgln:"
	lgtinPrefix = "urn:epc:class:lgtin:"
)

// URIError reports an EPC URI that does not conform, naming the component at fault.
type URIError struct {
	URI       string // the input
	Component string // e.g. "serial", "company prefix"
	Msg       string
}

func (e *URIError) Error() string {
	if e.Component == "" {
		return fmt.Sprintf("gs1: EPC URI %q: %s", e.URI, e.Msg)
	}
	return fmt.Sprintf("gs1: EPC URI %q: %s: %s", e.URI, e.Component, e.Msg)
}

func uriErr(uri, comp, format string, args ...any) error {
	return &URIError{URI: uri, Component: comp, Msg: fmt.Sprintf(format, args...)}
}

// SGTIN is a serialised GTIN: AI (01) + AI (21). PrefixLen is the GS1 Company Prefix length
// (6..12), needed only to render the EPC URI; 0 means unknown.
type SGTIN struct {
	GTIN      GTIN
	Serial    string
	PrefixLen int
}

// ParseSGTINURI parses urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial and decodes
// the URN-escaped serial.
func ParseSGTINURI(uri string) (SGTIN, error) {
	gtin, serial, p, err := parseGTINPlusURI(uri, sgtinPrefix, "serial")
	if err != nil {
		return SGTIN{}, err
	}
	return SGTIN{GTIN: gtin, Serial: serial, PrefixLen: p}, nil
}

// ParseLGTINURI parses the class-level urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot
// and decodes the URN-escaped lot.
func ParseLGTINURI(uri string) (gtin GTIN, lot string, prefixLen int, err error) {
	return parseGTINPlusURI(uri, lgtinPrefix, "lot")
}

// parseGTINPlusURI handles the shared shape of SGTIN and LGTIN: 13 digits split after the
// company prefix, with the indicator digit moved in front of the item reference.
func parseGTINPlusURI(uri, prefix, what string) (GTIN, string, int, error) {
	body, ok := strings.CutPrefix(uri, prefix)
	if !ok {
		return "", "", 0, uriErr(uri, "", "does not start with %q", prefix)
	}
	// The serial may itself contain '.', so split at most twice.
	parts := strings.SplitN(body, ".", 3)
	if len(parts) != 3 {
		return "", "", 0, uriErr(uri, "", "want CompanyPrefix.ItemRef.%s", what)
	}
	cp, item, tail := parts[0], parts[1], parts[2]
	if err := checkPrefixDigits(cp); err != nil {
		return "", "", 0, uriErr(uri, "company prefix", "%v", err)
	}
	if p := firstNonDigit(item); p != 0 || item == "" {
		return "", "", 0, uriErr(uri, "item reference", "%q is not all digits", item)
	}
	if len(cp)+len(item) != 13 {
		return "", "", 0, uriErr(uri, "item reference", "%d digits with a %d-digit company prefix, want %d", len(item), len(cp), 13-len(cp))
	}
	value, err := decodeURN(tail)
	if err != nil {
		return "", "", 0, uriErr(uri, what, "%v", err)
	}
	if err := checkCSet82(value, 20); err != nil {
		return "", "", 0, uriErr(uri, what, "%v", err)
	}
	body13 := item[:1] + cp + item[1:]
	cd, _ := CheckDigit(body13) // all digits: checked above
	return GTIN(body13 + string(cd)), value, len(cp), nil
}

// checkPrefixDigits validates a GS1 Company Prefix as it appears in an EPC URI.
func checkPrefixDigits(cp string) error {
	if p := firstNonDigit(cp); p != 0 {
		return fmt.Errorf("character %q at position %d is not a digit", cp[p-1], p)
	}
	if len(cp) < 6 || len(cp) > 12 {
		return fmt.Errorf("%d digits, want 6 to 12", len(cp))
	}
	return nil
}

func checkPrefixLen(n int) error {
	if n < 6 || n > 12 {
		return fmt.Errorf("company prefix length %d, want 6 to 12", n)
	}
	return nil
}

// URI renders the EPC pure-identity URI. PrefixLen must be 6..12 and the serial 1 to 20
// characters of GS1 character set 82.
func (s SGTIN) URI() (string, error) {
	return gtinPlusURI("SGTIN", sgtinPrefix, s.GTIN, s.Serial, s.PrefixLen, "serial")
}

// LGTINURI renders urn:epc:class:lgtin: for a GTIN and batch/lot number.
func LGTINURI(gtin GTIN, lot string, prefixLen int) (string, error) {
	return gtinPlusURI("LGTIN", lgtinPrefix, gtin, lot, prefixLen, "lot")
}

func gtinPlusURI(kind, prefix string, g GTIN, value string, prefixLen int, what string) (string, error) {
	if err := checkKey(string(g), 14); err != nil {
		return "", fmt.Errorf("gs1: %s URI: GTIN %q: %w", kind, string(g), err)
	}
	if err := checkPrefixLen(prefixLen); err != nil {
		return "", fmt.Errorf("gs1: %s URI for GTIN %s: %w", kind, g, err)
	}
	if err := checkCSet82(value, 20); err != nil {
		return "", fmt.Errorf("gs1: %s URI for GTIN %s: %s: %w", kind, g, what, err)
	}
	s := string(g)
	var b strings.Builder
	b.Grow(len(prefix) + 15 + len(value)*3)
	b.WriteString(prefix)
	b.WriteString(s[1 : 1+prefixLen])
	b.WriteByte('.')
	b.WriteByte(s[0])
	b.WriteString(s[1+prefixLen : 13])
	b.WriteByte('.')
	appendURN(&b, value)
	return b.String(), nil
}

// ParseSSCCURI parses urn:epc:id:sscc:CompanyPrefix.SerialReference, where the serial
// reference starts with the extension digit, and computes the check digit.
func ParseSSCCURI(uri string) (SSCC, error) {
	body, ok := strings.CutPrefix(uri, ssccPrefix)
	if !ok {
		return SSCC{}, uriErr(uri, "", "does not start with %q", ssccPrefix)
	}
	cp, ref, ok := strings.Cut(body, ".")
	if !ok {
		return SSCC{}, uriErr(uri, "", "want CompanyPrefix.SerialReference")
	}
	if err := checkPrefixDigits(cp); err != nil {
		return SSCC{}, uriErr(uri, "company prefix", "%v", err)
	}
	if p := firstNonDigit(ref); p != 0 || ref == "" {
		return SSCC{}, uriErr(uri, "serial reference", "%q is not all digits", ref)
	}
	if len(cp)+len(ref) != 17 {
		return SSCC{}, uriErr(uri, "serial reference", "%d digits with a %d-digit company prefix, want %d", len(ref), len(cp), 17-len(cp))
	}
	body17 := ref[:1] + cp + ref[1:]
	cd, _ := CheckDigit(body17)
	return SSCC{Value: body17 + string(cd), PrefixLen: len(cp)}, nil
}

// URI renders urn:epc:id:sscc:. PrefixLen must be 6..12.
func (s SSCC) URI() (string, error) {
	if err := checkKey(s.Value, 18); err != nil {
		return "", fmt.Errorf("gs1: SSCC URI: SSCC %q: %w", s.Value, err)
	}
	if err := checkPrefixLen(s.PrefixLen); err != nil {
		return "", fmt.Errorf("gs1: SSCC URI for %s: %w", s.Value, err)
	}
	v := s.Value
	return ssccPrefix + v[1:1+s.PrefixLen] + "." + v[:1] + v[1+s.PrefixLen:17], nil
}

// ParseSGLNURI parses urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension. TDS reserves the
// extension "0" for "no GLN extension" (no AI 254), so it is returned as "".
func ParseSGLNURI(uri string) (gln GLN, ext string, prefixLen int, err error) {
	body, ok := strings.CutPrefix(uri, sglnPrefix)
	if !ok {
		return "", "", 0, uriErr(uri, "", "does not start with %q", sglnPrefix)
	}
	parts := strings.SplitN(body, ".", 3)
	if len(parts) != 3 {
		return "", "", 0, uriErr(uri, "", "want CompanyPrefix.LocationReference.Extension")
	}
	cp, loc, tail := parts[0], parts[1], parts[2]
	if err := checkPrefixDigits(cp); err != nil {
		return "", "", 0, uriErr(uri, "company prefix", "%v", err)
	}
	// With a 12-digit company prefix the location reference is empty.
	if p := firstNonDigit(loc); p != 0 {
		return "", "", 0, uriErr(uri, "location reference", "%q is not all digits", loc)
	}
	if len(cp)+len(loc) != 12 {
		return "", "", 0, uriErr(uri, "location reference", "%d digits with a %d-digit company prefix, want %d", len(loc), len(cp), 12-len(cp))
	}
	ext, err = decodeURN(tail)
	if err != nil {
		return "", "", 0, uriErr(uri, "extension", "%v", err)
	}
	if err := checkCSet82(ext, 20); err != nil {
		return "", "", 0, uriErr(uri, "extension", "%v", err)
	}
	if ext == "0" {
		ext = ""
	}
	cd, _ := CheckDigit(cp + loc)
	return GLN(cp + loc + string(cd)), ext, len(cp), nil
}

// SGLNURI renders urn:epc:id:sgln:. An empty ext renders as the reserved "0".
func SGLNURI(gln GLN, ext string, prefixLen int) (string, error) {
	if err := checkKey(string(gln), 13); err != nil {
		return "", fmt.Errorf("gs1: SGLN URI: GLN %q: %w", string(gln), err)
	}
	if err := checkPrefixLen(prefixLen); err != nil {
		return "", fmt.Errorf("gs1: SGLN URI for %s: %w", gln, err)
	}
	if ext == "" {
		ext = "0"
	}
	if err := checkCSet82(ext, 20); err != nil {
		return "", fmt.Errorf("gs1: SGLN URI for %s: extension: %w", gln, err)
	}
	var b strings.Builder
	b.WriteString(sglnPrefix)
	b.WriteString(string(gln[:prefixLen]))
	b.WriteByte('.')
	b.WriteString(string(gln[prefixLen:12]))
	b.WriteByte('.')
	appendURN(&b, ext)
	return b.String(), nil
}
