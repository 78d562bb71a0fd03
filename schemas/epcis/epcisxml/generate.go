package epcisxml

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// GenerateDocument writes a valid EPCIS document of version v with the given number of
// events, shaped like a pharmaceutical packaging line's upload: per case, a commissioning
// ObjectEvent for its units (with lot and expiry in ILMD), the commissioning of the case,
// an AggregationEvent packing the units into it, and every few cases a shipping
// ObjectEvent with purchase order, despatch advice, source and destination. The output is
// deterministic, so it suits load tests and benchmarks.
func GenerateDocument(w io.Writer, v epcis.Version, events int) error {
	if events < 0 {
		return fmt.Errorf("epcisxml: GenerateDocument: negative event count %d", events)
	}
	base := time.Date(2025, 3, 3, 6, 0, 0, 0, time.UTC)
	doc := &epcis.Document{
		SchemaVersion: v,
		CreationDate:  base,
		Namespaces: map[string]string{
			"cbvmda":  epcis.NSCBVMDA,
			"sbdh":    epcis.NSSBDH,
			"gs1ushc": "http://epcis.gs1us.org/hc/ns",
		},
		Header: &epcis.SBDH{
			HeaderVersion:      "1.0",
			Sender:             []epcis.Partner{{Authority: "GS1", Identifier: "urn:epc:id:sgln:0614141.00000.0"}},
			Receiver:           []epcis.Partner{{Authority: "GS1", Identifier: "urn:epc:id:sgln:0012345.00000.0"}},
			Standard:           "EPCglobal",
			TypeVersion:        "1.0",
			InstanceIdentifier: "generated-" + strconv.Itoa(events),
			Type:               "Events",
			CreationDateTime:   base,
		},
		MasterData: []epcis.Vocabulary{{
			Type: "urn:epcglobal:epcis:vtype:EPCClass",
			Elements: []epcis.VocabularyElement{{
				ID: "urn:epc:idpat:sgtin:0614141.107346.*",
				Attributes: []epcis.Attribute{
					{ID: "urn:epcglobal:cbv:mda#regulatedProductName", Value: "Generazepam 10 mg tablets"},
					{ID: "urn:epcglobal:cbv:mda#additionalTradeItemIdentification", Value: "0614-1410-73"},
				},
			}},
		}},
	}
	enc := NewEncoder(w, v)
	if err := enc.WriteHeader(doc); err != nil {
		return err
	}
	g := generator{base: base}
	for i := 0; i < events; i++ {
		if err := enc.WriteEvent(g.next()); err != nil {
			return err
		}
	}
	return enc.Close()
}

const (
	genUnitsPerCase = 12
	genCasesPerShip = 4
	genSite         = "urn:epc:id:sgln:0614141.00001.0"
	genDC           = "urn:epc:id:sgln:0614141.00002.0"
)

// generator produces the event stream: a repeating cycle per case of commission units,
// commission case, pack, and after every genCasesPerShip cases a shipment.
type generator struct {
	base   time.Time
	n      int // events produced
	step   int // position in the case cycle
	cases  int // cases packed
	serial int // next unit serial
}

func (g *generator) next() *epcis.Event {
	t := g.base.Add(time.Duration(g.n) * 700 * time.Millisecond)
	g.n++
	lot := "L" + strconv.Itoa(1000+g.cases/50)
	caseEPC := "urn:epc:id:sgtin:0614141.207346." + strconv.Itoa(500000+g.cases)
	ev := &epcis.Event{
		EventTime:           t,
		EventTimeZoneOffset: "+01:00",
		ReadPoint:           genSite,
		BizLocation:         genSite,
	}
	switch g.step {
	case 0: // commission the case's units
		ev.Type, ev.Action = epcis.ObjectEvent, epcis.ActionAdd
		ev.BizStep, ev.Disposition = "urn:epcglobal:cbv:bizstep:commissioning", "urn:epcglobal:cbv:disp:active"
		ev.EPCList = make([]string, genUnitsPerCase)
		for i := range ev.EPCList {
			ev.EPCList[i] = "urn:epc:id:sgtin:0614141.107346." + strconv.Itoa(100000000+g.serial+i)
		}
		ev.ILMD = []epcis.Element{
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: lot},
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: "2027-03-31"},
		}
		g.step = 1
	case 1: // commission the case
		ev.Type, ev.Action = epcis.ObjectEvent, epcis.ActionAdd
		ev.BizStep, ev.Disposition = "urn:epcglobal:cbv:bizstep:commissioning", "urn:epcglobal:cbv:disp:active"
		ev.EPCList = []string{caseEPC}
		ev.ILMD = []epcis.Element{
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: lot},
			{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: "2027-03-31"},
		}
		g.step = 2
	case 2: // pack the units into the case
		ev.Type, ev.Action = epcis.AggregationEvent, epcis.ActionAdd
		ev.BizStep, ev.Disposition = "urn:epcglobal:cbv:bizstep:packing", "urn:epcglobal:cbv:disp:in_progress"
		ev.ParentID = caseEPC
		ev.EPCList = make([]string, genUnitsPerCase)
		for i := range ev.EPCList {
			ev.EPCList[i] = "urn:epc:id:sgtin:0614141.107346." + strconv.Itoa(100000000+g.serial+i)
		}
		g.serial += genUnitsPerCase
		g.cases++
		g.step = 0
		if g.cases%genCasesPerShip == 0 {
			g.step = 3
		}
	case 3: // ship the last cases
		ev.Type, ev.Action = epcis.ObjectEvent, epcis.ActionObserve
		ev.BizStep, ev.Disposition = "urn:epcglobal:cbv:bizstep:shipping", "urn:epcglobal:cbv:disp:in_transit"
		ev.ReadPoint, ev.BizLocation = genDC, ""
		for i := genCasesPerShip; i > 0; i-- {
			ev.EPCList = append(ev.EPCList, "urn:epc:id:sgtin:0614141.207346."+strconv.Itoa(500000+g.cases-i))
		}
		ship := strconv.Itoa(g.cases / genCasesPerShip)
		ev.BizTransactions = []epcis.BizTransaction{
			{Type: "urn:epcglobal:cbv:btt:po", Value: "urn:epcglobal:cbv:bt:0012345000009:PO" + ship},
			{Type: "urn:epcglobal:cbv:btt:desadv", Value: "urn:epcglobal:cbv:bt:0614141000005:DA" + ship},
		}
		ev.Sources = []epcis.SourceDest{
			{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: "urn:epc:id:sgln:0614141.00000.0"},
			{Type: "urn:epcglobal:cbv:sdt:location", Value: genDC},
		}
		ev.Destinations = []epcis.SourceDest{
			{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: "urn:epc:id:sgln:0012345.00000.0"},
			{Type: "urn:epcglobal:cbv:sdt:location", Value: "urn:epc:id:sgln:0012345.00001.0"},
		}
		ev.Extensions = []epcis.Element{
			{Name: epcis.Name{Space: "http://epcis.gs1us.org/hc/ns", Prefix: "gs1ushc", Local: "dropShipment"}, Text: "false"},
		}
		g.step = 0
	}
	return ev
}
