package gs1

import (
	"fmt"
	"strings"
)

// Element is one AI and its value, e.g. {AI: "17", Value: "261231"}.
type Element struct {
	AI    string `json:"ai"`
	Value string `json:"value"`
}

// AIError reports an AI whose value breaks the Syntax Dictionary rules, or an AI that is
// missing, unknown or badly combined with others.
type AIError struct {
	AI string
	// Pos is the 1-based position in the AI's value where the fault lies, or 0 when it
	// concerns the AI as a whole.
	Pos int
	Msg string
	// Relation marks faults in how the AI combines with others (req=, ex=, repeats),
	// worded as a sentence: "AI (21) requires AI (01)".
	Relation bool
}

func (e *AIError) Error() string {
	if e.Relation {
		return "AI (" + e.AI + ") " + e.Msg
	}
	return "AI (" + e.AI + "): " + e.Msg
}

// ValidateAI checks one AI value against its dictionary definition: lengths, character
// set and content (linters). It returns the linters that apply but that this package
// cannot check (e.g. "iso3166"), so callers can report them rather than assume them
// checked.
func ValidateAI(ai, value string) (unchecked []string, err error) {
	def := Lookup(ai)
	if def == nil {
		return nil, &AIError{AI: ai, Msg: "unknown AI"}
	}
	return def.Validate(value)
}

// Validate checks value against this AI's definition; see ValidateAI.
func (d *AIDef) Validate(value string) (unchecked []string, err error) {
	pos := 0
	for ci, c := range d.Components {
		rest := len(value) - pos
		if rest == 0 {
			if c.Optional {
				break
			}
			if pos == 0 {
				return nil, &AIError{AI: d.AI, Msg: "value is empty"}
			}
			return nil, &AIError{AI: d.AI, Pos: pos + 1, Msg: fmt.Sprintf("value too short: %d characters, at least %d required", len(value), d.MinLen())}
		}
		n := c.Max
		if c.Min == c.Max {
			if rest < n {
				if pos > 0 && len(value) >= d.MinLen() {
					// The value is long enough overall but ends inside a later component.
					return nil, &AIError{AI: d.AI, Pos: pos + 1, Msg: fmt.Sprintf("component %d is incomplete: %d of %d characters (value has %d)", ci+1, rest, n, len(value))}
				}
				return nil, &AIError{AI: d.AI, Pos: pos + 1, Msg: fmt.Sprintf("value too short: %d characters, %s", len(value), d.lengthRule())}
			}
		} else if rest < n {
			n = rest
		}
		part := value[pos : pos+n]
		if bad, msg := checkCharSet(c.CharSet, part); msg != "" {
			return nil, &AIError{AI: d.AI, Pos: pos + bad + 1, Msg: fmt.Sprintf("character %q at position %d %s", part[bad], pos+bad+1, msg)}
		}
		for _, name := range c.Linters {
			lint, ok := linters[name]
			if !ok {
				unchecked = append(unchecked, name)
				continue
			}
			if at, msg := lint(part); msg != "" {
				e := &AIError{AI: d.AI, Pos: pos + at + 1, Msg: msg}
				if len(d.Components) > 1 {
					// Say which part of a composite value is wrong (e.g. the time in 7003).
					e.Msg = fmt.Sprintf("component %d: %s", ci+1, msg)
				}
				return nil, e
			}
		}
		pos += n
	}
	if pos < len(value) {
		return nil, &AIError{AI: d.AI, Pos: pos + 1, Msg: fmt.Sprintf("value too long: %d characters, %s", len(value), d.lengthRule())}
	}
	return unchecked, nil
}

func (d *AIDef) lengthRule() string {
	min, max := d.MinLen(), d.MaxLen()
	if min == max {
		return fmt.Sprintf("exactly %d required", max)
	}
	return fmt.Sprintf("%d to %d allowed", min, max)
}

// checkCharSet returns the offset of the first character outside cs and why.
func checkCharSet(cs CharSet, s string) (int, string) {
	switch cs {
	case Numeric:
		if p := firstNonDigit(s); p != 0 {
			return p - 1, "is not a digit"
		}
	case CSet82:
		for i := 0; i < len(s); i++ {
			if !cset82[s[i]] {
				return i, "is not in GS1 character set 82"
			}
		}
	case CSet39:
		for i := 0; i < len(s); i++ {
			if !cset39[s[i]] {
				return i, "is not in GS1 character set 39"
			}
		}
	case CSet64:
		// Base64url with optional '=' padding, which may only end the value.
		end := len(s)
		for end > 0 && s[end-1] == '=' {
			end--
		}
		if len(s)-end > 2 {
			return end, "is too much '=' padding"
		}
		for i := 0; i < end; i++ {
			if !cset64[s[i]] {
				return i, "is not in GS1 character set 64"
			}
		}
	}
	return 0, ""
}

// CheckPairs applies the dictionary's req= and ex= rules to a set of AIs read from one
// item, and rejects the same AI appearing twice with different values.
func CheckPairs(elems []Element) error {
	for i, e := range elems {
		for _, o := range elems[:i] {
			if o.AI == e.AI && o.Value != e.Value {
				return &AIError{AI: e.AI, Relation: true, Msg: fmt.Sprintf("appears twice with different values %q and %q", o.Value, e.Value)}
			}
		}
	}
	has := func(pattern string) bool {
		for _, e := range elems {
			if matchAIPattern(pattern, e.AI) {
				return true
			}
		}
		return false
	}
	for _, e := range elems {
		def := Lookup(e.AI)
		if def == nil {
			continue
		}
		for _, pattern := range def.Ex {
			for _, o := range elems {
				// An AI is not exclusive of itself even if it matches a pattern.
				if o.AI != e.AI && matchAIPattern(pattern, o.AI) {
					return &AIError{AI: e.AI, Relation: true, Msg: fmt.Sprintf("must not be used together with AI (%s)", o.AI)}
				}
			}
		}
		for _, alts := range def.Req {
			ok := false
			for _, alt := range alts {
				all := true
				for _, p := range alt {
					if !has(p) {
						all = false
						break
					}
				}
				if all {
					ok = true
					break
				}
			}
			if !ok {
				return &AIError{AI: e.AI, Relation: true, Msg: "requires " + describeReq(alts)}
			}
		}
	}
	return nil
}

// describeReq renders a req= list for people: "AI (01)", "AI (01) or AI (02)",
// "AI (01) with AI (21)".
func describeReq(alts [][]string) string {
	var parts []string
	for _, alt := range alts {
		var ais []string
		for _, p := range alt {
			ais = append(ais, "AI ("+p+")")
		}
		parts = append(parts, strings.Join(ais, " with "))
	}
	return strings.Join(parts, " or ")
}
