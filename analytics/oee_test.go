package analytics

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
)

// TestOEEFormulas: run 06–07, down 07–07:30 (jam), planned break 07:30–08:00; 90 good and 10
// rejected at an ideal 2 packs/min; written twice. A = 60/90, P = 100/120, Q = 0.9, OEE = 0.5.
func TestOEEFormulas(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	s := NewStore(conn)
	ctx := context.Background()
	d := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ld := LineData{Line: "L1",
		States: []LineState{{At: d, State: StateRunning}, {At: d.Add(time.Hour), State: StateDown, Reason: "jam"},
			{At: d.Add(90 * time.Minute), State: StatePlanned, Reason: "break"}},
		Counts: []LineCount{{Start: d, End: d.Add(time.Hour), Good: 90, Rejected: 10, IdealRate: 2, SerialsUsed: 100,
			RejectReasons: map[string]int{"vision": 6, "weight": 4}}},
	}
	for range 2 {
		if err := s.WriteLineData(ctx, "s1", []LineData{ld}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    OEEQuery
		want [4]float64 // A, P, Q, OEE
	}{
		{"site", OEEQuery{Site: "s1", From: d, To: d.Add(2 * time.Hour)}, [4]float64{60.0 / 90, 100.0 / 120, 0.9, 0.5}},
		{"line", OEEQuery{Site: "s1", Line: "L1", From: d, To: d.Add(2 * time.Hour)}, [4]float64{60.0 / 90, 100.0 / 120, 0.9, 0.5}},
		{"first hour", OEEQuery{Site: "s1", From: d, To: d.Add(time.Hour)}, [4]float64{1, 100.0 / 120, 0.9, 0.75}},
		{"other site", OEEQuery{Site: "s2", From: d, To: d.Add(2 * time.Hour)}, [4]float64{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.OEE(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := [4]float64{r.Site.Availability, r.Site.Performance, r.Site.Quality, r.Site.OEE}
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-9 {
					t.Fatalf("A, P, Q, OEE = %v, want %v", got, tt.want)
				}
			}
		})
	}
	r, err := s.OEE(ctx, OEEQuery{Site: "s1", From: d, To: d.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Downtime) != 1 || r.Downtime[0].Minutes != 30 || r.Downtime[0].Reason != "jam" {
		t.Errorf("downtime %+v", r.Downtime)
	}
	if len(r.Rejects) != 2 || r.Rejects[0] != (ReasonCount{Reason: "vision", Count: 6, Share: 0.6}) {
		t.Errorf("rejects %+v", r.Rejects)
	}
	if len(r.Shifts) != 1 || r.Shifts[0].Shift != "early" || r.Serialization.SerialsUsed != 100 {
		t.Errorf("shifts %+v, serialization %+v", r.Shifts, r.Serialization)
	}
}
