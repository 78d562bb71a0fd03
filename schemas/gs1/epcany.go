package gs1

import (
	"fmt"
	"strings"
)

// EPC is an EPC URI this package understands: SGTIN, SSCC, SGLN, LGTIN (a class, not an
// instance) or an SGTIN pattern.
type EPC interface {
	// URI renders the EPC URI.
	URI() (string, error)
	// Elements returns the GS1 AIs the EPC stands for (none for a pattern).
	Elements() []Element
}

// Compile-time checks that every EPC form implements the interface.
var (
	_ EPC = SGTIN{}
	_ EPC = SSCC{}
	_ EPC = SGLN{}
	_ EPC = LGTIN{}
	_ EPC = SGTINPattern{}
)

// Elements returns AI (01) and AI (21).
func (s SGTIN) Elements() []Element {
	return []Element{{AI: "01", Value: string(s.GTIN)}, {AI: "21", Value: s.Serial}}
}

// Elements returns AI (00).
func (s SSCC) Elements() []Element { return []Element{{AI: "00", Value: s.Value}} }

// SGLN is a GLN with an optional extension (AI 414 + AI 254). An empty Extension means
// none (rendered as the TDS-reserved "0").
type SGLN struct {
	GLN       GLN
	Extension string
	PrefixLen int
}

// URI renders urn:epc:id:sgln:.
func (s SGLN) URI() (string, error) { return SGLNURI(s.GLN, s.Extension, s.PrefixLen) }

// Elements returns AI (414) and, if there is an extension, AI (254).
func (s SGLN) Elements() []Element {
	e := []Element{{AI: "414", Value: string(s.GLN)}}
	if s.Extension != "" {
		e = append(e, Element{AI: "254", Value: s.Extension})
	}
	return e
}

// LGTIN is a GTIN with a batch/lot number (the EPC class urn:epc:class:lgtin:).
type LGTIN struct {
	GTIN      GTIN
	Lot       string
	PrefixLen int
}

// URI renders urn:epc:class:lgtin:.
func (l LGTIN) URI() (string, error) { return LGTINURI(l.GTIN, l.Lot, l.PrefixLen) }

// Elements returns AI (01) and AI (10).
func (l LGTIN) Elements() []Element {
	return []Element{{AI: "01", Value: string(l.GTIN)}, {AI: "10", Value: l.Lot}}
}

const sgtinPatPrefix = "urn:epc:idpat:sgtin:"

// SGTINPattern is urn:epc:idpat:sgtin:P.I.S where trailing components may be "*" (any):
// P.I.S, P.I.*, P.*.* or *.*.* (TDS section 8). An empty field means "*".
type SGTINPattern struct {
	CompanyPrefix string `json:"companyPrefix,omitempty"`
	ItemRef       string `json:"itemRef,omitempty"` // indicator digit followed by the item reference
	Serial        string `json:"serial,omitempty"`  // decoded
}

// ParseSGTINPatternURI parses an SGTIN EPC pattern URI.
func ParseSGTINPatternURI(uri string) (SGTINPattern, error) {
	body, ok := strings.CutPrefix(uri, sgtinPatPrefix)
	if !ok {
		return SGTINPattern{}, uriErr(uri, "", "does not start with %q", sgtinPatPrefix)
	}
	parts := strings.SplitN(body, ".", 3)
	if len(parts) != 3 {
		return SGTINPattern{}, uriErr(uri, "", "want CompanyPrefix.ItemRef.Serial, each possibly \"*\"")
	}
	cp, item, serial := parts[0], parts[1], parts[2]
	// Once a component is "*", every later one must be too.
	switch {
	case cp == "*" && (item != "*" || serial != "*"):
		return SGTINPattern{}, uriErr(uri, "", "after a \"*\" company prefix the item reference and serial must be \"*\"")
	case item == "*" && serial != "*":
		return SGTINPattern{}, uriErr(uri, "", "after a \"*\" item reference the serial must be \"*\"")
	}
	var p SGTINPattern
	if cp != "*" {
		if err := checkPrefixDigits(cp); err != nil {
			return SGTINPattern{}, uriErr(uri, "company prefix", "%v", err)
		}
		p.CompanyPrefix = cp
	}
	if item != "*" {
		if firstNonDigit(item) != 0 || item == "" {
			return SGTINPattern{}, uriErr(uri, "item reference", "%q is not all digits", item)
		}
		if len(cp)+len(item) != 13 {
			return SGTINPattern{}, uriErr(uri, "item reference", "%d digits with a %d-digit company prefix, want %d", len(item), len(cp), 13-len(cp))
		}
		p.ItemRef = item
	}
	if serial != "*" {
		v, err := decodeURN(serial)
		if err == nil {
			err = checkCSet82(v, 20)
		}
		if err != nil {
			return SGTINPattern{}, uriErr(uri, "serial", "%v", err)
		}
		p.Serial = v
	}
	return p, nil
}

// URI renders the pattern, "*" for empty components.
func (p SGTINPattern) URI() (string, error) {
	if p.CompanyPrefix == "" && (p.ItemRef != "" || p.Serial != "") || p.ItemRef == "" && p.Serial != "" {
		return "", fmt.Errorf("gs1: SGTIN pattern: only trailing components may be \"*\"")
	}
	if p.CompanyPrefix != "" {
		if err := checkPrefixDigits(p.CompanyPrefix); err != nil {
			return "", fmt.Errorf("gs1: SGTIN pattern: company prefix: %w", err)
		}
	}
	if p.ItemRef != "" && (firstNonDigit(p.ItemRef) != 0 || len(p.CompanyPrefix)+len(p.ItemRef) != 13) {
		return "", fmt.Errorf("gs1: SGTIN pattern: item reference %q does not complete a %d-digit company prefix to 13 digits", p.ItemRef, len(p.CompanyPrefix))
	}
	if p.Serial != "" {
		if err := checkCSet82(p.Serial, 20); err != nil {
			return "", fmt.Errorf("gs1: SGTIN pattern: serial: %w", err)
		}
	}
	star := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	var b strings.Builder
	b.WriteString(sgtinPatPrefix + star(p.CompanyPrefix) + "." + star(p.ItemRef) + ".")
	if p.Serial == "" {
		b.WriteByte('*')
	} else {
		appendURN(&b, p.Serial)
	}
	return b.String(), nil
}

// Elements returns nil: a pattern stands for many items. Use GTIN for the class.
func (p SGTINPattern) Elements() []Element { return nil }

// GTIN returns the GTIN when the pattern fixes it (company prefix and item reference).
func (p SGTINPattern) GTIN() (GTIN, bool) {
	if p.CompanyPrefix == "" || p.ItemRef == "" || len(p.CompanyPrefix)+len(p.ItemRef) != 13 {
		return "", false
	}
	body := p.ItemRef[:1] + p.CompanyPrefix + p.ItemRef[1:]
	cd, err := CheckDigit(body)
	if err != nil {
		return "", false
	}
	return GTIN(body + string(cd)), true
}

// Match reports whether the SGTIN falls within the pattern. A pattern that fixes the
// company prefix only matches SGTINs with the same prefix length, or unknown (0).
func (p SGTINPattern) Match(s SGTIN) bool {
	g := string(s.GTIN)
	// Hand-built patterns are not validated, so bound every slice below.
	if len(g) != 14 || len(p.CompanyPrefix) > 12 || (p.ItemRef != "" && len(p.CompanyPrefix)+len(p.ItemRef) != 13) {
		return false
	}
	if p.CompanyPrefix != "" {
		if s.PrefixLen != 0 && s.PrefixLen != len(p.CompanyPrefix) {
			return false
		}
		if g[1:1+len(p.CompanyPrefix)] != p.CompanyPrefix {
			return false
		}
	}
	if p.ItemRef != "" && (g[0] != p.ItemRef[0] || g[1+len(p.CompanyPrefix):13] != p.ItemRef[1:]) {
		return false
	}
	return p.Serial == "" || p.Serial == s.Serial
}

// ParseEPCURI parses any EPC URI form this package supports.
func ParseEPCURI(uri string) (EPC, error) {
	switch {
	case strings.HasPrefix(uri, sgtinPrefix):
		return ParseSGTINURI(uri)
	case strings.HasPrefix(uri, ssccPrefix):
		return ParseSSCCURI(uri)
	case strings.HasPrefix(uri, sglnPrefix):
		gln, ext, p, err := ParseSGLNURI(uri)
		if err != nil {
			return nil, err
		}
		return SGLN{GLN: gln, Extension: ext, PrefixLen: p}, nil
	case strings.HasPrefix(uri, lgtinPrefix):
		g, lot, p, err := ParseLGTINURI(uri)
		if err != nil {
			return nil, err
		}
		return LGTIN{GTIN: g, Lot: lot, PrefixLen: p}, nil
	case strings.HasPrefix(uri, sgtinPatPrefix):
		return ParseSGTINPatternURI(uri)
	case strings.HasPrefix(uri, "urn:epc:"):
		scheme := uri
		if parts := strings.SplitN(uri, ":", 5); len(parts) == 5 {
			scheme = strings.Join(parts[:4], ":") + ":"
		}
		return nil, uriErr(uri, "", "EPC scheme %q is not supported (SGTIN, SSCC, SGLN, LGTIN and SGTIN patterns are)", scheme)
	}
	return nil, uriErr(uri, "", "not an EPC URI (urn:epc:...)")
}
