package euhub

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// Namespaces of the message set.
const (
	NS     = "urn:serialhub:euhub:v1"
	SOAPNS = "http://schemas.xmlsoap.org/soap/envelope/"
)

// Body element names (also the SOAPAction suffix).
const (
	OpProduct      = "ProductMasterData"
	OpPacks        = "PackDataUpload"
	OpRecall       = "BatchRecall"
	OpWithdrawal   = "ProductWithdrawal"
	OpDecommission = "PackStatusChange"
	OpUndo         = "PackStatusUndo"
)

// Alert codes (docs/gateways/euhub.md).
const (
	A2  = "A2"  // batch not found
	A3  = "A3"  // pack not found
	A7  = "A7"  // already in the requested state
	A9  = "A9"  // pack already uploaded by another message
	A16 = "A16" // master data missing or incomplete
	A24 = "A24" // status change not possible
	A52 = "A52" // expiry mismatch
	A68 = "A68" // batch id mismatch
)

// Decommissioning statuses.
var Statuses = []string{"exported", "sample", "free_sample", "destroyed", "locked", "stolen"}

// Reversible reports whether a decommissioning status may be undone (within the hub's window).
func Reversible(status string) bool { return status != "destroyed" && status != "stolen" }

// ValidStatus reports whether s is a decommissioning status.
func ValidStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Header is the SOAP header of every message.
type Header struct {
	MessageID string `xml:"MessageId"`
	Sender    string `xml:"Sender"`
	Created   string `xml:"Created"`
}

// ProductCode is a product code with its coding scheme (GTIN or PPN).
type ProductCode struct {
	Scheme string `xml:"scheme,attr" json:"scheme"`
	Code   string `xml:",chardata" json:"code"`
}

// Address is a party of the master data.
type Address struct {
	Name       string `xml:"Name" json:"name"`
	Street     string `xml:"Street" json:"street"`
	City       string `xml:"City" json:"city"`
	PostalCode string `xml:"PostalCode" json:"postal_code"`
	Country    string `xml:"Country" json:"country"`
}

// Market is a market the product is sold in, with its national code where there is one.
type Market struct {
	Country      string `xml:"country,attr" json:"country"`
	NationalCode string `xml:",chardata" json:"national_code,omitempty"`
}

// ProductMasterData is the master data of one product.
type ProductMasterData struct {
	XMLName     xml.Name    `xml:"urn:serialhub:euhub:v1 ProductMasterData" json:"-"`
	Product     ProductCode `xml:"Product" json:"product"`
	Name        string      `xml:"Name" json:"name"`
	CommonName  string      `xml:"CommonName" json:"common_name"`
	Form        string      `xml:"Form" json:"form"`
	Strength    string      `xml:"Strength" json:"strength"`
	PackType    string      `xml:"PackType" json:"pack_type"`
	PackSize    int         `xml:"PackSize" json:"pack_size"`
	Markets     []Market    `xml:"Markets>Market" json:"markets"`
	MAH         Address     `xml:"MAH" json:"mah"`
	Wholesalers []Address   `xml:"Wholesalers>Wholesaler" json:"wholesalers,omitempty"`
}

// Chunk says which part of a batch's upload a message is.
type Chunk struct {
	Index int `xml:"index,attr"`
	Count int `xml:"count,attr"`
}

// PackDataUpload is one chunk of a batch's packs.
type PackDataUpload struct {
	XMLName xml.Name    `xml:"urn:serialhub:euhub:v1 PackDataUpload"`
	Product ProductCode `xml:"Product"`
	Batch   string      `xml:"Batch"`
	Expiry  string      `xml:"Expiry"`
	Chunk   Chunk       `xml:"Chunk"`
	Serials []string    `xml:"Packs>SN"`
}

// BatchRecall recalls a batch.
type BatchRecall struct {
	XMLName xml.Name    `xml:"urn:serialhub:euhub:v1 BatchRecall"`
	Product ProductCode `xml:"Product"`
	Batch   string      `xml:"Batch"`
	Reason  string      `xml:"Reason"`
}

// ProductWithdrawal withdraws a product from every market, irreversibly.
type ProductWithdrawal struct {
	XMLName xml.Name    `xml:"urn:serialhub:euhub:v1 ProductWithdrawal"`
	Product ProductCode `xml:"Product"`
	Reason  string      `xml:"Reason"`
}

// PackStatus is a decommissioning (PackStatusChange) or its undo (PackStatusUndo).
type PackStatus struct {
	XMLName xml.Name
	Product ProductCode `xml:"Product"`
	Batch   string      `xml:"Batch"`
	Expiry  string      `xml:"Expiry"`
	Status  string      `xml:"Status"`
	Serials []string    `xml:"Packs>SN"`
}

// Alert is one alert in an acknowledgement.
type Alert struct {
	Code   string `xml:"code,attr"`
	Serial string `xml:"sn,attr,omitempty"`
	Text   string `xml:",chardata"`
}

func (a Alert) String() string {
	s := a.Code + " " + a.Text
	if a.Serial != "" {
		s += " (" + a.Serial + ")"
	}
	return s
}

// Ack is the hub's acknowledgement of a message.
type Ack struct {
	XMLName   xml.Name `xml:"urn:serialhub:euhub:v1 Ack"`
	MessageID string   `xml:"MessageId"`
	Result    string   `xml:"Result"` // accepted | rejected
	Count     int      `xml:"Count"`
	Replay    bool     `xml:"Replay"`
	Alerts    []Alert  `xml:"Alert"`
}

// AlertNotification is an alert the hub sends the MAH (a pharmacy scan, typically).
type AlertNotification struct {
	XMLName xml.Name    `xml:"urn:serialhub:euhub:v1 AlertNotification" json:"-"`
	AlertID string      `xml:"AlertId" json:"id"`
	Code    string      `xml:"Code" json:"code"`
	Raised  time.Time   `xml:"Raised" json:"raised_at"`
	Market  string      `xml:"Market" json:"market"`
	Product ProductCode `xml:"Product" json:"product"`
	Batch   string      `xml:"Batch" json:"lot"`
	Expiry  string      `xml:"Expiry" json:"expiry"`
	Serial  string      `xml:"SN" json:"serial"`
	Text    string      `xml:"Text" json:"text"`
}

// AlertReceipt answers an AlertNotification.
type AlertReceipt struct {
	XMLName xml.Name `xml:"urn:serialhub:euhub:v1 AlertReceipt"`
	AlertID string   `xml:"AlertId"`
}

// Fault is a SOAP fault.
type Fault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
}

// Envelope is a parsed message: the header and whichever body element it carries.
type Envelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Header  struct {
		MessageHeader Header `xml:"urn:serialhub:euhub:v1 MessageHeader"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body struct {
		Product      *ProductMasterData `xml:"urn:serialhub:euhub:v1 ProductMasterData"`
		Packs        *PackDataUpload    `xml:"urn:serialhub:euhub:v1 PackDataUpload"`
		Recall       *BatchRecall       `xml:"urn:serialhub:euhub:v1 BatchRecall"`
		Withdrawal   *ProductWithdrawal `xml:"urn:serialhub:euhub:v1 ProductWithdrawal"`
		Decommission *PackStatus        `xml:"urn:serialhub:euhub:v1 PackStatusChange"`
		Undo         *PackStatus        `xml:"urn:serialhub:euhub:v1 PackStatusUndo"`
		Ack          *Ack               `xml:"urn:serialhub:euhub:v1 Ack"`
		Alert        *AlertNotification `xml:"urn:serialhub:euhub:v1 AlertNotification"`
		Receipt      *AlertReceipt      `xml:"urn:serialhub:euhub:v1 AlertReceipt"`
		Fault        *Fault             `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// Marshal writes a SOAP envelope around body (a body element of this package); h may be nil
// for answers.
func Marshal(h *Header, body any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soap:Envelope xmlns:soap="` + SOAPNS + `">`)
	if h != nil {
		b.WriteString(`<soap:Header><MessageHeader xmlns="` + NS + `"><MessageId>`)
		xml.EscapeText(&b, []byte(h.MessageID))
		b.WriteString(`</MessageId><Sender>`)
		xml.EscapeText(&b, []byte(h.Sender))
		b.WriteString(`</Sender><Created>`)
		xml.EscapeText(&b, []byte(h.Created))
		b.WriteString(`</Created></MessageHeader></soap:Header>`)
	}
	b.WriteString(`<soap:Body>`)
	if f, ok := body.(Fault); ok {
		b.WriteString(`<soap:Fault><faultcode>`)
		xml.EscapeText(&b, []byte(f.Code))
		b.WriteString(`</faultcode><faultstring>`)
		xml.EscapeText(&b, []byte(f.String))
		b.WriteString(`</faultstring></soap:Fault>`)
	} else if err := xml.NewEncoder(&b).Encode(body); err != nil {
		return nil, fmt.Errorf("marshal %T: %w", body, err)
	}
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.Bytes(), nil
}

// Unmarshal parses a SOAP envelope.
func Unmarshal(b []byte) (*Envelope, error) {
	var e Envelope
	if err := xml.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("parse SOAP envelope: %w", err)
	}
	return &e, nil
}

// CheckSerial applies the EU rules to a serial: 1-20 characters of GS1 CSET 82.
func CheckSerial(s string) error {
	if _, err := gs1.ValidateAI("21", s); err != nil {
		return fmt.Errorf("serial %q: %w", s, err)
	}
	return nil
}

// CheckBatch applies the rules of AI (10): 1-20 characters of CSET 82.
func CheckBatch(s string) error {
	if _, err := gs1.ValidateAI("10", s); err != nil {
		return fmt.Errorf("batch %q: %w", s, err)
	}
	return nil
}

var expiryRE = regexp.MustCompile(`^[0-9]{2}(0[1-9]|1[0-2])(0[0-9]|[12][0-9]|3[01])$`)

// CheckExpiry accepts an expiry as encoded in AI (17): YYMMDD, DD may be 00.
func CheckExpiry(s string) error {
	if !expiryRE.MatchString(s) {
		return fmt.Errorf("expiry %q: want YYMMDD as on the pack (AI 17)", s)
	}
	return nil
}

var ppnRE = regexp.MustCompile(`^11[0-9A-Z]{2,20}$`)

// CheckProductCode checks a product code of its scheme: a GTIN/NTIN of 14 digits with a valid
// check digit, or a PPN.
func CheckProductCode(p ProductCode) error {
	switch p.Scheme {
	case "GTIN", "":
		if len(p.Code) != 14 {
			return fmt.Errorf("product code %q: a GTIN/NTIN has 14 digits", p.Code)
		}
		if _, err := gs1.ParseGTIN(p.Code); err != nil {
			return fmt.Errorf("product code %q: %w", p.Code, err)
		}
	case "PPN":
		if !ppnRE.MatchString(p.Code) {
			return fmt.Errorf("product code %q: not a PPN", p.Code)
		}
	default:
		return fmt.Errorf("coding scheme %q: want GTIN or PPN", p.Scheme)
	}
	return nil
}

// a16 is the local refusal with the meaning of the hub's alert A16.
func a16(field string) error {
	return domain.Errorf(domain.CodeInvalid, "%s master data incomplete: %s", A16, field)
}

// Check refuses master data the hub would refuse with A16, naming the first missing field.
func (m *ProductMasterData) Check() error {
	if m.Product.Scheme == "" {
		m.Product.Scheme = "GTIN"
	}
	if m.Product.Code == "" {
		return a16("product code")
	}
	if err := CheckProductCode(m.Product); err != nil {
		return domain.Errorf(domain.CodeInvalid, "%s master data incomplete: %v", A16, err)
	}
	for _, f := range []struct{ name, v string }{{"name", m.Name}, {"common name", m.CommonName},
		{"pharmaceutical form", m.Form}, {"strength", m.Strength}, {"pack type", m.PackType}} {
		if strings.TrimSpace(f.v) == "" {
			return a16(f.name)
		}
	}
	if m.PackSize <= 0 {
		return a16("pack size")
	}
	if len(m.Markets) == 0 {
		return a16("markets")
	}
	for i, mk := range m.Markets {
		if len(mk.Country) != 2 || strings.ToUpper(mk.Country) != mk.Country {
			return a16(fmt.Sprintf("market %d: country (ISO 3166 alpha-2)", i+1))
		}
	}
	if err := m.MAH.check("MAH"); err != nil {
		return err
	}
	for i, w := range m.Wholesalers {
		if err := w.check(fmt.Sprintf("wholesaler %d", i+1)); err != nil {
			return err
		}
	}
	return nil
}

func (a Address) check(who string) error {
	for _, f := range []struct{ name, v string }{{"name", a.Name}, {"street", a.Street}, {"city", a.City},
		{"postal code", a.PostalCode}, {"country", a.Country}} {
		if strings.TrimSpace(f.v) == "" {
			return a16(who + " " + f.name)
		}
	}
	return nil
}

func xmlName(local string) xml.Name { return xml.Name{Space: NS, Local: local} }
