package epcisxml

import (
	"bufio"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// xw writes XML by hand: encoding/xml's Encoder cannot keep document prefixes (it invents
// its own) and is several times slower than appending bytes.
type xw struct {
	w      *bufio.Writer
	indent string
	depth  int
	// scope is the stack of namespace bindings in force; the first entries are the root's.
	scope []binding
	gen   int // counter for invented prefixes
}

func (x *xw) nl() {
	if x.indent == "" {
		return
	}
	x.w.WriteByte('\n')
	for i := 0; i < x.depth; i++ {
		x.w.WriteString(x.indent)
	}
}

// open writes "<name" on a new line; follow with attrs and then gt or selfClose.
func (x *xw) open(name string) {
	x.nl()
	x.w.WriteByte('<')
	x.w.WriteString(name)
}

func (x *xw) attr(name, val string) {
	x.w.WriteByte(' ')
	x.w.WriteString(name)
	x.w.WriteString(`="`)
	escape(x.w, val, true)
	x.w.WriteByte('"')
}

func (x *xw) gt() {
	x.w.WriteByte('>')
	x.depth++
}

func (x *xw) selfClose() { x.w.WriteString("/>") }

func (x *xw) start(name string) {
	x.open(name)
	x.gt()
}

func (x *xw) end(name string) {
	x.depth--
	x.nl()
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

// leaf writes <name>text</name>.
func (x *xw) leaf(name, text string) {
	x.open(name)
	x.w.WriteByte('>')
	escape(x.w, text, false)
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

func (x *xw) leafIf(name, text string) {
	if text != "" {
		x.leaf(name, text)
	}
}

// escape writes s as XML character data or attribute value. Characters XML cannot carry
// (most controls, invalid UTF-8) become U+FFFD, as encoding/xml does.
func escape(w *bufio.Writer, s string, inAttr bool) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		if c < utf8.RuneSelf {
			switch c {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '"':
				if inAttr {
					esc = "&quot;"
				}
			case '\r':
				esc = "&#xD;"
			case '\n':
				if inAttr {
					esc = "&#xA;"
				}
			case '\t':
				if inAttr {
					esc = "&#x9;"
				}
			default:
				if c < 0x20 {
					esc = "\uFFFD"
				}
			}
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			width = n
			if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
				esc = "\uFFFD"
			}
		}
		if esc != "" {
			w.WriteString(s[last:i])
			w.WriteString(esc)
			last = i + width
		}
		i += width
	}
	w.WriteString(s[last:])
}

// --- namespaces ---

func (x *xw) push(prefix, uri string) { x.scope = append(x.scope, binding{prefix, uri}) }

// lookup returns the URI bound to prefix in scope.
func (x *xw) lookup(prefix string) (string, bool) {
	for i := len(x.scope) - 1; i >= 0; i-- {
		if x.scope[i].prefix == prefix {
			return x.scope[i].uri, true
		}
	}
	return "", false
}

// prefixFor finds a prefix in scope bound to uri, preferring want. Attributes cannot use
// the default namespace (allowDefault=false).
func (x *xw) prefixFor(uri, want string, allowDefault bool) (string, bool) {
	if u, ok := x.lookup(want); ok && u == uri && (want != "" || allowDefault) {
		return want, true
	}
	for i := len(x.scope) - 1; i >= 0; i-- {
		b := x.scope[i]
		if b.uri != uri || (b.prefix == "" && !allowDefault) {
			continue
		}
		if u, _ := x.lookup(b.prefix); u == uri { // not shadowed
			return b.prefix, true
		}
	}
	return "", false
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// element writes a generic element tree, declaring the namespaces that are not in scope.
func (x *xw) element(el *epcis.Element) {
	mark := len(x.scope)
	type decl struct{ prefix, uri string }
	var decls []decl
	declare := func(prefix, uri string) {
		decls = append(decls, decl{prefix, uri})
		x.push(prefix, uri)
	}
	var tag string
	if el.Name.Space == "" {
		if u, _ := x.lookup(""); u != "" {
			declare("", "")
		}
		tag = el.Name.Local
	} else {
		// Keep the element's own prefix, declaring it here when the scope binds it
		// differently, so that a decoded document looks the same when re-encoded.
		p := el.Name.Prefix
		if u, ok := x.lookup(p); !ok || u != el.Name.Space {
			declare(p, el.Name.Space)
		}
		tag = qname(p, el.Name.Local)
	}
	type pa struct{ name, val string }
	attrs := make([]pa, 0, len(el.Attrs))
	for _, a := range el.Attrs {
		if a.Name.Space == "" {
			attrs = append(attrs, pa{a.Name.Local, a.Value})
			continue
		}
		p, ok := x.prefixFor(a.Name.Space, a.Name.Prefix, false)
		if !ok {
			p = a.Name.Prefix
			if u, bound := x.lookup(p); bound && u != a.Name.Space && strings.HasPrefix(tag, p+":") {
				p = "" // the element's own prefix means something else
			}
			if a.Name.Space == "http://www.w3.org/XML/1998/namespace" {
				p = "xml"
			} else {
				for _, d := range decls {
					if d.prefix == p && d.uri != a.Name.Space {
						p = ""
					}
				}
				if p == "" {
					x.gen++
					p = "ns" + strconv.Itoa(x.gen)
				}
				declare(p, a.Name.Space)
			}
		}
		attrs = append(attrs, pa{qname(p, a.Name.Local), a.Value})
	}
	x.open(tag)
	for _, d := range decls {
		if d.prefix == "" {
			x.attr("xmlns", d.uri)
		} else {
			x.attr("xmlns:"+d.prefix, d.uri)
		}
	}
	for _, a := range attrs {
		x.attr(a.name, a.val)
	}
	switch {
	case len(el.Children) == 0 && el.Text == "":
		x.selfClose()
	case len(el.Children) == 0:
		x.w.WriteByte('>')
		escape(x.w, el.Text, false)
		x.w.WriteString("</")
		x.w.WriteString(tag)
		x.w.WriteByte('>')
	default:
		x.gt()
		if el.Text != "" {
			x.nl()
			escape(x.w, el.Text, false)
		}
		for i := range el.Children {
			x.element(&el.Children[i])
		}
		x.end(tag)
	}
	x.scope = x.scope[:mark]
}
