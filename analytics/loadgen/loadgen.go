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
	"strconv"
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

// sgtinPrefix is the EPC URI of product p without its serial.
func sgtinPrefix(p int) string {
	return fmt.Sprintf("urn:epc:id:sgtin:%s.0%05d.", companyPrefix, p+1)
}

// serialOf is the serial of pack k of lot i: the lot and the pack number, zero-padded.
func serialOf(i, k int) string {
	b := make([]byte, 0, 12)
	b = appendPadded(b, i, 5)
	return string(appendPadded(b, k, 7))
}

// appendPadded appends n in decimal, left-padded with zeros to width digits.
func appendPadded(b []byte, n, width int) []byte {
	d := strconv.Itoa(n)
	for range width - len(d) {
		b = append(b, '0')
	}
	return append(b, d...)
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
	// refs are the indexes in Lot.Serials of EPCs, in the same order.
	refs []int32
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
// later dispensed (after shipment) or decommissioned. Serials are packs first, then cases,
// then pallets; events refer to them by index (a lot of the 100M-row load has ~45,000 packs,
// and a map per lot costs more than the rest of the generation).
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
	firstCase, firstPallet := packs, packs+nCases
	l.Serials = make([]Serial, 0, packs+nCases+nPallets)
	epcs := make([]string, 0, cap(l.Serials)) // EPC of every serial, by index
	refs := make([]int32, cap(l.Serials))     // 0, 1, 2, ...: an event's refs are a slice of it
	for k := range refs {
		refs[k] = int32(k)
	}
	prefix := sgtinPrefix(p)
	for k := range packs {
		epc := prefix + serialOf(i, k)
		epcs = append(epcs, epc)
		l.Serials = append(l.Serials, Serial{EPC: epc, GTIN: ref.GTIN, Serial: epc[len(prefix):], Lot: ref.Lot, Expiry: l.Expiry})
	}
	for k := range nCases {
		epc, v := sscc(int64(i)*100_000 + int64(k))
		epcs = append(epcs, epc)
		l.Serials = append(l.Serials, Serial{EPC: epc, Serial: v})
	}
	for k := range nPallets {
		epc, v := sscc(int64(i)*100_000 + 90_000 + int64(k))
		epcs = append(epcs, epc)
		l.Serials = append(l.Serials, Serial{EPC: epc, Serial: v})
	}
	newEvent := func(e Event, idx []int32) {
		e.ID = fmt.Sprintf("urn:uuid:00000000-0000-4000-9000-%05d%07d", i, len(l.Events))
		e.refs = idx
		e.EPCs = make([]string, len(idx))
		for k, x := range idx {
			e.EPCs[k] = epcs[x]
		}
		l.Events = append(l.Events, e)
	}
	// commission and pack take a range [lo, hi) of serial indexes.
	commission := func(lo, hi int, t time.Time, lot bool) {
		e := Event{Type: "ObjectEvent", Action: "ADD", BizStep: "commissioning", Disposition: "active", Time: t}
		if lot {
			e.Lot, e.Expiry = ref.Lot, l.Expiry
		}
		newEvent(e, refs[lo:hi])
		for k := lo; k < hi; k++ {
			s := &l.Serials[k]
			s.State, s.Commissioned, s.Last = string(domain.StateCommissioned), t, t
		}
	}
	pack := func(parent, lo, hi int, t time.Time) {
		newEvent(Event{Type: "AggregationEvent", Action: "ADD", BizStep: "packing", Disposition: "in_progress", Time: t, Parent: epcs[parent]}, refs[lo:hi])
		for k := lo; k < hi; k++ {
			s := &l.Serials[k]
			s.State, s.Parent, s.Last = string(domain.StatePacked), epcs[parent], t
		}
	}
	t := t0
	for k := range nCases {
		lo, hi := k*c.PacksPerCase, min((k+1)*c.PacksPerCase, packs)
		commission(lo, hi, t, true)
		commission(firstCase+k, firstCase+k+1, t, false)
		t = t.Add(time.Duration(hi-lo) * time.Second / 2)
		pack(firstCase+k, lo, hi, t)
		t = t.Add(time.Second)
	}
	for k := range nPallets {
		lo, hi := firstCase+k*c.CasesPerPallet, firstCase+min((k+1)*c.CasesPerPallet, nCases)
		commission(firstPallet+k, firstPallet+k+1, t, false)
		t = t.Add(time.Minute)
		pack(firstPallet+k, lo, hi, t)
	}
	// Shipments: 85% of pallets, 1–5 days later.
	shipped := make([]bool, nCases) // by case number
	for k := range nPallets {
		if rng.Float64() >= 0.85 {
			continue
		}
		partner, country := PartnerID(rng.IntN(c.Partners))
		st := t.Add(time.Duration(24+rng.IntN(96))*time.Hour + time.Duration(k)*time.Minute)
		pal := firstPallet + k
		newEvent(Event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "shipping", Disposition: "in_transit", Time: st,
			Partner: partner, Country: country}, refs[pal:pal+1])
		l.Serials[pal].State, l.Serials[pal].Last = string(domain.StateShipped), st
		for cs := k * c.CasesPerPallet; cs < min((k+1)*c.CasesPerPallet, nCases); cs++ {
			shipped[cs] = true
		}
	}
	// Dispensing (5% of shipped packs, weeks later) and decommissioning (1% of the rest).
	var disp, decom []int32
	for k := range packs {
		switch r := rng.Float64(); {
		case shipped[k/c.PacksPerCase] && r < 0.05:
			disp = append(disp, int32(k))
		case !shipped[k/c.PacksPerCase] && r < 0.01:
			decom = append(decom, int32(k))
		}
	}
	if len(disp) > 0 {
		dt := t.Add(30 * 24 * time.Hour)
		newEvent(Event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "dispensing", Disposition: "dispensed", Time: dt}, disp)
		for _, x := range disp {
			l.Serials[x].State, l.Serials[x].Last = "dispensed", dt
		}
	}
	if len(decom) > 0 {
		dt := t.Add(12 * time.Hour)
		newEvent(Event{Type: "ObjectEvent", Action: "DELETE", BizStep: "decommissioning", Disposition: "inactive", Time: dt}, decom)
		for _, x := range decom {
			l.Serials[x].State, l.Serials[x].Last = string(domain.StateDecommissioned), dt
		}
	}
	return l
}

// EventRows is how many event rows (identifier × event) the lot brings.
func (l Lot) EventRows() int {
	n := 0
	for _, e := range l.Events {
		n += len(e.EPCs)
	}
	return n
}

// role is how an event names its identifiers: childEPCs of an aggregation, else epcList.
func (e Event) role() string {
	if e.Type == "AggregationEvent" {
		return "child"
	}
	return "epc"
}

// Rows flattens the lot's events per identifier, joined with each identifier's serial record:
// the rows the hub's Publish writes to ClickHouse, plus line, partner and country.
func (l Lot) Rows() []domain.EPCEvent {
	out := make([]domain.EPCEvent, 0, l.EventRows())
	for _, e := range l.Events {
		role := e.role()
		for _, x := range e.refs {
			s := &l.Serials[x]
			out = append(out, domain.EPCEvent{EventTime: e.Time, EventID: e.ID, ReceiptID: l.ReceiptID, SiteID: l.Site,
				LineID: l.Line, EventType: e.Type, Action: e.Action, BizStep: e.BizStep, Disposition: e.Disposition,
				EPC: s.EPC, Role: role, GTIN: s.GTIN, Serial: s.Serial, Lot: s.Lot, Expiry: s.Expiry, ParentEPC: e.Parent,
				Partner: e.Partner, Country: e.Country, Destination: e.Partner})
		}
	}
	return out
}
