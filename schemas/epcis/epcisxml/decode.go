package epcisxml

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// Namespaces of the EPCIS document kinds besides plain capture documents.
const (
	nsQuery12      = "urn:epcglobal:epcis-query:xsd:1"
	nsQuery20      = "urn:epcglobal:epcis-query:xsd:2"
	nsMasterData12 = "urn:epcglobal:epcis-masterdata:xsd:1"
	nsMasterData20 = "urn:epcglobal:epcis-masterdata:xsd:2"
	nsXSI          = "http://www.w3.org/2001/XMLSchema-instance"
	nsXMLNS        = "xmlns"
)

// bufSize is the read-ahead of the decoder. The byte limits are enforced on the underlying
// reader, which runs at most this far ahead of the parser.
const bufSize = 64 << 10

// Decoder streams the events of one EPCIS 1.2 or 2.0 XML document. It implements
// epcis.Decoder. It is not safe for concurrent use.
type Decoder struct {
	lim      epcis.Limits
	anyOrder bool // see AnyOrder
	cr       *countReader
	br       *bufio.Reader
	x        *xml.Decoder

	// ns is the stack of namespace bindings in scope; marks[i] is len(ns) before the
	// bindings of the i-th open element.
	ns    []binding
	marks []int
	depth int
	open  []xml.Name // raw names of the open elements, to match end tags

	prefix     string   // prefix of the start element tok returned last
	attrPrefix []string // prefixes of its attributes

	version epcis.Version
	doc     *epcis.Document
	docRead bool
	charset string // an encoding the document declared and the decoder cannot read
	latin1  bool   // the parser reads through a latin1Reader, not br (no fast path)

	// What the identifier fast path (fastEPC) read past the parser: the parser's own
	// offset and line count do not include it.
	skipped      int64
	skippedLines int
	err          error // sticky: once the document is broken, every call returns this

	state     int
	index     int // index of the next event
	bare      *xml.StartElement
	listDepth int // depth of the EventList element
	rootDepth int
	curEvent  int // index of the event being read, -1 outside events
}

type binding struct{ prefix, uri string }

const (
	stStart = iota
	stEvents
	stTail
	stDone
)

// NewDecoder returns a decoder reading r within lim (zero fields take epcis.DefaultLimits).
// Nothing is read until Document or Next is called.
func NewDecoder(r io.Reader, lim epcis.Limits, opts ...DecoderOption) *Decoder {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = epcis.DefaultLimits.MaxDepth
	}
	if lim.MaxEventBytes <= 0 {
		lim.MaxEventBytes = epcis.DefaultLimits.MaxEventBytes
	}
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = epcis.DefaultLimits.MaxTotalBytes
	}
	cr := &countReader{r: r, total: lim.MaxTotalBytes,
		what: fmt.Sprintf("event or header element larger than MaxEventBytes (%d bytes)", lim.MaxEventBytes)}
	br := bufio.NewReaderSize(cr, bufSize)
	x := xml.NewDecoder(br)
	x.Strict = true
	d := &Decoder{lim: lim, cr: cr, br: br, x: x, curEvent: -1}
	for _, o := range opts {
		o(d)
	}
	x.CharsetReader = d.charsetReader
	d.setBudget(0)
	return d
}

var _ epcis.Decoder = (*Decoder)(nil)

// DecoderOption changes how a Decoder reads.
type DecoderOption func(*Decoder)

// AnyOrder accepts the fields of an event in any order. Intake stays strict (the XSDs fix the
// order, and a document out of order is malformed); hashing must not depend on order, and the
// event-hash vectors shuffle fields on purpose to prove it.
func AnyOrder() DecoderOption { return func(d *Decoder) { d.anyOrder = true } }

// Version returns the EPCIS version detected from the root element; it is empty before
// Document or Next has read the root.
func (d *Decoder) Version() epcis.Version { return d.version }

// Document reads and returns everything before the first event: the root's attributes and
// namespaces, the SBDH and master data. Master-data documents are read completely.
func (d *Decoder) Document() (*epcis.Document, error) {
	if d.docRead {
		// Still valid when a later event turned out broken.
		return d.doc, nil
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := d.readPrologue(); err != nil {
		d.err = err
		return nil, err
	}
	d.docRead = true
	return d.doc, nil
}

// Next returns the next event, or io.EOF after the last one (having checked that the rest
// of the document is well-formed).
func (d *Decoder) Next() (*epcis.Event, error) {
	if d.err != nil {
		return nil, d.err
	}
	if _, err := d.Document(); err != nil {
		return nil, err
	}
	ev, err := d.next()
	if err != nil && err != io.EOF {
		d.err = err
	}
	return ev, err
}

// --- errors ---

func (d *Decoder) line() int {
	l, _ := d.x.InputPos()
	return l + d.skippedLines
}

// offset returns how many bytes of the document have been read, by the parser and by the
// fast path.
func (d *Decoder) offset() int64 { return d.x.InputOffset() + d.skipped }

// fail builds a DecodeError at the current position.
func (d *Decoder) fail(field, format string, args ...any) error {
	return &epcis.DecodeError{Event: d.curEvent, Line: d.line(), Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) failAt(line int, field, format string, args ...any) error {
	return &epcis.DecodeError{Event: d.curEvent, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// errLimit is returned by countReader when a byte limit is reached.
type errLimit struct{ what string }

func (e *errLimit) Error() string { return e.what }

// --- reading ---

// countReader counts bytes and refuses to read past the total limit or the current budget
// (the end of the event or header being read), so that one oversized token cannot make the
// XML parser buffer it whole.
type countReader struct {
	r      io.Reader
	n      int64
	total  int64
	budget int64 // absolute offset not to read past; 0 = no budget
	what   string
	err    error // the underlying reader's failure, if any
}

func (c *countReader) Read(p []byte) (int, error) {
	lim := c.total
	if c.budget > 0 && c.budget < lim {
		lim = c.budget
	}
	if c.n >= lim {
		if lim == c.total {
			return 0, &errLimit{fmt.Sprintf("document larger than MaxTotalBytes (%d bytes)", c.total)}
		}
		return 0, &errLimit{c.what}
	}
	if int64(len(p)) > lim-c.n {
		p = p[:lim-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// setBudget lets the parser read MaxEventBytes beyond off (plus the read-ahead): an event,
// and outside events any one element, must fit in MaxEventBytes.
func (d *Decoder) setBudget(off int64) {
	d.cr.budget = off + d.lim.MaxEventBytes + bufSize
}

func (d *Decoder) charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return r, nil // a subset of UTF-8
	case "iso-8859-1", "latin1", "latin-1", "iso_8859-1":
		d.latin1 = true
		return &latin1Reader{r: bufio.NewReader(r)}, nil
	}
	d.charset = label
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// latin1Reader converts ISO-8859-1 to UTF-8.
type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.buf) == 0 {
		var tmp [512]byte
		n, err := l.r.Read(tmp[:])
		if n == 0 {
			return 0, err
		}
		for _, c := range tmp[:n] {
			if c < 0x80 {
				l.buf = append(l.buf, c)
			} else {
				l.buf = append(l.buf, 0xC0|c>>6, 0x80|c&0x3F)
			}
		}
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// tok returns the next token, keeping the namespace stack and depth, refusing DTDs and
// turning parser errors into DecodeErrors.
//
// It reads with RawToken and resolves namespaces itself: that keeps the prefixes the
// document used (Token discards them) and costs less than Token's map-based bookkeeping.
// The prefixes of the start element just returned are left in d.prefix and d.attrPrefix
// for element to pick up before the next call.
func (d *Decoder) tok() (xml.Token, error) {
	t, err := d.x.RawToken()
	if err != nil {
		if err == io.EOF && d.depth > 0 {
			return nil, d.fail("", "unexpected end of document (%d elements still open)", d.depth)
		}
		return nil, d.wrapErr(err)
	}
	switch t := t.(type) {
	case xml.StartElement:
		d.depth++
		if d.depth > d.lim.MaxDepth {
			return nil, d.fail("", "elements nested deeper than MaxDepth (%d)", d.lim.MaxDepth)
		}
		d.marks = append(d.marks, len(d.ns))
		d.open = append(d.open, t.Name)
		for _, a := range t.Attr {
			switch {
			case a.Name.Space == nsXMLNS:
				if a.Value == "" {
					return nil, d.fail("", "namespace prefix %q bound to the empty name", a.Name.Local)
				}
				d.ns = append(d.ns, binding{a.Name.Local, a.Value})
			case a.Name.Space == "" && a.Name.Local == nsXMLNS:
				d.ns = append(d.ns, binding{"", a.Value})
			}
		}
		d.prefix = t.Name.Space
		if t.Name.Space, err = d.resolve(t.Name, true); err != nil {
			return nil, err
		}
		d.attrPrefix = d.attrPrefix[:0]
		for i := range t.Attr {
			a := &t.Attr[i]
			d.attrPrefix = append(d.attrPrefix, a.Name.Space)
			if a.Name.Space == "" || a.Name.Space == nsXMLNS {
				continue
			}
			if a.Name.Space, err = d.resolve(a.Name, false); err != nil {
				return nil, err
			}
		}
		return t, nil
	case xml.EndElement:
		if len(d.open) == 0 {
			return nil, d.fail("", "malformed XML: unexpected end element </%s>", rawName(t.Name))
		}
		if top := d.open[len(d.open)-1]; top != t.Name {
			return nil, d.fail("", "malformed XML: element <%s> closed by </%s>", rawName(top), rawName(t.Name))
		}
		d.open = d.open[:len(d.open)-1]
		d.depth--
		m := d.marks[len(d.marks)-1]
		d.marks = d.marks[:len(d.marks)-1]
		d.ns = d.ns[:m]
	case xml.Directive:
		return nil, d.fail("", "DTDs and entity declarations are not accepted (<!%s>)", firstWord(t))
	}
	return t, nil
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

// resolve returns the namespace URI of a raw name. Unprefixed elements take the default
// namespace; unprefixed attributes have none.
func (d *Decoder) resolve(n xml.Name, elem bool) (string, error) {
	switch n.Space {
	case "":
		if !elem {
			return "", nil
		}
	case "xml":
		return nsXML, nil
	case nsXMLNS:
		return "", d.fail("", "element <%s> uses the reserved prefix xmlns", rawName(n))
	}
	for i := len(d.ns) - 1; i >= 0; i-- {
		if d.ns[i].prefix == n.Space {
			return d.ns[i].uri, nil
		}
	}
	if n.Space == "" {
		return "", nil
	}
	return "", d.fail("", "namespace prefix %q of <%s> is not declared", n.Space, rawName(n))
}

func firstWord(b []byte) string {
	s := string(b)
	if i := strings.IndexAny(s, " \t\r\n["); i >= 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}

func (d *Decoder) wrapErr(err error) error {
	var de *epcis.DecodeError
	if errors.As(err, &de) {
		return err
	}
	var el *errLimit
	if errors.As(err, &el) {
		return d.fail("", "%s", el.what)
	}
	if err == io.EOF {
		return d.fail("", "unexpected end of document")
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &epcis.DecodeError{Event: d.curEvent, Line: se.Line + d.skippedLines, Msg: "malformed XML: " + se.Msg}
	}
	if d.charset != "" {
		return d.fail("", "unsupported encoding %q (want UTF-8, ISO-8859-1 or US-ASCII)", d.charset)
	}
	if d.cr.err != nil && errors.Is(err, d.cr.err) {
		// Not the document's fault (a network or disk error): keep it for errors.Is.
		return fmt.Errorf("epcisxml: reading document: %w", err)
	}
	// encoding/xml reports some document faults (an XML version other than 1.0 ...)
	// as plain errors.
	return d.fail("", "malformed XML: %s", strings.TrimPrefix(err.Error(), "xml: "))
}

// isEPCIS reports whether n is an element of the EPCIS vocabulary: unqualified (as the
// XSDs demand) or, tolerated, qualified with an EPCIS namespace.
func isEPCIS(n xml.Name) bool {
	return n.Space == "" || n.Space == epcis.NSEPCIS20 || n.Space == epcis.NSEPCIS12
}

// skip consumes the rest of the current element.
func (d *Decoder) skip() error {
	for depth := 1; depth > 0; {
		t, err := d.tok()
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// text reads the text content of a simple element, trimmed of surrounding white space.
func (d *Decoder) text(field string) (string, error) {
	var s string
	var buf []byte
	n := 0
	for {
		t, err := d.tok()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			if n == 0 {
				s = string(t)
			} else {
				if n == 1 {
					buf = append(buf, s...)
				}
				buf = append(buf, t...)
			}
			n++
		case xml.StartElement:
			return "", d.fail(field, "unexpected element <%s> inside a text field", t.Name.Local)
		case xml.EndElement:
			if n > 1 {
				s = string(buf)
			}
			return strings.TrimSpace(s), nil
		}
	}
}

// element reads the element started by se into a generic tree.
func (d *Decoder) element(se xml.StartElement) (epcis.Element, error) {
	el := epcis.Element{Name: epcis.Name{Local: se.Name.Local}}
	if se.Name.Space != "" {
		el.Name.Space, el.Name.Prefix = se.Name.Space, d.prefix
	}
	for i, a := range se.Attr {
		if a.Name.Space == nsXMLNS || (a.Name.Space == "" && a.Name.Local == nsXMLNS) {
			continue
		}
		el.Attrs = append(el.Attrs, epcis.Attr{Name: d.attrName(i, a.Name), Value: a.Value})
	}
	var text []byte
	for {
		t, err := d.tok()
		if err != nil {
			return el, err
		}
		switch t := t.(type) {
		case xml.CharData:
			text = append(text, t...)
		case xml.StartElement:
			c, err := d.element(t)
			if err != nil {
				return el, err
			}
			el.Children = append(el.Children, c)
		case xml.EndElement:
			if tt := bytes.TrimSpace(text); len(tt) > 0 {
				el.Text = string(tt)
			}
			return el, nil
		}
	}
}

// attrName names the i-th attribute of the start element tok returned last.
func (d *Decoder) attrName(i int, n xml.Name) epcis.Name {
	if n.Space == "" {
		return epcis.Name{Local: n.Local}
	}
	return epcis.Name{Space: n.Space, Prefix: d.attrPrefix[i], Local: n.Local}
}

// children calls f for each child element of the current element until its end, refusing
// stray text.
func (d *Decoder) children(field string, f func(se xml.StartElement) error) error {
	for {
		t, err := d.tok()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := f(t); err != nil {
				return err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return d.fail(field, "unexpected text %q", clip(string(bytes.TrimSpace(t))))
			}
		case xml.EndElement:
			return nil
		}
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// --- document structure ---

func (d *Decoder) readPrologue() error {
	d.doc = &epcis.Document{}
	// encoding/xml does not skip a byte-order mark; Windows tools write one.
	if b, err := d.br.Peek(3); err == nil && string(b) == "\xEF\xBB\xBF" {
		d.br.Discard(3)
	}
	var root xml.StartElement
	for {
		t, err := d.tok()
		if err != nil {
			return err
		}
		if se, ok := t.(xml.StartElement); ok {
			root = se
			break
		}
		if cd, ok := t.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			return d.fail("", "text before the root element")
		}
	}
	d.rootDepth = d.depth
	doc := d.doc
	doc.Namespaces = map[string]string{}
	for _, b := range d.ns {
		doc.Namespaces[b.prefix] = b.uri
	}
	if v, ok := attr(root, "creationDate"); ok {
		t, _, err := parseDateTime(strings.TrimSpace(v), time.UTC)
		if err != nil {
			return d.fail("creationDate", "%q: %v", v, err)
		}
		doc.CreationDate = t
	}
	sv, _ := attr(root, "schemaVersion")
	switch root.Name.Space {
	case epcis.NSEPCIS12, nsQuery12, nsMasterData12:
		d.version = epcis.Version12
	case epcis.NSEPCIS20, nsQuery20, nsMasterData20:
		d.version = epcis.Version20
	case "":
	default:
		return d.fail("", "root element <%s> is not an EPCIS document (namespace %q)", root.Name.Local, root.Name.Space)
	}
	if isEPCIS(root.Name) && isEventType(root.Name.Local) {
		// A bare event (the openepcis Capture/Events files): a one-event document.
		if d.version == "" {
			d.version = epcis.Version20
			if strings.HasPrefix(sv, "1") {
				d.version = epcis.Version12
			}
		}
		doc.SchemaVersion = d.version
		r := root
		d.bare = &r
		d.state = stEvents
		return nil
	}
	if d.version == "" {
		return d.fail("", "root element <%s> is not an EPCIS document (namespace %q)", root.Name.Local, root.Name.Space)
	}
	doc.SchemaVersion = d.version
	switch root.Name.Local {
	case "EPCISDocument", "EPCISQueryDocument", "EPCISMasterDataDocument":
	case "EPCISCaptureJob", "EPCISException":
		// Answers of the EPCIS 2.0 capture interface: valid EPCIS XML without events.
		// Their content is kept as extensions.
		for {
			t, err := d.tok()
			if err != nil {
				return err
			}
			switch t := t.(type) {
			case xml.StartElement:
				el, err := d.element(t)
				if err != nil {
					return err
				}
				doc.Extensions = append(doc.Extensions, el)
			case xml.EndElement:
				d.state = stTail
				return nil
			}
		}
	default:
		return d.fail("", "root element <%s> is not an EPCIS document", root.Name.Local)
	}
	// Children of the root up to the EventList.
	for {
		t, err := d.tok()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return d.fail("", "unexpected text in <%s>", root.Name.Local)
			}
		case xml.EndElement:
			// No EventList: what follows the root must still be checked.
			d.state = stTail
			return nil
		case xml.StartElement:
			switch {
			case isEPCIS(t.Name) && t.Name.Local == "EPCISHeader":
				if err := d.header(); err != nil {
					return err
				}
			case isEPCIS(t.Name) && t.Name.Local == "EPCISBody":
				found, err := d.body()
				if err != nil || found {
					return err
				}
			case isEPCIS(t.Name) && t.Name.Local == "extension":
				if err := d.docExtension(); err != nil {
					return err
				}
			case isEPCIS(t.Name) && (t.Name.Local == "resultsBody" || t.Name.Local == "QueryResults" || t.Name.Local == "queryName"):
				// Query results written without EPCISBody (seen in the wild).
				found, err := d.bodyChild(t, new(bool))
				if err != nil || found {
					return err
				}
			case isEPCIS(t.Name):
				return d.fail(t.Name.Local, "unexpected element <%s> in <%s>", t.Name.Local, root.Name.Local)
			default:
				el, err := d.element(t)
				if err != nil {
					return err
				}
				doc.Extensions = append(doc.Extensions, el)
			}
		}
		d.setBudget(d.offset())
	}
}

// body reads EPCISBody up to the EventList (found=true) or to its end.
func (d *Decoder) body() (found bool, err error) {
	err = d.children("EPCISBody", func(se xml.StartElement) error {
		f, err := d.bodyChild(se, &found)
		if f && err == nil {
			return errFound
		}
		return err
	})
	if err == errFound {
		return true, nil
	}
	return false, err
}

// bodyChild reads one child of EPCISBody (or of query results); found reports that it
// was, or contained, the EventList, on whose start the decoder now stands.
func (d *Decoder) bodyChild(se xml.StartElement, found *bool) (bool, error) {
	if !isEPCIS(se.Name) && se.Name.Space != nsQuery20 && se.Name.Space != nsQuery12 {
		el, err := d.element(se)
		d.doc.Extensions = append(d.doc.Extensions, el)
		return false, err
	}
	switch se.Name.Local {
	case "EventList":
		*found = true
		d.listDepth = d.depth
		d.state = stEvents
		return true, nil
	case "QueryResults", "resultsBody":
		f, err := d.body()
		*found = f
		return f, err
	case "VocabularyList":
		return false, d.vocabularyList()
	case "queryName", "subscriptionID":
		_, err := d.text(se.Name.Local)
		return false, err
	case "Poll":
		return false, d.poll()
	case "extension":
		return false, d.docExtension()
	}
	// Other query messages (GetQueryNames, ImplementationException ...) carry no
	// events; they are accepted and ignored.
	return false, d.skip()
}

var errFound = errors.New("found")

// poll checks a query request: it needs a queryName, each param a name and a value.
func (d *Decoder) poll() error {
	line := d.line()
	hasName := false
	err := d.children("Poll", func(se xml.StartElement) error {
		if se.Name.Local == "queryName" {
			s, err := d.text("Poll/queryName")
			hasName = s != ""
			return err
		}
		if se.Name.Local != "params" {
			return d.skip()
		}
		return d.children("params", func(se xml.StartElement) error {
			line := d.line()
			var name string
			hasValue := false
			err := d.children("param", func(se xml.StartElement) error {
				switch se.Name.Local {
				case "name":
					s, err := d.text("param/name")
					name = s
					return err
				case "value":
					hasValue = true
				}
				return d.skip()
			})
			if err != nil {
				return err
			}
			if name == "" {
				return d.failAt(line, "param", "query parameter without a name")
			}
			if !hasValue {
				return d.failAt(line, "param", "query parameter %s has no value", name)
			}
			return nil
		})
	})
	if err == nil && !hasName {
		err = d.failAt(line, "Poll/queryName", "Poll without queryName")
	}
	return err
}

// docExtension reads the document's or body's <extension>. The Encoder stores 1.2 master
// data that has no SBDH to travel in here; everything else is kept as an element.
func (d *Decoder) docExtension() error {
	return d.children("extension", func(se xml.StartElement) error {
		if isEPCIS(se.Name) && se.Name.Local == "EPCISMasterData" {
			return d.masterData()
		}
		el, err := d.element(se)
		d.doc.Extensions = append(d.doc.Extensions, el)
		return err
	})
}

func (d *Decoder) header() error {
	doc := d.doc
	return d.children("EPCISHeader", func(se xml.StartElement) error {
		switch {
		case se.Name.Space == epcis.NSSBDH && se.Name.Local == "StandardBusinessDocumentHeader":
			h, err := d.sbdh()
			doc.Header = h
			return err
		case isEPCIS(se.Name) && se.Name.Local == "extension":
			return d.children("EPCISHeader/extension", func(se xml.StartElement) error {
				if isEPCIS(se.Name) && se.Name.Local == "EPCISMasterData" {
					return d.masterData()
				}
				if isEPCIS(se.Name) && se.Name.Local == "extension" {
					return d.children("EPCISHeader/extension/extension", func(se xml.StartElement) error {
						el, err := d.element(se)
						doc.Extensions = append(doc.Extensions, el)
						return err
					})
				}
				return d.fail(se.Name.Local, "unexpected element <%s> in EPCISHeader/extension", se.Name.Local)
			})
		case isEPCIS(se.Name) && se.Name.Local == "EPCISMasterData":
			return d.masterData()
		case isEPCIS(se.Name):
			return d.fail(se.Name.Local, "unexpected element <%s> in EPCISHeader", se.Name.Local)
		default:
			el, err := d.element(se)
			doc.Extensions = append(doc.Extensions, el)
			return err
		}
	})
}

func (d *Decoder) sbdh() (*epcis.SBDH, error) {
	h := &epcis.SBDH{}
	err := d.children("StandardBusinessDocumentHeader", func(se xml.StartElement) error {
		if se.Name.Space != epcis.NSSBDH {
			el, err := d.element(se)
			h.Extra = append(h.Extra, el)
			return err
		}
		switch se.Name.Local {
		case "HeaderVersion":
			s, err := d.text("sbdh:HeaderVersion")
			h.HeaderVersion = s
			return err
		case "Sender", "Receiver":
			p, err := d.partner(se.Name.Local)
			if se.Name.Local == "Sender" {
				h.Sender = append(h.Sender, p)
			} else {
				h.Receiver = append(h.Receiver, p)
			}
			return err
		case "DocumentIdentification":
			return d.children("sbdh:DocumentIdentification", func(se xml.StartElement) error {
				field := "sbdh:" + se.Name.Local
				switch se.Name.Local {
				case "Standard":
					s, err := d.text(field)
					h.Standard = s
					return err
				case "TypeVersion":
					s, err := d.text(field)
					h.TypeVersion = s
					return err
				case "InstanceIdentifier":
					s, err := d.text(field)
					h.InstanceIdentifier = s
					return err
				case "Type":
					s, err := d.text(field)
					h.Type = s
					return err
				case "CreationDateAndTime":
					s, err := d.text(field)
					if err != nil {
						return err
					}
					t, _, err := parseDateTime(s, time.UTC)
					if err != nil {
						return d.fail(field, "%q: %v", s, err)
					}
					h.CreationDateTime = t
					return nil
				case "MultipleType":
					return d.skip()
				}
				return d.fail(field, "unexpected element in sbdh:DocumentIdentification")
			})
		}
		el, err := d.element(se)
		h.Extra = append(h.Extra, el)
		return err
	})
	return h, err
}

func (d *Decoder) partner(kind string) (epcis.Partner, error) {
	var p epcis.Partner
	err := d.children("sbdh:"+kind, func(se xml.StartElement) error {
		if se.Name.Space == epcis.NSSBDH && se.Name.Local == "Identifier" {
			p.Authority, _ = attr(se, "Authority")
			s, err := d.text("sbdh:" + kind + "/Identifier")
			p.Identifier = s
			return err
		}
		el, err := d.element(se)
		p.Extra = append(p.Extra, el)
		return err
	})
	return p, err
}

func (d *Decoder) masterData() error {
	return d.children("EPCISMasterData", func(se xml.StartElement) error {
		if isEPCIS(se.Name) && se.Name.Local == "VocabularyList" {
			return d.vocabularyList()
		}
		return d.skip()
	})
}

func (d *Decoder) vocabularyList() error {
	return d.children("VocabularyList", func(se xml.StartElement) error {
		if !isEPCIS(se.Name) || se.Name.Local != "Vocabulary" {
			return d.fail(se.Name.Local, "unexpected element <%s> in VocabularyList", se.Name.Local)
		}
		typ, ok := attr(se, "type")
		if !ok {
			return d.fail("Vocabulary", "missing attribute type")
		}
		v := epcis.Vocabulary{Type: typ}
		err := d.children("Vocabulary", func(se xml.StartElement) error {
			if !isEPCIS(se.Name) || se.Name.Local != "VocabularyElementList" {
				// Vocabulary extensions have no place in the model.
				return d.skip()
			}
			return d.children("VocabularyElementList", func(se xml.StartElement) error {
				if !isEPCIS(se.Name) || se.Name.Local != "VocabularyElement" {
					return d.fail(se.Name.Local, "unexpected element <%s> in VocabularyElementList", se.Name.Local)
				}
				id, ok := attr(se, "id")
				if !ok {
					return d.fail("VocabularyElement", "missing attribute id")
				}
				ve := epcis.VocabularyElement{ID: id}
				err := d.children("VocabularyElement", func(se xml.StartElement) error {
					if !isEPCIS(se.Name) {
						return d.skip()
					}
					switch se.Name.Local {
					case "attribute":
						a, err := d.vocabAttribute(se)
						ve.Attributes = append(ve.Attributes, a)
						return err
					case "children":
						return d.children("children", func(se xml.StartElement) error {
							s, err := d.text("children/id")
							ve.Children = append(ve.Children, s)
							return err
						})
					}
					return d.skip()
				})
				v.Elements = append(v.Elements, ve)
				return err
			})
		})
		d.doc.MasterData = append(d.doc.MasterData, v)
		return err
	})
}

func (d *Decoder) vocabAttribute(se xml.StartElement) (epcis.Attribute, error) {
	id, ok := attr(se, "id")
	if !ok {
		return epcis.Attribute{}, d.fail("attribute", "missing attribute id")
	}
	el, err := d.element(se)
	return epcis.Attribute{ID: id, Value: el.Text, Elements: el.Children}, err
}

// --- events ---

func isEventType(s string) bool {
	switch epcis.EventType(s) {
	case epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent, epcis.TransformationEvent, epcis.AssociationEvent:
		return true
	}
	return false
}

func (d *Decoder) next() (*epcis.Event, error) {
	switch d.state {
	case stDone:
		return nil, io.EOF
	case stTail:
		return nil, d.tail()
	}
	if d.bare != nil {
		se := *d.bare
		d.bare = nil
		ev, err := d.event(se)
		if err != nil {
			return nil, err
		}
		d.state = stTail
		return ev, nil
	}
	for {
		d.setBudget(d.offset())
		t, err := d.tok()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, d.fail("EventList", "unexpected text %q", clip(string(bytes.TrimSpace(t))))
			}
		case xml.EndElement:
			if d.depth < d.listDepth {
				// End of EventList: the rest of the document holds no events.
				d.state = stTail
				return nil, d.tail()
			}
			// End of an <extension> wrapper.
		case xml.StartElement:
			switch {
			case isEPCIS(t.Name) && isEventType(t.Name.Local):
				return d.event(t)
			case isEPCIS(t.Name) && t.Name.Local == "extension":
				// EPCIS 1.2 wraps TransformationEvent in <extension> and AssociationEvent
				// in <extension><extension>; descend into the wrapper.
			case isEPCIS(t.Name):
				d.curEvent = d.index
				defer func() { d.curEvent = -1 }()
				if t.Name.Local == "QuantityEvent" {
					return nil, d.fail("EventList", "QuantityEvent is deprecated since EPCIS 1.1 and not accepted; send an ObjectEvent with a quantityList")
				}
				return nil, d.fail("EventList", "unknown event type <%s> (want ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent)", t.Name.Local)
			default:
				return nil, d.fail("EventList", "unsupported element <%s> (namespace %s) in EventList: only EPCIS events are accepted", t.Name.Local, t.Name.Space)
			}
		}
	}
}

// tail reads what follows the events up to the end of the document.
func (d *Decoder) tail() error {
	for d.depth >= d.rootDepth && d.depth > 0 {
		d.setBudget(d.offset())
		t, err := d.tok()
		if err != nil {
			return err
		}
		if se, ok := t.(xml.StartElement); ok {
			var err error
			switch {
			case isEPCIS(se.Name) && se.Name.Local == "extension":
				err = d.docExtension()
			case isEPCIS(se.Name):
				err = d.skip()
			default:
				var el epcis.Element
				el, err = d.element(se)
				d.doc.Extensions = append(d.doc.Extensions, el)
			}
			if err != nil {
				return err
			}
		}
	}
	// After the root only comments, processing instructions and white space may follow.
	for {
		t, err := d.x.RawToken()
		if err == io.EOF {
			d.state = stDone
			return io.EOF
		}
		if err != nil {
			return d.wrapErr(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return d.fail("", "text after the root element")
			}
		case xml.StartElement:
			return d.fail("", "second root element <%s>", t.Name.Local)
		case xml.Directive:
			return d.fail("", "DTDs and entity declarations are not accepted")
		}
	}
}
