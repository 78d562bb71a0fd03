package epcisjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// Decoder streams the events of an EPCIS 2.0 JSON-LD document. It implements epcis.Decoder.
//
// Memory stays flat in the size of the document: json.Decoder's Token walks the outer
// objects down to the event list (epcisBody.eventList, or
// epcisBody.queryResults.resultsBody.eventList in a query document), then each event is read
// as one value of at most Limits.MaxEventBytes and decoded on its own.
//
// JSON objects are unordered, so the header may follow the body. The rules:
//
//   - Document reads up to the first event. Header members that precede the body are in the
//     result; members that follow it (creationDate, epcisHeader, ...) are added as Next reaches
//     them, so the Document is complete once Next has returned io.EOF.
//   - Prefixes of user fields resolve through the event's own @context, the document's
//     @context and the standard context. When the document's @context follows the body and
//     the input is an io.ReadSeeker, the decoder reads ahead to it once (one extra pass, still
//     in flat memory), so that events resolve fully. On other inputs the names of such events
//     keep Name.Prefix with an empty Name.Space; Document().Namespaces, complete after
//     io.EOF, then resolves them.
//   - A file holding one bare event object (with its @context) decodes as a document of one
//     event; its Document carries that @context and schema version 2.0.
//
// Errors are *epcis.DecodeError naming the event index (-1 for the document) and the field.
// After an error the decoder stays failed.
type Decoder struct {
	src     io.Reader
	start   int64 // position of src when the decoder was made, when src is an io.Seeker
	lr      *limitReader
	dec     *json.Decoder
	lim     epcis.Limits
	doc     epcis.Document
	ctx     nsContext
	ctxSeen bool
	docType string
	levels  []level
	state   state
	pending []member
	pendLen int
	bare    bool
	index   int
	err     error
	raw     json.RawMessage
	ep      eventParser
	hp      *parser
	hasSV   bool
	hasCD   bool
	sawBody bool
}

type level uint8

const (
	levelTop level = iota
	levelBody
	levelQueryResults
	levelResultsBody
)

type state uint8

const (
	stateStart state = iota
	stateWalk        // between members of the outer objects
	stateList        // inside the event list
	stateDone        // EOF reached, document complete
)

type member struct {
	key string
	raw []byte
}

// limitReader enforces MaxTotalBytes on the whole input and MaxEventBytes on the value being
// read: the decoder never buffers more than one value's worth of an oversized document.
type limitReader struct {
	r     io.Reader
	n     int64
	stop  int64
	total int64
	nl    int // newlines read so far, for line numbers in errors
}

var (
	errValueTooLarge = errors.New("value too large")
	errTotalTooLarge = errors.New("document too large")
)

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n >= l.total {
		return 0, errTotalTooLarge
	}
	if l.n >= l.stop {
		return 0, errValueTooLarge
	}
	if max := min(l.stop, l.total) - l.n; int64(len(b)) > max {
		b = b[:max]
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	l.nl += bytes.Count(b[:n], newline)
	return n, err
}

// slack allows whitespace and separators before a value within the per-value limit.
const slack = 4096

// NewDecoder returns a decoder reading r. Zero fields of lim take epcis.DefaultLimits.
func NewDecoder(r io.Reader, lim epcis.Limits) *Decoder {
	lim = withDefaults(lim)
	d := &Decoder{src: r, lim: lim, ctx: nsContext{}, index: 0}
	if s, ok := r.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
			d.start = pos
		} else {
			d.start = -1
		}
	} else {
		d.start = -1
	}
	d.lr = &limitReader{r: r, stop: lim.MaxEventBytes + slack, total: lim.MaxTotalBytes}
	d.dec = json.NewDecoder(d.lr)
	d.ep = eventParser{p: newParser(nil, lim.MaxDepth, 0, ""), ctx: nsContext{}}
	d.ep.res.doc = d.ctx
	d.ep.res.docPending = true
	d.hp = newParser(nil, lim.MaxDepth, -1, "")
	d.doc.Namespaces = map[string]string{}
	return d
}

func withDefaults(lim epcis.Limits) epcis.Limits {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = epcis.DefaultLimits.MaxDepth
	}
	if lim.MaxEventBytes <= 0 {
		lim.MaxEventBytes = epcis.DefaultLimits.MaxEventBytes
	}
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = epcis.DefaultLimits.MaxTotalBytes
	}
	return lim
}

// Document returns the header data read so far: everything before the first event, and after
// Next returned io.EOF everything (see the type documentation).
func (d *Decoder) Document() (*epcis.Document, error) {
	if d.state == stateStart {
		d.advance()
	}
	if d.err != nil && !errors.Is(d.err, io.EOF) {
		return &d.doc, d.err
	}
	return &d.doc, nil
}

// Next returns the next event, or io.EOF after the last one.
func (d *Decoder) Next() (*epcis.Event, error) {
	if d.state == stateStart || d.state == stateWalk {
		d.advance()
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.bare {
		// The whole file was one event, decoded when the top-level object ended.
		d.bare = false
		e, err := d.ep.parse(d.raw, 0)
		if err != nil {
			d.err = err
			return nil, err
		}
		d.index++
		d.err = io.EOF
		return e, nil
	}
	if d.state != stateList {
		return nil, io.EOF
	}
	if !d.dec.More() {
		d.arm()
		if _, err := d.dec.Token(); err != nil { // ']'
			return nil, d.setErr(d.index, err)
		}
		d.state = stateWalk
		d.advance()
		if d.err != nil {
			return nil, d.err
		}
		return nil, io.EOF
	}
	d.arm()
	if err := d.dec.Decode(&d.raw); err != nil {
		return nil, d.setErr(d.index, err)
	}
	if len(d.raw) == 0 || d.raw[0] != '{' {
		d.err = &epcis.DecodeError{Event: d.index, Msg: "an event must be a JSON object"}
		return nil, d.err
	}
	e, err := d.ep.parse(d.raw, d.index)
	if err != nil {
		d.addLine(err)
		d.err = err
		return nil, err
	}
	d.index++
	return e, nil
}

var newline = []byte{'\n'}

// addLine sets the line of a DecodeError about the event just read into d.raw: the line where
// the parser stopped. Lines are only counted when an error needs one: the newlines read so far,
// minus those still buffered after the event, give the event's last line.
func (d *Decoder) addLine(err error) {
	var de *epcis.DecodeError
	if !errors.As(err, &de) || de.Line != 0 {
		return
	}
	rest, _ := io.ReadAll(d.dec.Buffered())
	end := d.lr.nl - bytes.Count(rest, newline) // newlines up to the end of the event
	start := end - bytes.Count(d.raw, newline)  // newlines before the event
	pos := 0                                    // a check over the whole event: point at its start
	if d.ep.p.err == err {                      // the parser knows where it stopped
		pos = min(d.ep.p.i, len(d.raw))
	}
	de.Line = start + 1 + bytes.Count(d.raw[:pos], newline)
}

// arm moves the per-value byte limit to just past the next value's maximal end.
func (d *Decoder) arm() {
	d.lr.stop = d.dec.InputOffset() + d.lim.MaxEventBytes + slack
}

func (d *Decoder) setErr(event int, err error) error {
	var msg string
	var se *json.SyntaxError
	switch {
	case errors.Is(err, errValueTooLarge):
		if event >= 0 {
			msg = fmt.Sprintf("event larger than %d bytes (MaxEventBytes)", d.lim.MaxEventBytes)
		} else {
			msg = fmt.Sprintf("header value larger than %d bytes (MaxEventBytes)", d.lim.MaxEventBytes)
		}
	case errors.Is(err, errTotalTooLarge):
		msg = fmt.Sprintf("document larger than %d bytes (MaxTotalBytes)", d.lim.MaxTotalBytes)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		msg = "unexpected end of document"
	case errors.As(err, &se):
		msg = fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	default:
		msg = "reading document: " + err.Error()
	}
	d.err = &epcis.DecodeError{Event: event, Msg: msg}
	return d.err
}

func (d *Decoder) docErr(field, format string, args ...any) {
	if d.err == nil {
		d.err = &epcis.DecodeError{Event: -1, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

// advance walks the outer objects until the event list starts or the document ends.
func (d *Decoder) advance() {
	if d.err != nil {
		return
	}
	if d.state == stateStart {
		d.arm()
		tok, err := d.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.docErr("", "empty document")
				return
			}
			d.setErr(-1, err)
			return
		}
		if tok != json.Delim('{') {
			d.docErr("", "an EPCIS JSON document must be a JSON object")
			return
		}
		d.levels = append(d.levels, levelTop)
		d.state = stateWalk
	}
	for d.err == nil && d.state == stateWalk {
		if len(d.levels) == 0 {
			d.end()
			return
		}
		lvl := d.levels[len(d.levels)-1]
		d.arm()
		if !d.dec.More() {
			if _, err := d.dec.Token(); err != nil { // '}'
				d.setErr(-1, err)
				return
			}
			d.levels = d.levels[:len(d.levels)-1]
			continue
		}
		tok, err := d.dec.Token()
		if err != nil {
			d.setErr(-1, err)
			return
		}
		key, _ := tok.(string)
		switch {
		case lvl == levelTop && key == "epcisBody":
			if d.docType != "" && d.docType != "EPCISDocument" && d.docType != "EPCISQueryDocument" {
				d.docErr("epcisBody", "a %s has no epcisBody", d.docType)
				return
			}
			d.sawBody = true
			d.enterBody()
			if !d.openObject("epcisBody") {
				return
			}
			d.levels = append(d.levels, levelBody)
		case lvl == levelBody && key == "queryResults":
			if !d.openObject("epcisBody.queryResults") {
				return
			}
			d.levels = append(d.levels, levelQueryResults)
		case lvl == levelQueryResults && key == "resultsBody":
			if !d.openObject("epcisBody.queryResults.resultsBody") {
				return
			}
			d.levels = append(d.levels, levelResultsBody)
		case (lvl == levelBody || lvl == levelResultsBody) && key == "eventList":
			d.arm()
			tok, err := d.dec.Token()
			if err != nil {
				d.setErr(-1, err)
				return
			}
			if tok != json.Delim('[') {
				d.docErr("eventList", "must be an array")
				return
			}
			// The list's levels stay on the stack; Next pops back to walking after ']'.
			d.state = stateList
			return
		case lvl == levelTop && key == "@context":
			d.arm()
			if err := d.dec.Decode(&d.raw); err != nil {
				d.setErr(-1, err)
				return
			}
			d.hp.reset(d.raw, -1, "@context")
			parseContext(d.hp, d.ctx)
			if d.hp.err != nil {
				d.err = d.hp.err
				return
			}
			d.setContextSeen()
		case lvl == levelTop && key == "type":
			d.arm()
			if err := d.dec.Decode(&d.raw); err != nil {
				d.setErr(-1, err)
				return
			}
			var t string
			if err := json.Unmarshal(d.raw, &t); err != nil {
				d.docErr("type", "must be a string")
				return
			}
			d.docType = t
			if typeBit(epcis.EventType(t)) != 0 {
				if d.sawBody {
					d.docErr("type", "a %s has no epcisBody", t)
					return
				}
				d.bare = true
			} else if t != "EPCISDocument" && t != "EPCISQueryDocument" {
				d.docErr("type", "%q is neither EPCISDocument, EPCISQueryDocument nor an event type", t)
				return
			}
			d.pend("type", d.raw)
		default:
			d.arm()
			if err := d.dec.Decode(&d.raw); err != nil {
				d.setErr(-1, err)
				return
			}
			if lvl == levelTop {
				d.pend(key, d.raw)
				if len(d.levels) == 1 && d.bodyReady() {
					d.flushHeader()
				}
				continue
			}
			d.bodyMember(lvl, key, d.raw)
		}
	}
}

func (d *Decoder) openObject(field string) bool {
	d.arm()
	tok, err := d.dec.Token()
	if err != nil {
		d.setErr(-1, err)
		return false
	}
	if tok != json.Delim('{') {
		d.docErr(field, "must be an object")
		return false
	}
	return true
}

// bodyReady reports whether pending header members can be processed now: after the body has
// started (they follow it) and the @context is known.
func (d *Decoder) bodyReady() bool { return d.sawBody && d.ctxSeen }

func (d *Decoder) pend(key string, raw []byte) {
	d.pendLen += len(raw)
	if int64(d.pendLen) > d.lim.MaxEventBytes {
		d.docErr(key, "header larger than %d bytes (MaxEventBytes)", d.lim.MaxEventBytes)
		return
	}
	d.pending = append(d.pending, member{key: key, raw: bytes.Clone(raw)})
}

// enterBody runs when epcisBody starts: make sure prefixes can be resolved, then process the
// header seen so far.
func (d *Decoder) enterBody() {
	if !d.ctxSeen && d.start >= 0 {
		if rs, ok := d.src.(io.ReadSeeker); ok {
			if found := prescanContext(rs, d.start, d.lim, d.ctx); found {
				d.setContextSeen()
			}
		}
	}
	d.flushHeader()
}

func (d *Decoder) setContextSeen() {
	d.ctxSeen = true
	d.ep.res.docPending = false
	for k, v := range d.ctx {
		d.doc.Namespaces[k] = v
	}
}

// flushHeader processes pending top-level members of a document.
func (d *Decoder) flushHeader() {
	if d.bare {
		return
	}
	for _, m := range d.pending {
		d.headerMember(m.key, m.raw)
		if d.err != nil {
			return
		}
	}
	d.pending = d.pending[:0]
	d.pendLen = 0
}

// end runs after the top-level object closed: check nothing follows, finish the header, and
// for a bare event prepare its decoding.
func (d *Decoder) end() {
	d.arm()
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			d.setErr(-1, err)
		} else {
			d.docErr("", "data after the end of the document")
		}
		return
	}
	d.state = stateDone
	if !d.ctxSeen {
		d.docErr("@context", "missing (every EPCIS JSON-LD document needs one)")
		return
	}
	if d.bare {
		// Reassemble the event object from its members (the @context was taken already).
		var b bytes.Buffer
		b.WriteByte('{')
		for i, m := range d.pending {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			b.Write(m.raw)
		}
		b.WriteByte('}')
		d.raw = b.Bytes()
		d.pending = nil
		d.doc.SchemaVersion = epcis.Version20
		return
	}
	d.flushHeader()
	if d.err != nil {
		return
	}
	switch {
	case d.docType == "":
		d.docErr("type", "missing")
	case !d.sawBody:
		d.docErr("epcisBody", "missing")
	case !d.hasSV && d.docType == "EPCISDocument":
		d.docErr("schemaVersion", "missing")
	case !d.hasCD && d.docType == "EPCISDocument":
		d.docErr("creationDate", "missing")
	}
	if d.err == nil {
		d.err = io.EOF
	}
}

// headerMember processes one top-level member of a document.
func (d *Decoder) headerMember(key string, raw []byte) {
	p := d.hp
	p.reset(raw, -1, key)
	d.ep.res.event = nil
	switch key {
	case "type":
		p.skip()
	case "id":
		// The JSON-LD id of the document is not part of the model.
		p.str()
	case "schemaVersion":
		s, _ := p.str()
		if p.err == nil && !validVersion(s) {
			p.fail("%q is not a version number", s)
		}
		d.doc.SchemaVersion = epcis.Version(s)
		d.hasSV = true
	case "creationDate":
		s, _ := p.str()
		if p.err == nil {
			t, err := parseTime(s)
			if err != nil {
				p.fail("%q is not a date-time with time zone (RFC 3339)", s)
			}
			d.doc.CreationDate = t
			d.hasCD = true
		}
	case "instanceIdentifier":
		s, _ := p.str()
		d.sbdh().InstanceIdentifier = s
	case "sender":
		s, _ := p.str()
		h := d.sbdh()
		h.Sender = append(h.Sender, epcis.Partner{Identifier: s})
	case "receiver":
		s, _ := p.str()
		h := d.sbdh()
		h.Receiver = append(h.Receiver, epcis.Partner{Identifier: s})
	case "epcisHeader":
		d.epcisHeader(p)
	default:
		ep := &eventParser{p: p, res: resolver{doc: d.ctx, docPending: !d.ctxSeen}}
		p.key = []byte(key)
		d.doc.Extensions = ep.extension(d.doc.Extensions)
	}
	if p.err != nil && d.err == nil {
		d.err = p.err
	}
}

func (d *Decoder) sbdh() *epcis.SBDH {
	if d.doc.Header == nil {
		d.doc.Header = &epcis.SBDH{}
	}
	return d.doc.Header
}

func validVersion(s string) bool {
	if s == "" {
		return false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' && digits && i < len(s)-1:
			digits = false
		default:
			return false
		}
	}
	return digits
}

// bodyMember handles members of epcisBody, queryResults and resultsBody other than the ones
// leading to the event list.
func (d *Decoder) bodyMember(lvl level, key string, raw []byte) {
	p := d.hp
	p.reset(raw, -1, key)
	switch {
	case lvl == levelQueryResults && (key == "queryName" || key == "subscriptionID"):
		p.str()
	case lvl == levelResultsBody && key == "vocabularyList":
		d.doc.MasterData = append(d.doc.MasterData, d.vocabularyList(p)...)
	default:
		ep := &eventParser{p: p, res: resolver{doc: d.ctx, docPending: !d.ctxSeen}}
		p.key = []byte(key)
		d.doc.Extensions = ep.extension(d.doc.Extensions)
	}
	if p.err != nil && d.err == nil {
		d.err = p.err
	}
}

func (d *Decoder) epcisHeader(p *parser) {
	if !p.open('{') {
		return
	}
	ep := &eventParser{p: p, res: resolver{doc: d.ctx, docPending: !d.ctxSeen}}
	for p.more() {
		if string(p.key) != "epcisMasterData" {
			d.doc.Extensions = ep.extension(d.doc.Extensions)
			continue
		}
		if !p.open('{') {
			return
		}
		for p.more() {
			if string(p.key) != "vocabularyList" {
				d.doc.Extensions = ep.extension(d.doc.Extensions)
				continue
			}
			d.doc.MasterData = append(d.doc.MasterData, d.vocabularyList(p)...)
		}
	}
}

func (d *Decoder) vocabularyList(p *parser) []epcis.Vocabulary {
	var out []epcis.Vocabulary
	ep := &eventParser{p: p, res: resolver{doc: d.ctx, docPending: !d.ctxSeen}}
	if !p.open('[') {
		return nil
	}
	for p.more() {
		var v epcis.Vocabulary
		if !p.open('{') {
			return out
		}
		for p.more() {
			switch string(p.key) {
			case "type":
				v.Type, _ = p.str()
			case "vocabularyElementList":
				if !p.open('[') {
					return out
				}
				for p.more() {
					v.Elements = append(v.Elements, vocabularyElement(ep))
				}
			default:
				p.fail("is not a field of a vocabulary (type, vocabularyElementList)")
			}
		}
		if p.err == nil && v.Type == "" {
			p.fail("vocabulary without type")
		}
		out = append(out, v)
	}
	return out
}

func vocabularyElement(ep *eventParser) epcis.VocabularyElement {
	p := ep.p
	var ve epcis.VocabularyElement
	if !p.open('{') {
		return ve
	}
	for p.more() {
		switch string(p.key) {
		case "id":
			ve.ID, _ = p.str()
		case "attributes":
			if !p.open('[') {
				return ve
			}
			for p.more() {
				ve.Attributes = append(ve.Attributes, attribute(ep))
			}
		case "children":
			ve.Children = p.strList(false, false, checkURI)
		default:
			p.fail("is not a field of a vocabulary element (id, attributes, children)")
		}
	}
	return ve
}

func attribute(ep *eventParser) epcis.Attribute {
	p := ep.p
	var a epcis.Attribute
	if !p.open('{') {
		return a
	}
	for p.more() {
		switch string(p.key) {
		case "id":
			a.ID, _ = p.str()
		case "attribute":
			switch c := p.peek(); c {
			case '"':
				a.Value, _ = p.str()
			case '{':
				if !p.open('{') {
					return a
				}
				for p.more() {
					a.Elements = ep.extension(a.Elements)
				}
			case 't', 'f':
				b, _ := p.boolean()
				a.Value = strconv.FormatBool(b)
			default:
				a.Value, _ = p.number()
			}
		default:
			p.fail("is not a field of an attribute (id, attribute)")
		}
	}
	return a
}
