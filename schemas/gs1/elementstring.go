package gs1

import (
	"fmt"
	"strings"
)

// GS is the ASCII group separator that scanners transmit for FNC1 between AIs.
const GS = '\x1d'

// Symbology identifiers (ISO/IEC 15424) that announce GS1 data; a scanner prefixes them
// when configured to, and they mean "FNC1 in first position".
var gs1SymbologyIDs = []string{
	"]d2", // GS1 DataMatrix
	"]C1", // GS1-128
	"]Q3", // GS1 QR Code
	"]e0", // GS1 DataBar and composite
	"]J1", // GS1 DotCode
}

// SyntaxError reports input that cannot be split into AIs, with the byte offset in the
// input at which reading stopped.
type SyntaxError struct {
	Offset int // 0-based byte offset in the input
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("gs1: element string: position %d: %s", e.Offset+1, e.Msg)
}

// ElementString is the outcome of reading GS1 element strings.
type ElementString struct {
	// SymbologyID is the "]d2"-style prefix if the input had one.
	SymbologyID string
	Elements    []Element
	// Unchecked lists content checks the dictionary asks for that this package cannot
	// perform, as "AI (422): iso3166".
	Unchecked []string
}

// Get returns the value of the first occurrence of ai.
func (es *ElementString) Get(ai string) (string, bool) {
	for _, e := range es.Elements {
		if e.AI == ai {
			return e.Value, true
		}
	}
	return "", false
}

// ParseElementString reads GS1 element strings as delivered by a scanner or typed by a
// person, validates every AI against the Syntax Dictionary and applies the req=/ex= pair
// rules. Accepted forms:
//
//   - raw: "0109506000134352" GS "10ABC" ... with ASCII GS (0x1D) as FNC1 separator,
//     optionally prefixed by a symbology identifier (]d2, ]C1, ]Q3, ]e0, ]J1) or a
//     leading GS; "^" is accepted in place of GS (a common notation for FNC1);
//   - human-readable: "(01)09506000134352(17)261231(10)ABC(21)123", where a literal "("
//     in a value is written "\(".
func ParseElementString(s string) (*ElementString, error) {
	es := &ElementString{}
	var err error
	switch {
	case strings.HasPrefix(s, "("):
		es.Elements, err = parseBracketed(s)
	default:
		body := s
		for _, id := range gs1SymbologyIDs {
			if strings.HasPrefix(s, id) {
				es.SymbologyID = id
				body = s[len(id):]
				break
			}
		}
		if es.SymbologyID == "" && strings.HasPrefix(s, "]") {
			return nil, &SyntaxError{Offset: 0, Msg: fmt.Sprintf("symbology identifier %q does not announce GS1 data", prefix(s, 3))}
		}
		es.Elements, err = parseRaw(body, len(s)-len(body))
	}
	if err != nil {
		return nil, err
	}
	if len(es.Elements) == 0 {
		return nil, &SyntaxError{Offset: 0, Msg: "no AIs"}
	}
	for _, e := range es.Elements {
		unchecked, err := ValidateAI(e.AI, e.Value)
		if err != nil {
			return nil, err
		}
		for _, u := range unchecked {
			es.Unchecked = append(es.Unchecked, "AI ("+e.AI+"): "+u)
		}
	}
	if err := CheckPairs(es.Elements); err != nil {
		return nil, err
	}
	return es, nil
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// lookupAIAt finds the AI starting at s[0]: AIs are 2 to 4 digits and none is a prefix
// of another, so the first length that matches is the AI.
func lookupAIAt(s string) *AIDef {
	n := 0
	for l := 1; l <= 4 && l <= len(s); l++ {
		c := s[l-1]
		if c < '0' || c > '9' {
			return nil
		}
		n = n*10 + int(c-'0')
		if l >= 2 {
			if d := dict.byKey[(l-2)*10000+n]; d != nil {
				return d
			}
		}
	}
	return nil
}

func isFNC1(c byte) bool { return c == GS || c == '^' }

// parseRaw splits FNC1-separated element strings; base is the offset of s in the input,
// for error positions.
func parseRaw(s string, base int) ([]Element, error) {
	elems := make([]Element, 0, 4)
	i := 0
	// A leading FNC1 is how some scanners pass on "FNC1 in first position".
	if i < len(s) && isFNC1(s[i]) {
		i++
	}
	for i < len(s) {
		def := lookupAIAt(s[i:])
		if def == nil {
			return nil, &SyntaxError{Offset: base + i, Msg: unknownAIMsg(s[i:])}
		}
		start := i + len(def.AI)
		var end, next int
		if def.Predefined {
			end = start + def.MaxLen()
			if end > len(s) {
				return nil, &AIError{AI: def.AI, Pos: len(s) - start + 1, Msg: fmt.Sprintf("value too short: %d characters, exactly %d required", len(s)-start, def.MaxLen())}
			}
			next = end
			// An FNC1 after a predefined-length AI is redundant but harmless.
			if next < len(s) && isFNC1(s[next]) {
				next++
			}
		} else {
			end = start
			for end < len(s) && !isFNC1(s[end]) {
				end++
			}
			next = end
			if next < len(s) {
				// A trailing FNC1 is superfluous but harmless, as in the GS1 Syntax Engine.
				next++
			}
		}
		elems = append(elems, Element{AI: def.AI, Value: s[start:end]})
		i = next
	}
	return elems, nil
}

func unknownAIMsg(s string) string {
	if s != "" && isFNC1(s[0]) {
		return "empty field: two FNC1 separators in a row"
	}
	n := 0
	for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < 2 {
		return fmt.Sprintf("expected an AI (2 to 4 digits), found %q", prefix(s, 4))
	}
	return fmt.Sprintf("unknown AI %q", s[:n])
}

// parseBracketed reads "(01)...(10)..." with "\(" escaping a literal parenthesis.
func parseBracketed(s string) ([]Element, error) {
	var elems []Element
	i := 0
	for i < len(s) {
		if s[i] != '(' {
			return nil, &SyntaxError{Offset: i, Msg: "expected \"(\" to open an AI"}
		}
		close := strings.IndexByte(s[i:], ')')
		if close < 0 {
			return nil, &SyntaxError{Offset: i, Msg: "AI not closed by \")\""}
		}
		ai := s[i+1 : i+close]
		if len(ai) < 2 || len(ai) > 4 || firstNonDigit(ai) != 0 {
			return nil, &SyntaxError{Offset: i + 1, Msg: fmt.Sprintf("%q is not an AI", ai)}
		}
		if Lookup(ai) == nil {
			return nil, &SyntaxError{Offset: i + 1, Msg: fmt.Sprintf("unknown AI (%s)", ai)}
		}
		j := i + close + 1
		var v []byte
		for j < len(s) && s[j] != '(' {
			if s[j] == '\\' && j+1 < len(s) && s[j+1] == '(' {
				v = append(v, '(')
				j += 2
				continue
			}
			v = append(v, s[j])
			j++
		}
		elems = append(elems, Element{AI: ai, Value: string(v)})
		i = j
	}
	return elems, nil
}

// FormatOptions selects how FormatElementString renders.
type FormatOptions struct {
	// SymbologyID, e.g. "]d2", is put first; empty for none.
	SymbologyID string
	// Separator replaces GS between AIs (e.g. '^' for display); zero means GS.
	Separator byte
}

// FormatElementString renders AIs as a raw element string with FNC1 (GS) separators
// after every variable-length AI that is not last, after validating them. The AIs are
// written in the given order; putting the variable-length ones last saves separators.
func FormatElementString(elems []Element, opt FormatOptions) (string, error) {
	if err := validateElements(elems); err != nil {
		return "", err
	}
	sep := opt.Separator
	if sep == 0 {
		sep = GS
	}
	var b strings.Builder
	b.WriteString(opt.SymbologyID)
	for i, e := range elems {
		b.WriteString(e.AI)
		b.WriteString(e.Value)
		if i < len(elems)-1 && !Lookup(e.AI).Predefined {
			b.WriteByte(sep)
		}
	}
	return b.String(), nil
}

// FormatHRI renders AIs in the human-readable bracketed form "(01)...(21)...".
func FormatHRI(elems []Element) (string, error) {
	if err := validateElements(elems); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('(')
		b.WriteString(e.AI)
		b.WriteByte(')')
		b.WriteString(strings.ReplaceAll(e.Value, "(", "\\("))
	}
	return b.String(), nil
}

func validateElements(elems []Element) error {
	if len(elems) == 0 {
		return fmt.Errorf("gs1: no AIs to format")
	}
	for _, e := range elems {
		if _, err := ValidateAI(e.AI, e.Value); err != nil {
			return err
		}
	}
	return CheckPairs(elems)
}
