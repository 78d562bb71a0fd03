// Package loadgen generates realistic serialization facts — sites and lines, lots of packs
// aggregated into cases and pallets, shipments to partners, dispensing and decommissioning,
// and packaging-line data — and loads the same facts into ClickHouse (through the analytics
// writer) and into PostgreSQL (the skeleton's tables, by COPY). It feeds the analytics
// benchmarks and the tests that compare ClickHouse answers with PostgreSQL ones.
// Generation is deterministic for a seed, so a lot can be regenerated to know what to expect.
package loadgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// Config sizes the generated data.
type Config struct {
	Rows           int64 // event rows (identifier × event) to aim for
	Lots           int
	Sites          int
	LinesPerSite   int
	Partners       int
	Products       int
	PacksPerCase   int
	CasesPerPallet int
	Days           int // production spread over this many days from Start
	Start          time.Time
	Seed           uint64
}

// DefaultConfig is the shape (~1k lots, 3 sites × 20 lines, 3-level hierarchy,
// 200 partners) for the given number of event rows.
func DefaultConfig(rows int64) Config {
	return Config{Rows: rows, Lots: 1000, Sites: 3, LinesPerSite: 20, Partners: 200, Products: 50,
		PacksPerCase: 20, CasesPerPallet: 25, Days: 30, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Seed: 7}
}

// rowsPerPack is about how many event rows one pack brings (its commissioning and packing,
// its share of case and pallet events, the few dispensed or decommissioned).
const rowsPerPack = 2.2

// PacksPerLot is how many packs each lot gets.
func (c Config) PacksPerLot() int {
	n := int(float64(c.Rows) / rowsPerPack / float64(c.Lots))
	return max(n, 1)
}

// The company prefix of every generated identifier.
const companyPrefix = "4012345"

var countries = []string{"DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "DK", "FI", "IE", "PT", "CZ", "US"}

// SiteID names site i.
func SiteID(i int) string { return fmt.Sprintf("site-%02d", i+1) }

// LineID names line j of a site.
func LineID(j int) string { return fmt.Sprintf("L%02d", j+1) }

// PartnerID names partner k and its country.
func PartnerID(k int) (string, string) {
	return fmt.Sprintf("partner-%03d", k+1), countries[k%len(countries)]
}

// GTIN of product p.
func GTIN(p int) string {
	d := "0" + companyPrefix + fmt.Sprintf("%05d", p+1)
	c, _ := gs1.CheckDigit(d)
	return d + string(c)
}

func sgtin(p int, serial string) string {
	return fmt.Sprintf("urn:epc:id:sgtin:%s.0%05d.%s", companyPrefix, p+1, serial)
}

func sscc(n int64) (epc, value string) {
	d := "0" + companyPrefix + fmt.Sprintf("%09d", n)
	c, _ := gs1.CheckDigit(d)
	return fmt.Sprintf("urn:epc:id:sscc:%s.0%09d", companyPrefix, n), d + string(c)
}

// Event is one generated EPCIS event.
type Event struct {
	ID          string
	Type        string
	Action      string
	BizStep     string
	Disposition string
	Time        time.Time
	Parent      string
	EPCs        []string
	Partner     string
	Country     string
	Lot, Expiry string // ILMD of commissioning events
}

// Serial is the current state of one identifier after all of its lot's events.
type Serial struct {
	EPC, GTIN, Serial, Lot, Expiry, State, Parent string
	Commissioned, Last                            time.Time
}

// Lot is everything generated for one lot.
type Lot struct {
	Index     int
	GTIN      string
	Lot       string
	Expiry    string
	Site      string
	Line      string
	ReceiptID string
	Events    []Event
	Serials   []Serial
}

// LotRef names a lot.
type LotRef struct{ GTIN, Lot string }

// Ref of lot i, without generating it.
func (c Config) Ref(i int) LotRef {
	return LotRef{GTIN: GTIN(i % c.Products), Lot: fmt.Sprintf("LOT%05d", i)}
}

// GenLot generates lot i. Packs are commissioned a case at a time, packed into cases, cases
// into pallets; most pallets are shipped to a partner a few days later; a few packs are
// later dispensed (after shipment) or decommissioned.
func (c Config) GenLot(i int) Lot {
	rng := rand.New(rand.NewPCG(c.Seed, uint64(i)))
	p := i % c.Products
	ref := c.Ref(i)
	lineNo := rng.IntN(c.LinesPerSite)
	l := Lot{Index: i, GTIN: ref.GTIN, Lot: ref.Lot, Site: SiteID(i % c.Sites), Line: LineID(lineNo),
		ReceiptID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)}
	span := time.Duration(c.Days) * 24 * time.Hour
	t0 := c.Start.Add(time.Duration(int64(span) / int64(max(c.Lots, 1)) * int64(i))).Truncate(time.Second)
	l.Expiry = t0.AddDate(2, 0, 0).Format(time.DateOnly)
	packs := c.PacksPerLot()
	nCases := (packs + c.PacksPerCase - 1) / c.PacksPerCase
	nPallets := (nCases + c.CasesPerPallet - 1) / c.CasesPerPallet
	serials := map[string]*Serial{}
	var order []string
	add := func(s Serial) {
		serials[s.EPC] = &s
		order = append(order, s.EPC)
	}
	ev := 0
	newEvent := func(e Event) {
		e.ID = fmt.Sprintf("urn:uuid:00000000-0000-4000-9000-%05d%07d", i, ev)
		ev++
		l.Events = append(l.Events, e)
	}
	packEPCs := make([]string, packs)
	for k := range packs {
		sn := fmt.Sprintf("%05d%07d", i, k)
		packEPCs[k] = sgtin(p, sn)
		add(Serial{EPC: packEPCs[k], GTIN: ref.GTIN, Serial: sn, Lot: ref.Lot, Expiry: l.Expiry})
	}
	caseEPCs := make([]string, nCases)
	for k := range nCases {
		epc, v := sscc(int64(i)*100_000 + int64(k))
		caseEPCs[k] = epc
		add(Serial{EPC: epc, Serial: v})
	}
	palletEPCs := make([]string, nPallets)
	for k := range nPallets {
		epc, v := sscc(int64(i)*100_000 + 90_000 + int64(k))
		palletEPCs[k] = epc
		add(Serial{EPC: epc, Serial: v})
	}
	commission := func(epcs []string, t time.Time, lot bool) {
		e := Event{Type: "ObjectEvent", Action: "ADD", BizStep: "commissioning", Disposition: "active", Time: t, EPCs: epcs}
		if lot {
			e.Lot, e.Expiry = ref.Lot, l.Expiry
		}
		newEvent(e)
		for _, x := range epcs {
			s := serials[x]
			s.State, s.Commissioned, s.Last = string(domain.StateCommissioned), t, t
		}
	}
	pack := func(parent string, kids []string, t time.Time) {
		newEvent(Event{Type: "AggregationEvent", Action: "ADD", BizStep: "packing", Disposition: "in_progress", Time: t, Parent: parent, EPCs: kids})
		for _, x := range kids {
			s := serials[x]
			s.State, s.Parent, s.Last = string(domain.StatePacked), parent, t
		}
	}
	t := t0
	for k := range nCases {
		kids := packEPCs[k*c.PacksPerCase : min((k+1)*c.PacksPerCase, packs)]
		commission(kids, t, true)
		commission([]string{caseEPCs[k]}, t, false)
		t = t.Add(time.Duration(len(kids)) * time.Second / 2)
		pack(caseEPCs[k], kids, t)
		t = t.Add(time.Second)
	}
	for k := range nPallets {
		kids := caseEPCs[k*c.CasesPerPallet : min((k+1)*c.CasesPerPallet, nCases)]
		commission([]string{palletEPCs[k]}, t, false)
		t = t.Add(time.Minute)
		pack(palletEPCs[k], kids, t)
	}
	// Shipments: 85% of pallets, 1–5 days later.
	shipped := map[string]bool{}
	for k, pal := range palletEPCs {
		if rng.Float64() >= 0.85 {
			continue
		}
		partner, country := PartnerID(rng.IntN(c.Partners))
		st := t.Add(time.Duration(24+rng.IntN(96))*time.Hour + time.Duration(k)*time.Minute)
		newEvent(Event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "shipping", Disposition: "in_transit", Time: st,
			EPCs: []string{pal}, Partner: partner, Country: country})
		serials[pal].State, serials[pal].Last = string(domain.StateShipped), st
		for _, cs := range caseEPCs[k*c.CasesPerPallet : min((k+1)*c.CasesPerPallet, nCases)] {
			shipped[cs] = true
		}
	}
	// Dispensing (5% of shipped packs, weeks later) and decommissioning (1% of the rest).
	var disp, decom []string
	for k, x := range packEPCs {
		caseEPC := caseEPCs[k/c.PacksPerCase]
		switch r := rng.Float64(); {
		case shipped[caseEPC] && r < 0.05:
			disp = append(disp, x)
		case !shipped[caseEPC] && r < 0.01:
			decom = append(decom, x)
		}
	}
	if len(disp) > 0 {
		dt := t.Add(30 * 24 * time.Hour)
		newEvent(Event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "dispensing", Disposition: "dispensed", Time: dt, EPCs: disp})
		for _, x := range disp {
			serials[x].State, serials[x].Last = "dispensed", dt
		}
	}
	if len(decom) > 0 {
		dt := t.Add(12 * time.Hour)
		newEvent(Event{Type: "ObjectEvent", Action: "DELETE", BizStep: "decommissioning", Disposition: "inactive", Time: dt, EPCs: decom})
		for _, x := range decom {
			serials[x].State, serials[x].Last = string(domain.StateDecommissioned), dt
		}
	}
	for _, x := range order {
		l.Serials = append(l.Serials, *serials[x])
	}
	return l
}

// Rows flattens the lot's events per identifier, joined with each identifier's serial record:
// the rows the hub's Publish writes to ClickHouse, plus line, partner and country.
func (l Lot) Rows() []domain.EPCEvent {
	byEPC := make(map[string]*Serial, len(l.Serials))
	for i := range l.Serials {
		byEPC[l.Serials[i].EPC] = &l.Serials[i]
	}
	var out []domain.EPCEvent
	for _, e := range l.Events {
		role := "epc"
		if e.Type == "AggregationEvent" {
			role = "child"
		}
		for _, x := range e.EPCs {
			s := byEPC[x]
			out = append(out, domain.EPCEvent{EventTime: e.Time, EventID: e.ID, ReceiptID: l.ReceiptID, SiteID: l.Site,
				LineID: l.Line, EventType: e.Type, Action: e.Action, BizStep: e.BizStep, Disposition: e.Disposition,
				EPC: x, Role: role, GTIN: s.GTIN, Serial: s.Serial, Lot: s.Lot, Expiry: s.Expiry, ParentEPC: e.Parent,
				Partner: e.Partner, Country: e.Country, Destination: e.Partner})
		}
	}
	return out
}
