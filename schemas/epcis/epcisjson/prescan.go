package epcisjson

import (
	"bufio"
	"io"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// prescanContext reads the top-level "@context" of the document starting at offset start of
// rs, skipping everything else without keeping it, and adds its prefixes to into. It restores
// the read position. It reports whether a context was found; any problem (the main decoder
// will report syntax errors itself) just yields false.
func prescanContext(rs io.ReadSeeker, start int64, lim epcis.Limits, into nsContext) bool {
	cur, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return false
	}
	defer rs.Seek(cur, io.SeekStart) //nolint:errcheck // best effort; the decoder fails on a broken reader anyway
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return false
	}
	s := &skimmer{r: bufio.NewReaderSize(io.LimitReader(rs, lim.MaxTotalBytes), 64<<10)}
	if s.ws() != '{' {
		return false
	}
	s.r.ReadByte()
	for {
		c := s.ws()
		if c == '}' || c == 0 {
			return false
		}
		if c == ',' {
			s.r.ReadByte()
			continue
		}
		key, ok := s.key()
		if !ok || s.ws() != ':' {
			return false
		}
		s.r.ReadByte()
		if key != "@context" {
			if !s.skip(nil, lim.MaxTotalBytes) {
				return false
			}
			continue
		}
		var buf []byte
		if !s.skip(&buf, lim.MaxEventBytes) {
			return false
		}
		p := newParser(buf, lim.MaxDepth, -1, "@context")
		parseContext(p, into)
		return p.err == nil
	}
}

// skimmer skips JSON values byte by byte, assuming valid JSON.
type skimmer struct {
	r *bufio.Reader
}

// ws skips whitespace and returns the next byte without consuming it (0 at the end).
func (s *skimmer) ws() byte {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		s.r.UnreadByte()
		return c
	}
}

// key reads a string; escapes are kept undecoded (only "@context" matters).
func (s *skimmer) key() (string, bool) {
	var b []byte
	if !s.skip(&b, 1<<16) || len(b) < 2 || b[0] != '"' {
		return "", false
	}
	return string(b[1 : len(b)-1]), true
}

// skip consumes one value, appending its bytes to rec when rec is not nil, and fails beyond max
// bytes.
func (s *skimmer) skip(rec *[]byte, max int64) bool {
	depth := 0
	inStr, esc := false, false
	var n int64
	put := func(c byte) {
		if rec != nil {
			*rec = append(*rec, c)
		}
	}
	s.ws()
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return false
		}
		if n++; n > max {
			return false
		}
		if inStr {
			put(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
				if depth == 0 {
					return true
				}
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // end of a scalar at the end of its container
				s.r.UnreadByte()
				return true
			}
			depth--
			if depth == 0 {
				put(c)
				return true
			}
		case ',':
			if depth == 0 {
				s.r.UnreadByte()
				return true
			}
		case ' ', '\t', '\r', '\n':
			if depth == 0 { // end of a scalar
				return true
			}
		}
		put(c)
	}
}
