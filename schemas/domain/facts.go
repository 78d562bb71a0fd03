package domain

// EPCFacts are events flattened per identifier — the rows of []EPCEvent — held the way they
// are built and written: what the rows of one event share is stored once, in Events, and
// each row keeps only its identifier's fields. A 10,000-pack event is one EPCEvent and
// 10,000 small EPCFact values rather than 10,000 copies of the event.
type EPCFacts struct {
	// Events hold the event-level fields; their identifier fields (EPC, Role, GTIN, Serial,
	// Lot, Expiry) are not used.
	Events []EPCEvent
	Rows   []EPCFact
}

// EPCFact is one identifier of one event of EPCFacts.
type EPCFact struct {
	Event  int32 // index into EPCFacts.Events
	EPC    string
	Role   string // "epc" (epcList) or "child" (childEPCs); inputs and outputs by name
	GTIN   string
	Serial string
	Lot    string
	Expiry string
}

// FactsOf holds rows as EPCFacts, one event per row.
func FactsOf(rows []EPCEvent) *EPCFacts {
	f := &EPCFacts{Events: rows, Rows: make([]EPCFact, len(rows))}
	for i, r := range rows {
		f.Rows[i] = EPCFact{Event: int32(i), EPC: r.EPC, Role: r.Role, GTIN: r.GTIN, Serial: r.Serial, Lot: r.Lot, Expiry: r.Expiry}
	}
	return f
}

// Expand returns the facts as one EPCEvent per row.
func (f *EPCFacts) Expand() []EPCEvent {
	out := make([]EPCEvent, len(f.Rows))
	for i, r := range f.Rows {
		e := f.Events[r.Event]
		e.EPC, e.Role, e.GTIN, e.Serial, e.Lot, e.Expiry = r.EPC, r.Role, r.GTIN, r.Serial, r.Lot, r.Expiry
		out[i] = e
	}
	return out
}

// Append adds the rows of g to f (g's events after f's).
func (f *EPCFacts) Append(g *EPCFacts) {
	off := int32(len(f.Events))
	f.Events = append(f.Events, g.Events...)
	for _, r := range g.Rows {
		r.Event += off
		f.Rows = append(f.Rows, r)
	}
}
