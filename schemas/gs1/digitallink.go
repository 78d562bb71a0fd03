package gs1

import (
	"fmt"
	"strings"
)

// CanonicalDLStem is the host of canonical GS1 Digital Link URIs.
const CanonicalDLStem = "https://id.gs1.org"

// dlShortNames maps the GS1 Digital Link 1.2 alphabetic path/query codes to AIs
// (GS1_Digital_Link_Grammar_1_2.abnf, "%s" codes; TestDLShortNamesMatchGrammar keeps the
// two in step). Which AIs are primary keys and their qualifier order come from the
// Syntax Dictionary (dlpkey), not from here.
var dlShortNames = map[string]string{
	"gtin": "01", "itip": "8006", "gmn": "8013", "cpid": "8010", "gln": "414",
	"party": "417", "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00",
	"gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
	"cpv": "22", "lot": "10", "ser": "21", "cpsn": "8011", "glnx": "254",
	"refno": "8020", "srin": "8019", "exp": "17", "expdt": "7003",
}

// DLError reports a Digital Link URI that does not conform, naming the part at fault.
type DLError struct {
	URI string
	Err error // an *AIError when a value is at fault
}

func (e *DLError) Error() string {
	return fmt.Sprintf("gs1: Digital Link %q: %v", e.URI, e.Err)
}

func (e *DLError) Unwrap() error { return e.Err }

// QueryParam is a non-GS1 query parameter of a Digital Link, kept verbatim.
type QueryParam struct {
	Key, Value string
}

// DigitalLink is a parsed, validated, uncompressed GS1 Digital Link URI.
type DigitalLink struct {
	// Stem is everything before the primary key: scheme, host and any path prefix, e.g.
	// "https://example.com/products".
	Stem string
	// Path holds the primary key first, then its qualifiers in URI order.
	Path []Element
	// Attributes are the GS1 data attributes from the query string (e.g. 17 expiry).
	Attributes []Element
	// Extensions are the other query parameters (not GS1 AIs), raw.
	Extensions []QueryParam
	// Unchecked lists dictionary content checks this package cannot perform.
	Unchecked []string
}

// Elements returns the path AIs followed by the query attributes.
func (d *DigitalLink) Elements() []Element {
	out := make([]Element, 0, len(d.Path)+len(d.Attributes))
	return append(append(out, d.Path...), d.Attributes...)
}

// Canonical renders the canonical form: https://id.gs1.org, numeric AIs, GTIN as 14
// digits, GS1 attributes in the query in their original order, extensions dropped.
func (d *DigitalLink) Canonical() string {
	return buildDL(CanonicalDLStem, d.Path, d.Attributes, nil)
}

// String renders the URI with its own stem and extension parameters, numeric AIs.
func (d *DigitalLink) String() string {
	return buildDL(d.Stem, d.Path, d.Attributes, d.Extensions)
}

func buildDL(stem string, path, attrs []Element, ext []QueryParam) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(stem, "/"))
	for _, e := range path {
		b.WriteByte('/')
		b.WriteString(e.AI)
		b.WriteByte('/')
		writeDLValue(&b, e.Value)
	}
	sep := byte('?')
	for _, e := range attrs {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(e.AI)
		b.WriteByte('=')
		writeDLValue(&b, e.Value)
	}
	for _, q := range ext {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(q.Key)
		b.WriteByte('=')
		b.WriteString(q.Value)
	}
	return b.String()
}

// writeDLValue percent-encodes everything but RFC 3986 unreserved characters, which is
// what the Digital Link grammar requires of the CSET 82 symbols.
func writeDLValue(b *strings.Builder, v string) {
	const hexdig = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
}

// FormatDigitalLink builds a Digital Link URI from AIs: the first AI that is a Digital
// Link primary key goes into the path with its qualifiers in the dictionary's order, and
// the remaining AIs must be permitted data attributes and go into the query string. An
// empty stem means the canonical https://id.gs1.org.
func FormatDigitalLink(stem string, elems []Element) (string, error) {
	if err := validateElements(elems); err != nil {
		return "", err
	}
	if stem == "" {
		stem = CanonicalDLStem
	}
	pk := -1
	for i, e := range elems {
		if Lookup(e.AI).DLPKey {
			pk = i
			break
		}
	}
	if pk < 0 {
		return "", fmt.Errorf("gs1: Digital Link: no AI that is a Digital Link primary key")
	}
	key := elems[pk]
	if key.AI == "01" {
		// The canonical path carries the GTIN as 14 digits; keep it so.
		key.Value = strings.Repeat("0", 14-len(key.Value)) + key.Value
	}
	path := []Element{key}
	used := map[int]bool{pk: true}
	// Choose the qualifier alternative that covers the most of the given AIs.
	best := []string(nil)
	bestN := 0
	for _, alt := range Lookup(key.AI).DLQualifiers {
		n := 0
		for _, q := range alt {
			for _, e := range elems {
				if e.AI == q {
					n++
					break
				}
			}
		}
		if n > bestN {
			best, bestN = alt, n
		}
	}
	for _, q := range best {
		for i, e := range elems {
			if e.AI == q && !used[i] {
				path = append(path, e)
				used[i] = true
				break
			}
		}
	}
	var attrs []Element
	for i, e := range elems {
		if used[i] {
			continue
		}
		if !Lookup(e.AI).DLAttr {
			return "", &AIError{AI: e.AI, Relation: true, Msg: fmt.Sprintf("is neither a qualifier of AI (%s) nor permitted as a Digital Link data attribute", key.AI)}
		}
		attrs = append(attrs, e)
	}
	return buildDL(stem, path, attrs, nil), nil
}

// ParseDigitalLink parses an uncompressed GS1 Digital Link URI on any host, with an
// optional path stem before the primary key, numeric or alphabetic AI codes ("/01/" or
// "/gtin/"), percent-encoded values, GTIN-8/12/13 normalised to 14 digits and GS1 data
// attributes in the query string. Qualifiers must follow the primary key in the order
// the Syntax Dictionary gives (for 01: 22, 10, 21); every value is validated against the
// dictionary and the req=/ex= rules are applied to all AIs together.
func ParseDigitalLink(uri string) (*DigitalLink, error) {
	fail := func(format string, args ...any) error {
		return &DLError{URI: uri, Err: fmt.Errorf(format, args...)}
	}
	rest := uri
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i] // the fragment is for the client, never GS1 data
	}
	var schemeLen int
	// RFC 3986 makes the scheme case-insensitive, but like the GS1 Syntax Engine only the
	// all-lower and all-upper spellings are accepted.
	switch {
	case strings.HasPrefix(rest, "https://"), strings.HasPrefix(rest, "HTTPS://"):
		schemeLen = len("https://")
	case strings.HasPrefix(rest, "http://"), strings.HasPrefix(rest, "HTTP://"):
		schemeLen = len("http://")
	default:
		return nil, fail("scheme must be http or https")
	}
	query := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	slash := strings.IndexByte(rest[schemeLen:], '/')
	if slash <= 0 {
		if slash == 0 {
			return nil, fail("empty host")
		}
		return nil, fail("no path: a primary key such as /01/<gtin> is required")
	}
	hostEnd := schemeLen + slash
	if err := checkHost(rest[schemeLen:hostEnd]); err != nil {
		return nil, fail("%w", err)
	}
	segs := strings.Split(rest[hostEnd+1:], "/")
	if segs[len(segs)-1] == "" {
		return nil, fail("path ends with \"/\"")
	}

	dl := &DigitalLink{}
	// The stem may itself contain segments that look like AIs. Qualifiers are never
	// primary keys, so the key is the rightmost primary-key code at an even distance from
	// the end (as the GS1 Syntax Engine reads it).
	start := -1
	for i := len(segs) - 2; i >= 0; i -= 2 {
		if ai, ok := dlCode(segs[i]); ok && Lookup(ai).DLPKey {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, fail("no GS1 primary key (such as /01/<gtin>) in the path")
	}
	for _, s := range segs[:start] {
		if s == "" {
			return nil, fail("empty path segment in the stem")
		}
	}
	path, err := parseDLPath(segs[start:])
	if err != nil {
		return nil, fail("%w", err)
	}
	dl.Stem = rest[:hostEnd]
	if start > 0 {
		dl.Stem += "/" + strings.Join(segs[:start], "/")
	}
	dl.Path = path
	if err := dl.parseQuery(query); err != nil {
		return nil, fail("%w", err)
	}
	all := dl.Elements()
	for _, e := range all {
		unchecked, err := ValidateAI(e.AI, e.Value)
		if err != nil {
			return nil, fail("%w", err)
		}
		for _, u := range unchecked {
			dl.Unchecked = append(dl.Unchecked, "AI ("+e.AI+"): "+u)
		}
	}
	if err := CheckPairs(all); err != nil {
		return nil, fail("%w", err)
	}
	return dl, nil
}

// checkHost accepts host names, IPv4, bracketed IPv6 and a port by character set only,
// so that new address forms are not refused; zone identifiers ("%25") are of no use in a
// Digital Link and are refused.
func checkHost(h string) error {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':' || c == '[' || c == ']' {
			continue
		}
		return fmt.Errorf("character %q at position %d of the host is not allowed", c, i+1)
	}
	return nil
}

// dlCode maps a path segment or query key to an AI: digits must name a dictionary AI,
// letters must be a Digital Link short name.
func dlCode(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if firstNonDigit(s) == 0 {
		return s, Lookup(s) != nil
	}
	ai, ok := dlShortNames[s]
	return ai, ok
}

// parseDLPath reads key/value pairs: primary key then qualifiers in permitted order.
func parseDLPath(segs []string) ([]Element, error) {
	path := make([]Element, 0, len(segs)/2)
	for j := 0; j < len(segs); j += 2 {
		ai, ok := dlCode(segs[j])
		if !ok {
			return nil, fmt.Errorf("path segment %q is not a GS1 AI or Digital Link short name", segs[j])
		}
		v, err := percentDecode(segs[j+1])
		if err != nil {
			return nil, fmt.Errorf("AI (%s): %v", ai, err)
		}
		if v == "" {
			return nil, fmt.Errorf("AI (%s): empty value", ai)
		}
		if ai == "01" {
			v, err = normaliseDLGTIN(v)
			if err != nil {
				return nil, err
			}
		}
		path = append(path, Element{AI: ai, Value: v})
	}
	return path, checkQualifiers(path)
}

// normaliseDLGTIN pads GTIN-8/12/13 to 14 digits; the check digit is left to the AI
// validation so that its error names AI (01) like any other.
func normaliseDLGTIN(v string) (string, error) {
	switch len(v) {
	case 8, 12, 13:
		return strings.Repeat("0", 14-len(v)) + v, nil
	case 14:
		return v, nil
	}
	return "", &AIError{AI: "01", Msg: fmt.Sprintf("GTIN has %d digits, want 8, 12, 13 or 14", len(v))}
}

// checkQualifiers enforces the dictionary's dlpkey qualifier sequences.
func checkQualifiers(path []Element) error {
	key := Lookup(path[0].AI)
	quals := path[1:]
	if len(quals) == 0 {
		return nil
	}
	if len(key.DLQualifiers) == 0 {
		return fmt.Errorf("AI (%s) takes no key qualifiers, found AI (%s)", key.AI, quals[0].AI)
	}
	for _, alt := range key.DLQualifiers {
		if isOrderedSubset(quals, alt) {
			return nil
		}
	}
	// Explain the failure: a stranger, a repeat, a bad order or a mix of alternatives.
	for i, q := range quals {
		for _, p := range quals[:i] {
			if p.AI == q.AI {
				return fmt.Errorf("qualifier AI (%s) appears twice", q.AI)
			}
		}
		in := false
		for _, alt := range key.DLQualifiers {
			for _, a := range alt {
				in = in || a == q.AI
			}
		}
		if !in {
			return fmt.Errorf("AI (%s) is not a key qualifier of AI (%s)", q.AI, key.AI)
		}
	}
	for _, alt := range key.DLQualifiers {
		idx := map[string]int{}
		for i, a := range alt {
			idx[a] = i
		}
		for i := 1; i < len(quals); i++ {
			a, okA := idx[quals[i-1].AI]
			b, okB := idx[quals[i].AI]
			if okA && okB && a > b {
				return fmt.Errorf("qualifier AI (%s) must come before AI (%s) after primary key AI (%s) (order: %s)",
					quals[i].AI, quals[i-1].AI, key.AI, strings.Join(alt, ", "))
			}
		}
	}
	return fmt.Errorf("qualifiers of AI (%s) mix alternative sequences %s", key.AI, describeAlts(key.DLQualifiers))
}

func describeAlts(alts [][]string) string {
	var s []string
	for _, a := range alts {
		s = append(s, "("+strings.Join(a, ", ")+")")
	}
	return strings.Join(s, " | ")
}

func isOrderedSubset(quals []Element, alt []string) bool {
	k := 0
	for _, q := range quals {
		for k < len(alt) && alt[k] != q.AI {
			k++
		}
		if k == len(alt) {
			return false
		}
		k++
	}
	return true
}

func (dl *DigitalLink) parseQuery(q string) error {
	for q != "" {
		var param string
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			param, q = q[:i], q[i+1:]
		} else {
			param, q = q, ""
		}
		if param == "" {
			continue
		}
		k, v, _ := strings.Cut(param, "=")
		ai, isAI := dlCode(k)
		if !isAI {
			if firstNonDigit(k) == 0 {
				return fmt.Errorf("query parameter %q: unknown AI", k)
			}
			dl.Extensions = append(dl.Extensions, QueryParam{Key: k, Value: v})
			continue
		}
		def := Lookup(ai)
		if !def.DLAttr {
			return fmt.Errorf("AI (%s) is not permitted as a Digital Link data attribute", ai)
		}
		// In the query string "+" is a space (form encoding), unlike in the path.
		val, err := percentDecode(strings.ReplaceAll(v, "+", " "))
		if err != nil {
			return fmt.Errorf("AI (%s): %v", ai, err)
		}
		if dl.isPathQualifier(ai) {
			return fmt.Errorf("AI (%s) is a key qualifier of AI (%s) and belongs in the path", ai, dl.Path[0].AI)
		}
		if ai == "01" {
			if val, err = normaliseDLGTIN(val); err != nil {
				return err
			}
		}
		for _, e := range dl.Path {
			if e.AI == ai {
				return fmt.Errorf("AI (%s) is both in the path and in the query string", ai)
			}
		}
		for _, e := range dl.Attributes {
			if e.AI == ai {
				return fmt.Errorf("AI (%s) appears twice in the query string", ai)
			}
		}
		dl.Attributes = append(dl.Attributes, Element{AI: ai, Value: val})
	}
	return nil
}

// isPathQualifier reports whether ai is a qualifier in any qualifier sequence of the path's
// primary key that is consistent with the qualifiers already in the path.
func (dl *DigitalLink) isPathQualifier(ai string) bool {
	for _, alt := range Lookup(dl.Path[0].AI).DLQualifiers {
		if !isOrderedSubset(dl.Path[1:], alt) {
			continue
		}
		for _, a := range alt {
			if a == ai {
				return true
			}
		}
	}
	return false
}

// percentDecode undoes RFC 3986 percent-encoding; '+' stays '+' as URI paths and the
// Digital Link grammar define it (it is not form encoding).
func percentDecode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated percent escape %q", s[i:])
		}
		h, ok1 := unhex(s[i+1])
		l, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("bad percent escape %q", s[i:i+3])
		}
		out = append(out, h<<4|l)
		i += 2
	}
	return string(out), nil
}
