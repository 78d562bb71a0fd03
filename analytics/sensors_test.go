package analytics

import (
	"context"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
)

// TestSensorsWrittenTwice: a batch of sensor readings without identifier rows goes through
// the Writer (it is not dropped), a re-sent batch counts once, and the summary filters by
// site, type (in any form) and reading time.
func TestSensorsWrittenTwice(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	s := NewStore(conn)
	w := NewWriter(s, 0, 10*time.Millisecond)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	facts := func() *domain.EPCFacts {
		f := &domain.EPCFacts{Events: []domain.EPCEvent{
			{EventTime: t0, EventID: "e1", SiteID: "s1"},
			{EventTime: t0.Add(time.Hour), EventID: "e2", SiteID: "s1"},
			{EventTime: t0, EventID: "e3", SiteID: "s2"},
		}}
		add := func(ev int32, idx uint32, typ string, v float64, at time.Duration) {
			f.Sensors = append(f.Sensors, domain.SensorReading{Event: ev, Idx: idx, EPCs: []string{"urn:epc:id:sscc:4012345.0000000001"},
				Time: t0.Add(at), Type: typ, Value: v, HasValue: true, UOM: "CEL"})
		}
		add(0, 0, "gs1:Temperature", 4, 0)
		add(0, 1, "gs1:Temperature", 8, time.Minute)
		add(1, 0, "gs1:Temperature", 3, time.Hour)
		add(1, 1, "gs1:AbsoluteHumidity", 12, time.Hour)
		add(2, 0, "gs1:Temperature", 30, 0)
		return f
	}
	for range 2 {
		if err := w.WriteFacts(ctx, facts()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteFacts(ctx, facts()); err != nil {
		t.Fatal(err)
	}
	f64 := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		q    SensorQuery
		want map[string][4]float64 // type → readings, min, max, avg
	}{
		{"site", SensorQuery{Site: "s1"}, map[string][4]float64{"gs1:Temperature": {3, 3, 8, 5}, "gs1:AbsoluteHumidity": {1, 12, 12, 12}}},
		{"bare type", SensorQuery{Site: "s1", Type: "Temperature"}, map[string][4]float64{"gs1:Temperature": {3, 3, 8, 5}}},
		{"time", SensorQuery{Site: "s1", From: t0.Add(time.Minute), To: t0.Add(time.Hour)}, map[string][4]float64{"gs1:Temperature": {1, 8, 8, 8}}},
		{"all sites", SensorQuery{Type: "https://gs1.org/voc/Temperature"}, map[string][4]float64{"gs1:Temperature": {4, 3, 30, 11.25}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Sensors(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Types) != len(tt.want) {
				t.Fatalf("types = %+v, want %v", resp.Types, tt.want)
			}
			for _, x := range resp.Types {
				w, ok := tt.want[x.Type]
				if !ok || float64(x.Readings) != w[0] || *x.Min != w[1] || *x.Max != w[2] || *x.Avg != w[3] || x.UOM != "CEL" {
					t.Errorf("%s: %d readings, min %v max %v avg %v, want %v", x.Type, x.Readings, *x.Min, *x.Max, *x.Avg, w)
				}
			}
		})
	}
	resp, err := s.Sensors(ctx, SensorQuery{Site: "s1", ByEPC: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ByEPC) != 2 || resp.ByEPC[1].Readings != 3 || *resp.ByEPC[1].Avg != *f64(5) {
		t.Errorf("by EPC = %+v", resp.ByEPC)
	}
}
