package epcisjson

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// Which event types a field belongs to.
type typeSet uint8

const (
	tObject typeSet = 1 << iota
	tAggregation
	tTransaction
	tTransformation
	tAssociation

	tAll      = tObject | tAggregation | tTransaction | tTransformation | tAssociation
	tWithAct  = tObject | tAggregation | tTransaction | tAssociation // have action
	tParented = tAggregation | tTransaction | tAssociation           // have parentID
)

func typeBit(t epcis.EventType) typeSet {
	switch t {
	case epcis.ObjectEvent:
		return tObject
	case epcis.AggregationEvent:
		return tAggregation
	case epcis.TransactionEvent:
		return tTransaction
	case epcis.TransformationEvent:
		return tTransformation
	case epcis.AssociationEvent:
		return tAssociation
	}
	return 0
}

// fieldTypes says which event types may carry each standard field (EPCIS 2.0 JSON schema).
var fieldTypes = map[string]typeSet{
	"type": tAll, "@context": tAll, "eventTime": tAll, "recordTime": tAll,
	"eventTimeZoneOffset": tAll, "eventID": tAll, "certificationInfo": tAll, "errorDeclaration": tAll,
	"epcList":      tObject | tTransaction,
	"quantityList": tObject | tTransaction,
	"parentID":     tParented,
	"childEPCs":    tAggregation | tAssociation, "childQuantityList": tAggregation | tAssociation,
	"inputEPCList": tTransformation, "inputQuantityList": tTransformation,
	"outputEPCList": tTransformation, "outputQuantityList": tTransformation,
	"transformationID": tTransformation,
	"action":           tWithAct,
	"bizStep":          tAll, "disposition": tAll,
	"persistentDisposition": tAll,
	"readPoint":             tAll, "bizLocation": tAll,
	"bizTransactionList": tAll, "sourceList": tAll, "destinationList": tAll,
	"sensorElementList": tAll,
	"ilmd":              tObject | tTransformation,
}

var contextKey = []byte(`"@context"`)

// eventParser decodes one event object. It is reused across events of a document.
type eventParser struct {
	p   *parser
	res resolver
	ctx nsContext // event-level context, reused
}

// parse decodes raw (one JSON object) as event number index.
func (ep *eventParser) parse(raw []byte, index int) (*epcis.Event, error) {
	p := ep.p
	p.reset(raw, index, "")
	ep.res.event = nil
	if bytes.Contains(raw, contextKey) {
		// The event's own @context may follow the fields that use it: read it first.
		clear(ep.ctx)
		if p.open('{') {
			for p.more() {
				if string(p.key) == "@context" {
					parseContext(p, ep.ctx)
					continue
				}
				p.skip()
			}
		}
		if p.err != nil {
			return nil, p.err
		}
		ep.res.event = ep.ctx
		p.reset(raw, index, "")
	}

	e := &epcis.Event{Pos: epcis.Position{Index: index}}
	// The type decides which fields are allowed; it is usually first but need not be.
	e.Type = ep.findType(raw)
	if p.err != nil {
		return nil, p.err
	}
	bit := typeBit(e.Type)
	var seen struct{ action, eventTime, tzo, epcs, qtys, bizTx bool }
	if !p.open('{') {
		return nil, p.err
	}
	for p.more() {
		key := p.key
		if allowed, std := fieldTypes[string(key)]; std {
			if allowed&bit == 0 {
				p.fail("is not a field of %s", e.Type)
				break
			}
		}
		switch string(key) {
		case "type", "@context":
			p.skip()
		case "eventTime":
			e.EventTime, _ = ep.time()
			seen.eventTime = true
		case "recordTime":
			if t, ok := ep.time(); ok {
				e.RecordTime = &t
			}
		case "eventTimeZoneOffset":
			e.EventTimeZoneOffset, _ = p.str()
			if p.err == nil && !validTZOffset(e.EventTimeZoneOffset) {
				p.fail("%q is not a time zone offset (+hh:mm or -hh:mm)", e.EventTimeZoneOffset)
			}
			seen.tzo = true
		case "eventID":
			e.EventID = ep.uri()
		case "certificationInfo":
			e.CertificationInfo = p.strList(true, false, checkURI)
		case "errorDeclaration":
			e.ErrorDeclaration = ep.errorDeclaration()
		case "parentID":
			e.ParentID = ep.uri()
		case "epcList", "childEPCs":
			e.EPCList = p.strList(false, true, checkURI)
			seen.epcs = true
		case "quantityList", "childQuantityList":
			e.QuantityList = ep.quantities()
			seen.qtys = true
		case "inputEPCList":
			e.InputEPCList = p.strList(false, true, checkURI)
			seen.epcs = true
		case "inputQuantityList":
			e.InputQuantityList = ep.quantities()
			seen.qtys = true
		case "outputEPCList":
			e.OutputEPCList = p.strList(false, true, checkURI)
			seen.epcs = true
		case "outputQuantityList":
			e.OutputQuantityList = ep.quantities()
			seen.qtys = true
		case "transformationID":
			e.TransformationID = ep.uri()
		case "action":
			s, _ := p.str()
			switch a := epcis.Action(s); a {
			case epcis.ActionAdd, epcis.ActionObserve, epcis.ActionDelete:
				e.Action = a
			default:
				p.fail("%q is not an action (ADD, OBSERVE or DELETE)", s)
			}
			seen.action = true
		case "bizStep":
			e.BizStep = ep.vocab(epcis.VocabBizStep)
		case "disposition":
			e.Disposition = ep.vocab(epcis.VocabDisposition)
		case "persistentDisposition":
			e.PersistentDisposition = ep.persistentDisposition()
		case "readPoint":
			e.ReadPoint, e.ReadPointExtensions = ep.location()
		case "bizLocation":
			e.BizLocation, e.BizLocationExtensions = ep.location()
		case "bizTransactionList":
			e.BizTransactions = ep.bizTransactions()
			seen.bizTx = len(e.BizTransactions) > 0
		case "sourceList":
			e.Sources = ep.sourceDests("source")
		case "destinationList":
			e.Destinations = ep.sourceDests("destination")
		case "sensorElementList":
			e.SensorElements = ep.sensorElements()
		case "ilmd":
			e.ILMD = ep.ilmd()
		default:
			e.Extensions = ep.extension(e.Extensions)
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	if err := checkRequired(e, seen.action, seen.eventTime, seen.tzo, seen.epcs, seen.qtys, seen.bizTx); err != nil {
		return nil, err
	}
	return e, nil
}

// findType reads the event's "type" member wherever it stands.
func (ep *eventParser) findType(raw []byte) epcis.EventType {
	p := ep.p
	var t string
	var found bool
	if p.open('{') {
		for p.more() {
			if string(p.key) == "type" && !found {
				t, _ = p.str()
				found = true
				continue
			}
			p.skip()
		}
	}
	if p.err != nil {
		return ""
	}
	p.reset(raw, p.event, "")
	if !found {
		p.err = &epcis.DecodeError{Event: p.event, Field: "type", Msg: "missing"}
		return ""
	}
	et := epcis.EventType(t)
	if typeBit(et) == 0 {
		p.err = &epcis.DecodeError{Event: p.event, Field: "type", Msg: "\"" + t + "\" is not an EPCIS event type"}
		return ""
	}
	return et
}

func checkRequired(e *epcis.Event, action, eventTime, tzo, epcs, qtys, bizTx bool) error {
	fail := func(field, msg string) error {
		return &epcis.DecodeError{Event: e.Pos.Index, Field: field, Msg: msg}
	}
	if !eventTime {
		return fail("eventTime", "missing")
	}
	if !tzo {
		return fail("eventTimeZoneOffset", "missing")
	}
	if typeBit(e.Type)&tWithAct != 0 && !action {
		return fail("action", "missing")
	}
	switch e.Type {
	case epcis.ObjectEvent:
		// A pure sensor observation (sensorElementList and readPoint) needs no identifiers.
		if !epcs && len(e.QuantityList) == 0 && (len(e.SensorElements) == 0 || e.ReadPoint == "") {
			return fail("epcList", "an ObjectEvent needs epcList, quantityList, or sensorElementList with readPoint")
		}
		if len(e.ILMD) > 0 && e.Action != epcis.ActionAdd {
			return fail("ilmd", "only an ObjectEvent with action ADD carries ilmd")
		}
	case epcis.AggregationEvent, epcis.AssociationEvent:
		if e.Type == epcis.AssociationEvent && e.ParentID == "" {
			return fail("parentID", "missing")
		}
		if len(e.EPCList) == 0 && len(e.QuantityList) == 0 && e.Action != epcis.ActionDelete {
			return fail("childEPCs", "needs childEPCs or childQuantityList unless action is DELETE")
		}
	case epcis.TransactionEvent:
		if !bizTx {
			return fail("bizTransactionList", "a TransactionEvent needs at least one bizTransaction")
		}
		if !epcs && len(e.QuantityList) == 0 && e.Action != epcis.ActionDelete {
			return fail("epcList", "a TransactionEvent needs epcList or quantityList unless action is DELETE")
		}
	case epcis.TransformationEvent:
		if len(e.InputEPCList)+len(e.InputQuantityList)+len(e.OutputEPCList)+len(e.OutputQuantityList) == 0 {
			return fail("inputEPCList", "a TransformationEvent needs inputs or outputs")
		}
	}
	return nil
}

func (ep *eventParser) time() (time.Time, bool) {
	s, ok := ep.p.str()
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTime(s)
	if err != nil {
		ep.p.fail("%q is not a date-time with time zone (RFC 3339)", s)
		return time.Time{}, false
	}
	return t, true
}

var (
	errYear  = errors.New("year out of range")
	errShape = errors.New("not RFC 3339")
)

// parseTime parses an RFC 3339 date-time. Years must stay within 0001..9999 also in UTC,
// where every binding (and the event hash) renders times.
func parseTime(s string) (time.Time, error) {
	if !rfc3339Shape(s) { // time.Parse is laxer (one-digit hours, a comma before the fraction)
		return time.Time{}, errShape
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return t, errYear
	}
	return t, nil
}

// rfc3339Shape checks the layout YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
func rfc3339Shape(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 {
		return false
	}
	for i := 0; i < len(layout); i++ {
		c := s[i]
		switch layout[i] {
		case 'd':
			if c < '0' || c > '9' {
				return false
			}
		case 'T':
			if c != 'T' && c != 't' {
				return false
			}
		default:
			if c != layout[i] {
				return false
			}
		}
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigits(rest[1:3]) && isDigits(rest[4:6])
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func validTZOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	for _, i := range [...]int{1, 2, 4, 5} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	hh := int(s[1]-'0')*10 + int(s[2]-'0')
	mm := int(s[4]-'0')*10 + int(s[5]-'0')
	return mm < 60 && (hh < 14 || (hh == 14 && mm == 0))
}

// checkURI accepts absolute URIs (a scheme followed by a colon), which is what every
// identifier field of EPCIS holds.
func checkURI(s string) string {
	if isURI(s) {
		return ""
	}
	return "\"" + s + "\" is not a URI"
}

func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return !strings.ContainsAny(s, " \t\r\n")
}

func (ep *eventParser) uri() string {
	s, ok := ep.p.str()
	if ok {
		if msg := checkURI(s); msg != "" {
			ep.p.fail("%s", msg)
		}
	}
	return s
}

// vocab reads a CBV (or GS1 Web Vocabulary) value: a standard bare word or a URI.
func (ep *eventParser) vocab(v epcis.Vocab) string {
	s, ok := ep.p.str()
	if !ok {
		return ""
	}
	checkVocab(ep.p, v, s)
	return s
}

func checkVocab(p *parser, v epcis.Vocab, s string) {
	if strings.IndexByte(s, ':') >= 0 {
		if !isURI(s) {
			p.fail("%q is not a URI", s)
		}
		return
	}
	if v == epcis.VocabMeasurementType || v == epcis.VocabSensorAlertType {
		// These code lists belong to the GS1 Web Vocabulary, which grows independently of
		// EPCIS releases (the standard context maps a bare term into gs1:). Accept any term.
		if !isTerm(s) {
			p.fail("%q is not a %s term or URI", s, v)
		}
		return
	}
	if !v.IsStandard(s) {
		p.fail("%q is not a standard %s value (a custom value must be a URI)", s, v)
	}
}

func isTerm(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (ep *eventParser) quantities() []epcis.Quantity {
	p := ep.p
	var out []epcis.Quantity
	if !p.open('[') {
		return nil
	}
	for p.more() {
		var q epcis.Quantity
		if !p.open('{') {
			break
		}
		for p.more() {
			switch string(p.key) {
			case "epcClass":
				q.EPCClass = ep.uri()
			case "quantity":
				if f, ok := p.float(); ok {
					q.Quantity = &f
				}
			case "uom":
				q.UOM = ep.uom()
			default:
				p.fail("is not a field of a quantity element")
			}
		}
		if p.err == nil && q.EPCClass == "" {
			p.fail("quantity element without epcClass")
		}
		out = append(out, q)
	}
	return out
}

func (ep *eventParser) uom() string {
	s, ok := ep.p.str()
	if ok && !validUOM(s) {
		ep.p.fail("%q is not a UN/CEFACT Rec. 20 unit code (2 or 3 capitals or digits)", s)
	}
	return s
}

func validUOM(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (ep *eventParser) errorDeclaration() *epcis.ErrorDeclaration {
	p := ep.p
	d := &epcis.ErrorDeclaration{}
	var hasTime bool
	if !p.open('{') {
		return nil
	}
	for p.more() {
		switch string(p.key) {
		case "declarationTime":
			d.DeclarationTime, hasTime = ep.time()
		case "reason":
			d.Reason = ep.vocab(epcis.VocabErrorReason)
		case "correctiveEventIDs":
			d.CorrectiveEventIDs = p.strList(false, false, checkURI)
		default:
			d.Extensions = ep.extension(d.Extensions)
		}
	}
	if p.err == nil && !hasTime {
		p.fail("errorDeclaration without declarationTime")
	}
	return d
}

func (ep *eventParser) persistentDisposition() *epcis.PersistentDisposition {
	p := ep.p
	pd := &epcis.PersistentDisposition{}
	if !p.open('{') {
		return nil
	}
	check := func(s string) string {
		if strings.IndexByte(s, ':') < 0 && !epcis.VocabDisposition.IsStandard(s) {
			return "\"" + s + "\" is not a standard disposition value (a custom value must be a URI)"
		}
		return ""
	}
	for p.more() {
		switch string(p.key) {
		case "set":
			pd.Set = p.strList(false, false, check)
		case "unset":
			pd.Unset = p.strList(false, false, check)
		default:
			p.fail("is not a field of persistentDisposition (set, unset)")
		}
	}
	if p.err == nil && len(pd.Set) == 0 && len(pd.Unset) == 0 {
		p.fail("persistentDisposition needs set or unset")
	}
	return pd
}

// location reads readPoint or bizLocation: {"id": URI, extensions...}.
func (ep *eventParser) location() (string, []epcis.Element) {
	p := ep.p
	var id string
	var ext []epcis.Element
	if !p.open('{') {
		return "", nil
	}
	for p.more() {
		if string(p.key) == "id" {
			id = ep.uri()
			continue
		}
		ext = ep.extension(ext)
	}
	if p.err == nil && id == "" {
		p.fail("location without id")
	}
	return id, ext
}

func (ep *eventParser) bizTransactions() []epcis.BizTransaction {
	p := ep.p
	var out []epcis.BizTransaction
	if !p.open('[') {
		return nil
	}
	for p.more() {
		var bt epcis.BizTransaction
		if !p.open('{') {
			break
		}
		for p.more() {
			switch string(p.key) {
			case "type":
				bt.Type = ep.vocab(epcis.VocabBizTransactionType)
			case "bizTransaction":
				bt.Value = ep.uri()
			default:
				p.fail("is not a field of a bizTransaction (type, bizTransaction)")
			}
		}
		if p.err == nil && bt.Value == "" {
			p.fail("bizTransaction without its identifier")
		}
		out = append(out, bt)
	}
	return out
}

func (ep *eventParser) sourceDests(member string) []epcis.SourceDest {
	p := ep.p
	var out []epcis.SourceDest
	if !p.open('[') {
		return nil
	}
	for p.more() {
		var sd epcis.SourceDest
		if !p.open('{') {
			break
		}
		for p.more() {
			switch string(p.key) {
			case "type":
				sd.Type = ep.vocab(epcis.VocabSourceDestType)
			case member:
				sd.Value = ep.uri()
			default:
				p.fail("is not a field of a %s (type, %s)", member, member)
			}
		}
		if p.err == nil && (sd.Value == "" || sd.Type == "") {
			p.fail("%s needs type and %s", member, member)
		}
		out = append(out, sd)
	}
	return out
}

func (ep *eventParser) sensorElements() []epcis.SensorElement {
	p := ep.p
	var out []epcis.SensorElement
	if !p.open('[') {
		return nil
	}
	for p.more() {
		var se epcis.SensorElement
		var reports bool
		if !p.open('{') {
			break
		}
		for p.more() {
			switch string(p.key) {
			case "sensorMetadata":
				se.Metadata = ep.sensorMetadata()
			case "sensorReport":
				reports = true
				if p.open('[') {
					for p.more() {
						se.Reports = append(se.Reports, ep.sensorReport())
					}
				}
			default:
				se.Extensions = ep.extension(se.Extensions)
			}
		}
		if p.err == nil && (!reports || len(se.Reports) == 0) {
			p.fail("sensorElement needs at least one sensorReport")
		}
		out = append(out, se)
	}
	return out
}

func (ep *eventParser) sensorMetadata() *epcis.SensorMetadata {
	p := ep.p
	m := &epcis.SensorMetadata{}
	if !p.open('{') {
		return nil
	}
	for p.more() {
		switch string(p.key) {
		case "time":
			m.Time = ep.optTime()
		case "startTime":
			m.StartTime = ep.optTime()
		case "endTime":
			m.EndTime = ep.optTime()
		case "deviceID":
			m.DeviceID = ep.uri()
		case "deviceMetadata":
			m.DeviceMetadata = ep.uri()
		case "rawData":
			m.RawData = ep.uri()
		case "dataProcessingMethod":
			m.DataProcessingMethod = ep.uri()
		case "bizRules":
			m.BizRules = ep.uri()
		default:
			m.Other = ep.attr(m.Other)
		}
	}
	return m
}

func (ep *eventParser) optTime() *time.Time {
	t, ok := ep.time()
	if !ok {
		return nil
	}
	return &t
}

func (ep *eventParser) optFloat() *float64 {
	f, ok := ep.p.float()
	if !ok {
		return nil
	}
	return &f
}

func (ep *eventParser) sensorReport() epcis.SensorReport {
	p := ep.p
	var r epcis.SensorReport
	if !p.open('{') {
		return r
	}
	for p.more() {
		switch string(p.key) {
		case "type":
			r.Type = ep.vocab(epcis.VocabMeasurementType)
		case "exception":
			r.Exception = ep.vocab(epcis.VocabSensorAlertType)
		case "deviceID":
			r.DeviceID = ep.uri()
		case "deviceMetadata":
			r.DeviceMetadata = ep.uri()
		case "rawData":
			r.RawData = ep.uri()
		case "dataProcessingMethod":
			r.DataProcessingMethod = ep.uri()
		case "time":
			r.Time = ep.optTime()
		case "microorganism":
			r.MicroorganismID = ep.uri()
		case "chemicalSubstance":
			r.ChemicalSubstanceID = ep.uri()
		case "value":
			r.Value = ep.optFloat()
		case "component":
			r.Component = ep.vocab(epcis.VocabComponent)
		case "stringValue":
			r.StringValue, _ = p.str()
		case "booleanValue":
			if b, ok := p.boolean(); ok {
				r.BooleanValue = &b
			}
		case "hexBinaryValue":
			r.HexBinaryValue, _ = p.str()
			if p.err == nil && !validHex(r.HexBinaryValue) {
				p.fail("%q is not hexadecimal", r.HexBinaryValue)
			}
		case "uriValue":
			r.URIValue = ep.uri()
		case "minValue":
			r.MinValue = ep.optFloat()
		case "maxValue":
			r.MaxValue = ep.optFloat()
		case "meanValue":
			r.MeanValue = ep.optFloat()
		case "sDev":
			r.SDev = ep.optFloat()
		case "percRank":
			r.PercRank = ep.optFloat()
		case "percValue":
			r.PercValue = ep.optFloat()
		case "uom":
			r.UOM = ep.uom()
		case "coordinateReferenceSystem":
			r.CoordinateReferenceSystem = ep.uri()
		case "bizRules":
			// Allowed on sensorReport by the JSON schema only; the model keeps it as an
			// attribute without namespace, as the XML binding would carry it.
			r.Other = append(r.Other, epcis.Attr{Name: epcis.Name{Local: "bizRules"}, Value: ep.uri()})
		default:
			r.Other = ep.attr(r.Other)
		}
	}
	// The JSON schema requires type, but the XML binding does not; a report converted from
	// XML may lack it, so it is not enforced.
	return r
}

func validHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (ep *eventParser) ilmd() []epcis.Element {
	p := ep.p
	var out []epcis.Element
	if !p.open('{') {
		return nil
	}
	for p.more() {
		out = ep.extension(out)
	}
	return out
}

// attr reads a user field of sensorMetadata or sensorReport, which the XML binding carries as
// an attribute: its value must be a scalar.
func (ep *eventParser) attr(into []epcis.Attr) []epcis.Attr {
	p := ep.p
	name, msg := ep.res.name(string(p.key))
	if msg != "" {
		p.fail("%s", msg)
		return into
	}
	var v string
	switch c := p.peek(); c {
	case '"':
		v, _ = p.str()
	case 't', 'f':
		b, _ := p.boolean()
		v = boolText(b)
	case '{', '[', 'n':
		p.fail("a user field here must be a string, number or boolean (the XML binding carries it as an attribute)")
	default:
		v, _ = p.number()
	}
	for _, a := range into {
		if a.Name.Local == name.Local && a.Name.Space == name.Space && (name.Space != "" || a.Name.Prefix == name.Prefix) {
			p.fail("duplicate field")
		}
	}
	return append(into, epcis.Attr{Name: name, Value: v})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// extension reads the member whose key is p.key as user extension element(s) and appends
// them: an array becomes repeated elements of the same name.
func (ep *eventParser) extension(into []epcis.Element) []epcis.Element {
	p := ep.p
	name, msg := ep.res.name(string(p.key))
	if msg != "" {
		p.fail("%s", msg)
		return into
	}
	if hasElement(into, name) {
		p.fail("duplicate field")
		return into
	}
	return ep.elementValue(into, name, false)
}

// hasElement reports whether els has an element named n. JSON objects should not repeat a
// key; when one does, the meaning is undefined, so it is rejected rather than guessed.
func hasElement(els []epcis.Element, n epcis.Name) bool {
	for i := range els {
		m := els[i].Name
		if m.Local == n.Local && m.Space == n.Space && (n.Space != "" || m.Prefix == n.Prefix) {
			return true
		}
	}
	return false
}

func (ep *eventParser) elementValue(into []epcis.Element, name epcis.Name, inArray bool) []epcis.Element {
	p := ep.p
	el := epcis.Element{Name: name}
	switch c := p.peek(); c {
	case '"':
		el.Text, _ = p.str()
	case 't', 'f':
		b, _ := p.boolean()
		el.Text, el.Kind = boolText(b), epcis.KindBool
	case 'n':
		p.null()
		el.Kind = epcis.KindNull
	case '[':
		if inArray {
			p.fail("arrays of arrays are not supported in user fields")
			return into
		}
		if p.open('[') {
			for p.more() {
				into = ep.elementValue(into, name, true)
			}
		}
		return into
	case '{':
		if !p.open('{') {
			return into
		}
		for p.more() {
			key := string(p.key)
			switch {
			case key == "@value":
				el.Text, _ = p.str()
			case key == "@context":
				p.skip()
			case strings.HasPrefix(key, "@"):
				s, _ := p.str()
				el.Attrs = append(el.Attrs, epcis.Attr{Name: epcis.Name{Local: key}, Value: s})
			default:
				// A plain key inside a user object is an element without namespace, as XML
				// extensions may contain.
				n := epcis.Name{Local: key}
				if strings.IndexByte(key, ':') >= 0 {
					var msg string
					if n, msg = ep.res.name(key); msg != "" {
						p.fail("%s", msg)
						return into
					}
				}
				if hasElement(el.Children, n) {
					p.fail("duplicate field")
					return into
				}
				el.Children = ep.elementValue(el.Children, n, false)
			}
		}
	default:
		el.Text, _ = p.number()
		el.Kind = epcis.KindNumber
	}
	return append(into, el)
}
