package epcisxml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// nsLegacy is the namespace of the wrapper that carries, in EPCIS 2.0 output, extension
// elements without a namespace. EPCIS 1.2 allows such elements inside its <extension>
// wrappers (the ##local slots meant for future standard fields); EPCIS 2.0 allows only
// namespaced extensions. The Decoder unwraps this element again, so 1.2 → 2.0 → 1.2 is
// lossless.
const nsLegacy = "urn:serialhub:epcis-xml:unqualified-extensions"

const legacyLocal = "unqualifiedExtensions"

// Option configures an Encoder.
type Option func(*Encoder)

// WithIndent sets the indentation per nesting level ("" writes no line breaks at all).
// The default is two spaces.
func WithIndent(indent string) Option { return func(e *Encoder) { e.x.indent = indent } }

// Encoder writes one EPCIS XML document of a given version, streaming: WriteHeader, then
// WriteEvent for each event, then Close. Elements are written in the order the version's
// XSD demands.
//
// EPCIS 1.2 has no place for some 2.0 fields; they go where the 1.2 XSD admits unknown
// content, so that decoding gives them back:
//   - certificationInfo: in baseExtension/extension (EPCISEventExtension2Type, ##local);
//   - sensorElementList and persistentDisposition: in the event's extension/extension
//     (the *EventExtension2Type ##local slot; TransformationEvent: its extension);
//   - master data without an SBDH (1.2 EPCISHeader requires one): in the document's
//     <extension> (EPCISDocumentExtensionType, ##local);
//   - AssociationEvent: in EventList/extension/extension, laid out as in 2.0.
type Encoder struct {
	x      xw
	v      epcis.Version
	epcis  string // prefix of the EPCIS namespace
	sbdh   string // prefix of the SBDH namespace
	xsi    string // prefix of XML Schema instance, "" when the root does not declare it
	doc    *epcis.Document
	state  int // 0 nothing written, 1 in EventList, 2 closed
	err    error
	events int
}

// NewEncoder returns an encoder writing version v (epcis.Version12 or epcis.Version20).
func NewEncoder(w io.Writer, v epcis.Version, opts ...Option) *Encoder {
	e := &Encoder{v: v, x: xw{w: bufio.NewWriterSize(w, 64<<10), indent: "  "}}
	for _, o := range opts {
		o(e)
	}
	return e
}

func (e *Encoder) ns() string {
	if e.v == epcis.Version12 {
		return epcis.NSEPCIS12
	}
	return epcis.NSEPCIS20
}

// WriteHeader writes the root element and the header (SBDH, master data). Namespaces of
// doc are declared on the root, with their prefixes. Calling WriteEvent first writes a
// header with no SBDH, created now.
func (e *Encoder) WriteHeader(doc *epcis.Document) error {
	if e.err != nil {
		return e.err
	}
	if e.state != 0 {
		return errors.New("epcisxml: WriteHeader called twice or after WriteEvent")
	}
	if e.v != epcis.Version12 && e.v != epcis.Version20 {
		e.err = fmt.Errorf("epcisxml: cannot write EPCIS version %q", e.v)
		return e.err
	}
	if doc == nil {
		doc = &epcis.Document{}
	}
	e.doc = doc
	x := &e.x
	x.w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)

	// Root bindings: the document's, except default namespaces (EPCIS elements are
	// unqualified) and the other EPCIS version's.
	e.epcis, e.sbdh, e.xsi = "", "", ""
	prefixes := make([]string, 0, len(doc.Namespaces))
	for p, u := range doc.Namespaces {
		if p == "" || u == epcis.NSEPCIS12 || u == epcis.NSEPCIS20 || p == "xmlns" || p == "xml" {
			if u == e.ns() && p != "" && e.epcis == "" {
				e.epcis = p
			}
			continue
		}
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	if e.epcis == "" {
		e.epcis = "epcis"
	}
	x.scope = x.scope[:0]
	x.push(e.epcis, e.ns())
	for _, p := range prefixes {
		if p == e.epcis {
			continue
		}
		u := doc.Namespaces[p]
		x.push(p, u)
		if u == epcis.NSSBDH && e.sbdh == "" {
			e.sbdh = p
		}
		if u == nsXSI && e.xsi == "" {
			e.xsi = p
		}
	}
	if e.sbdh == "" && doc.Header != nil {
		e.sbdh = "sbdh"
		for i := 1; ; i++ {
			if _, taken := x.lookup(e.sbdh); !taken {
				break
			}
			e.sbdh = "sbdh" + strconv.Itoa(i)
		}
		x.push(e.sbdh, epcis.NSSBDH)
	}

	root := e.epcis + ":EPCISDocument"
	x.open(root)
	for _, b := range x.scope {
		x.attr("xmlns:"+b.prefix, b.uri)
	}
	x.attr("schemaVersion", string(e.v))
	created := doc.CreationDate
	if created.IsZero() {
		created = time.Now().UTC()
	}
	x.attr("creationDate", e.time(created))
	x.gt()

	masterInHeader := len(doc.MasterData) > 0 && (e.v == epcis.Version20 || doc.Header != nil)
	extInHeader := e.v == epcis.Version12 && doc.Header != nil && hasQualified(doc.Extensions)
	if doc.Header != nil || masterInHeader || extInHeader {
		x.start("EPCISHeader")
		if doc.Header != nil {
			e.writeSBDH(doc.Header)
		}
		if masterInHeader {
			x.start("extension")
			e.writeMasterData(doc.MasterData)
			x.end("extension")
		}
		if extInHeader {
			for i := range doc.Extensions {
				if doc.Extensions[i].Name.Space != "" {
					x.element(&doc.Extensions[i])
				}
			}
		}
		x.end("EPCISHeader")
	}
	x.start("EPCISBody")
	x.start("EventList")
	e.state = 1
	return e.flushErr()
}

func countQualified(els []epcis.Element) int {
	n := 0
	for i := range els {
		if els[i].Name.Space != "" {
			n++
		}
	}
	return n
}

func hasQualified(els []epcis.Element) bool {
	for i := range els {
		if els[i].Name.Space != "" {
			return true
		}
	}
	return false
}

func (e *Encoder) flushErr() error {
	if e.x.w.Buffered() > 32<<10 {
		if err := e.x.w.Flush(); err != nil {
			e.err = fmt.Errorf("epcisxml: writing: %w", err)
		}
	}
	return e.err
}

// Close ends the document and flushes it. It does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.state == 2 {
		return nil
	}
	if e.state == 0 {
		if err := e.WriteHeader(nil); err != nil {
			return err
		}
	}
	x := &e.x
	doc := e.doc
	x.end("EventList")
	x.end("EPCISBody")
	masterInExt := len(doc.MasterData) > 0 && e.v == epcis.Version12 && doc.Header == nil
	var unq []*epcis.Element
	for i := range doc.Extensions {
		if doc.Extensions[i].Name.Space == "" {
			unq = append(unq, &doc.Extensions[i])
		}
	}
	if masterInExt || len(unq) > 0 {
		x.start("extension")
		if masterInExt {
			e.writeMasterData(doc.MasterData)
		}
		for _, el := range unq {
			x.element(el)
		}
		x.end("extension")
	}
	if !(e.v == epcis.Version12 && doc.Header != nil) {
		for i := range doc.Extensions {
			if doc.Extensions[i].Name.Space != "" {
				x.element(&doc.Extensions[i])
			}
		}
	}
	x.end(e.epcis + ":EPCISDocument")
	x.w.WriteByte('\n')
	e.state = 2
	if err := x.w.Flush(); err != nil {
		e.err = fmt.Errorf("epcisxml: writing: %w", err)
	}
	return e.err
}

func (e *Encoder) time(t time.Time) string {
	var b [40]byte
	return string(appendDateTime(b[:0], t))
}

func (e *Encoder) writeSBDH(h *epcis.SBDH) {
	x := &e.x
	p := e.sbdh + ":"
	x.start(p + "StandardBusinessDocumentHeader")
	x.leaf(p+"HeaderVersion", h.HeaderVersion)
	partner := func(name string, ps []epcis.Partner) {
		for i := range ps {
			x.start(p + name)
			x.open(p + "Identifier")
			if ps[i].Authority != "" {
				x.attr("Authority", ps[i].Authority)
			}
			x.w.WriteByte('>')
			escape(x.w, ps[i].Identifier, false)
			x.w.WriteString("</" + p + "Identifier>")
			for j := range ps[i].Extra {
				x.element(&ps[i].Extra[j])
			}
			x.end(p + name)
		}
	}
	partner("Sender", h.Sender)
	partner("Receiver", h.Receiver)
	x.start(p + "DocumentIdentification")
	x.leaf(p+"Standard", h.Standard)
	x.leaf(p+"TypeVersion", h.TypeVersion)
	x.leaf(p+"InstanceIdentifier", h.InstanceIdentifier)
	x.leaf(p+"Type", h.Type)
	if !h.CreationDateTime.IsZero() {
		x.leaf(p+"CreationDateAndTime", e.time(h.CreationDateTime))
	}
	x.end(p + "DocumentIdentification")
	for i := range h.Extra {
		x.element(&h.Extra[i])
	}
	x.end(p + "StandardBusinessDocumentHeader")
}

func (e *Encoder) writeMasterData(vs []epcis.Vocabulary) {
	x := &e.x
	x.start("EPCISMasterData")
	x.start("VocabularyList")
	for _, v := range vs {
		x.open("Vocabulary")
		x.attr("type", v.Type)
		if len(v.Elements) == 0 {
			x.selfClose()
			continue
		}
		x.gt()
		x.start("VocabularyElementList")
		for _, ve := range v.Elements {
			x.open("VocabularyElement")
			x.attr("id", ve.ID)
			if len(ve.Attributes) == 0 && len(ve.Children) == 0 {
				x.selfClose()
				continue
			}
			x.gt()
			for _, a := range ve.Attributes {
				x.open("attribute")
				x.attr("id", a.ID)
				switch {
				case len(a.Elements) > 0:
					x.gt()
					if a.Value != "" {
						x.nl()
						escape(x.w, a.Value, false)
					}
					for i := range a.Elements {
						x.element(&a.Elements[i])
					}
					x.end("attribute")
				case a.Value != "":
					x.w.WriteByte('>')
					escape(x.w, a.Value, false)
					x.w.WriteString("</attribute>")
				default:
					x.selfClose()
				}
			}
			if len(ve.Children) > 0 {
				x.start("children")
				for _, c := range ve.Children {
					x.leaf("id", c)
				}
				x.end("children")
			}
			x.end("VocabularyElement")
		}
		x.end("VocabularyElementList")
		x.end("Vocabulary")
	}
	x.end("VocabularyList")
	x.end("EPCISMasterData")
}

// WriteEvent writes one event. It refuses events that could not be read back (no
// eventTime, no eventTimeZoneOffset, no or an invalid action where one is required).
func (e *Encoder) WriteEvent(ev *epcis.Event) error {
	if e.err != nil {
		return e.err
	}
	if e.state == 0 {
		if err := e.WriteHeader(nil); err != nil {
			return err
		}
	}
	if e.state != 1 {
		return errors.New("epcisxml: WriteEvent after Close")
	}
	if err := checkEvent(ev); err != nil {
		return fmt.Errorf("epcisxml: event %d: %w", e.events, err)
	}
	e.events++
	if e.v == epcis.Version12 {
		e.event12(ev)
	} else {
		e.event20(ev)
	}
	return e.flushErr()
}

func checkEvent(ev *epcis.Event) error {
	if ev.EventTime.IsZero() {
		return errors.New("no eventTime")
	}
	if _, err := parseOffset(ev.EventTimeZoneOffset); err != nil {
		return fmt.Errorf("eventTimeZoneOffset %q: %w", ev.EventTimeZoneOffset, err)
	}
	switch ev.Type {
	case epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent, epcis.AssociationEvent:
		switch ev.Action {
		case epcis.ActionAdd, epcis.ActionObserve, epcis.ActionDelete:
		default:
			return fmt.Errorf("%s needs action ADD, OBSERVE or DELETE, not %q", ev.Type, ev.Action)
		}
	case epcis.TransformationEvent:
		if ev.Action != "" {
			return errors.New("TransformationEvent has no action")
		}
	default:
		return fmt.Errorf("unknown event type %q", ev.Type)
	}
	if ev.Type == epcis.TransactionEvent && len(ev.BizTransactions) == 0 {
		return errors.New("TransactionEvent needs at least one bizTransaction")
	}
	if ev.Type == epcis.AssociationEvent && ev.ParentID == "" {
		return errors.New("AssociationEvent needs a parentID")
	}
	for _, l := range [][]string{ev.EPCList, ev.InputEPCList, ev.OutputEPCList} {
		for _, s := range l {
			if s == "" {
				return errors.New("empty EPC in an EPC list")
			}
		}
	}
	for _, l := range [][]epcis.Quantity{ev.QuantityList, ev.InputQuantityList, ev.OutputQuantityList} {
		for _, q := range l {
			if q.EPCClass == "" {
				return errors.New("quantity element without epcClass")
			}
		}
	}
	for _, b := range ev.BizTransactions {
		if b.Value == "" {
			return errors.New("empty bizTransaction")
		}
	}
	for _, sd := range append(append([]epcis.SourceDest(nil), ev.Sources...), ev.Destinations...) {
		if sd.Value == "" {
			return errors.New("empty source or destination")
		}
	}
	if x := ev.ExpiryDate(); x != "" && !isDate(x) {
		return fmt.Errorf("cbvmda:itemExpirationDate %q is not a date (want YYYY-MM-DD)", x)
	}
	return nil
}

// --- event fields ---

func (e *Encoder) epcs(name string, list []string, always bool) {
	x := &e.x
	if len(list) == 0 {
		if always {
			x.open(name)
			x.selfClose()
		}
		return
	}
	x.start(name)
	for _, s := range list {
		x.leaf("epc", s)
	}
	x.end(name)
}

func (e *Encoder) quantities(name string, list []epcis.Quantity) {
	if len(list) == 0 {
		return
	}
	x := &e.x
	x.start(name)
	for _, q := range list {
		x.start("quantityElement")
		x.leaf("epcClass", q.EPCClass)
		switch {
		case q.Quantity != nil:
			x.leaf("quantity", strconv.FormatFloat(*q.Quantity, 'f', -1, 64))
		case q.UOM != "":
			// A uom needs a quantity before it; both XSDs make quantity nillable.
			x.open("quantity")
			if e.xsi != "" {
				x.attr(e.xsi+":nil", "true")
			} else {
				x.attr("xmlns:xsi", nsXSI)
				x.attr("xsi:nil", "true")
			}
			x.selfClose()
		}
		x.leafIf("uom", q.UOM)
		x.end("quantityElement")
	}
	x.end(name)
}

func (e *Encoder) place(name, id string, ext []epcis.Element) {
	if id == "" && len(ext) == 0 {
		return
	}
	x := &e.x
	x.start(name)
	x.leaf("id", id)
	// The XSD puts <extension> before the ##other elements.
	for i := range ext {
		if ext[i].Name.Space == "" {
			x.element(&ext[i])
		}
	}
	for i := range ext {
		if ext[i].Name.Space != "" {
			x.element(&ext[i])
		}
	}
	x.end(name)
}

func (e *Encoder) bizTransactions(ev *epcis.Event, always bool) {
	x := &e.x
	if len(ev.BizTransactions) == 0 {
		if always {
			// TransactionEvent requires the list and the list requires an entry; an
			// empty list is the nearest the model can say.
			x.open("bizTransactionList")
			x.selfClose()
		}
		return
	}
	x.start("bizTransactionList")
	for _, b := range ev.BizTransactions {
		x.open("bizTransaction")
		if b.Type != "" {
			x.attr("type", b.Type)
		}
		x.w.WriteByte('>')
		escape(x.w, b.Value, false)
		x.w.WriteString("</bizTransaction>")
	}
	x.end("bizTransactionList")
}

func (e *Encoder) sourceDest(list, item string, sds []epcis.SourceDest) {
	if len(sds) == 0 {
		return
	}
	x := &e.x
	x.start(list)
	for _, s := range sds {
		x.open(item)
		x.attr("type", s.Type)
		x.w.WriteByte('>')
		escape(x.w, s.Value, false)
		x.w.WriteString("</" + item + ">")
	}
	x.end(list)
}

func (e *Encoder) errorDeclaration(d *epcis.ErrorDeclaration) {
	if d == nil {
		return
	}
	x := &e.x
	x.start("errorDeclaration")
	x.leaf("declarationTime", e.time(d.DeclarationTime))
	x.leafIf("reason", d.Reason)
	if len(d.CorrectiveEventIDs) > 0 {
		x.start("correctiveEventIDs")
		for _, id := range d.CorrectiveEventIDs {
			x.leaf("correctiveEventID", id)
		}
		x.end("correctiveEventIDs")
	}
	e.extensionsOrdered(d.Extensions)
	x.end("errorDeclaration")
}

// extensionsOrdered writes unqualified elements (the <extension> wrapper) before the
// namespaced ones, as the XSDs order them.
func (e *Encoder) extensionsOrdered(els []epcis.Element) {
	for i := range els {
		if els[i].Name.Space == "" {
			e.x.element(&els[i])
		}
	}
	for i := range els {
		if els[i].Name.Space != "" {
			e.x.element(&els[i])
		}
	}
}

func (e *Encoder) persistentDisposition(p *epcis.PersistentDisposition) {
	if p == nil {
		return
	}
	x := &e.x
	x.start("persistentDisposition")
	for _, s := range p.Unset {
		x.leaf("unset", s)
	}
	for _, s := range p.Set {
		x.leaf("set", s)
	}
	x.end("persistentDisposition")
}

func (e *Encoder) timeAttr(name string, t *time.Time) {
	if t != nil {
		e.x.attr(name, e.time(*t))
	}
}

func (e *Encoder) strAttr(name, v string) {
	if v != "" {
		e.x.attr(name, v)
	}
}

func (e *Encoder) floatAttr(name string, f *float64) {
	if f != nil {
		e.x.attr(name, strconv.FormatFloat(*f, 'g', -1, 64))
	}
}

// otherAttrs writes attributes outside the modelled set, declaring namespaces as needed.
func (e *Encoder) otherAttrs(as []epcis.Attr) {
	for _, a := range as {
		if a.Name.Space == "" {
			e.x.attr(a.Name.Local, a.Value)
			continue
		}
		p, ok := e.x.prefixFor(a.Name.Space, a.Name.Prefix, false)
		if !ok {
			p = a.Name.Prefix
			if p == "" {
				e.x.gen++
				p = "ns" + strconv.Itoa(e.x.gen)
			}
			e.x.attr("xmlns:"+p, a.Name.Space)
		}
		e.x.attr(p+":"+a.Name.Local, a.Value)
	}
}

func (e *Encoder) sensors(list []epcis.SensorElement) {
	if len(list) == 0 {
		return
	}
	x := &e.x
	x.start("sensorElementList")
	for _, s := range list {
		x.start("sensorElement")
		if m := s.Metadata; m != nil {
			x.open("sensorMetadata")
			e.timeAttr("time", m.Time)
			e.timeAttr("startTime", m.StartTime)
			e.timeAttr("endTime", m.EndTime)
			e.strAttr("deviceID", m.DeviceID)
			e.strAttr("deviceMetadata", m.DeviceMetadata)
			e.strAttr("rawData", m.RawData)
			e.strAttr("dataProcessingMethod", m.DataProcessingMethod)
			e.strAttr("bizRules", m.BizRules)
			e.otherAttrs(m.Other)
			x.selfClose()
		}
		for _, r := range s.Reports {
			x.open("sensorReport")
			e.strAttr("type", r.Type)
			e.strAttr("exception", r.Exception)
			e.strAttr("deviceID", r.DeviceID)
			e.strAttr("deviceMetadata", r.DeviceMetadata)
			e.strAttr("rawData", r.RawData)
			e.strAttr("dataProcessingMethod", r.DataProcessingMethod)
			e.timeAttr("time", r.Time)
			e.strAttr("microorganism", r.MicroorganismID)
			e.strAttr("chemicalSubstance", r.ChemicalSubstanceID)
			e.floatAttr("value", r.Value)
			e.strAttr("component", r.Component)
			e.strAttr("stringValue", r.StringValue)
			if r.BooleanValue != nil {
				x.attr("booleanValue", strconv.FormatBool(*r.BooleanValue))
			}
			e.strAttr("hexBinaryValue", r.HexBinaryValue)
			e.strAttr("uriValue", r.URIValue)
			e.floatAttr("minValue", r.MinValue)
			e.floatAttr("maxValue", r.MaxValue)
			e.floatAttr("meanValue", r.MeanValue)
			e.floatAttr("sDev", r.SDev)
			e.floatAttr("percRank", r.PercRank)
			e.floatAttr("percValue", r.PercValue)
			e.strAttr("uom", r.UOM)
			e.strAttr("coordinateReferenceSystem", r.CoordinateReferenceSystem)
			e.otherAttrs(r.Other)
			x.selfClose()
		}
		// Unqualified elements may appear only inside the <extension> wrapper.
		if n := len(s.Extensions) - countQualified(s.Extensions); n > 0 {
			x.start("extension")
			for i := range s.Extensions {
				if s.Extensions[i].Name.Space == "" {
					x.element(&s.Extensions[i])
				}
			}
			x.end("extension")
		}
		for i := range s.Extensions {
			if s.Extensions[i].Name.Space != "" {
				x.element(&s.Extensions[i])
			}
		}
		x.end("sensorElement")
	}
	x.end("sensorElementList")
}

func (e *Encoder) ilmd(els []epcis.Element) {
	if len(els) == 0 {
		return
	}
	x := &e.x
	x.start("ilmd")
	e.extensionsOrdered(els)
	x.end("ilmd")
}

// userExtensions writes the event's namespaced extensions.
func (e *Encoder) userExtensions(ev *epcis.Event) {
	for i := range ev.Extensions {
		if ev.Extensions[i].Name.Space != "" {
			e.x.element(&ev.Extensions[i])
		}
	}
}

func unqualified(ev *epcis.Event) []*epcis.Element {
	var out []*epcis.Element
	for i := range ev.Extensions {
		if ev.Extensions[i].Name.Space == "" {
			out = append(out, &ev.Extensions[i])
		}
	}
	return out
}

// --- EPCIS 2.0 ---

func (e *Encoder) event20(ev *epcis.Event) {
	x := &e.x
	name := string(ev.Type)
	x.start(name)
	x.leaf("eventTime", e.time(ev.EventTime))
	if ev.RecordTime != nil {
		x.leaf("recordTime", e.time(*ev.RecordTime))
	}
	x.leaf("eventTimeZoneOffset", ev.EventTimeZoneOffset)
	x.leafIf("eventID", ev.EventID)
	e.errorDeclaration(ev.ErrorDeclaration)
	for _, c := range ev.CertificationInfo {
		x.leaf("certificationInfo", c)
	}
	for _, f := range typeFields[ev.Type] {
		e.field20(ev, f)
	}
	if unq := unqualified(ev); len(unq) > 0 {
		x.open("sh:" + legacyLocal)
		x.attr("xmlns:sh", nsLegacy)
		x.gt()
		x.push("sh", nsLegacy)
		for _, el := range unq {
			x.element(el)
		}
		x.scope = x.scope[:len(x.scope)-1]
		x.end("sh:" + legacyLocal)
	}
	e.userExtensions(ev)
	x.end(name)
}

// field20 writes one field of the type's sequence.
func (e *Encoder) field20(ev *epcis.Event, f string) {
	x := &e.x
	switch f {
	case "epcList":
		e.epcs(f, ev.EPCList, false)
	case "childEPCs":
		e.epcs(f, ev.EPCList, false)
	case "inputEPCList":
		e.epcs(f, ev.InputEPCList, false)
	case "outputEPCList":
		e.epcs(f, ev.OutputEPCList, false)
	case "quantityList", "childQuantityList":
		e.quantities(f, ev.QuantityList)
	case "inputQuantityList":
		e.quantities(f, ev.InputQuantityList)
	case "outputQuantityList":
		e.quantities(f, ev.OutputQuantityList)
	case "transformationID":
		x.leafIf(f, ev.TransformationID)
	case "parentID":
		x.leafIf(f, ev.ParentID)
	case "action":
		x.leaf(f, string(ev.Action))
	case "bizStep":
		x.leafIf(f, ev.BizStep)
	case "disposition":
		x.leafIf(f, ev.Disposition)
	case "readPoint":
		e.place(f, ev.ReadPoint, ev.ReadPointExtensions)
	case "bizLocation":
		e.place(f, ev.BizLocation, ev.BizLocationExtensions)
	case "bizTransactionList":
		e.bizTransactions(ev, ev.Type == epcis.TransactionEvent)
	case "sourceList":
		e.sourceDest(f, "source", ev.Sources)
	case "destinationList":
		e.sourceDest(f, "destination", ev.Destinations)
	case "sensorElementList":
		e.sensors(ev.SensorElements)
	case "persistentDisposition":
		e.persistentDisposition(ev.PersistentDisposition)
	case "ilmd":
		e.ilmd(ev.ILMD)
	}
}

// --- EPCIS 1.2 ---

func (e *Encoder) event12(ev *epcis.Event) {
	x := &e.x
	switch ev.Type {
	case epcis.TransformationEvent:
		x.start("extension")
		defer x.end("extension")
	case epcis.AssociationEvent:
		x.start("extension")
		x.start("extension")
		defer x.end("extension")
		defer x.end("extension")
	}
	name := string(ev.Type)
	x.start(name)
	x.leaf("eventTime", e.time(ev.EventTime))
	if ev.RecordTime != nil {
		x.leaf("recordTime", e.time(*ev.RecordTime))
	}
	x.leaf("eventTimeZoneOffset", ev.EventTimeZoneOffset)
	if ev.EventID != "" || ev.ErrorDeclaration != nil || len(ev.CertificationInfo) > 0 {
		x.start("baseExtension")
		x.leafIf("eventID", ev.EventID)
		e.errorDeclaration(ev.ErrorDeclaration)
		if len(ev.CertificationInfo) > 0 {
			x.start("extension")
			for _, c := range ev.CertificationInfo {
				x.leaf("certificationInfo", c)
			}
			x.end("extension")
		}
		x.end("baseExtension")
	}
	unq := unqualified(ev)
	// inner writes the innermost ##local extension: 2.0 fields and unqualified elements.
	hasInner := len(ev.SensorElements) > 0 || ev.PersistentDisposition != nil || len(unq) > 0
	inner := func() {
		e.sensors(ev.SensorElements)
		e.persistentDisposition(ev.PersistentDisposition)
		for _, el := range unq {
			x.element(el)
		}
	}
	switch ev.Type {
	case epcis.ObjectEvent:
		e.epcs("epcList", ev.EPCList, true)
		e.what12(ev)
		e.bizTransactions(ev, false)
		if len(ev.QuantityList) > 0 || len(ev.Sources) > 0 || len(ev.Destinations) > 0 || len(ev.ILMD) > 0 || hasInner {
			x.start("extension")
			e.quantities("quantityList", ev.QuantityList)
			e.sourceDest("sourceList", "source", ev.Sources)
			e.sourceDest("destinationList", "destination", ev.Destinations)
			e.ilmd(ev.ILMD)
			if hasInner {
				x.start("extension")
				inner()
				x.end("extension")
			}
			x.end("extension")
		}
	case epcis.AggregationEvent, epcis.TransactionEvent:
		listName, qName := "childEPCs", "childQuantityList"
		if ev.Type == epcis.TransactionEvent {
			e.bizTransactions(ev, true)
			listName, qName = "epcList", "quantityList"
		}
		x.leafIf("parentID", ev.ParentID)
		e.epcs(listName, ev.EPCList, true)
		e.what12(ev)
		if ev.Type == epcis.AggregationEvent {
			e.bizTransactions(ev, false)
		}
		if len(ev.QuantityList) > 0 || len(ev.Sources) > 0 || len(ev.Destinations) > 0 || hasInner {
			x.start("extension")
			e.quantities(qName, ev.QuantityList)
			e.sourceDest("sourceList", "source", ev.Sources)
			e.sourceDest("destinationList", "destination", ev.Destinations)
			if hasInner {
				x.start("extension")
				inner()
				x.end("extension")
			}
			x.end("extension")
		}
	case epcis.TransformationEvent:
		e.epcs("inputEPCList", ev.InputEPCList, false)
		e.quantities("inputQuantityList", ev.InputQuantityList)
		e.epcs("outputEPCList", ev.OutputEPCList, false)
		e.quantities("outputQuantityList", ev.OutputQuantityList)
		x.leafIf("transformationID", ev.TransformationID)
		x.leafIf("bizStep", ev.BizStep)
		x.leafIf("disposition", ev.Disposition)
		e.place("readPoint", ev.ReadPoint, ev.ReadPointExtensions)
		e.place("bizLocation", ev.BizLocation, ev.BizLocationExtensions)
		e.bizTransactions(ev, false)
		e.sourceDest("sourceList", "source", ev.Sources)
		e.sourceDest("destinationList", "destination", ev.Destinations)
		e.ilmd(ev.ILMD)
		if hasInner {
			x.start("extension")
			inner()
			x.end("extension")
		}
	case epcis.AssociationEvent:
		// Inside EventList/extension/extension nothing is validated; write the 2.0
		// layout, which is what 1.2 tooling that knows AssociationEvent expects.
		for _, f := range typeFields[ev.Type] {
			e.field20(ev, f)
		}
		if len(unq) > 0 {
			x.start("extension")
			for _, el := range unq {
				x.element(el)
			}
			x.end("extension")
		}
	}
	e.userExtensions(ev)
	x.end(name)
}

// what12 writes action … bizLocation, common to the 1.2 event types that have an action.
func (e *Encoder) what12(ev *epcis.Event) {
	x := &e.x
	x.leaf("action", string(ev.Action))
	x.leafIf("bizStep", ev.BizStep)
	x.leafIf("disposition", ev.Disposition)
	e.place("readPoint", ev.ReadPoint, ev.ReadPointExtensions)
	e.place("bizLocation", ev.BizLocation, ev.BizLocationExtensions)
}
