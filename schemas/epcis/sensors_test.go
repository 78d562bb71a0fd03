package epcis_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
)

func TestSensorReadings(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	t2 := t0.Add(2 * time.Minute)
	v, lo, hi := 4.5, 2.0, 8.0
	yes := true
	tests := []struct {
		name string
		e    epcis.Event
		want []domain.SensorReading
	}{
		{"none", epcis.Event{EventTime: t0, EPCList: []string{"a"}}, nil},
		{"times, devices, forms, order across elements", epcis.Event{EventTime: t0, ParentID: "p", EPCList: []string{"a", "a", "b"},
			SensorElements: []epcis.SensorElement{
				{Metadata: &epcis.SensorMetadata{Time: &t1, DeviceID: "dev-1"}, Reports: []epcis.SensorReport{
					{Type: "Temperature", Value: &v, UOM: "CEL"},
					{Type: "https://gs1.org/voc/Temperature", Time: &t2, DeviceID: "dev-2", MinValue: &lo, MaxValue: &hi, Exception: "ALARM_CONDITION"},
				}},
				{Reports: []epcis.SensorReport{{Type: "example:someSensorProperty", StringValue: "x"}, {Type: "gs1:Angle", BooleanValue: &yes}}},
			}},
			[]domain.SensorReading{
				{Idx: 0, EPCs: []string{"p", "a", "b"}, DeviceID: "dev-1", Time: t1, Type: "gs1:Temperature", Value: v, HasValue: true, UOM: "CEL"},
				{Idx: 1, EPCs: []string{"p", "a", "b"}, DeviceID: "dev-2", Time: t2, Type: "gs1:Temperature", MinValue: lo, MaxValue: hi, Exception: "gs1:ALARM_CONDITION"},
				{Idx: 2, EPCs: []string{"p", "a", "b"}, Time: t0, Type: "example:someSensorProperty", StringValue: "x"},
				{Idx: 3, EPCs: []string{"p", "a", "b"}, Time: t0, Type: "gs1:Angle", StringValue: "true"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.SensorReadings(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
