package domain

import "time"

// EPCFacts are events flattened per identifier — the rows of []EPCEvent — held the way they
// are built and written: what the rows of one event share is stored once, in Events, and
// each row keeps only its identifier's fields. A 10,000-pack event is one EPCEvent and
// 10,000 small EPCFact values rather than 10,000 copies of the event.
type EPCFacts struct {
	// Events hold the event-level fields; their identifier fields (EPC, Role, GTIN, Serial,
	// Lot, Expiry) are not used.
	Events []EPCEvent
	Rows   []EPCFact
	// Sensors are the events' EPCIS 2.0 sensor reports, one per report. An event may have
	// sensor reports and no identifier rows, and the other way round.
	Sensors []SensorReading
}

// SensorReading is one sensor report of one event of EPCFacts: a row of ClickHouse's
// sensor_readings. Built by epcis.Event.SensorReadings, the one place that flattens reports.
type SensorReading struct {
	Event int32  // index into EPCFacts.Events
	Idx   uint32 // the report's place among all reports of the event, in document order
	// EPCs are the event's identifiers (parent, epcList or childEPCs, inputs, outputs),
	// shared by the readings of one event.
	EPCs        []string
	DeviceID    string    // the report's, else its sensor element's metadata's
	Time        time.Time // the report's, else the metadata's, else the event's; UTC
	Type        string    // measurement type as a CURIE ("gs1:Temperature"), else as written
	Value       float64
	HasValue    bool // Value was given
	MinValue    float64
	MaxValue    float64
	UOM         string
	Exception   string // sensor alert type as a CURIE ("gs1:ALARM_CONDITION"), else as written
	StringValue string // stringValue, else uriValue, else hexBinaryValue, else booleanValue
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
	for _, r := range g.Sensors {
		r.Event += off
		f.Sensors = append(f.Sensors, r)
	}
}

// Len is the number of rows of f to write: identifier rows and sensor readings.
func (f *EPCFacts) Len() int { return len(f.Rows) + len(f.Sensors) }
