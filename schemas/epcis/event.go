// Package epcis holds the EPCIS domain model shared by every binding: the five event types
// of EPCIS 2.0 (which is a superset of 1.2), the document that carries them, and the
// generic element tree that keeps user extensions and ILMD that the hub does not interpret.
//
// The model is binding-neutral. Field names follow the EPCIS 2.0 JSON-LD names; the XML
// bindings (1.2 and 2.0) and the JSON-LD binding live in sub-packages and map to and from
// these types. The package imports nothing but the standard library.
package epcis

import "time"

// EventType names one of the EPCIS event types, spelled as in both bindings.
type EventType string

// The EPCIS event types. AssociationEvent exists only from EPCIS 2.0 on (in 1.2 documents it
// may appear inside an extension element).
const (
	ObjectEvent         EventType = "ObjectEvent"
	AggregationEvent    EventType = "AggregationEvent"
	TransactionEvent    EventType = "TransactionEvent"
	TransformationEvent EventType = "TransformationEvent"
	AssociationEvent    EventType = "AssociationEvent"
)

// Action is the EPCIS action of an event: ADD, OBSERVE or DELETE.
type Action string

// The EPCIS actions.
const (
	ActionAdd     Action = "ADD"
	ActionObserve Action = "OBSERVE"
	ActionDelete  Action = "DELETE"
)

// Version is the EPCIS version a document declares (its schemaVersion).
type Version string

// The EPCIS versions the hub reads and writes.
const (
	Version12 Version = "1.2"
	Version20 Version = "2.0"
)

// Document is everything of an EPCIS document except its events, which are streamed
// (see the binding packages' decoders). Header data is small and is read before the first
// event.
type Document struct {
	SchemaVersion Version
	CreationDate  time.Time
	// Header is the Standard Business Document Header, when present.
	Header *SBDH
	// MasterData is the EPCISMasterData vocabulary carried in the header.
	MasterData []Vocabulary
	// Namespaces maps prefixes to namespace URIs declared on the document (XML xmlns,
	// JSON-LD @context), so that extensions keep their prefixes when re-encoded.
	Namespaces map[string]string
	// Extensions keeps unknown elements of the document and header.
	Extensions []Element
}

// SBDH is the part of the Standard Business Document Header the hub uses; the rest is kept in
// Extra.
type SBDH struct {
	HeaderVersion      string
	Sender             []Partner
	Receiver           []Partner
	Standard           string
	TypeVersion        string
	InstanceIdentifier string // the document id, used to recognise a re-sent document
	Type               string
	CreationDateTime   time.Time
	Extra              []Element
}

// Partner is a sender or receiver of an SBDH.
type Partner struct {
	Authority  string // Identifier/@Authority, usually "GS1"
	Identifier string // a GLN or SGLN URI
	Extra      []Element
}

// Vocabulary is one vocabulary of EPCIS master data, e.g. urn:epcglobal:epcis:vtype:EPCClass.
type Vocabulary struct {
	Type     string
	Elements []VocabularyElement
}

// VocabularyElement is a master-data element (a product class, a location) and its attributes.
type VocabularyElement struct {
	ID         string
	Attributes []Attribute
	Children   []string // children/id for hierarchical vocabularies
}

// Attribute is one master-data attribute. Value holds simple text; Elements holds
// structured attribute content when present.
type Attribute struct {
	ID       string
	Value    string
	Elements []Element
}

// Event is one EPCIS event of any type. Fields that do not apply to an event's type are empty.
// For AggregationEvent and AssociationEvent, ParentID is the parent and EPCList holds the
// childEPCs, QuantityList the childQuantityList.
type Event struct {
	Type EventType

	EventTime           time.Time
	EventTimeZoneOffset string // "+01:00"; required by EPCIS, kept as written
	RecordTime          *time.Time
	EventID             string
	ErrorDeclaration    *ErrorDeclaration
	CertificationInfo   []string

	// What.
	ParentID     string
	EPCList      []string
	QuantityList []Quantity

	InputEPCList       []string
	InputQuantityList  []Quantity
	OutputEPCList      []string
	OutputQuantityList []Quantity
	TransformationID   string

	Action Action

	// Why.
	BizStep               string // kept as written: bare ("commissioning"), URN or web URI
	Disposition           string
	PersistentDisposition *PersistentDisposition

	// Where.
	ReadPoint   string
	BizLocation string
	// ReadPointExtensions and BizLocationExtensions keep extension elements inside readPoint
	// and bizLocation.
	ReadPointExtensions   []Element
	BizLocationExtensions []Element

	BizTransactions []BizTransaction
	Sources         []SourceDest
	Destinations    []SourceDest

	SensorElements []SensorElement

	// ILMD is the instance/lot master data (commissioning events): lot, expiry and any other
	// namespaced fields, in document order.
	ILMD []Element

	// Extensions keeps user extension elements and fields of the event, in document order.
	Extensions []Element

	// Pos is where the event stood in its document, for error messages. It is not part of
	// the event's content and is ignored by encoders and hashing.
	Pos Position
}

// Position locates an event in its source document.
type Position struct {
	Index int // 0-based index in document order
	Line  int // 1-based line where the event starts (XML), or 0 when unknown
}

// ErrorDeclaration marks an event as erroneous (EPCIS 1.2 and 2.0).
type ErrorDeclaration struct {
	DeclarationTime    time.Time
	Reason             string
	CorrectiveEventIDs []string
	Extensions         []Element
}

// PersistentDisposition is EPCIS 2.0's set/unset disposition list.
type PersistentDisposition struct {
	Set   []string
	Unset []string
}

// Quantity is a quantityElement: an EPC class with an optional quantity and unit of measure.
type Quantity struct {
	EPCClass string
	Quantity *float64 // nil when absent
	UOM      string
}

// BizTransaction is a business transaction reference; Type may be empty.
type BizTransaction struct {
	Type  string
	Value string
}

// SourceDest is a source or destination of an event; Type is e.g. owning_party.
type SourceDest struct {
	Type  string
	Value string
}

// SensorElement groups sensor reports with their metadata (EPCIS 2.0).
type SensorElement struct {
	Metadata   *SensorMetadata
	Reports    []SensorReport
	Extensions []Element
}

// SensorMetadata is sensorMetadata. Attributes not modelled explicitly are kept in Other.
type SensorMetadata struct {
	Time                 *time.Time
	StartTime            *time.Time
	EndTime              *time.Time
	DeviceID             string
	DeviceMetadata       string
	RawData              string
	DataProcessingMethod string
	BizRules             string
	Other                []Attr
}

// SensorReport is one sensorReport. Numeric values are pointers so that absent differs from
// zero. Attributes not modelled explicitly are kept in Other.
type SensorReport struct {
	Type                      string
	Exception                 string
	DeviceID                  string
	DeviceMetadata            string
	RawData                   string
	DataProcessingMethod      string
	Time                      *time.Time
	MicroorganismID           string
	ChemicalSubstanceID       string
	Value                     *float64
	Component                 string
	StringValue               string
	BooleanValue              *bool
	HexBinaryValue            string
	URIValue                  string
	MinValue                  *float64
	MaxValue                  *float64
	MeanValue                 *float64
	SDev                      *float64
	PercRank                  *float64
	PercValue                 *float64
	UOM                       string
	CoordinateReferenceSystem string
	Other                     []Attr
}

// Name is a namespace-qualified name. Space is the namespace URI; Prefix is the prefix it was
// written with, kept so that re-encoding looks like the original.
type Name struct {
	Space  string
	Prefix string
	Local  string
}

// Attr is a namespace-qualified attribute.
type Attr struct {
	Name  Name
	Value string
}

// Element is a generic element tree used for extensions and ILMD. XML maps one to one.
// JSON-LD maps an object member "prefix:name" to an element; a JSON array becomes repeated
// elements of the same name; JSON scalars become Text with Kind recording the JSON type so
// that a JSON→JSON round trip keeps numbers and booleans.
type Element struct {
	Name     Name
	Attrs    []Attr
	Text     string
	Kind     ValueKind
	Children []Element
}

// ValueKind records the JSON type of an Element's text.
type ValueKind uint8

// The value kinds. KindString is the zero value and the only one XML produces.
const (
	KindString ValueKind = iota
	KindNumber
	KindBool
	KindNull
)

// Common namespaces.
const (
	NSEPCIS12 = "urn:epcglobal:epcis:xsd:1"
	NSEPCIS20 = "urn:epcglobal:epcis:xsd:2"
	NSCBVMDA  = "urn:epcglobal:cbv:mda"
	NSSBDH    = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
)

// ILMDValue returns the text of the first ILMD element with the given namespace and local
// name, e.g. ILMDValue(NSCBVMDA, "lotNumber").
func (e *Event) ILMDValue(space, local string) string {
	for _, el := range e.ILMD {
		if el.Name.Space == space && el.Name.Local == local {
			return el.Text
		}
	}
	return ""
}

// LotNumber is the cbvmda:lotNumber of the event's ILMD, or "".
func (e *Event) LotNumber() string { return e.ILMDValue(NSCBVMDA, "lotNumber") }

// ExpiryDate is the cbvmda:itemExpirationDate of the event's ILMD (YYYY-MM-DD), or "".
func (e *Event) ExpiryDate() string { return e.ILMDValue(NSCBVMDA, "itemExpirationDate") }
