package epcis

import (
	"strconv"

	"github.com/serialhub/serialhub/schemas/domain"
)

// SensorReadings flattens the event's sensorElementList to one reading per sensorReport, in
// document order (Idx counts the reports of all sensor elements). It is the one place that
// does so: the intake's analytics rows and `analytics rebuild` both call it, so a rebuild
// writes exactly the rows live ingest wrote. Event is left 0 for the caller to set.
func (e *Event) SensorReadings() []domain.SensorReading {
	if len(e.SensorElements) == 0 {
		return nil
	}
	epcs := e.identifiers()
	var out []domain.SensorReading
	for _, se := range e.SensorElements {
		var md SensorMetadata
		if se.Metadata != nil {
			md = *se.Metadata
		}
		for _, r := range se.Reports {
			x := domain.SensorReading{Idx: uint32(len(out)), EPCs: epcs, DeviceID: r.DeviceID,
				Type: VocabMeasurementType.CURIE(r.Type), UOM: r.UOM,
				Exception: VocabSensorAlertType.CURIE(r.Exception), StringValue: stringValueOf(&r)}
			if x.DeviceID == "" {
				x.DeviceID = md.DeviceID
			}
			switch {
			case r.Time != nil:
				x.Time = *r.Time
			case md.Time != nil:
				x.Time = *md.Time
			default:
				x.Time = e.EventTime
			}
			x.Time = x.Time.UTC()
			if r.Value != nil {
				x.Value, x.HasValue = *r.Value, true
			}
			if r.MinValue != nil {
				x.MinValue = *r.MinValue
			}
			if r.MaxValue != nil {
				x.MaxValue = *r.MaxValue
			}
			out = append(out, x)
		}
	}
	return out
}

// identifiers are the event's parent, epcList (childEPCs), inputs and outputs, each once.
func (e *Event) identifiers() []string {
	var out []string
	seen := map[string]bool{}
	add := func(xs ...string) {
		for _, x := range xs {
			if x != "" && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	add(e.ParentID)
	add(e.EPCList...)
	add(e.InputEPCList...)
	add(e.OutputEPCList...)
	return out
}

// stringValueOf is the report's non-numeric value, if any.
func stringValueOf(r *SensorReport) string {
	switch {
	case r.StringValue != "":
		return r.StringValue
	case r.URIValue != "":
		return r.URIValue
	case r.HexBinaryValue != "":
		return r.HexBinaryValue
	case r.BooleanValue != nil:
		return strconv.FormatBool(*r.BooleanValue)
	}
	return ""
}
