// Package codec picks the EPCIS binding of a document (EPCIS 1.2 XML, 2.0 XML or 2.0
// JSON-LD) from its content type and first bytes, opens the matching streaming decoder, and
// converts documents between bindings and versions event by event, in flat memory.
package codec

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
)

// Format is an EPCIS binding and version.
type Format uint8

// The formats. JSON-LD exists only for EPCIS 2.0.
const (
	Unknown Format = iota
	XML12          // EPCIS 1.2 XML (urn:epcglobal:epcis:xsd:1)
	XML20          // EPCIS 2.0 XML (urn:epcglobal:epcis:xsd:2)
	JSONLD         // EPCIS 2.0 JSON-LD
)

var formatNames = [...]string{Unknown: "unknown", XML12: "1.2-xml", XML20: "2.0-xml", JSONLD: "2.0-json"}

// String returns the format's name as the command line spells it: 1.2-xml, 2.0-xml, 2.0-json.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// ParseFormat reads a format name (see String; "json" and "jsonld" are accepted for 2.0-json).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1.2-xml", "xml-1.2":
		return XML12, nil
	case "2.0-xml", "xml-2.0", "xml":
		return XML20, nil
	case "2.0-json", "2.0-jsonld", "json", "jsonld", "json-ld":
		return JSONLD, nil
	}
	return Unknown, fmt.Errorf("unknown EPCIS format %q (want 1.2-xml, 2.0-xml or 2.0-json)", s)
}

// ContentType is the media type of documents in the format.
func (f Format) ContentType() string {
	if f == JSONLD {
		return "application/ld+json"
	}
	return "application/xml"
}

// Version is the EPCIS version of the format.
func (f Format) Version() epcis.Version {
	if f == XML12 {
		return epcis.Version12
	}
	return epcis.Version20
}

// Namespaces of XML roots other than the EPCIS document namespaces of package epcis.
const (
	nsQuery12      = "urn:epcglobal:epcis-query:xsd:1"
	nsQuery20      = "urn:epcglobal:epcis-query:xsd:2"
	nsMasterData12 = "urn:epcglobal:epcis-masterdata:xsd:1"
	nsMasterData20 = "urn:epcglobal:epcis-masterdata:xsd:2"
)

// ErrUnknownFormat is wrapped by Detect when neither the content type nor the bytes tell the
// format.
var ErrUnknownFormat = errors.New("not an EPCIS document")

// Detect tells the format of a document from its content type (may be empty) and its first
// bytes (peek; 512 bytes are plenty unless a long prologue precedes the root element).
// application/ld+json and application/json mean JSON-LD; application/xml, text/xml and
// +xml types mean XML, whose version comes from the root element's namespace (a bare event
// without namespace is 2.0 unless its schemaVersion says 1.x). Without a telling content
// type the bytes decide. A content type that contradicts the bytes is an error.
func Detect(contentType string, peek []byte) (Format, error) {
	kind := sniffKind(peek)
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return Unknown, fmt.Errorf("content type %q: %w", contentType, err)
		}
		switch {
		case mt == "application/ld+json" || mt == "application/json" || strings.HasSuffix(mt, "+json"):
			if kind == '<' {
				return Unknown, fmt.Errorf("content type %s but the body is XML", mt)
			}
			return JSONLD, nil
		case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
			if kind == '{' {
				return Unknown, fmt.Errorf("content type %s but the body is JSON", mt)
			}
			return xmlVersion(peek)
		case mt == "application/octet-stream" || mt == "text/plain":
			// Says nothing: sniff.
		default:
			return Unknown, fmt.Errorf("content type %s: %w", mt, ErrUnknownFormat)
		}
	}
	switch kind {
	case '{':
		return JSONLD, nil
	case '<':
		return xmlVersion(peek)
	}
	return Unknown, fmt.Errorf("neither JSON nor XML: %w", ErrUnknownFormat)
}

// sniffKind returns '{' for JSON, '<' for XML, 0 otherwise.
func sniffKind(b []byte) byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '{', '[':
		return '{'
	case '<':
		return '<'
	}
	return 0
}

// xmlVersion reads the prologue of an XML document up to the root element.
func xmlVersion(peek []byte) (Format, error) {
	d := xml.NewDecoder(bytes.NewReader(peek))
	d.Strict = true
	for {
		tok, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || d.InputOffset() >= int64(len(peek)) {
				return Unknown, fmt.Errorf("no root element in the first %d bytes: %w", len(peek), ErrUnknownFormat)
			}
			return Unknown, fmt.Errorf("malformed XML before the root element: %v: %w", err, ErrUnknownFormat)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		// RawToken leaves prefixes unresolved: resolve the root's own declarations.
		space := se.Name.Space
		var decl, schemaVersion string
		for _, a := range se.Attr {
			switch {
			case a.Name.Space == "xmlns" && a.Name.Local == space:
				decl = a.Value
			case a.Name.Space == "" && a.Name.Local == "xmlns" && space == "":
				decl = a.Value
			case a.Name.Space == "" && a.Name.Local == "schemaVersion":
				schemaVersion = a.Value
			}
		}
		switch decl {
		case epcis.NSEPCIS12, nsQuery12, nsMasterData12:
			return XML12, nil
		case epcis.NSEPCIS20, nsQuery20, nsMasterData20:
			return XML20, nil
		case "":
			if isEventType(se.Name.Local) && space == "" {
				if strings.HasPrefix(schemaVersion, "1") {
					return XML12, nil
				}
				return XML20, nil
			}
		}
		return Unknown, fmt.Errorf("root element <%s> in namespace %q: %w", se.Name.Local, decl, ErrUnknownFormat)
	}
}

func isEventType(s string) bool {
	switch epcis.EventType(s) {
	case epcis.ObjectEvent, epcis.AggregationEvent, epcis.TransactionEvent, epcis.TransformationEvent, epcis.AssociationEvent:
		return true
	}
	return false
}

// NewDecoder opens the streaming decoder of format f on r. The XML decoder reads both XML
// versions.
func NewDecoder(r io.Reader, f Format, lim epcis.Limits) (epcis.Decoder, error) {
	switch f {
	case XML12, XML20:
		return epcisxml.NewDecoder(r, lim), nil
	case JSONLD:
		return epcisjson.NewDecoder(r, lim), nil
	}
	return nil, fmt.Errorf("codec: no decoder for format %v", f)
}

// Encoder is what every binding's encoder offers.
type Encoder interface {
	WriteHeader(*epcis.Document) error
	WriteEvent(*epcis.Event) error
	Close() error
}

// NewEncoder opens the streaming encoder of format f on w.
func NewEncoder(w io.Writer, f Format) (Encoder, error) {
	switch f {
	case XML12:
		return epcisxml.NewEncoder(w, epcis.Version12), nil
	case XML20:
		return epcisxml.NewEncoder(w, epcis.Version20), nil
	case JSONLD:
		return epcisjson.NewEncoder(w, epcisjson.WithIndent("  ")), nil
	}
	return nil, fmt.Errorf("codec: no encoder for format %v", f)
}

// Convert reads a document in format from and writes it in format to, one event at a time,
// with default limits. CBV values are written in the form the target expects (URNs in XML,
// bare words in JSON-LD, see ForFormat). What the target cannot carry is handled by its
// encoder: EPCIS 1.2 XML keeps 2.0-only fields in extension slots, JSON-LD drops the SBDH
// apart from sender, receiver and instance identifier. When a JSON-LD source puts header
// members after its events, the header written is what was known before the first event.
func Convert(r io.Reader, from, to Format, w io.Writer) error {
	return ConvertWithLimits(r, from, to, w, epcis.Limits{})
}

// ConvertWithLimits is Convert with explicit decoding limits.
func ConvertWithLimits(r io.Reader, from, to Format, w io.Writer, lim epcis.Limits) error {
	dec, err := NewDecoder(r, from, lim)
	if err != nil {
		return err
	}
	enc, err := NewEncoder(w, to)
	if err != nil {
		return err
	}
	doc, err := dec.Document()
	if err != nil {
		return fmt.Errorf("codec: reading %v header: %w", from, err)
	}
	out := *doc
	out.SchemaVersion = to.Version()
	if err := enc.WriteHeader(&out); err != nil {
		return fmt.Errorf("codec: writing %v header: %w", to, err)
	}
	for i := 0; ; i++ {
		e, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("codec: reading %v: %w", from, err)
		}
		ForFormat(e, to)
		if err := enc.WriteEvent(e); err != nil {
			return fmt.Errorf("codec: writing event %d as %v: %w", i, to, err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("codec: finishing %v document: %w", to, err)
	}
	return nil
}

// ForFormat rewrites the vocabulary values of e in the form format f uses: in XML, CBV values
// as URNs (EPCIS 1.2 knows no other form) and GS1 Web Vocabulary values (sensor measurement
// and alert types) as web URIs; in JSON-LD, standard values bare (the JSON-LD encoder does
// this itself). Values outside the vocabularies are left alone.
func ForFormat(e *epcis.Event, f Format) {
	if f != XML12 && f != XML20 {
		return
	}
	cbv := func(v epcis.Vocab, s string) string {
		if s == "" {
			return s
		}
		return v.URN(s)
	}
	web := func(v epcis.Vocab, s string) string {
		if s == "" {
			return s
		}
		if !strings.Contains(s, ":") {
			return epcis.GS1VocWeb + s // a bare GS1 Web Vocabulary term (JSON-LD)
		}
		return v.WebURI(s)
	}
	e.BizStep = cbv(epcis.VocabBizStep, e.BizStep)
	e.Disposition = cbv(epcis.VocabDisposition, e.Disposition)
	if pd := e.PersistentDisposition; pd != nil {
		for i := range pd.Set {
			pd.Set[i] = cbv(epcis.VocabDisposition, pd.Set[i])
		}
		for i := range pd.Unset {
			pd.Unset[i] = cbv(epcis.VocabDisposition, pd.Unset[i])
		}
	}
	if d := e.ErrorDeclaration; d != nil {
		d.Reason = cbv(epcis.VocabErrorReason, d.Reason)
	}
	for i := range e.BizTransactions {
		e.BizTransactions[i].Type = cbv(epcis.VocabBizTransactionType, e.BizTransactions[i].Type)
	}
	for i := range e.Sources {
		e.Sources[i].Type = cbv(epcis.VocabSourceDestType, e.Sources[i].Type)
	}
	for i := range e.Destinations {
		e.Destinations[i].Type = cbv(epcis.VocabSourceDestType, e.Destinations[i].Type)
	}
	for i := range e.SensorElements {
		for j := range e.SensorElements[i].Reports {
			r := &e.SensorElements[i].Reports[j]
			r.Type = web(epcis.VocabMeasurementType, r.Type)
			r.Exception = web(epcis.VocabSensorAlertType, r.Exception)
			r.Component = cbv(epcis.VocabComponent, r.Component)
		}
	}
}
