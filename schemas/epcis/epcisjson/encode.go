package epcisjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// Encoder writes an EPCIS 2.0 JSON-LD document event by event: WriteHeader, WriteEvent for
// each event, Close. Each event is written to the underlying writer as soon as it is encoded.
//
// The document's @context names the standard context and declares the prefixes of
// Document.Namespaces and of the header's own extensions. An event whose user fields need a
// namespace the header did not declare carries its own @context object declaring it (the
// header is written before the events are known). Names keep the prefix they were read with
// unless it is taken; names without prefix get ns1, ns2, ...
//
// Mapping notes: CBV values are written bare when standard (JSON-LD resolves them through the
// standard context), other values in their URI form; XML attributes of user elements become
// members of the element's object (JSON-LD has no attributes), so an XML→JSON→XML trip turns
// them into child elements. The SBDH maps to the JSON document's instanceIdentifier, sender
// and receiver; its other parts have no JSON form and are dropped.
type Encoder struct {
	w       io.Writer
	indent  string
	buf     []byte
	tmp     bytes.Buffer
	ns      map[string]string // prefix → namespace declared in the header
	byNS    map[string]string // namespace → prefix
	local   map[string]string // event-level declarations of the event being written
	localNS map[string]string
	gen     int
	started bool
	events  int
	closed  bool
	err     error
}

// Option configures an Encoder.
type Option func(*Encoder)

// WithIndent makes the encoder pretty-print, indenting each level by indent.
func WithIndent(indent string) Option { return func(e *Encoder) { e.indent = indent } }

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer, opts ...Option) *Encoder {
	e := &Encoder{w: w, ns: map[string]string{}, byNS: map[string]string{},
		local: map[string]string{}, localNS: map[string]string{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

var errClosed = errors.New("epcisjson: encoder closed")

// WriteHeader writes the document up to the start of the event list. doc may be nil. It must
// come before the first event; when it is omitted, WriteEvent writes a header with the current
// time as creationDate.
func (e *Encoder) WriteHeader(doc *epcis.Document) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errClosed
	}
	if e.started {
		return errors.New("epcisjson: WriteHeader after the header was written")
	}
	e.started = true
	if doc == nil {
		doc = &epcis.Document{}
	}
	created := doc.CreationDate
	if created.IsZero() {
		created = time.Now().UTC()
	}
	// Declare the document's namespaces and those its own extensions need.
	for _, p := range sortedKeys(doc.Namespaces) {
		e.declareHeader(p, doc.Namespaces[p])
	}
	var hdrNames []epcis.Name
	collectNames(&hdrNames, doc.Extensions)
	for _, v := range doc.MasterData {
		for _, ve := range v.Elements {
			for _, a := range ve.Attributes {
				collectNames(&hdrNames, a.Elements)
			}
		}
	}
	for _, n := range hdrNames {
		if _, ok := e.prefixOf(n.Space); !ok && n.Space != "" {
			if n.Space == cbvmdaJSON {
				e.declareHeader("cbvmda", n.Space)
				continue
			}
			e.declareHeader(e.freePrefix(n.Prefix), n.Space)
		}
	}

	b := e.buf[:0]
	b = append(b, `{"@context":[`...)
	b = appendString(b, ContextURL)
	if len(e.ns) > 0 {
		b = append(b, ",{"...)
		for i, p := range sortedKeys(e.ns) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, p)
			b = append(b, ':')
			b = appendString(b, e.ns[p])
		}
		b = append(b, '}')
	}
	b = append(b, `],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":`...)
	b = appendString(b, created.Format(time.RFC3339Nano))
	if h := doc.Header; h != nil {
		if h.InstanceIdentifier != "" {
			b = append(b, `,"instanceIdentifier":`...)
			b = appendString(b, h.InstanceIdentifier)
		}
		if len(h.Sender) > 0 && h.Sender[0].Identifier != "" {
			b = append(b, `,"sender":`...)
			b = appendString(b, h.Sender[0].Identifier)
		}
		if len(h.Receiver) > 0 && h.Receiver[0].Identifier != "" {
			b = append(b, `,"receiver":`...)
			b = appendString(b, h.Receiver[0].Identifier)
		}
	}
	if len(doc.MasterData) > 0 {
		b = append(b, `,"epcisHeader":{"epcisMasterData":{"vocabularyList":[`...)
		for i, v := range doc.MasterData {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendVocabulary(b, &v)
		}
		b = append(b, `]}}`...)
	}
	if len(doc.Extensions) > 0 {
		b = append(b, ',')
		b = e.appendMembers(b, doc.Extensions, nil, true)
	}
	b = append(b, `,"epcisBody":{"eventList":[`...)
	e.buf = b
	if e.indent != "" {
		// Re-indent the open document: indent a closed copy and cut the closers off again.
		closed := append(append([]byte(nil), b...), "]}}"...)
		e.tmp.Reset()
		if err := json.Indent(&e.tmp, closed, "", e.indent); err != nil {
			e.err = fmt.Errorf("epcisjson: indenting header: %w", err)
			return e.err
		}
		out := e.tmp.Bytes()
		cut := bytes.LastIndex(out, []byte("[]"))
		if cut < 0 {
			cut = bytes.LastIndexByte(out, '[')
		} else {
			cut++
		}
		e.buf = append(e.buf[:0], out[:cut]...)
	}
	return e.flush()
}

func (e *Encoder) flush() error {
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = fmt.Errorf("epcisjson: writing: %w", err)
		return e.err
	}
	return nil
}

// WriteEvent encodes one event.
func (e *Encoder) WriteEvent(ev *epcis.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errClosed
	}
	if !e.started {
		if err := e.WriteHeader(nil); err != nil {
			return err
		}
	}
	b := e.buf[:0]
	if e.events > 0 {
		b = append(b, ',')
	}
	start := len(b)
	b, err := e.appendEvent(b, ev)
	if err != nil {
		// A bad event is the caller's problem; the document stays usable.
		return fmt.Errorf("epcisjson: event %d: %w", e.events, err)
	}
	if e.indent != "" {
		e.tmp.Reset()
		pre := e.indent + e.indent + e.indent
		if err := json.Indent(&e.tmp, b[start:], pre, e.indent); err != nil {
			return fmt.Errorf("epcisjson: event %d: indenting: %w", e.events, err)
		}
		b = append(b[:start], '\n')
		b = append(b, pre...)
		b = append(b, e.tmp.Bytes()...)
	}
	e.buf = b
	e.events++
	return e.flush()
}

// Close ends the document. It does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return nil
	}
	if !e.started {
		if err := e.WriteHeader(nil); err != nil {
			return err
		}
	}
	e.closed = true
	if e.indent != "" {
		e.buf = append(e.buf[:0], '\n')
		e.buf = append(e.buf, e.indent+e.indent...)
		e.buf = append(e.buf, "]\n"+e.indent+"}\n}\n"...)
	} else {
		e.buf = append(e.buf[:0], "]}}\n"...)
	}
	return e.flush()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Small maps: insertion sort keeps this dependency-free and fast.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// xmlOnlyNS are namespaces an XML document declares for its own structure; a JSON-LD
// document converted from it has no use for them.
var xmlOnlyNS = map[string]bool{
	epcis.NSEPCIS12: true, epcis.NSEPCIS20: true, epcis.NSSBDH: true,
	"urn:epcglobal:epcis-query:xsd:1": true, "urn:epcglobal:epcis-query:xsd:2": true,
	"urn:epcglobal:epcis-masterdata:xsd:1": true, "urn:epcglobal:epcis-masterdata:xsd:2": true,
	"http://www.w3.org/2001/XMLSchema-instance": true, "http://www.w3.org/XML/1998/namespace": true,
}

// declareHeader binds prefix to ns in the header unless either is already bound or the
// prefix is a protected standard one.
func (e *Encoder) declareHeader(prefix, ns string) {
	if prefix == "" || ns == "" || xmlOnlyNS[ns] {
		return
	}
	if std, ok := stdPrefixes[prefix]; ok {
		if std == cbvmdaJSON && ns == cbvmdaJSON {
			// Declared explicitly, the colon spelling survives decoding (see cbvmdaJSON).
			e.ns[prefix] = ns
			e.byNS[ns] = prefix
		}
		return
	}
	if _, ok := e.prefixOf(ns); ok {
		return
	}
	if _, taken := e.ns[prefix]; taken {
		prefix = e.freePrefix(prefix)
	}
	e.ns[prefix] = ns
	e.byNS[ns] = prefix
}

// prefixOf finds a prefix already usable for ns: standard, header or event-level.
func (e *Encoder) prefixOf(ns string) (string, bool) {
	if ns == epcis.NSCBVMDA {
		return "cbvmda", true
	}
	for p, s := range stdPrefixes {
		if s == ns && s != cbvmdaJSON {
			return p, true
		}
	}
	if p, ok := e.byNS[ns]; ok {
		return p, true
	}
	p, ok := e.localNS[ns]
	return p, ok
}

// freePrefix returns want when it is a usable, unbound prefix, else a generated one.
func (e *Encoder) freePrefix(want string) string {
	if validPrefix(want) {
		_, std := stdPrefixes[want]
		_, hdr := e.ns[want]
		_, loc := e.local[want]
		if !std && !hdr && !loc {
			return want
		}
	}
	for {
		e.gen++
		p := "ns" + strconv.Itoa(e.gen)
		_, hdr := e.ns[p]
		_, loc := e.local[p]
		if !hdr && !loc {
			return p
		}
	}
}

func validPrefix(p string) bool {
	if p == "" || p[0] == '@' || p == "_" {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// collectNames appends the names of els and their descendants (and attributes).
func collectNames(into *[]epcis.Name, els []epcis.Element) {
	for i := range els {
		*into = append(*into, els[i].Name)
		for _, a := range els[i].Attrs {
			*into = append(*into, a.Name)
		}
		collectNames(into, els[i].Children)
	}
}

func eventNames(ev *epcis.Event) []epcis.Name {
	var names []epcis.Name
	collectNames(&names, ev.ILMD)
	collectNames(&names, ev.Extensions)
	collectNames(&names, ev.ReadPointExtensions)
	collectNames(&names, ev.BizLocationExtensions)
	if ev.ErrorDeclaration != nil {
		collectNames(&names, ev.ErrorDeclaration.Extensions)
	}
	for _, se := range ev.SensorElements {
		collectNames(&names, se.Extensions)
		if se.Metadata != nil {
			for _, a := range se.Metadata.Other {
				names = append(names, a.Name)
			}
		}
		for _, r := range se.Reports {
			for _, a := range r.Other {
				names = append(names, a.Name)
			}
		}
	}
	return names
}

// epcisNS is the namespace of the standard EPCIS terms in JSON-LD. XML writes those terms
// without namespace, and EPCIS 1.2 reserves elements without namespace in its extension
// points (##local) for them; so an element without namespace maps to epcis:name where JSON
// needs a namespaced key (top level of events, ILMD, the document), and back.
const epcisNS = "https://ref.gs1.org/epcis/"

// keyAt is key, but writes a name without namespace as epcis:name at the top level of an
// extension list, where JSON-LD keys must be namespaced.
func (e *Encoder) keyAt(n epcis.Name, top bool) string {
	if top && n.Space == "" && n.Prefix == "" && !strings.HasPrefix(n.Local, "@") {
		return "epcis:" + n.Local
	}
	return e.key(n)
}

// key returns the JSON key for a name: "prefix:local", the local name alone when it has no
// namespace.
func (e *Encoder) key(n epcis.Name) string {
	if n.Space == "" {
		if n.Prefix != "" { // unresolved prefix from a decoder that never saw its @context
			return n.Prefix + ":" + n.Local
		}
		return n.Local
	}
	p, _ := e.prefixOf(n.Space)
	return p + ":" + n.Local
}

func (e *Encoder) appendEvent(b []byte, ev *epcis.Event) ([]byte, error) {
	if typeBit(ev.Type) == 0 {
		return b, fmt.Errorf("%q is not an EPCIS event type", ev.Type)
	}
	clear(e.local)
	clear(e.localNS)
	for _, n := range eventNames(ev) {
		if n.Space == "" {
			continue
		}
		if _, ok := e.prefixOf(n.Space); !ok {
			p := "cbvmda"
			if n.Space != cbvmdaJSON {
				p = e.freePrefix(n.Prefix)
			}
			e.local[p] = n.Space
			e.localNS[n.Space] = p
		}
	}
	b = append(b, '{')
	if len(e.local) > 0 {
		b = append(b, `"@context":{`...)
		for i, p := range sortedKeys(e.local) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, p)
			b = append(b, ':')
			b = appendString(b, e.local[p])
		}
		b = append(b, "},"...)
	}
	b = append(b, `"type":`...)
	b = appendString(b, string(ev.Type))
	b = append(b, `,"eventTime":`...)
	b = appendTime(b, ev.EventTime)
	if ev.RecordTime != nil {
		b = append(b, `,"recordTime":`...)
		b = appendTime(b, *ev.RecordTime)
	}
	b = append(b, `,"eventTimeZoneOffset":`...)
	tzo := ev.EventTimeZoneOffset
	if tzo == "" {
		tzo = ev.EventTime.Format("-07:00")
	}
	b = appendString(b, tzo)
	b = appendOptString(b, "eventID", ev.EventID)
	if len(ev.CertificationInfo) == 1 {
		b = appendOptString(b, "certificationInfo", ev.CertificationInfo[0])
	} else if len(ev.CertificationInfo) > 1 {
		b = appendStrings(b, "certificationInfo", ev.CertificationInfo, true)
	}
	if d := ev.ErrorDeclaration; d != nil {
		b = append(b, `,"errorDeclaration":{"declarationTime":`...)
		b = appendTime(b, d.DeclarationTime)
		b = appendOptString(b, "reason", vocabOut(epcis.VocabErrorReason, d.Reason))
		b = appendStrings(b, "correctiveEventIDs", d.CorrectiveEventIDs, false)
		if len(d.Extensions) > 0 {
			b = append(b, ',')
			b = e.appendMembers(b, d.Extensions, nil, true)
		}
		b = append(b, '}')
	}
	isParent := ev.Type == epcis.AggregationEvent || ev.Type == epcis.AssociationEvent
	if ev.Type != epcis.ObjectEvent && ev.Type != epcis.TransformationEvent {
		b = appendOptString(b, "parentID", ev.ParentID)
	}
	// An empty but present (non-nil) EPC list is kept: it can be what makes an event valid.
	switch {
	case isParent:
		b = appendStrings(b, "childEPCs", ev.EPCList, ev.EPCList != nil)
		b = appendQuantities(b, "childQuantityList", ev.QuantityList)
	case ev.Type == epcis.TransformationEvent:
		b = appendStrings(b, "inputEPCList", ev.InputEPCList, ev.InputEPCList != nil)
		b = appendQuantities(b, "inputQuantityList", ev.InputQuantityList)
		b = appendStrings(b, "outputEPCList", ev.OutputEPCList, ev.OutputEPCList != nil)
		b = appendQuantities(b, "outputQuantityList", ev.OutputQuantityList)
		b = appendOptString(b, "transformationID", ev.TransformationID)
	default:
		b = appendStrings(b, "epcList", ev.EPCList, ev.EPCList != nil)
		b = appendQuantities(b, "quantityList", ev.QuantityList)
	}
	if ev.Type != epcis.TransformationEvent {
		b = appendOptString(b, "action", string(ev.Action))
	}
	b = appendOptString(b, "bizStep", vocabOut(epcis.VocabBizStep, ev.BizStep))
	b = appendOptString(b, "disposition", vocabOut(epcis.VocabDisposition, ev.Disposition))
	if pd := ev.PersistentDisposition; pd != nil {
		b = append(b, `,"persistentDisposition":{`...)
		mark := len(b)
		if len(pd.Set) > 0 {
			b = appendVocabList(b, "set", epcis.VocabDisposition, pd.Set)
		}
		if len(pd.Unset) > 0 {
			b = appendVocabList(b, "unset", epcis.VocabDisposition, pd.Unset)
		}
		if len(b) > mark && b[mark] == ',' {
			b = append(b[:mark], b[mark+1:]...)
		}
		b = append(b, '}')
	}
	b = e.appendLocation(b, "readPoint", ev.ReadPoint, ev.ReadPointExtensions)
	b = e.appendLocation(b, "bizLocation", ev.BizLocation, ev.BizLocationExtensions)
	if len(ev.BizTransactions) > 0 {
		b = append(b, `,"bizTransactionList":[`...)
		for i, bt := range ev.BizTransactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if bt.Type != "" {
				b = append(b, `"type":`...)
				b = appendString(b, vocabOut(epcis.VocabBizTransactionType, bt.Type))
				b = append(b, ',')
			}
			b = append(b, `"bizTransaction":`...)
			b = appendString(b, bt.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendSourceDests(b, "sourceList", "source", ev.Sources)
	b = appendSourceDests(b, "destinationList", "destination", ev.Destinations)
	if len(ev.SensorElements) > 0 {
		var err error
		if b, err = e.appendSensorElements(b, ev.SensorElements); err != nil {
			return b, err
		}
	}
	if len(ev.ILMD) > 0 {
		b = append(b, `,"ilmd":{`...)
		b = e.appendMembers(b, ev.ILMD, nil, true)
		b = append(b, '}')
	}
	if len(ev.Extensions) > 0 {
		b = append(b, ',')
		b = e.appendMembers(b, ev.Extensions, nil, true)
	}
	return append(b, '}'), nil
}

// vocabOut writes a CBV value bare when standard; a non-standard value in the CBV namespace in
// its web URI form (the JSON schema forbids the URN form for custom values), anything else as
// is.
func vocabOut(v epcis.Vocab, s string) string {
	if s == "" {
		return ""
	}
	if bare := v.Bare(s); bare != s || v.IsStandard(s) {
		return bare
	}
	if v == epcis.VocabMeasurementType || v == epcis.VocabSensorAlertType {
		// A bare term outside the list is a GS1 Web Vocabulary term the list does not know
		// yet (see checkVocab); the schema wants it as a CURIE, and forbids
		// https://gs1.org/voc/ for custom values.
		if isTerm(s) {
			return "gs1:" + s
		}
		return v.CURIE(s)
	}
	return v.WebURI(s)
}

func appendVocabList(b []byte, key string, v epcis.Vocab, vals []string) []byte {
	out := make([]string, len(vals))
	for i, s := range vals {
		out[i] = vocabOut(v, s)
	}
	return appendStrings(b, key, out, false)
}

func (e *Encoder) appendLocation(b []byte, key, id string, ext []epcis.Element) []byte {
	if id == "" && len(ext) == 0 {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, `:{"id":`...)
	b = appendString(b, id)
	if len(ext) > 0 {
		b = append(b, ',')
		b = e.appendMembers(b, ext, nil, true)
	}
	return append(b, '}')
}

func appendSourceDests(b []byte, list, member string, sds []epcis.SourceDest) []byte {
	if len(sds) == 0 {
		return b
	}
	b = append(b, ',')
	b = appendString(b, list)
	b = append(b, ":["...)
	for i, sd := range sds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = appendString(b, vocabOut(epcis.VocabSourceDestType, sd.Type))
		b = append(b, ',')
		b = appendString(b, member)
		b = append(b, ':')
		b = appendString(b, sd.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendQuantities(b []byte, key string, qs []epcis.Quantity) []byte {
	if len(qs) == 0 {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ":["...)
	for i, q := range qs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"epcClass":`...)
		b = appendString(b, q.EPCClass)
		if q.Quantity != nil {
			b = append(b, `,"quantity":`...)
			b = appendFloat(b, *q.Quantity)
		}
		if q.UOM != "" {
			b = append(b, `,"uom":`...)
			b = appendString(b, q.UOM)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (e *Encoder) appendSensorElements(b []byte, ses []epcis.SensorElement) ([]byte, error) {
	b = append(b, `,"sensorElementList":[`...)
	for i, se := range ses {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		first := true
		sep := func() {
			if !first {
				b = append(b, ',')
			}
			first = false
		}
		if m := se.Metadata; m != nil {
			sep()
			b = append(b, `"sensorMetadata":{`...)
			mark := len(b)
			b = appendOptTime(b, "time", m.Time)
			b = appendOptTime(b, "startTime", m.StartTime)
			b = appendOptTime(b, "endTime", m.EndTime)
			b = appendOptString(b, "deviceID", m.DeviceID)
			b = appendOptString(b, "deviceMetadata", m.DeviceMetadata)
			b = appendOptString(b, "rawData", m.RawData)
			b = appendOptString(b, "dataProcessingMethod", m.DataProcessingMethod)
			b = appendOptString(b, "bizRules", m.BizRules)
			b = e.appendAttrs(b, m.Other)
			if len(b) > mark && b[mark] == ',' {
				b = append(b[:mark], b[mark+1:]...)
			}
			b = append(b, '}')
		}
		sep()
		b = append(b, `"sensorReport":[`...)
		for j, r := range se.Reports {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			mark := len(b)
			b = appendOptString(b, "type", vocabOut(epcis.VocabMeasurementType, r.Type))
			b = appendOptString(b, "exception", vocabOut(epcis.VocabSensorAlertType, r.Exception))
			b = appendOptString(b, "deviceID", r.DeviceID)
			b = appendOptString(b, "deviceMetadata", r.DeviceMetadata)
			b = appendOptString(b, "rawData", r.RawData)
			b = appendOptString(b, "dataProcessingMethod", r.DataProcessingMethod)
			b = appendOptTime(b, "time", r.Time)
			b = appendOptString(b, "microorganism", r.MicroorganismID)
			b = appendOptString(b, "chemicalSubstance", r.ChemicalSubstanceID)
			b = appendOptFloat(b, "value", r.Value)
			b = appendOptString(b, "component", vocabOut(epcis.VocabComponent, r.Component))
			b = appendOptString(b, "stringValue", r.StringValue)
			if r.BooleanValue != nil {
				b = append(b, `,"booleanValue":`...)
				b = strconv.AppendBool(b, *r.BooleanValue)
			}
			b = appendOptString(b, "hexBinaryValue", r.HexBinaryValue)
			b = appendOptString(b, "uriValue", r.URIValue)
			b = appendOptFloat(b, "minValue", r.MinValue)
			b = appendOptFloat(b, "maxValue", r.MaxValue)
			b = appendOptFloat(b, "meanValue", r.MeanValue)
			b = appendOptFloat(b, "sDev", r.SDev)
			b = appendOptFloat(b, "percRank", r.PercRank)
			b = appendOptFloat(b, "percValue", r.PercValue)
			b = appendOptString(b, "uom", r.UOM)
			b = appendOptString(b, "coordinateReferenceSystem", r.CoordinateReferenceSystem)
			b = e.appendAttrs(b, r.Other)
			if len(b) > mark && b[mark] == ',' {
				b = append(b[:mark], b[mark+1:]...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
		if len(se.Extensions) > 0 {
			b = append(b, ',')
			b = e.appendMembers(b, se.Extensions, nil, true)
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendAttrs writes attributes of sensorMetadata and sensorReport as members. An attribute
// without namespace (bizRules on a sensorReport) keeps its plain name.
func (e *Encoder) appendAttrs(b []byte, attrs []epcis.Attr) []byte {
	for _, a := range attrs {
		b = append(b, ',')
		k := e.keyAt(a.Name, true)
		if a.Name.Space == "" && a.Name.Local == "bizRules" {
			k = "bizRules" // a standard field of sensorReport in JSON
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, a.Value)
	}
	return b
}

// appendMembers writes elements (and attributes) as object members without the braces.
// Elements sharing a name become one array member at the place of the first.
func (e *Encoder) appendMembers(b []byte, els []epcis.Element, attrs []epcis.Attr, top bool) []byte {
	first := true
	for _, a := range attrs {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, e.keyAt(a.Name, top))
		b = append(b, ':')
		b = appendString(b, a.Value)
	}
	for i := range els {
		n := els[i].Name
		dup, repeated := false, false
		for j := 0; j < len(els); j++ {
			if j != i && els[j].Name.Space == n.Space && els[j].Name.Local == n.Local {
				if j < i {
					dup = true
					break
				}
				repeated = true
			}
		}
		if dup {
			continue // written with the first of its name
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, e.keyAt(n, top))
		b = append(b, ':')
		if !repeated {
			b = e.appendElementValue(b, &els[i])
			continue
		}
		b = append(b, '[')
		k := 0
		for j := i; j < len(els); j++ {
			if els[j].Name.Space == n.Space && els[j].Name.Local == n.Local {
				if k > 0 {
					b = append(b, ',')
				}
				k++
				b = e.appendElementValue(b, &els[j])
			}
		}
		b = append(b, ']')
	}
	return b
}

func (e *Encoder) appendElementValue(b []byte, el *epcis.Element) []byte {
	if len(el.Children) > 0 || len(el.Attrs) > 0 {
		b = append(b, '{')
		b = e.appendMembers(b, el.Children, el.Attrs, false)
		if t := strings.TrimSpace(el.Text); t != "" {
			if len(el.Children) > 0 || len(el.Attrs) > 0 {
				b = append(b, ',')
			}
			b = append(b, `"@value":`...)
			b = appendString(b, t)
		}
		return append(b, '}')
	}
	switch el.Kind {
	case epcis.KindNumber:
		if isJSONNumber(el.Text) {
			return append(b, el.Text...)
		}
	case epcis.KindBool:
		if el.Text == "true" || el.Text == "false" {
			return append(b, el.Text...)
		}
	case epcis.KindNull:
		return append(b, "null"...)
	}
	return appendString(b, el.Text)
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func (e *Encoder) appendVocabulary(b []byte, v *epcis.Vocabulary) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, v.Type)
	if len(v.Elements) > 0 {
		b = append(b, `,"vocabularyElementList":[`...)
		for i, ve := range v.Elements {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, ve.ID)
			if len(ve.Attributes) > 0 {
				b = append(b, `,"attributes":[`...)
				for j, a := range ve.Attributes {
					if j > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"id":`...)
					b = appendString(b, a.ID)
					b = append(b, `,"attribute":`...)
					if len(a.Elements) > 0 {
						b = append(b, '{')
						b = e.appendMembers(b, a.Elements, nil, true)
						b = append(b, '}')
					} else {
						b = appendString(b, a.Value)
					}
					b = append(b, '}')
				}
				b = append(b, ']')
			}
			b = appendStrings(b, "children", ve.Children, false)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ':')
	return appendString(b, v)
}

// appendStrings writes key: [values]; with keepEmpty an empty (non-nil) list is written as [].
func appendStrings(b []byte, key string, vals []string, keepEmpty bool) []byte {
	if len(vals) == 0 && !keepEmpty {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ":["...)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendOptTime(b []byte, key string, t *time.Time) []byte {
	if t == nil {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ':')
	return appendTime(b, *t)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendOptFloat(b []byte, key string, f *float64) []byte {
	if f == nil {
		return b
	}
	b = append(b, ',')
	b = appendString(b, key)
	b = append(b, ':')
	return appendFloat(b, *f)
}

// appendFloat formats like encoding/json: plain decimals, exponents only for very large or
// small magnitudes. NaN and infinities, which JSON cannot carry, are written as null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
