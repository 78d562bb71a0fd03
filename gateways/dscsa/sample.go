package dscsa

import (
	"fmt"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/epcis"
)

// SampleShipment returns a shipment of about packs packs (50 per case, 40 cases per pallet),
// shaped like the GS1 US guideline's example: for tests, benchmarks and the simulator's demo.
func SampleShipment(packs int) *Shipment {
	const perCase, perPallet = 50, 40
	base := time.Date(2025, 3, 27, 11, 45, 0, 0, time.UTC)
	site, dc := "urn:epc:id:sgln:030001.111111.0", "urn:epc:id:sgln:030001.111121.0"
	buyer, buyerDC := "urn:epc:id:sgln:039999.999999.0", "urn:epc:id:sgln:039999.345678.0"
	s := &Shipment{
		DocumentID: "dscsa-sample-" + fmt.Sprint(packs), Created: base.Add(120 * time.Hour),
		Sender: site, Receiver: buyer,
		Products: []gateways.Product{
			{GTIN: "00300010123459", NDC: "0001-0123-45", Name: "Epcistra", DosageForm: "PILL", Strength: "100mg", NetContent: "500 pills", Manufacturer: "GS1 Pharma LLC"},
			{GTIN: "10300010123456", NDC: "0001-0123-45", Name: "Epcistra", DosageForm: "PILL", Strength: "100mg", NetContent: "500 pills", Manufacturer: "GS1 Pharma LLC"},
		},
		Locations: []gateways.Location{
			{SGLN: site, Name: "GS1 Pharma", Street1: "1 Biopharm Ct", City: "Thousand Oaks", State: "CA", PostalCode: "91320", Country: "US"},
			{SGLN: buyer, Name: "GS1 Drug Distributor", Street1: "230 Park Ave S", City: "New York", State: "NY", PostalCode: "10003-1502", Country: "US"},
		},
		ClassOf: map[string]string{
			"00300010123459": "urn:epc:idpat:sgtin:030001.0012345.*",
			"10300010123456": "urn:epc:idpat:sgtin:030001.1012345.*",
		},
	}
	cases := (packs + perCase - 1) / perCase
	pallets := (cases + perPallet - 1) / perPallet
	units := make([]string, packs)
	for i := range units {
		units[i] = fmt.Sprintf("urn:epc:id:sgtin:030001.0012345.%d", 100000+i)
	}
	caseIDs := make([]string, cases)
	for i := range caseIDs {
		caseIDs[i] = fmt.Sprintf("urn:epc:id:sgtin:030001.1012345.%d", 500000+i)
	}
	palletIDs := make([]string, pallets)
	for i := range palletIDs {
		palletIDs[i] = fmt.Sprintf("urn:epc:id:sscc:030001.4%09d", 100+i)
	}
	s.Commissions = []Commission{
		{Time: base, TZ: "-05:00", EPCs: units, Lot: "A123", Expiry: "2027-03-31", ReadPoint: site, BizLocation: site},
		{Time: base.Add(time.Hour), TZ: "-05:00", EPCs: caseIDs, Lot: "A123", Expiry: "2027-03-31", ReadPoint: site, BizLocation: site},
		{Time: base.Add(2 * time.Hour), TZ: "-05:00", EPCs: palletIDs, ReadPoint: dc, BizLocation: dc},
	}
	for c := range caseIDs {
		end := min((c+1)*perCase, packs)
		s.Aggregations = append(s.Aggregations, Aggregation{Time: base.Add(time.Hour + time.Duration(c)*time.Second), TZ: "-05:00",
			Parent: caseIDs[c], Children: units[c*perCase : end], ReadPoint: site, BizLocation: site})
	}
	for p := range palletIDs {
		end := min((p+1)*perPallet, cases)
		s.Aggregations = append(s.Aggregations, Aggregation{Time: base.Add(3*time.Hour + time.Duration(p)*time.Second), TZ: "-05:00",
			Parent: palletIDs[p], Children: caseIDs[p*perPallet : end], ReadPoint: dc, BizLocation: dc})
	}
	s.Ship = Ship{
		Time: base.Add(4 * time.Hour), TZ: "-05:00", EPCs: palletIDs, ReadPoint: dc,
		BizTransactions: []epcis.BizTransaction{
			{Type: "urn:epcglobal:cbv:btt:po", Value: "urn:epcglobal:cbv:bt:0399999999991:XYZPO189"},
			{Type: "urn:epcglobal:cbv:btt:desadv", Value: "urn:epcglobal:cbv:bt:0300011111215:DEL100"},
		},
		Sources: []epcis.SourceDest{
			{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: site},
			{Type: "urn:epcglobal:cbv:sdt:location", Value: dc},
		},
		Destinations: []epcis.SourceDest{
			{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: buyer},
			{Type: "urn:epcglobal:cbv:sdt:location", Value: buyerDC},
		},
	}
	return s
}
