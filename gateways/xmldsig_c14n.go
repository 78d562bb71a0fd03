package gateways

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a streaming Exclusive XML Canonicalization 1.0 (without comments, empty
// InclusiveNamespaces prefix list) of a whole document held in memory, written straight into
// the digest. It exists for speed: goxmldsig canonicalises an etree of the document, which
// for a 100,000-pack DSCSA file (13 MB, 300k elements) costs a second and half a gigabyte of
// allocations; this pass reads the bytes once and allocates next to nothing.
//
// It takes the documents the hub builds: UTF-8, no DOCTYPE (so no entities beyond the five
// predefined ones), no processing instructions. Anything else is refused with an error rather
// than canonicalised approximately, since a wrong canonical form would only show up as a
// signature the partner cannot verify. The tests compare it with `xmllint --exc-c14n`.

// nsXML is the namespace of the xml: prefix, bound in every document.
const nsXML = "http://www.w3.org/XML/1998/namespace"

// binding is one namespace declaration in force (or rendered in the output).
type binding struct{ prefix, uri string }

// c14nAttr is an attribute of the element being canonicalised.
type c14nAttr struct {
	qname, prefix, local, uri string
	value                     []byte // decoded (references expanded, whitespace normalised)
}

// c14nFrame is an open element.
type c14nFrame struct {
	name     []byte
	scope    int // len(c.scope) before the element's declarations
	rendered int // len(c.rendered) before the element's output declarations
}

type c14n struct {
	doc      []byte
	i        int
	w        *bufio.Writer
	scope    []binding // declarations in force, innermost last
	rendered []binding // declarations written by output ancestors, innermost last
	stack    []c14nFrame
	attrs    []c14nAttr
	decls    []binding
	val      []byte // scratch for decoded attribute values
}

// canonicalizeExclusive writes the exclusive canonical form of doc to w and returns the
// offset of the root element's end tag ("</..."), where an enveloped signature goes.
func canonicalizeExclusive(w *bufio.Writer, doc []byte) (rootEnd int, err error) {
	c := &c14n{doc: doc, w: w}
	rootEnd, err = c.document()
	if err != nil {
		return 0, fmt.Errorf("canonicalize: at byte %d: %w", c.i, err)
	}
	return rootEnd, w.Flush()
}

func (c *c14n) document() (int, error) {
	c.i = 0
	if bytes.HasPrefix(c.doc, []byte("\xef\xbb\xbf")) {
		c.i = 3
	}
	if bytes.HasPrefix(c.doc[c.i:], []byte("<?xml")) && len(c.doc) > c.i+5 && isSpace(c.doc[c.i+5]) {
		end := bytes.Index(c.doc[c.i:], []byte("?>"))
		if end < 0 {
			return 0, errors.New("unterminated XML declaration")
		}
		decl := string(c.doc[c.i : c.i+end])
		if k := strings.Index(decl, "encoding"); k >= 0 {
			enc := strings.ToUpper(decl[k:])
			if !strings.Contains(enc, "UTF-8") && !strings.Contains(enc, "UTF8") {
				return 0, errors.New("only UTF-8 documents are supported")
			}
		}
		c.i += end + 2
	}
	if err := c.misc(); err != nil {
		return 0, err
	}
	if c.i >= len(c.doc) || c.doc[c.i] != '<' {
		return 0, errors.New("no root element")
	}
	rootEnd, err := c.content()
	if err != nil {
		return 0, err
	}
	if err := c.misc(); err != nil {
		return 0, err
	}
	if c.i != len(c.doc) {
		return 0, errors.New("content after the root element")
	}
	return rootEnd, nil
}

// misc skips what may stand before or after the root element: white space and comments.
func (c *c14n) misc() error {
	for c.i < len(c.doc) {
		switch {
		case isSpace(c.doc[c.i]):
			c.i++
		case bytes.HasPrefix(c.doc[c.i:], []byte("<!--")):
			if err := c.skipComment(); err != nil {
				return err
			}
		case bytes.HasPrefix(c.doc[c.i:], []byte("<!DOCTYPE")):
			return errors.New("DOCTYPE is not supported")
		case bytes.HasPrefix(c.doc[c.i:], []byte("<?")):
			return errors.New("processing instructions are not supported")
		default:
			return nil
		}
	}
	return nil
}

func (c *c14n) skipComment() error {
	end := bytes.Index(c.doc[c.i+4:], []byte("-->"))
	if end < 0 {
		return errors.New("unterminated comment")
	}
	c.i += 4 + end + 3
	return nil
}

// content canonicalises the root element and everything in it.
func (c *c14n) content() (int, error) {
	for {
		if c.i >= len(c.doc) {
			return 0, errors.New("unexpected end of document")
		}
		if c.doc[c.i] != '<' {
			if err := c.text(); err != nil {
				return 0, err
			}
			continue
		}
		rest := c.doc[c.i:]
		switch {
		case len(rest) > 1 && rest[1] == '/':
			at := c.i
			if err := c.endTag(); err != nil {
				return 0, err
			}
			if len(c.stack) == 0 {
				return at, nil
			}
		case bytes.HasPrefix(rest, []byte("<!--")):
			if err := c.skipComment(); err != nil {
				return 0, err
			}
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest[9:], []byte("]]>"))
			if end < 0 {
				return 0, errors.New("unterminated CDATA section")
			}
			c.escapeText(rest[9 : 9+end])
			c.i += 9 + end + 3
		case len(rest) > 1 && (rest[1] == '?' || rest[1] == '!'):
			return 0, errors.New("processing instructions and declarations inside the document are not supported")
		default:
			empty, err := c.startTag()
			if err != nil {
				return 0, err
			}
			if empty && len(c.stack) == 0 {
				return 0, errors.New("an empty root element cannot hold an enveloped signature")
			}
		}
	}
}

// text canonicalises character data up to the next markup.
func (c *c14n) text() error {
	if len(c.stack) == 0 {
		return errors.New("text outside the root element")
	}
	start := c.i
	for c.i < len(c.doc) && c.doc[c.i] != '<' {
		c.i++
	}
	raw := c.doc[start:c.i]
	for len(raw) > 0 {
		k := bytes.IndexByte(raw, '&')
		if k < 0 {
			c.escapeText(raw)
			return nil
		}
		c.escapeText(raw[:k])
		r, n, err := reference(raw[k:])
		if err != nil {
			return err
		}
		escapeRef(c.w, r)
		raw = raw[k+n:]
	}
	return nil
}

// escapeText writes character data: line ends normalised (CR LF and CR to LF) as a parser
// does, then &, <, > and a CR from a character reference escaped.
func (c *c14n) escapeText(s []byte) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "\n"
			if i+1 < len(s) && s[i+1] == '\n' {
				esc = ""
			}
		default:
			continue
		}
		c.w.Write(s[last:i])
		c.w.WriteString(esc)
		last = i + 1
	}
	c.w.Write(s[last:])
}

// escapeRef writes a character given by a reference in text (a CR stays a CR, escaped).
func escapeRef(w *bufio.Writer, r rune) {
	switch r {
	case '&':
		w.WriteString("&amp;")
	case '<':
		w.WriteString("&lt;")
	case '>':
		w.WriteString("&gt;")
	case '\r':
		w.WriteString("&#xD;")
	default:
		w.WriteRune(r)
	}
}

// reference decodes the entity or character reference at the start of s.
func reference(s []byte) (rune, int, error) {
	end := bytes.IndexByte(s, ';')
	if end < 0 || end > 12 {
		return 0, 0, errors.New("malformed reference")
	}
	name := string(s[1:end])
	switch name {
	case "lt":
		return '<', end + 1, nil
	case "gt":
		return '>', end + 1, nil
	case "amp":
		return '&', end + 1, nil
	case "quot":
		return '"', end + 1, nil
	case "apos":
		return '\'', end + 1, nil
	}
	if !strings.HasPrefix(name, "#") {
		return 0, 0, fmt.Errorf("undeclared entity &%s;", name)
	}
	var n uint64
	var err error
	if strings.HasPrefix(name, "#x") {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || !validChar(rune(n)) {
		return 0, 0, fmt.Errorf("bad character reference &%s;", name)
	}
	return rune(n), end + 1, nil
}

func validChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isNameEnd(b byte) bool { return isSpace(b) || b == '/' || b == '>' || b == '=' }

func (c *c14n) skipSpace() {
	for c.i < len(c.doc) && isSpace(c.doc[c.i]) {
		c.i++
	}
}

func (c *c14n) name() ([]byte, error) {
	start := c.i
	for c.i < len(c.doc) && !isNameEnd(c.doc[c.i]) {
		c.i++
	}
	if c.i == start || c.i >= len(c.doc) {
		return nil, errors.New("malformed tag")
	}
	return c.doc[start:c.i], nil
}

// startTag reads a start tag, writes its canonical form (and the end tag of an empty
// element) and reports whether the element was empty.
func (c *c14n) startTag() (bool, error) {
	c.i++ // <
	name, err := c.name()
	if err != nil {
		return false, err
	}
	frame := c14nFrame{name: name, scope: len(c.scope), rendered: len(c.rendered)}
	c.attrs, c.val = c.attrs[:0], c.val[:0]
	empty := false
	for {
		c.skipSpace()
		if c.i >= len(c.doc) {
			return false, errors.New("unterminated start tag")
		}
		if c.doc[c.i] == '>' {
			c.i++
			break
		}
		if c.doc[c.i] == '/' {
			if c.i+1 >= len(c.doc) || c.doc[c.i+1] != '>' {
				return false, errors.New("malformed empty-element tag")
			}
			c.i += 2
			empty = true
			break
		}
		an, err := c.name()
		if err != nil {
			return false, err
		}
		c.skipSpace()
		if c.i >= len(c.doc) || c.doc[c.i] != '=' {
			return false, fmt.Errorf("attribute %s without a value", an)
		}
		c.i++
		c.skipSpace()
		if c.i >= len(c.doc) || (c.doc[c.i] != '"' && c.doc[c.i] != '\'') {
			return false, fmt.Errorf("attribute %s: value not quoted", an)
		}
		q := c.doc[c.i]
		end := bytes.IndexByte(c.doc[c.i+1:], q)
		if end < 0 {
			return false, fmt.Errorf("attribute %s: unterminated value", an)
		}
		start := len(c.val)
		c.val, err = attrValue(c.val, c.doc[c.i+1:c.i+1+end])
		if err != nil {
			return false, fmt.Errorf("attribute %s: %w", an, err)
		}
		c.i += end + 2
		qn := string(an)
		a := c14nAttr{qname: qn, local: qn, value: c.val[start:len(c.val):len(c.val)]}
		if p, l, ok := strings.Cut(qn, ":"); ok {
			a.prefix, a.local = p, l
		}
		switch {
		case qn == "xmlns":
			c.scope = append(c.scope, binding{"", string(a.value)})
			continue
		case a.prefix == "xmlns":
			if len(a.value) == 0 {
				return false, fmt.Errorf("%s: undeclaring a prefix is not XML 1.0", qn)
			}
			c.scope = append(c.scope, binding{a.local, string(a.value)})
			continue
		}
		c.attrs = append(c.attrs, a)
	}
	c.stack = append(c.stack, frame)

	// Namespaces visibly utilised by the element and its attributes, written where the
	// output ancestors have not already written the same binding.
	c.decls = c.decls[:0]
	prefix := ""
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		// The string of the declaration in scope: no allocation per element.
		for j := len(c.scope) - 1; j >= 0; j-- {
			if c.scope[j].prefix == string(name[:k]) {
				prefix = c.scope[j].prefix
				break
			}
		}
		if prefix == "" {
			return false, fmt.Errorf("element %s: prefix not declared", name)
		}
	}
	if err := c.utilise(prefix, frame.rendered); err != nil {
		return false, err
	}
	for k := range c.attrs {
		a := &c.attrs[k]
		switch a.prefix {
		case "":
		case "xml":
			a.uri = nsXML
		default:
			uri, ok := c.lookup(a.prefix)
			if !ok {
				return false, fmt.Errorf("attribute %s: prefix not declared", a.qname)
			}
			a.uri = uri
			if err := c.utilise(a.prefix, frame.rendered); err != nil {
				return false, err
			}
		}
	}
	slices.SortFunc(c.decls, func(a, b binding) int { return strings.Compare(a.prefix, b.prefix) })
	slices.SortFunc(c.attrs, func(a, b c14nAttr) int {
		if n := strings.Compare(a.uri, b.uri); n != 0 {
			return n
		}
		return strings.Compare(a.local, b.local)
	})

	c.w.WriteByte('<')
	c.w.Write(name)
	for _, d := range c.decls {
		if d.prefix == "" {
			c.w.WriteString(` xmlns="`)
		} else {
			c.w.WriteString(` xmlns:`)
			c.w.WriteString(d.prefix)
			c.w.WriteString(`="`)
		}
		escapeAttr(c.w, []byte(d.uri))
		c.w.WriteByte('"')
	}
	c.rendered = append(c.rendered, c.decls...)
	for _, a := range c.attrs {
		c.w.WriteByte(' ')
		c.w.WriteString(a.qname)
		c.w.WriteString(`="`)
		escapeAttr(c.w, a.value)
		c.w.WriteByte('"')
	}
	c.w.WriteByte('>')
	if empty {
		c.close()
	}
	return empty, nil
}

// utilise records that the element uses prefix ("" for the default namespace) and queues its
// declaration unless an output ancestor (or this element) already wrote the same binding.
func (c *c14n) utilise(prefix string, rendered int) error {
	if prefix == "xml" {
		return nil
	}
	uri, ok := c.lookup(prefix)
	if !ok && prefix != "" {
		return fmt.Errorf("prefix %s not declared", prefix)
	}
	for _, d := range c.decls {
		if d.prefix == prefix {
			return nil
		}
	}
	have := "" // the default namespace is empty until declared
	found := prefix == ""
	for k := rendered - 1; k >= 0; k-- {
		if c.rendered[k].prefix == prefix {
			have, found = c.rendered[k].uri, true
			break
		}
	}
	if !found || have != uri {
		c.decls = append(c.decls, binding{prefix, uri})
	}
	return nil
}

// lookup finds the namespace bound to prefix where the parser stands.
func (c *c14n) lookup(prefix string) (string, bool) {
	for k := len(c.scope) - 1; k >= 0; k-- {
		if c.scope[k].prefix == prefix {
			return c.scope[k].uri, true
		}
	}
	return "", false
}

// endTag reads an end tag, checks it closes the open element and writes it.
func (c *c14n) endTag() error {
	c.i += 2
	name, err := c.name()
	if err != nil {
		return err
	}
	c.skipSpace()
	if c.i >= len(c.doc) || c.doc[c.i] != '>' {
		return errors.New("malformed end tag")
	}
	c.i++
	if len(c.stack) == 0 || !bytes.Equal(c.stack[len(c.stack)-1].name, name) {
		return fmt.Errorf("end tag %s does not match", name)
	}
	c.close()
	return nil
}

// close writes the end tag of the innermost open element and leaves its scope.
func (c *c14n) close() {
	f := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	c.w.WriteString("</")
	c.w.Write(f.name)
	c.w.WriteByte('>')
	c.scope = c.scope[:f.scope]
	c.rendered = c.rendered[:f.rendered]
}

// attrValue appends the normalised value of a raw attribute value to dst: references
// expanded, literal white space (TAB, LF, CR, CR LF) as one space each.
func attrValue(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; b {
		case '<':
			return dst, errors.New("'<' in an attribute value")
		case '\t', '\n':
			dst = append(dst, ' ')
		case '\r':
			dst = append(dst, ' ')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			r, n, err := reference(raw[i:])
			if err != nil {
				return dst, err
			}
			dst = utf8.AppendRune(dst, r)
			i += n - 1
		default:
			dst = append(dst, b)
		}
	}
	return dst, nil
}

// escapeAttr writes an attribute value in canonical form.
func escapeAttr(w *bufio.Writer, s []byte) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		w.Write(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.Write(s[last:])
}
