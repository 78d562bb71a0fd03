package recall

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
)

// NSRecall is the namespace of the recall's own fields in an EPCIS notice (an event
// extension: EPCIS 1.2 has no field for a recall's id, class or reason).
const NSRecall = "urn:serialhub:recall:v1"

// The CBV words of a notice. CBV has no "recalling" business step; its example for the
// disposition recalled names holding (stock is held, not sold, until collected).
const (
	BizStepHolding    = "urn:epcglobal:cbv:bizstep:holding"
	DispRecalled      = "urn:epcglobal:cbv:disp:recalled"
	noticeEventAction = epcis.ActionObserve
)

// NoticeHeader is what a notice says besides its packs.
type NoticeHeader struct {
	Recall     Recall
	DocumentID string // SBDH InstanceIdentifier: the obligation id (the idempotency key)
	SenderGLN  string // our party (the packs' site), "" when unknown
	PartnerGLN string
	Country    string
}

// csvHeader are the columns of a CSV notice, one line per pack.
var csvHeader = []string{"recall_id", "class", "gtin", "lot", "expiry", "serial", "epc", "state",
	"case_at_shipment", "pallet_at_shipment", "shipped_at", "partner_gln", "country", "reason", "decided_at"}

// WriteCSV writes the CSV notice: one line per pack, recall id, class and reason on each, so
// that a line copied out of the file still says what it is about.
func WriteCSV(h NoticeHeader, packs []Pack) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(csvHeader)
	decided := h.Recall.CreatedAt.UTC().Format(time.RFC3339)
	for _, p := range packs {
		shipped := ""
		if p.ShippedAt != nil {
			shipped = p.ShippedAt.UTC().Format(time.RFC3339)
		}
		_ = w.Write([]string{h.Recall.ID, string(h.Recall.Class), p.GTIN, p.Lot, p.Expiry, p.Serial, p.EPC, p.State,
			p.CaseAtShipment, p.PalletAtShipment, shipped, h.PartnerGLN, h.Country, h.Recall.Reason, decided})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("csv notice: %w", err)
	}
	return b.Bytes(), nil
}

// WriteEPCIS writes the EPCIS 1.2 notice: an SBDH from us to the partner, and per lot one
// ObjectEvent (OBSERVE, bizStep holding, disposition recalled) naming the partner's packs,
// with the recall's id, class, reason and lot in an extension. The event time is the time the
// decision was recorded, so building the notice again gives the same bytes.
func WriteEPCIS(h NoticeHeader, packs []Pack) ([]byte, error) {
	r := h.Recall
	at := r.CreatedAt.UTC().Truncate(time.Second)
	sender := h.SenderGLN
	if sender == "" {
		sender = "unknown"
	}
	doc := &epcis.Document{
		SchemaVersion: epcis.Version12,
		CreationDate:  at,
		Namespaces:    map[string]string{"sbdh": epcis.NSSBDH, "recall": NSRecall},
		Header: &epcis.SBDH{
			HeaderVersion:      "1.0",
			Sender:             []epcis.Partner{{Authority: "GS1", Identifier: sender}},
			Receiver:           []epcis.Partner{{Authority: "GS1", Identifier: h.PartnerGLN}},
			Standard:           "EPCglobal",
			TypeVersion:        "1.0",
			InstanceIdentifier: h.DocumentID,
			Type:               "Events",
			CreationDateTime:   at,
		},
	}
	var b bytes.Buffer
	enc := epcisxml.NewEncoder(&b, epcis.Version12)
	if err := enc.WriteHeader(doc); err != nil {
		return nil, fmt.Errorf("epcis notice: %w", err)
	}
	name := func(local string) epcis.Name { return epcis.Name{Space: NSRecall, Prefix: "recall", Local: local} }
	byLot := map[string][]string{}
	var lots []string
	for _, p := range packs {
		if _, ok := byLot[p.Lot]; !ok {
			lots = append(lots, p.Lot)
		}
		byLot[p.Lot] = append(byLot[p.Lot], p.EPC)
	}
	for _, lot := range lots {
		ev := epcis.Event{
			Type: epcis.ObjectEvent, EventTime: at, EventTimeZoneOffset: "+00:00", EPCList: byLot[lot],
			Action: noticeEventAction, BizStep: BizStepHolding, Disposition: DispRecalled,
			Extensions: []epcis.Element{{Name: name("recall"), Children: []epcis.Element{
				{Name: name("id"), Text: r.ID},
				{Name: name("class"), Text: string(r.Class)},
				{Name: name("reason"), Text: r.Reason},
				{Name: name("gtin"), Text: r.GTIN},
				{Name: name("lot"), Text: lot},
				{Name: name("decidedBy"), Text: r.DecidedBy},
			}}},
		}
		if err := enc.WriteEvent(&ev); err != nil {
			return nil, fmt.Errorf("epcis notice: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("epcis notice: %w", err)
	}
	return b.Bytes(), nil
}
