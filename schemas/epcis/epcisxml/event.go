package epcisxml

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// Field order of each event type as the EPCIS 2.0 XSD has it. EPCIS 1.2 keeps the same
// relative order but moves the later fields into <baseExtension> and <extension> wrappers,
// each of which starts a fresh sequence.
var (
	baseFields = []string{"eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration", "certificationInfo"}

	typeFields = map[epcis.EventType][]string{
		epcis.ObjectEvent: {"epcList", "action", "bizStep", "disposition", "readPoint", "bizLocation",
			"bizTransactionList", "quantityList", "sourceList", "destinationList", "sensorElementList",
			"persistentDisposition", "ilmd"},
		epcis.AggregationEvent: {"parentID", "childEPCs", "action", "bizStep", "disposition", "readPoint",
			"bizLocation", "bizTransactionList", "childQuantityList", "sourceList", "destinationList",
			"sensorElementList", "persistentDisposition"},
		epcis.TransactionEvent: {"bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition",
			"readPoint", "bizLocation", "quantityList", "sourceList", "destinationList", "sensorElementList",
			"persistentDisposition"},
		epcis.TransformationEvent: {"inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
			"transformationID", "bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList",
			"sourceList", "destinationList", "sensorElementList", "persistentDisposition", "ilmd"},
		epcis.AssociationEvent: {"parentID", "childEPCs", "childQuantityList", "action", "bizStep", "disposition",
			"readPoint", "bizLocation", "bizTransactionList", "sourceList", "destinationList",
			"sensorElementList", "persistentDisposition"},
	}
)

const (
	rankBaseExtension = 7  // after certificationInfo, before the type's fields
	rankExtension     = 63 // after every standard field
)

// rank returns the position of an EPCIS field in typ's sequence, or 0 when typ has no such
// field.
func rank(typ epcis.EventType, local string) int {
	for i, f := range baseFields {
		if f == local {
			return i + 1
		}
	}
	for i, f := range typeFields[typ] {
		if f == local {
			return i + 10
		}
	}
	return 0
}

func isField(local string) bool {
	for _, fs := range typeFields {
		for _, f := range fs {
			if f == local {
				return true
			}
		}
	}
	return false
}

// eventState is what the decoder remembers while reading one event.
type eventState struct {
	seen      uint64
	timeText  string
	timeLine  int
	hasOffset bool
	hasAction bool
}

func (d *Decoder) event(se xml.StartElement) (*epcis.Event, error) {
	d.curEvent = d.index
	defer func() { d.curEvent = -1 }()
	ev := &epcis.Event{Type: epcis.EventType(se.Name.Local), Pos: epcis.Position{Index: d.index, Line: d.line()}}
	d.index++
	var st eventState
	if err := d.eventFields(ev, &st, se.Name.Local, 0); err != nil {
		return nil, err
	}
	line := ev.Pos.Line
	if st.timeText == "" {
		return nil, d.failAt(line, "eventTime", "missing eventTime")
	}
	if !st.hasOffset {
		return nil, d.failAt(line, "eventTimeZoneOffset", "missing eventTimeZoneOffset")
	}
	off, _ := parseOffset(ev.EventTimeZoneOffset)
	t, _, err := parseDateTime(st.timeText, fixedZone(off))
	if err != nil {
		return nil, d.failAt(st.timeLine, "eventTime", "%q: %v", clip(st.timeText), err)
	}
	ev.EventTime = t
	switch ev.Type {
	case epcis.TransformationEvent:
	default:
		if !st.hasAction {
			return nil, d.failAt(line, "action", "missing action (%s requires ADD, OBSERVE or DELETE)", ev.Type)
		}
	}
	switch ev.Type {
	case epcis.TransactionEvent:
		if len(ev.BizTransactions) == 0 {
			return nil, d.failAt(line, "bizTransactionList", "missing bizTransactionList (TransactionEvent requires at least one bizTransaction)")
		}
	case epcis.AssociationEvent:
		if ev.ParentID == "" {
			return nil, d.failAt(line, "parentID", "missing parentID (required in AssociationEvent)")
		}
	}
	return ev, nil
}

// eventFields reads the children of an event (nest 0) or of one of its extension
// wrappers (nest 1 and deeper).
func (d *Decoder) eventFields(ev *epcis.Event, st *eventState, container string, nest int) error {
	last, lastName := 0, ""
	// In EPCIS 1.2, what lies inside extension/extension (and AssociationEvent as a
	// whole) is matched by a lax wildcard: the XSD imposes no order there.
	ordered := !d.anyOrder && (d.version != epcis.Version12 || (nest < 2 && ev.Type != epcis.AssociationEvent))
	return d.children(container, func(se xml.StartElement) error {
		if !isEPCIS(se.Name) {
			el, err := d.element(se)
			if err != nil {
				return err
			}
			if el.Name.Space == nsLegacy && el.Name.Local == legacyLocal {
				// Unqualified extensions carried through EPCIS 2.0 by the Encoder.
				for _, c := range el.Children {
					ev.Extensions = append(ev.Extensions, stripNS(c, nsLegacy))
				}
				return nil
			}
			ev.Extensions = append(ev.Extensions, el)
			return nil
		}
		local := se.Name.Local
		r := rank(ev.Type, local)
		switch local {
		case "baseExtension":
			r = rankBaseExtension
		case "extension":
			r = rankExtension
		}
		if r == 0 {
			if isField(local) {
				return d.fail(local, "<%s> is not a field of %s", local, ev.Type)
			}
			if nest == 0 {
				return d.fail(local, "unknown element <%s> in %s", local, ev.Type)
			}
			// EPCIS 1.2 admits unqualified elements in its extension wrappers.
			el, err := d.element(se)
			ev.Extensions = append(ev.Extensions, el)
			return err
		}
		if ordered && (r < last || (r == last && local != "certificationInfo")) {
			if r == last {
				return d.fail(local, "<%s> given twice", local)
			}
			return d.fail(local, "<%s> must come before <%s> (elements out of XSD order)", local, lastName)
		}
		last, lastName = r, local
		if r == rankBaseExtension || r == rankExtension {
			return d.eventFields(ev, st, local, nest+1)
		}
		if st.seen&(1<<r) != 0 && local != "certificationInfo" {
			return d.fail(local, "<%s> given twice", local)
		}
		st.seen |= 1 << r
		return d.field(ev, st, se)
	})
}

func (d *Decoder) field(ev *epcis.Event, st *eventState, se xml.StartElement) error {
	local := se.Name.Local
	var err error
	switch local {
	case "eventTime":
		st.timeLine = d.line()
		st.timeText, err = d.text(local)
		if err == nil && st.timeText == "" {
			return d.fail(local, "empty eventTime")
		}
	case "recordTime":
		var t time.Time
		t, err = d.timeField(local)
		ev.RecordTime = &t
	case "eventTimeZoneOffset":
		ev.EventTimeZoneOffset, err = d.text(local)
		if err == nil {
			if _, perr := parseOffset(ev.EventTimeZoneOffset); perr != nil {
				return d.fail(local, "%q: %v", clip(ev.EventTimeZoneOffset), perr)
			}
		}
		st.hasOffset = true
	case "eventID":
		ev.EventID, err = d.text(local)
	case "certificationInfo":
		var s string
		s, err = d.text(local)
		ev.CertificationInfo = append(ev.CertificationInfo, s)
	case "errorDeclaration":
		ev.ErrorDeclaration, err = d.errorDeclaration()
	case "parentID":
		ev.ParentID, err = d.text(local)
	case "epcList", "childEPCs":
		ev.EPCList, err = d.epcList(local, ev.EPCList)
	case "inputEPCList":
		ev.InputEPCList, err = d.epcList(local, ev.InputEPCList)
	case "outputEPCList":
		ev.OutputEPCList, err = d.epcList(local, ev.OutputEPCList)
	case "quantityList", "childQuantityList":
		ev.QuantityList, err = d.quantityList(local, ev.QuantityList)
	case "inputQuantityList":
		ev.InputQuantityList, err = d.quantityList(local, ev.InputQuantityList)
	case "outputQuantityList":
		ev.OutputQuantityList, err = d.quantityList(local, ev.OutputQuantityList)
	case "transformationID":
		ev.TransformationID, err = d.text(local)
	case "action":
		var s string
		s, err = d.text(local)
		if err != nil {
			return err
		}
		switch a := epcis.Action(s); a {
		case epcis.ActionAdd, epcis.ActionObserve, epcis.ActionDelete:
			ev.Action = a
		default:
			return d.fail(local, "invalid action %q%s (want ADD, OBSERVE or DELETE)", clip(s), didYouMean(s))
		}
		st.hasAction = true
	case "bizStep":
		ev.BizStep, err = d.text(local)
	case "disposition":
		ev.Disposition, err = d.text(local)
	case "persistentDisposition":
		ev.PersistentDisposition, err = d.persistentDisposition()
	case "readPoint":
		ev.ReadPoint, ev.ReadPointExtensions, err = d.place(local)
	case "bizLocation":
		ev.BizLocation, ev.BizLocationExtensions, err = d.place(local)
	case "bizTransactionList":
		err = d.children(local, func(se xml.StartElement) error {
			if !isEPCIS(se.Name) || se.Name.Local != "bizTransaction" {
				return d.fail(local, "unexpected element <%s> (want bizTransaction)", se.Name.Local)
			}
			typ, v, err := d.typedValue("bizTransaction", se, false)
			ev.BizTransactions = append(ev.BizTransactions, epcis.BizTransaction{Type: typ, Value: v})
			return err
		})
	case "sourceList", "destinationList":
		want := strings.TrimSuffix(local, "List")
		err = d.children(local, func(se xml.StartElement) error {
			if !isEPCIS(se.Name) || se.Name.Local != want {
				return d.fail(local, "unexpected element <%s> (want %s)", se.Name.Local, want)
			}
			typ, v, err := d.typedValue(want, se, true)
			sd := epcis.SourceDest{Type: typ, Value: v}
			if want == "source" {
				ev.Sources = append(ev.Sources, sd)
			} else {
				ev.Destinations = append(ev.Destinations, sd)
			}
			return err
		})
	case "sensorElementList":
		err = d.children(local, func(se xml.StartElement) error {
			if !isEPCIS(se.Name) || se.Name.Local != "sensorElement" {
				if isEPCIS(se.Name) && se.Name.Local == "extension" {
					return d.skip()
				}
				return d.fail(local, "unexpected element <%s> (want sensorElement)", se.Name.Local)
			}
			s, err := d.sensorElement()
			ev.SensorElements = append(ev.SensorElements, s)
			return err
		})
	case "ilmd":
		err = d.children(local, func(se xml.StartElement) error {
			line := d.line()
			el, err := d.element(se)
			if err != nil {
				return err
			}
			// The hub recalls by lot and expiry: a malformed expiry date is refused
			// rather than stored as text nobody can compare.
			if el.Name.Space == epcis.NSCBVMDA && el.Name.Local == "itemExpirationDate" && !isDate(el.Text) {
				return d.failAt(line, "ilmd/cbvmda:itemExpirationDate", "%q is not a date (want YYYY-MM-DD)", clip(el.Text))
			}
			ev.ILMD = append(ev.ILMD, el)
			return nil
		})
	default:
		return d.fail(local, "unknown element <%s>", local)
	}
	return err
}

// didYouMean suggests the action a near miss (a typo) was probably meant to be.
func didYouMean(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, a := range []string{"ADD", "OBSERVE", "DELETE"} {
		if u == a || editDistance(u, a) <= 2 {
			return ", did you mean " + a + "?"
		}
	}
	return ""
}

func editDistance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (d *Decoder) timeField(field string) (time.Time, error) {
	s, err := d.text(field)
	if err != nil {
		return time.Time{}, err
	}
	t, _, err := parseDateTime(s, time.UTC)
	if err != nil {
		return time.Time{}, d.fail(field, "%q: %v", clip(s), err)
	}
	return t, nil
}

// epcList reads the <epc> elements of an epcList, childEPCs, inputEPCList or outputEPCList.
//
// A large document is mostly these lists (1M identifiers in a 137 MB upload), and
// encoding/xml spends three tokens and their allocations on each identifier. So after an
// identifier read by the parser, the next ones in the plain form `<epc>urn:…</epc>` are read
// straight from the buffered bytes (fastEPC). Anything else (attributes, prefixes, entities,
// comments, an element cut by the end of the buffer, a wrong element) is left to the parser,
// which reads it and reports errors exactly as before.
func (d *Decoder) epcList(field string, list []string) ([]string, error) {
	afterEnd := false // the parser's last token was the end tag of an <epc>: see fastEPC
	for {
		if afterEnd {
			if s, ok := d.fastEPC(); ok {
				list = append(list, s)
				continue
			}
		}
		afterEnd = false
		t, err := d.tok()
		if err != nil {
			return list, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if !isEPCIS(t.Name) || t.Name.Local != "epc" {
				return list, d.fail(field, "unexpected element <%s> (want epc)", t.Name.Local)
			}
			s, err := d.text(field + "/epc")
			if err != nil {
				return list, err
			}
			if s == "" {
				return list, d.fail(field+"/epc", "empty epc")
			}
			list = append(list, s)
			afterEnd = true // text returns after the end tag
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return list, d.fail(field, "unexpected text %q", clip(string(bytes.TrimSpace(t))))
			}
		case xml.EndElement:
			return list, nil
		}
	}
}

// fastEPC reads one `<epc>ID</epc>`, and the white space before it, from the bytes br
// already holds, when they are exactly that and ID is printable ASCII other than < & >;
// otherwise it reads nothing and returns false.
//
// Why this is safe:
//   - It is only called right after the parser returned an end tag: encoding/xml consumes
//     the '>' and reads nothing ahead, so the next byte of br is the next byte of the
//     document. (After a start tag the parser may hold a pending empty element, <a/>; after
//     text, a byte it read ahead.) The parser reads br directly, as an io.ByteReader, unless a
//     latin1Reader stands between them (then no fast path).
//   - What the parser would check holds: the unprefixed name resolves to an EPCIS namespace
//     (checked), the depth is the one of the <epc> read before (checked anyway), the bytes
//     came through cr and so within the byte limits, and such an ID needs no unescaping,
//     no character check and no trimming.
//   - The bytes and lines read here are added to the parser's offset and line (d.offset,
//     d.line), so budgets and error lines stay right.
func (d *Decoder) fastEPC() (string, bool) {
	if d.latin1 || d.depth+1 > d.lim.MaxDepth {
		return "", false
	}
	if ns, err := d.resolve(xml.Name{Local: "epc"}, true); err != nil || !isEPCIS(xml.Name{Space: ns}) {
		return "", false
	}
	const open, close = "<epc>", "</epc>"
	buf, _ := d.br.Peek(d.br.Buffered()) // what is buffered: never reads, never fails
	i, lines := 0, 0
	for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n') {
		if buf[i] == '\n' {
			lines++
		}
		i++
	}
	if !bytes.HasPrefix(buf[i:], []byte(open)) {
		return "", false
	}
	i += len(open)
	start := i
	for i < len(buf) && buf[i] > ' ' && buf[i] < 0x7f && buf[i] != '<' && buf[i] != '&' && buf[i] != '>' {
		i++
	}
	end := i
	if end == start || !bytes.HasPrefix(buf[i:], []byte(close)) {
		return "", false
	}
	i += len(close)
	s := string(buf[start:end])
	d.br.Discard(i) // cannot fail: i <= Buffered()
	d.skipped += int64(i)
	d.skippedLines += lines
	return s, true
}

func (d *Decoder) quantityList(field string, list []epcis.Quantity) ([]epcis.Quantity, error) {
	err := d.children(field, func(se xml.StartElement) error {
		if !isEPCIS(se.Name) || se.Name.Local != "quantityElement" {
			return d.fail(field, "unexpected element <%s> (want quantityElement)", se.Name.Local)
		}
		line := d.line()
		var q epcis.Quantity
		err := d.children(field+"/quantityElement", func(se xml.StartElement) error {
			f := field + "/quantityElement/" + se.Name.Local
			switch se.Name.Local {
			case "epcClass":
				s, err := d.text(f)
				q.EPCClass = s
				return err
			case "quantity":
				if v, _ := attrNS(se, nsXSI, "nil"); v == "true" || v == "1" {
					return d.skip()
				}
				s, err := d.text(f)
				if err != nil {
					return err
				}
				x, perr := strconv.ParseFloat(s, 64)
				if perr != nil || strings.ContainsAny(s, "xXpPeEnNiI_") {
					return d.fail(f, "%q is not a decimal number", clip(s))
				}
				q.Quantity = &x
				return nil
			case "uom":
				s, err := d.text(f)
				q.UOM = s
				return err
			}
			return d.fail(f, "unexpected element <%s> in quantityElement", se.Name.Local)
		})
		if err != nil {
			return err
		}
		if q.EPCClass == "" {
			return d.failAt(line, field+"/quantityElement", "missing epcClass")
		}
		list = append(list, q)
		return nil
	})
	return list, err
}

func attrNS(se xml.StartElement, space, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// typedValue reads a bizTransaction, source or destination: a URI with a type attribute.
func (d *Decoder) typedValue(field string, se xml.StartElement, typeRequired bool) (typ, val string, err error) {
	hasType := false
	for _, a := range se.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "type":
			typ, hasType = strings.TrimSpace(a.Value), true
		case a.Name.Space == nsXMLNS || (a.Name.Space == "" && a.Name.Local == nsXMLNS):
		default:
			return "", "", d.fail(field, "unknown attribute %s on <%s>", a.Name.Local, field)
		}
	}
	if typeRequired && !hasType {
		return "", "", d.fail(field, "missing attribute type on <%s>", field)
	}
	val, err = d.text(field)
	if err == nil && val == "" {
		err = d.fail(field, "empty <%s>", field)
	}
	return typ, val, err
}

func (d *Decoder) place(field string) (id string, ext []epcis.Element, err error) {
	line := d.line()
	err = d.children(field, func(se xml.StartElement) error {
		if isEPCIS(se.Name) && se.Name.Local == "id" {
			s, err := d.text(field + "/id")
			id = s
			return err
		}
		if isEPCIS(se.Name) && se.Name.Local != "extension" {
			return d.fail(field, "unexpected element <%s> in %s", se.Name.Local, field)
		}
		el, err := d.element(se)
		ext = append(ext, el)
		return err
	})
	if err == nil && id == "" {
		err = d.failAt(line, field, "missing id in %s", field)
	}
	return id, ext, err
}

func (d *Decoder) persistentDisposition() (*epcis.PersistentDisposition, error) {
	p := &epcis.PersistentDisposition{}
	err := d.children("persistentDisposition", func(se xml.StartElement) error {
		f := "persistentDisposition/" + se.Name.Local
		switch se.Name.Local {
		case "set":
			s, err := d.text(f)
			p.Set = append(p.Set, s)
			return err
		case "unset":
			s, err := d.text(f)
			p.Unset = append(p.Unset, s)
			return err
		}
		return d.fail(f, "unexpected element <%s> (want set or unset)", se.Name.Local)
	})
	return p, err
}

func (d *Decoder) errorDeclaration() (*epcis.ErrorDeclaration, error) {
	line := d.line()
	e := &epcis.ErrorDeclaration{}
	hasTime := false
	err := d.children("errorDeclaration", func(se xml.StartElement) error {
		if !isEPCIS(se.Name) || se.Name.Local == "extension" {
			el, err := d.element(se)
			e.Extensions = append(e.Extensions, el)
			return err
		}
		f := "errorDeclaration/" + se.Name.Local
		switch se.Name.Local {
		case "declarationTime":
			t, err := d.timeField(f)
			e.DeclarationTime, hasTime = t, true
			return err
		case "reason":
			s, err := d.text(f)
			e.Reason = s
			return err
		case "correctiveEventIDs":
			return d.children(f, func(se xml.StartElement) error {
				if se.Name.Local != "correctiveEventID" {
					return d.fail(f, "unexpected element <%s> (want correctiveEventID)", se.Name.Local)
				}
				s, err := d.text(f + "/correctiveEventID")
				e.CorrectiveEventIDs = append(e.CorrectiveEventIDs, s)
				return err
			})
		}
		return d.fail(f, "unknown element <%s> in errorDeclaration", se.Name.Local)
	})
	if err == nil && !hasTime {
		err = d.failAt(line, "errorDeclaration/declarationTime", "missing declarationTime")
	}
	return e, err
}

func (d *Decoder) sensorElement() (epcis.SensorElement, error) {
	var s epcis.SensorElement
	err := d.children("sensorElement", func(se xml.StartElement) error {
		if isEPCIS(se.Name) && se.Name.Local == "extension" {
			// Its content is kept flat; the Encoder wraps unqualified elements in
			// <extension> again.
			return d.children("sensorElement/extension", func(se xml.StartElement) error {
				el, err := d.element(se)
				s.Extensions = append(s.Extensions, el)
				return err
			})
		}
		if !isEPCIS(se.Name) {
			el, err := d.element(se)
			s.Extensions = append(s.Extensions, el)
			return err
		}
		switch se.Name.Local {
		case "sensorMetadata":
			m, err := d.sensorMetadata(se)
			if err != nil {
				return err
			}
			s.Metadata = m
			return d.skip()
		case "sensorReport":
			r, err := d.sensorReport(se)
			if err != nil {
				return err
			}
			s.Reports = append(s.Reports, r)
			return d.skip()
		}
		// EPCIS 1.2 carries sensor data in lax wildcards, where anything goes (GS1's
		// own example misspells sensorMetaData): keep what is not understood.
		el, err := d.element(se)
		s.Extensions = append(s.Extensions, el)
		return err
	})
	return s, err
}

func (d *Decoder) sensorMetadata(se xml.StartElement) (*epcis.SensorMetadata, error) {
	m := &epcis.SensorMetadata{}
	for i, a := range se.Attr {
		if a.Name.Space == nsXMLNS || (a.Name.Space == "" && a.Name.Local == nsXMLNS) {
			continue
		}
		if a.Name.Space != "" {
			m.Other = append(m.Other, epcis.Attr{Name: d.attrName(i, a.Name), Value: a.Value})
			continue
		}
		f := "sensorMetadata/@" + a.Name.Local
		var err error
		switch a.Name.Local {
		case "time":
			m.Time, err = d.timeAttr(f, a.Value)
		case "startTime":
			m.StartTime, err = d.timeAttr(f, a.Value)
		case "endTime":
			m.EndTime, err = d.timeAttr(f, a.Value)
		case "deviceID":
			m.DeviceID = a.Value
		case "deviceMetadata":
			m.DeviceMetadata = a.Value
		case "rawData":
			m.RawData = a.Value
		case "dataProcessingMethod":
			m.DataProcessingMethod = a.Value
		case "bizRules":
			m.BizRules = a.Value
		default:
			m.Other = append(m.Other, epcis.Attr{Name: epcis.Name{Local: a.Name.Local}, Value: a.Value})
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (d *Decoder) timeAttr(field, v string) (*time.Time, error) {
	t, _, err := parseDateTime(strings.TrimSpace(v), time.UTC)
	if err != nil {
		return nil, d.fail(field, "%q: %v", clip(v), err)
	}
	return &t, nil
}

func (d *Decoder) floatAttr(field, v string) (*float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return nil, d.fail(field, "%q is not a number", clip(v))
	}
	return &x, nil
}

func (d *Decoder) sensorReport(se xml.StartElement) (epcis.SensorReport, error) {
	var r epcis.SensorReport
	for i, a := range se.Attr {
		if a.Name.Space == nsXMLNS || (a.Name.Space == "" && a.Name.Local == nsXMLNS) {
			continue
		}
		if a.Name.Space != "" {
			r.Other = append(r.Other, epcis.Attr{Name: d.attrName(i, a.Name), Value: a.Value})
			continue
		}
		f := "sensorReport/@" + a.Name.Local
		var err error
		switch a.Name.Local {
		case "type":
			r.Type = a.Value
		case "exception":
			r.Exception = a.Value
		case "deviceID":
			r.DeviceID = a.Value
		case "deviceMetadata":
			r.DeviceMetadata = a.Value
		case "rawData":
			r.RawData = a.Value
		case "dataProcessingMethod":
			r.DataProcessingMethod = a.Value
		case "time":
			r.Time, err = d.timeAttr(f, a.Value)
		case "microorganism":
			r.MicroorganismID = a.Value
		case "chemicalSubstance":
			r.ChemicalSubstanceID = a.Value
		case "value":
			r.Value, err = d.floatAttr(f, a.Value)
		case "component":
			r.Component = a.Value
		case "stringValue":
			r.StringValue = a.Value
		case "booleanValue":
			var b bool
			switch strings.TrimSpace(a.Value) {
			case "true", "1":
				b = true
			case "false", "0":
			default:
				err = d.fail(f, "%q is not a boolean", clip(a.Value))
			}
			r.BooleanValue = &b
		case "hexBinaryValue":
			r.HexBinaryValue = a.Value
		case "uriValue":
			r.URIValue = a.Value
		case "minValue":
			r.MinValue, err = d.floatAttr(f, a.Value)
		case "maxValue":
			r.MaxValue, err = d.floatAttr(f, a.Value)
		case "meanValue":
			r.MeanValue, err = d.floatAttr(f, a.Value)
		case "sDev":
			r.SDev, err = d.floatAttr(f, a.Value)
		case "percRank":
			r.PercRank, err = d.floatAttr(f, a.Value)
		case "percValue":
			r.PercValue, err = d.floatAttr(f, a.Value)
		case "uom":
			r.UOM = a.Value
		case "coordinateReferenceSystem":
			r.CoordinateReferenceSystem = a.Value
		default:
			r.Other = append(r.Other, epcis.Attr{Name: epcis.Name{Local: a.Name.Local}, Value: a.Value})
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// stripNS moves an element tree written in the default namespace uri back to no namespace.
func stripNS(el epcis.Element, uri string) epcis.Element {
	if el.Name.Space == uri {
		el.Name = epcis.Name{Local: el.Name.Local}
	}
	for i := range el.Children {
		el.Children[i] = stripNS(el.Children[i], uri)
	}
	return el
}

// isDate reports whether s is an xsd:date without time-zone (YYYY-MM-DD), as CBV
// prescribes for itemExpirationDate.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	_, _, err := parseDateTime(s+"T00:00:00Z", time.UTC)
	return err == nil
}
