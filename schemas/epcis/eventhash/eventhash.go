// Package eventhash computes EPCIS event hash IDs (CBV 2.0 §8.9, "ni:///sha-256;…?ver=CBV2.0"):
// a fingerprint of an event that does not depend on its binding (XML or JSON-LD), element
// order, namespace prefixes, URI form of identifiers and vocabulary values, or time zone.
// The hub uses it to recognise an event it has already seen and to give events without an
// eventID a stable one.
//
// The pre-hash string lists the event's fields in canonical order as name=value, without
// separators; lists are sorted, and user extensions follow, sorted, as {namespace}name=value.
// eventID, recordTime and errorDeclaration are left out: they do not change which event
// happened. Values are normalised first: times to UTC milliseconds, numbers to one form, CBV
// values to web URIs, GS1 identifiers (EPC URIs or Digital Link URIs on any host) to
// canonical Digital Link URIs. Where the standard leaves details open, this package does what
// the reference implementation (github.com/RalphTro/epcis-event-hash-generator) does, which
// produced the published test vectors.
package eventhash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// ID returns the event hash ID of e: ni:///sha-256;<hex>?ver=CBV2.0.
func ID(e *epcis.Event) (string, error) { return (*Hasher)(nil).ID(e) }

// PreHash returns the canonical pre-hash string of e, the input of the hash.
func PreHash(e *epcis.Event) (string, error) { return (*Hasher)(nil).PreHash(e) }

// Hasher hashes the events of one document, honouring document-level settings. The zero
// value (and nil) hash like ID and PreHash.
type Hasher struct {
	// Ignore lists user extension fields (top level of the event) left out of the hash.
	Ignore []epcis.Name
}

// rdfsComment is the JSON-LD way of commenting an event; like an XML comment it is not
// content.
var rdfsComment = epcis.Name{Space: "http://www.w3.org/2000/01/rdf-schema#", Local: "comment"}

// NewHasher returns a Hasher for the events of doc. It honours the ignoreFields convention of
// the reference implementation: a document (or query results) extension named ignoreFields,
// in any namespace, listing user fields that repositories add to stored events (their own
// hash, a capture ID) and that must not change the event's hash. XML lists them as child
// elements, JSON-LD as an array of compact IRIs.
func NewHasher(doc *epcis.Document) *Hasher {
	h := &Hasher{}
	if doc == nil {
		return h
	}
	for _, ext := range doc.Extensions {
		if ext.Name.Local != "ignoreFields" {
			continue
		}
		for _, c := range ext.Children {
			h.Ignore = append(h.Ignore, c.Name)
		}
		// JSON-LD: the array became repeated elements carrying CURIEs as text.
		if t := strings.TrimSpace(ext.Text); t != "" && len(ext.Children) == 0 {
			h.Ignore = append(h.Ignore, resolveCURIE(t, doc.Namespaces))
		}
	}
	return h
}

func resolveCURIE(s string, ns map[string]string) epcis.Name {
	prefix, local, ok := strings.Cut(s, ":")
	if ok {
		if space, found := ns[prefix]; found {
			return epcis.Name{Space: space, Prefix: prefix, Local: local}
		}
	}
	if cut := strings.LastIndexAny(s, "/#"); cut > 0 {
		return epcis.Name{Space: s[:cut+1], Local: s[cut+1:]}
	}
	return epcis.Name{Local: s}
}

func (h *Hasher) ignored(n epcis.Name) bool {
	if n.Space == rdfsComment.Space && n.Local == rdfsComment.Local {
		return true
	}
	if h == nil {
		return false
	}
	for _, ig := range h.Ignore {
		if ig.Space == n.Space && ig.Local == n.Local {
			return true
		}
	}
	return false
}

// ID returns the event hash ID of e: ni:///sha-256;<hex>?ver=CBV2.0.
func (h *Hasher) ID(e *epcis.Event) (string, error) {
	pre, err := h.PreHash(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(pre))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=CBV2.0", nil
}

// PreHash returns the canonical pre-hash string of e, the input of the hash.
func (h *Hasher) PreHash(e *epcis.Event) (string, error) {
	if e == nil {
		return "", errors.New("eventhash: nil event")
	}
	switch e.Type {
	case epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent,
		epcis.TransformationEvent, epcis.AssociationEvent:
	default:
		return "", fmt.Errorf("eventhash: event %d: %q is not an EPCIS event type", e.Pos.Index, e.Type)
	}
	if e.EventTime.IsZero() {
		return "", fmt.Errorf("eventhash: event %d: no eventTime", e.Pos.Index)
	}
	var b strings.Builder
	b.WriteString("eventType=")
	b.WriteString(string(e.Type))
	b.WriteString("eventTime=")
	b.WriteString(canonTime(e.EventTime))
	field(&b, "eventTimeZoneOffset", strings.TrimSpace(e.EventTimeZoneOffset))
	list(&b, "", mapValues("certificationInfo=", e.CertificationInfo))

	parent := e.Type == epcis.AggregationEvent || e.Type == epcis.AssociationEvent
	if !parent {
		list(&b, "epcList", mapValues("epc=", e.EPCList))
	}
	field(&b, "parentID", canonValue(e.ParentID))
	list(&b, "inputEPCList", mapValues("epc=", e.InputEPCList))
	if parent {
		list(&b, "childEPCs", mapValues("epc=", e.EPCList))
		list(&b, "childQuantityList", quantities(e.QuantityList))
	} else {
		list(&b, "quantityList", quantities(e.QuantityList))
	}
	list(&b, "inputQuantityList", quantities(e.InputQuantityList))
	list(&b, "outputEPCList", mapValues("epc=", e.OutputEPCList))
	list(&b, "outputQuantityList", quantities(e.OutputQuantityList))
	field(&b, "action", strings.TrimSpace(string(e.Action)))
	field(&b, "transformationID", canonValue(e.TransformationID))
	field(&b, "bizStep", canonVocab(epcis.VocabBizStep, e.BizStep))
	field(&b, "disposition", canonVocab(epcis.VocabDisposition, e.Disposition))
	if pd := e.PersistentDisposition; pd != nil {
		var sub strings.Builder
		list(&sub, "", mapVocab("set=", epcis.VocabDisposition, pd.Set))
		list(&sub, "", mapVocab("unset=", epcis.VocabDisposition, pd.Unset))
		if sub.Len() > 0 {
			b.WriteString("persistentDisposition")
			b.WriteString(sub.String())
		}
	}
	var leftovers []string // non-namespaced parts outside the canonical order, see below
	location(&b, "readPoint", e.ReadPoint, e.ReadPointExtensions, &leftovers)
	location(&b, "bizLocation", e.BizLocation, e.BizLocationExtensions, &leftovers)
	// The published vectors fix this order: the sensor elements come before the business
	// transactions (SensorDataExamples.xml, event 10, is the one event holding both), and the
	// destinations before the sources.
	list(&b, "sensorElementList", sensorElements(e.SensorElements, &leftovers))
	list(&b, "bizTransactionList", bizTransactions(e.BizTransactions))
	list(&b, "destinationList", sourceDests("destination=", e.Destinations))
	list(&b, "sourceList", sourceDests("source=", e.Sources))

	// Everything not in the canonical order comes last, sorted as one list: the ILMD (which
	// the algorithm treats as an opaque element named "ilmd"), user extensions, and fields
	// without namespace that the canonical order does not know (kept under their path).
	if len(e.ILMD) > 0 {
		leftovers = append(leftovers, "ilmd"+elements(e.ILMD))
	}
	for i := range e.Extensions {
		if !h.ignored(e.Extensions[i].Name) {
			leftovers = append(leftovers, element(&e.Extensions[i]))
		}
	}
	slices.Sort(leftovers)
	for _, s := range leftovers {
		b.WriteString(s)
	}
	return b.String(), nil
}

// field writes name=value when value is not empty.
func field(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
}

// list sorts items and writes name followed by them, when they are not all empty.
func list(b *strings.Builder, name string, items []string) {
	slices.Sort(items)
	n := 0
	for _, s := range items {
		n += len(s)
	}
	if n == 0 {
		return
	}
	b.Grow(len(name) + n) // once: an event's list can hold thousands of identifiers
	b.WriteString(name)
	for _, s := range items {
		b.WriteString(s)
	}
}

func mapValues(prefix string, vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if c := canonValue(v); c != "" {
			out = append(out, prefix+c)
		}
	}
	return out
}

func mapVocab(prefix string, voc epcis.Vocab, vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if c := canonVocab(voc, v); c != "" {
			out = append(out, prefix+c)
		}
	}
	return out
}

func quantities(qs []epcis.Quantity) []string {
	out := make([]string, 0, len(qs))
	for _, q := range qs {
		var b strings.Builder
		field(&b, "epcClass", canonValue(q.EPCClass))
		if q.Quantity != nil {
			field(&b, "quantity", canonFloat(*q.Quantity))
		}
		field(&b, "uom", canonValue(q.UOM))
		if b.Len() > 0 {
			out = append(out, "quantityElement"+b.String())
		}
	}
	return out
}

func bizTransactions(bts []epcis.BizTransaction) []string {
	out := make([]string, 0, len(bts))
	for _, bt := range bts {
		var b strings.Builder
		field(&b, "type", canonVocab(epcis.VocabBizTransactionType, bt.Type))
		field(&b, "bizTransaction", canonValue(bt.Value))
		out = append(out, b.String())
	}
	return out
}

func sourceDests(name string, sds []epcis.SourceDest) []string {
	out := make([]string, 0, len(sds))
	for _, sd := range sds {
		var b strings.Builder
		field(&b, "type", canonVocab(epcis.VocabSourceDestType, sd.Type))
		if v := canonValue(sd.Value); v != "" {
			b.WriteString(name)
			b.WriteString(v)
		}
		out = append(out, b.String())
	}
	return out
}

// location writes readPoint or bizLocation: the id, then its namespaced extensions sorted.
func location(b *strings.Builder, name, id string, ext []epcis.Element, leftovers *[]string) {
	var sub strings.Builder
	field(&sub, "id", canonValue(id))
	inline, rest := splitElements(ext)
	for _, s := range inline {
		sub.WriteString(s)
	}
	if sub.Len() > 0 {
		b.WriteString(name)
		b.WriteString(sub.String())
	}
	if len(rest) > 0 {
		*leftovers = append(*leftovers, name+strings.Join(rest, ""))
	}
}

// splitElements renders elements sorted, separating namespaced ones (user extensions, kept
// in place) from ones without namespace (unknown fields, moved to the end of the event).
func splitElements(els []epcis.Element) (inline, rest []string) {
	for i := range els {
		s := element(&els[i])
		if els[i].Name.Space != "" {
			inline = append(inline, s)
		} else {
			rest = append(rest, s)
		}
	}
	slices.Sort(inline)
	slices.Sort(rest)
	return inline, rest
}

func splitAttrs(attrs []epcis.Attr) (inline, rest []string) {
	for _, a := range attrs {
		s := attr(a)
		if a.Name.Space != "" {
			inline = append(inline, s)
		} else {
			rest = append(rest, s)
		}
	}
	slices.Sort(inline)
	slices.Sort(rest)
	return inline, rest
}

func sensorElements(ses []epcis.SensorElement, leftovers *[]string) []string {
	out := make([]string, 0, len(ses))
	var lost []string // per sensor element, its unknown fields
	for _, se := range ses {
		var b, left strings.Builder
		if m := se.Metadata; m != nil {
			var sub strings.Builder
			if m.Time != nil {
				field(&sub, "time", canonTime(*m.Time))
			}
			if m.StartTime != nil {
				field(&sub, "startTime", canonTime(*m.StartTime))
			}
			if m.EndTime != nil {
				field(&sub, "endTime", canonTime(*m.EndTime))
			}
			field(&sub, "deviceID", canonValue(m.DeviceID))
			field(&sub, "deviceMetadata", canonValue(m.DeviceMetadata))
			field(&sub, "rawData", canonValue(m.RawData))
			field(&sub, "dataProcessingMethod", canonValue(m.DataProcessingMethod))
			field(&sub, "bizRules", canonValue(m.BizRules))
			inline, rest := splitAttrs(m.Other)
			for _, s := range inline {
				sub.WriteString(s)
			}
			if sub.Len() > 0 {
				b.WriteString("sensorMetadata")
				b.WriteString(sub.String())
			}
			if len(rest) > 0 {
				left.WriteString("sensorMetadata" + strings.Join(rest, ""))
			}
		}
		reports := make([]string, 0, len(se.Reports))
		var lostReports []string
		for i := range se.Reports {
			s, rest := sensorReport(&se.Reports[i])
			if s != "" {
				reports = append(reports, "sensorReport"+s)
			}
			if rest != "" {
				lostReports = append(lostReports, "sensorReport"+rest)
			}
		}
		slices.Sort(reports)
		for _, s := range reports {
			b.WriteString(s)
		}
		slices.Sort(lostReports)
		for _, s := range lostReports {
			left.WriteString(s)
		}
		inline, rest := splitElements(se.Extensions)
		for _, s := range inline {
			b.WriteString(s)
		}
		for _, s := range rest {
			left.WriteString(s)
		}
		if b.Len() > 0 {
			out = append(out, "sensorElement"+b.String())
		}
		if left.Len() > 0 {
			lost = append(lost, "sensorElement"+left.String())
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		*leftovers = append(*leftovers, "sensorElementList"+strings.Join(lost, ""))
	}
	return out
}

// sensorReport renders a report's fields in canonical order followed by its namespaced
// extensions, and separately its unknown fields without namespace.
func sensorReport(r *epcis.SensorReport) (string, string) {
	var b strings.Builder
	field(&b, "type", canonVocab(epcis.VocabMeasurementType, r.Type))
	field(&b, "exception", canonVocab(epcis.VocabSensorAlertType, r.Exception))
	field(&b, "deviceID", canonValue(r.DeviceID))
	field(&b, "deviceMetadata", canonValue(r.DeviceMetadata))
	field(&b, "rawData", canonValue(r.RawData))
	field(&b, "dataProcessingMethod", canonValue(r.DataProcessingMethod))
	if r.Time != nil {
		field(&b, "time", canonTime(*r.Time))
	}
	field(&b, "microorganism", canonValue(r.MicroorganismID))
	field(&b, "chemicalSubstance", canonValue(r.ChemicalSubstanceID))
	optFloat(&b, "value", r.Value)
	field(&b, "component", canonVocab(epcis.VocabComponent, r.Component))
	field(&b, "stringValue", canonValue(r.StringValue))
	if r.BooleanValue != nil {
		field(&b, "booleanValue", fmt.Sprint(*r.BooleanValue))
	}
	field(&b, "hexBinaryValue", canonValue(r.HexBinaryValue))
	field(&b, "uriValue", canonValue(r.URIValue))
	optFloat(&b, "minValue", r.MinValue)
	optFloat(&b, "maxValue", r.MaxValue)
	optFloat(&b, "meanValue", r.MeanValue)
	optFloat(&b, "sDev", r.SDev)
	optFloat(&b, "percRank", r.PercRank)
	optFloat(&b, "percValue", r.PercValue)
	field(&b, "uom", canonValue(r.UOM))
	field(&b, "coordinateReferenceSystem", canonValue(r.CoordinateReferenceSystem))
	inline, rest := splitAttrs(r.Other)
	for _, s := range inline {
		b.WriteString(s)
	}
	return b.String(), strings.Join(rest, "")
}

func optFloat(b *strings.Builder, name string, f *float64) {
	if f != nil {
		field(b, name, canonFloat(*f))
	}
}

// name renders {namespace}local, or the local name alone without namespace.
func name(n epcis.Name) string {
	switch {
	case n.Space != "":
		return "{" + n.Space + "}" + n.Local
	case n.Prefix != "": // unresolved: best effort
		return n.Prefix + ":" + n.Local
	}
	return n.Local
}

func attr(a epcis.Attr) string {
	s := name(a.Name)
	if v := canonValue(a.Value); v != "" {
		s += "=" + v
	}
	return s
}

// element renders a generic element: name, =value when it has text, then its attributes and
// children, sorted.
func element(el *epcis.Element) string {
	s := name(el.Name)
	if v := canonValue(el.Text); v != "" {
		s += "=" + v
	}
	return s + elementsAndAttrs(el.Children, el.Attrs)
}

func elements(els []epcis.Element) string { return elementsAndAttrs(els, nil) }

func elementsAndAttrs(els []epcis.Element, attrs []epcis.Attr) string {
	if len(els) == 0 && len(attrs) == 0 {
		return ""
	}
	parts := make([]string, 0, len(els)+len(attrs))
	for _, a := range attrs {
		parts = append(parts, attr(a))
	}
	for i := range els {
		parts = append(parts, element(&els[i]))
	}
	slices.Sort(parts)
	return strings.Join(parts, "")
}
