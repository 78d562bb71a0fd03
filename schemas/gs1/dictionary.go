package gs1

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// The AI table comes from the released GS1 Barcode Syntax Dictionary, embedded verbatim
// (see data/README.md), so that a new GS1 release is a file swap, not a code change.
//
//go:embed data/gs1-syntax-dictionary.txt
var syntaxDictionary string

// CharSet is the character set of an AI component.
type CharSet byte

// Character sets named by the Syntax Dictionary.
const (
	Numeric CharSet = 'N' // digits
	CSet82  CharSet = 'X' // GS1 AI encodable character set 82
	CSet39  CharSet = 'Y' // GS1 AI encodable character set 39
	CSet64  CharSet = 'Z' // base64url (GS1 character set 64)
)

// Component is one part of an AI's data field, e.g. "N6,yymmd0" or "[X..17]".
type Component struct {
	CharSet  CharSet
	Min, Max int // equal for fixed length
	Optional bool
	Linters  []string
}

// AIDef describes one Application Identifier as defined by the Syntax Dictionary.
type AIDef struct {
	AI    string
	Title string
	// Predefined is the "*" flag: the AI has a predefined length and needs no FNC1
	// separator after it.
	Predefined bool
	// DLAttr is the "?" flag: the AI may appear as a Digital Link query-string attribute.
	DLAttr     bool
	Components []Component
	// Req holds one entry per req= attribute; each must be satisfied by one of its
	// alternatives, and an alternative is satisfied when all its AI patterns are present.
	Req [][][]string
	// Ex lists AI patterns that must not appear together with this AI.
	Ex []string
	// DLPKey marks a Digital Link primary key; DLQualifiers lists its alternative
	// ordered qualifier sequences (nil when it accepts none).
	DLPKey       bool
	DLQualifiers [][]string
}

// MinLen and MaxLen are the bounds of the whole data field.
func (d *AIDef) MinLen() int {
	n := 0
	for _, c := range d.Components {
		if !c.Optional {
			n += c.Min
		}
	}
	return n
}

// MaxLen is the longest valid data field.
func (d *AIDef) MaxLen() int {
	n := 0
	for _, c := range d.Components {
		n += c.Max
	}
	return n
}

// dictionary is the parsed AI table. byKey indexes AIs by length and numeric value so
// that the element-string scanner can look up candidates without allocating.
type dictionary struct {
	byAI  map[string]*AIDef
	byKey [3 * 10000]*AIDef
	order []string // AIs in dictionary order
}

func aiKey(ai string) int {
	n := 0
	for i := 0; i < len(ai); i++ {
		n = n*10 + int(ai[i]-'0')
	}
	return (len(ai)-2)*10000 + n
}

var dict = mustParseDictionary(syntaxDictionary)

func mustParseDictionary(text string) *dictionary {
	d, err := parseDictionary(text)
	if err != nil {
		// The file is embedded at build time and covered by tests; failing here means the
		// binary was built from a corrupted copy.
		panic("gs1: embedded syntax dictionary: " + err.Error())
	}
	return d
}

// Lookup returns the definition of an AI, or nil if the dictionary does not define it.
func Lookup(ai string) *AIDef {
	return dict.byAI[ai]
}

// AIs returns every AI defined by the embedded dictionary, in dictionary order.
func AIs() []string {
	return append([]string(nil), dict.order...)
}

// DictionaryRelease returns the "Release:" header of the embedded dictionary.
func DictionaryRelease() string {
	for _, line := range strings.Split(syntaxDictionary, "\n") {
		if v, ok := strings.CutPrefix(line, "# Release:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

const flagChars = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~"

func parseDictionary(text string) (*dictionary, error) {
	d := &dictionary{byAI: make(map[string]*AIDef)}
	for lineNo, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		defs, err := parseDictLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
		}
		for _, def := range defs {
			if _, dup := d.byAI[def.AI]; dup {
				return nil, fmt.Errorf("line %d: AI %s defined twice", lineNo+1, def.AI)
			}
			d.byAI[def.AI] = def
			d.byKey[aiKey(def.AI)] = def
			d.order = append(d.order, def.AI)
		}
	}
	// The element-string scanner relies on no AI being a prefix of another.
	for ai := range d.byAI {
		for n := 2; n < len(ai); n++ {
			if _, ok := d.byAI[ai[:n]]; ok {
				return nil, fmt.Errorf("AI %s is a prefix of AI %s", ai[:n], ai)
			}
		}
	}
	return d, nil
}

func parseDictLine(line string) ([]*AIDef, error) {
	title := ""
	if i := strings.IndexByte(line, '#'); i >= 0 {
		title = strings.TrimSpace(line[i+1:])
		line = line[:i]
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return nil, fmt.Errorf("too few fields in %q", line)
	}
	lo, hi, err := parseAIRange(fields[0])
	if err != nil {
		return nil, err
	}
	proto := AIDef{Title: title}
	rest := fields[1:]
	if strings.Trim(rest[0], flagChars) == "" {
		proto.Predefined = strings.Contains(rest[0], "*")
		proto.DLAttr = strings.Contains(rest[0], "?")
		rest = rest[1:]
	}
	for _, f := range rest {
		switch {
		case strings.HasPrefix(f, "req="):
			var alts [][]string
			for _, alt := range strings.Split(f[4:], ",") {
				alts = append(alts, strings.Split(alt, "+"))
			}
			proto.Req = append(proto.Req, alts)
		case strings.HasPrefix(f, "ex="):
			proto.Ex = append(proto.Ex, strings.Split(f[3:], ",")...)
		case f == "dlpkey":
			proto.DLPKey = true
		case strings.HasPrefix(f, "dlpkey="):
			proto.DLPKey = true
			for _, alt := range strings.Split(f[7:], "|") {
				proto.DLQualifiers = append(proto.DLQualifiers, strings.Split(alt, ","))
			}
		case strings.Contains(f, "="):
			// Unknown attributes are ignored: new keys are informative for other uses.
		default:
			c, err := parseComponent(f)
			if err != nil {
				return nil, err
			}
			proto.Components = append(proto.Components, c)
		}
	}
	if len(proto.Components) == 0 {
		return nil, fmt.Errorf("no specification in %q", line)
	}
	var defs []*AIDef
	width := len(fields[0])
	if i := strings.IndexByte(fields[0], '-'); i >= 0 {
		width = i
	}
	for v := lo; v <= hi; v++ {
		def := proto
		def.AI = fmt.Sprintf("%0*d", width, v)
		defs = append(defs, &def)
	}
	return defs, nil
}

func parseAIRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		b = a
	}
	if len(a) < 2 || len(a) > 4 || len(a) != len(b) || firstNonDigit(a) != 0 || firstNonDigit(b) != 0 {
		return 0, 0, fmt.Errorf("bad AI %q", s)
	}
	lo, _ = strconv.Atoi(a)
	hi, _ = strconv.Atoi(b)
	if hi < lo {
		return 0, 0, fmt.Errorf("bad AI range %q", s)
	}
	return lo, hi, nil
}

// parseComponent parses "N6,csum", "X..20", "[N..12]" or "[N3],iso3166".
func parseComponent(f string) (Component, error) {
	var c Component
	spec, linters, _ := strings.Cut(f, ",")
	if linters != "" {
		c.Linters = strings.Split(linters, ",")
	}
	if strings.HasPrefix(spec, "[") {
		if !strings.HasSuffix(spec, "]") {
			return c, fmt.Errorf("bad component %q", f)
		}
		c.Optional = true
		spec = spec[1 : len(spec)-1]
	}
	if spec == "" {
		return c, fmt.Errorf("bad component %q", f)
	}
	switch cs := CharSet(spec[0]); cs {
	case Numeric, CSet82, CSet39, CSet64:
		c.CharSet = cs
	default:
		return c, fmt.Errorf("unknown character set in component %q", f)
	}
	n := spec[1:]
	if v, ok := strings.CutPrefix(n, ".."); ok {
		max, err := strconv.Atoi(v)
		if err != nil || max < 1 {
			return c, fmt.Errorf("bad length in component %q", f)
		}
		c.Min, c.Max = 1, max
	} else {
		l, err := strconv.Atoi(n)
		if err != nil || l < 1 {
			return c, fmt.Errorf("bad length in component %q", f)
		}
		c.Min, c.Max = l, l
	}
	return c, nil
}

// matchAIPattern reports whether ai matches a req=/ex= pattern in which "n" stands for any
// digit (e.g. "31nn", "394n").
func matchAIPattern(pattern, ai string) bool {
	if len(pattern) != len(ai) {
		return false
	}
	for i := 0; i < len(ai); i++ {
		if pattern[i] != 'n' && pattern[i] != ai[i] {
			return false
		}
	}
	return true
}
