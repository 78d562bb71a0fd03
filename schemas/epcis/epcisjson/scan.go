package epcisjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// parser walks one JSON value held in memory (an event, a header member). The bytes come from
// json.Decoder, so they are syntactically valid JSON; the parser still checks bounds so that a
// bug can never turn into a panic, and enforces the nesting limit and the EPCIS types.
//
// Iteration follows the bufio.Scanner style to stay allocation-free:
//
//	if p.open('{') { for p.more() { switch string(p.key) { ... } } }
//	if p.err != nil { ... }
//
// Errors are sticky; the first one names the field path being read.
type parser struct {
	b        []byte
	i        int
	maxDepth int
	event    int // event index for errors, -1 outside events
	base     string
	frames   []frame
	key      []byte // key of the current object member (valid until the next call to more)
	err      error
}

type frame struct {
	arr   bool
	first bool
	idx   int
	kb    []byte
}

func newParser(b []byte, maxDepth, event int, base string) *parser {
	return &parser{b: b, maxDepth: maxDepth, event: event, base: base}
}

func (p *parser) reset(b []byte, event int, base string) {
	p.b, p.i, p.event, p.base = b, 0, event, base
	p.frames = p.frames[:0]
	p.key = nil
	p.err = nil
}

// path renders the current position as "epcList[2]" or "sensorElementList[0].sensorReport[1].value".
func (p *parser) path() string {
	var b strings.Builder
	b.WriteString(p.base)
	for _, f := range p.frames {
		if f.arr {
			if !f.first {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
			continue
		}
		if f.first {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(f.kb)
	}
	return b.String()
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = &epcis.DecodeError{Event: p.event, Field: p.path(), Msg: fmt.Sprintf(format, args...)}
	}
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the first byte of the next value: '{', '[', '"', 't', 'f', 'n' or a number
// start; 0 at the end of input.
func (p *parser) peek() byte {
	p.ws()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

// kindName describes the JSON type starting with c, for messages.
func kindName(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "missing"
	}
	return "a number"
}

// open enters an object ('{') or array ('['). It fails, and returns false, when the next value
// is of another type or the nesting limit is reached.
func (p *parser) open(c byte) bool {
	if p.err != nil {
		return false
	}
	got := p.peek()
	if got != c {
		want := "an object"
		if c == '[' {
			want = "an array"
		}
		p.fail("must be %s, not %s", want, kindName(got))
		return false
	}
	if len(p.frames) >= p.maxDepth {
		p.fail("nesting deeper than %d levels", p.maxDepth)
		return false
	}
	p.i++
	p.frames = append(p.frames, frame{arr: c == '[', first: true, idx: -1})
	return true
}

// more advances to the next member or element of the innermost open container. For objects it
// reads the key into p.key and consumes the colon. At the end it leaves the container and
// returns false.
func (p *parser) more() bool {
	if p.err != nil || len(p.frames) == 0 {
		return false
	}
	f := &p.frames[len(p.frames)-1]
	c := p.peek()
	closer := byte('}')
	if f.arr {
		closer = ']'
	}
	if c == closer {
		p.i++
		p.frames = p.frames[:len(p.frames)-1]
		return false
	}
	if !f.first {
		if c != ',' {
			p.fail("malformed JSON")
			return false
		}
		p.i++
	}
	f.first = false
	f.idx++
	if f.arr {
		return true
	}
	if p.peek() != '"' {
		p.fail("malformed JSON")
		return false
	}
	k, ok := p.rawString()
	if !ok {
		return false
	}
	f.kb = k
	p.key = k
	if p.peek() != ':' {
		p.fail("malformed JSON")
		return false
	}
	p.i++
	return true
}

// rawString reads a string and returns its content: a sub-slice of the input when it has no
// escapes and is valid UTF-8, else a decoded copy.
func (p *parser) rawString() ([]byte, bool) {
	start := p.i + 1
	slow := false
	j := start
	for ; j < len(p.b); j++ {
		c := p.b[j]
		if c == '"' {
			break
		}
		if c == '\\' {
			slow = true
			j++
		} else if c >= utf8.RuneSelf {
			slow = true
		}
	}
	if j >= len(p.b) {
		p.fail("unterminated string")
		return nil, false
	}
	p.i = j + 1
	s := p.b[start:j]
	if !slow || (utf8.Valid(s) && !containsByte(s, '\\')) {
		return s, true
	}
	var out string
	if err := json.Unmarshal(p.b[start-1:j+1], &out); err != nil {
		p.fail("malformed string: %v", err)
		return nil, false
	}
	return []byte(out), true
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// str reads a string value.
func (p *parser) str() (string, bool) {
	if p.err != nil {
		return "", false
	}
	if c := p.peek(); c != '"' {
		p.fail("must be a string, not %s", kindName(c))
		p.skip()
		return "", false
	}
	b, ok := p.rawString()
	if !ok {
		return "", false
	}
	return string(b), true
}

// number reads a number and returns its literal text.
func (p *parser) number() (string, bool) {
	if p.err != nil {
		return "", false
	}
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		p.fail("must be a number, not %s", kindName(c))
		p.skip()
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			p.i++
			continue
		}
		break
	}
	return string(p.b[start:p.i]), true
}

// float reads a number as float64.
func (p *parser) float() (float64, bool) {
	s, ok := p.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.fail("number %s out of range", s)
		return 0, false
	}
	return f, true
}

// boolean reads true or false.
func (p *parser) boolean() (bool, bool) {
	if p.err != nil {
		return false, false
	}
	switch p.peek() {
	case 't':
		p.i += len("true")
		return true, true
	case 'f':
		p.i += len("false")
		return false, true
	}
	p.fail("must be a boolean, not %s", kindName(p.peek()))
	p.skip()
	return false, false
}

// null consumes a null if one is next.
func (p *parser) null() bool {
	if p.peek() == 'n' {
		p.i += len("null")
		return true
	}
	return false
}

// skip consumes one value of any type, enforcing the nesting limit.
func (p *parser) skip() {
	if p.err != nil {
		return
	}
	switch c := p.peek(); c {
	case '{', '[':
		if !p.open(c) {
			return
		}
		for p.more() {
			p.skip()
		}
	case '"':
		p.rawString()
	case 't':
		p.i += len("true")
	case 'f':
		p.i += len("false")
	case 'n':
		p.i += len("null")
	case 0:
		p.fail("unexpected end of value")
	default:
		p.number()
	}
}

// strList reads an array of strings (or, with single, also one bare string). An empty array
// gives nil unless keepEmpty (an empty epcList can matter: it makes an ObjectEvent valid).
func (p *parser) strList(single, keepEmpty bool, check func(string) string) []string {
	if single && p.peek() == '"' {
		s, _ := p.str()
		if msg := check(s); msg != "" {
			p.fail("%s", msg)
		}
		return []string{s}
	}
	var out []string
	if keepEmpty {
		out = []string{}
	}
	if !p.open('[') {
		p.skip()
		return nil
	}
	for p.more() {
		s, ok := p.str()
		if !ok {
			break
		}
		if msg := check(s); msg != "" {
			p.fail("%s", msg)
			break
		}
		out = append(out, s)
	}
	return out
}
