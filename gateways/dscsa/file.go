package dscsa

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
)

// NSGS1USHC is the namespace of the GS1 US Healthcare DSCSA extensions.
const NSGS1USHC = "http://epcis.gs1us.org/hc/ns"

// GuidelineVersion is what the files declare in gs1ushc:guidelineVersion.
const GuidelineVersion = "GS1 US DSCSA R1.3"

// LegalNotice is the transaction statement affirmed in every file (FDCA 581(27)).
const LegalNotice = "Seller has complied with each applicable subsection of FDCA Sec. 581(27)(A)-(G)."

// Shipment is everything a DSCSA file says about one shipment to one partner: who sends to
// whom, what the products are, and the events from commissioning to shipping of every item
// in the shipped hierarchy.
type Shipment struct {
	DocumentID string // SBDH InstanceIdentifier: the obligation id
	Created    time.Time
	Sender     string // owning party (SGLN URI) of the seller
	Receiver   string // owning party (SGLN URI) of the buyer
	Products   []gateways.Product
	Locations  []gateways.Location
	// ClassOf maps a GTIN to its EPC class pattern (urn:epc:idpat:sgtin:...), the id of its
	// master data.
	ClassOf      map[string]string
	Commissions  []Commission
	Aggregations []Aggregation
	Ship         Ship
}

// Commission is one commissioning event: items of one lot and expiry.
type Commission struct {
	Time        time.Time
	TZ          string
	EPCs        []string
	Lot, Expiry string // expiry as YYYY-MM-DD; empty for logistic units (SSCC)
	ReadPoint   string
	BizLocation string
}

// Aggregation is one packing event: children into a parent.
type Aggregation struct {
	Time        time.Time
	TZ          string
	Parent      string
	Children    []string
	ReadPoint   string
	BizLocation string
}

// Ship is the shipping event.
type Ship struct {
	EventID         string
	Time            time.Time
	TZ              string
	EPCs            []string
	ReadPoint       string
	BizLocation     string
	BizTransactions []epcis.BizTransaction
	Sources         []epcis.SourceDest
	Destinations    []epcis.SourceDest
	DropShipment    bool
}

const mda = "urn:epcglobal:cbv:mda#"

func attrs(kv ...string) []epcis.Attribute {
	var out []epcis.Attribute
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, epcis.Attribute{ID: mda + kv[i], Value: kv[i+1]})
		}
	}
	return out
}

func tz(s string) string {
	if s == "" {
		return "+00:00"
	}
	return s
}

func place(id string) string { return id }

// Document returns the EPCIS header of the shipment's file: SBDH, master data and the
// GS1 US extensions.
func (s *Shipment) Document() *epcis.Document {
	var products []epcis.VocabularyElement
	ps := append([]gateways.Product(nil), s.Products...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].GTIN < ps[j].GTIN })
	for _, p := range ps {
		id := s.ClassOf[p.GTIN]
		if id == "" {
			continue
		}
		a := attrs("additionalTradeItemIdentification", p.NDC)
		if p.NDC != "" {
			a = append(a, epcis.Attribute{ID: mda + "additionalTradeItemIdentificationTypeCode", Value: "US_FDA_NDC"})
		}
		a = append(a, attrs("regulatedProductName", p.Name, "manufacturerOfTradeItemPartyName", p.Manufacturer,
			"dosageFormType", p.DosageForm, "strengthDescription", p.Strength, "netContentDescription", p.NetContent)...)
		products = append(products, epcis.VocabularyElement{ID: id, Attributes: a})
	}
	var locs []epcis.VocabularyElement
	for _, l := range s.Locations {
		locs = append(locs, epcis.VocabularyElement{ID: l.SGLN, Attributes: attrs("name", l.Name,
			"streetAddressOne", l.Street1, "streetAddressTwo", l.Street2, "city", l.City, "state", l.State,
			"postalCode", l.PostalCode, "countryCode", l.Country)})
	}
	var vocab []epcis.Vocabulary
	if len(products) > 0 {
		vocab = append(vocab, epcis.Vocabulary{Type: "urn:epcglobal:epcis:vtype:EPCClass", Elements: products})
	}
	if len(locs) > 0 {
		vocab = append(vocab, epcis.Vocabulary{Type: "urn:epcglobal:epcis:vtype:Location", Elements: locs})
	}
	us := func(local string) epcis.Name { return epcis.Name{Space: NSGS1USHC, Prefix: "gs1ushc", Local: local} }
	return &epcis.Document{
		SchemaVersion: epcis.Version12,
		CreationDate:  s.Created,
		Namespaces: map[string]string{
			"cbvmda": epcis.NSCBVMDA, "sbdh": epcis.NSSBDH, "gs1ushc": NSGS1USHC,
		},
		Header: &epcis.SBDH{
			HeaderVersion:      "1.0",
			Sender:             []epcis.Partner{{Authority: "GS1", Identifier: s.Sender}},
			Receiver:           []epcis.Partner{{Authority: "GS1", Identifier: s.Receiver}},
			Standard:           "EPCglobal",
			TypeVersion:        "1.0",
			InstanceIdentifier: s.DocumentID,
			Type:               "Events",
			CreationDateTime:   s.Created,
		},
		MasterData: vocab,
		Extensions: []epcis.Element{
			{Name: us("guidelineVersion"), Text: GuidelineVersion},
			{Name: us("dscsaTransactionStatement"), Children: []epcis.Element{
				{Name: us("affirmTransactionStatement"), Text: "true"},
				{Name: us("legalNotice"), Text: LegalNotice},
			}},
		},
	}
}

// Bytes returns the shipment's file, written into a buffer sized for it up front (a
// 100,000-pack file is 13 MB; growing a buffer by doubling would copy it several times).
func (s *Shipment) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(s.sizeHint())
	if err := s.WriteFile(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sizeHint estimates the file's size from its identifiers, each an indented <epc> line (or
// parentID), and its events; a low estimate costs one more growth (a copy), a high one memory.
func (s *Shipment) sizeHint() int {
	const perEPC, perEvent = 24, 800
	n := 16<<10 + (len(s.Products)+len(s.Locations))*1024
	for _, c := range s.Commissions {
		n += perEvent + len(c.EPCs)*perEPC
		for _, e := range c.EPCs {
			n += len(e)
		}
	}
	for _, a := range s.Aggregations {
		n += perEvent + len(a.Parent) + len(a.Children)*perEPC
		for _, e := range a.Children {
			n += len(e)
		}
	}
	n += perEvent + len(s.Ship.EPCs)*(perEPC+40)
	return n
}

// WriteFile writes the shipment's EPCIS 1.2 file: commissioning (with lot and expiry),
// aggregation of the whole shipped hierarchy (inner levels first), then the shipping event.
func (s *Shipment) WriteFile(w io.Writer) error {
	enc := epcisxml.NewEncoder(w, epcis.Version12)
	if err := enc.WriteHeader(s.Document()); err != nil {
		return err
	}
	var ev epcis.Event
	for i := range s.Commissions {
		c := &s.Commissions[i]
		ev = epcis.Event{
			Type: epcis.ObjectEvent, EventTime: c.Time, EventTimeZoneOffset: tz(c.TZ), EPCList: c.EPCs,
			Action: epcis.ActionAdd, BizStep: "urn:epcglobal:cbv:bizstep:commissioning",
			Disposition: "urn:epcglobal:cbv:disp:active", ReadPoint: place(c.ReadPoint), BizLocation: place(c.BizLocation),
		}
		if c.Lot != "" {
			ev.ILMD = append(ev.ILMD, epcis.Element{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: c.Lot})
		}
		if c.Expiry != "" {
			ev.ILMD = append(ev.ILMD, epcis.Element{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: c.Expiry})
		}
		if err := enc.WriteEvent(&ev); err != nil {
			return err
		}
	}
	for i := range s.Aggregations {
		a := &s.Aggregations[i]
		ev = epcis.Event{
			Type: epcis.AggregationEvent, EventTime: a.Time, EventTimeZoneOffset: tz(a.TZ), ParentID: a.Parent,
			EPCList: a.Children, Action: epcis.ActionAdd, BizStep: "urn:epcglobal:cbv:bizstep:packing",
			Disposition: "urn:epcglobal:cbv:disp:in_progress", ReadPoint: a.ReadPoint, BizLocation: a.BizLocation,
		}
		if err := enc.WriteEvent(&ev); err != nil {
			return err
		}
	}
	sh := &s.Ship
	drop := "false"
	if sh.DropShipment {
		drop = "true"
	}
	ev = epcis.Event{
		Type: epcis.ObjectEvent, EventTime: sh.Time, EventTimeZoneOffset: tz(sh.TZ), EPCList: sh.EPCs,
		Action: epcis.ActionObserve, BizStep: "urn:epcglobal:cbv:bizstep:shipping",
		Disposition: "urn:epcglobal:cbv:disp:in_transit", ReadPoint: sh.ReadPoint, BizLocation: sh.BizLocation,
		BizTransactions: sh.BizTransactions, Sources: sh.Sources, Destinations: sh.Destinations,
		Extensions: []epcis.Element{{Name: epcis.Name{Space: NSGS1USHC, Prefix: "gs1ushc", Local: "dropShipment"}, Text: drop}},
	}
	if err := enc.WriteEvent(&ev); err != nil {
		return err
	}
	return enc.Close()
}

// ClassPattern returns the EPC class pattern of an SGTIN URI (its serial replaced by *), or
// "" for other identifiers.
func ClassPattern(epc string) string {
	rest, ok := strings.CutPrefix(epc, "urn:epc:id:sgtin:")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return ""
	}
	return "urn:epc:idpat:sgtin:" + rest[:i] + ".*"
}
