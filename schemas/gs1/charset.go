package gs1

import (
	"fmt"
	"strings"
)

// cset82 marks the 82 characters of GS1 AI encodable character set 82 (GS1 General
// Specifications figure 7.11-1): digits, letters and !"%&'()*+,-./:;<=>?_
var cset82 = func() (t [256]bool) {
	for _, c := range "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" {
		t[c] = true
	}
	return t
}()

// cset39 marks GS1 AI encodable character set 39: digits, upper-case letters and #-/
var cset39 = func() (t [256]bool) {
	for _, c := range "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		t[c] = true
	}
	return t
}()

// cset64 marks the file-safe/URI-safe base64 alphabet (GS1 character set 64) without '='
// padding, which is only allowed at the end and checked separately.
var cset64 = func() (t [256]bool) {
	for _, c := range "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" {
		t[c] = true
	}
	return t
}()

// urnEscaped lists the CSET 82 characters TDS requires to be %HH-escaped in an EPC URI
// (TDT urnEscapedSerial: %22 %25 %26 %2F %3C %3E %3F). Every other CSET 82 character
// appears as itself.
var urnEscaped = [256]bool{'"': true, '%': true, '&': true, '/': true, '<': true, '>': true, '?': true}

// checkCSet82 validates a 1..max character value of CSET 82.
func checkCSet82(s string, max int) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > max {
		return fmt.Errorf("%d characters, at most %d allowed", len(s), max)
	}
	for i := 0; i < len(s); i++ {
		if !cset82[s[i]] {
			return fmt.Errorf("character %q at position %d is not in GS1 character set 82", s[i], i+1)
		}
	}
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		// RFC 3986 makes percent-encoding hex case-insensitive; TDT patterns show upper case.
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeURN undoes TDS URN escaping. Only the seven characters TDS escapes may appear as
// %HH, and those seven may not appear raw; anything else is an error naming the position.
func decodeURN(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	needs := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			needs = true
			continue
		}
		if !cset82[c] || urnEscaped[c] {
			return "", fmt.Errorf("character %q at position %d is not allowed unescaped in an EPC URI", c, i+1)
		}
	}
	if !needs {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape at position %d", i+1)
		}
		h, ok1 := unhex(s[i+1])
		l, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("bad escape %q at position %d", s[i:i+3], i+1)
		}
		v := h<<4 | l
		if !urnEscaped[v] {
			return "", fmt.Errorf("escape %q at position %d: only %%22 %%25 %%26 %%2F %%3C %%3E %%3F are allowed", s[i:i+3], i+1)
		}
		out = append(out, v)
		i += 2
	}
	return string(out), nil
}

type byteWriter interface {
	WriteByte(byte) error
	WriteString(string) (int, error)
}

// appendURN writes s with TDS URN escaping; s must already be CSET 82.
func appendURN(b byteWriter, s string) {
	const hexdig = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if urnEscaped[c] {
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

// EscapeURN returns s with the TDS URN escaping applied (for serials, lots, extensions).
func EscapeURN(s string) string {
	var b strings.Builder
	appendURN(&b, s)
	return b.String()
}

// UnescapeURN reverses EscapeURN, rejecting escapes TDS does not define.
func UnescapeURN(s string) (string, error) { return decodeURN(s) }
