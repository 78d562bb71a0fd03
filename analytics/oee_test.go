package analytics

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
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

// TestOEEResentCount: a count record sent again with other figures replaces the first. Before
// the copies are merged, the cheap read (no FINAL) meets the record twice and OEE reads again
// with FINAL; with one copy it answers from the cheap read.
func TestOEEResentCount(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	s := NewStore(conn)
	ctx := context.Background()
	d := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ld := LineData{Line: "L1", States: []LineState{{At: d, State: StateRunning}},
		Counts: []LineCount{{Start: d, End: d.Add(time.Hour), Good: 90, Rejected: 10, IdealRate: 2,
			RejectReasons: map[string]int{"vision": 6, "weight": 4}}}}
	if err := s.WriteLineData(ctx, "s1", []LineData{ld}); err != nil {
		t.Fatal(err)
	}
	q := OEEQuery{Site: "s1", From: d, To: d.Add(time.Hour)}
	check := func(stage string, good int64, quality float64, rejects []ReasonCount, resent bool) {
		t.Helper()
		if _, err := s.readLineCounts(ctx, q, "", false); errors.Is(err, errResent) != resent {
			t.Fatalf("%s: cheap read: %v, want resent %v", stage, err, resent)
		}
		r, err := s.OEE(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if r.Serialization.Good != good || math.Abs(r.Site.Quality-quality) > 1e-9 || !slices.Equal(r.Rejects, rejects) {
			t.Errorf("%s: good %d, quality %v, rejects %+v; want %d, %v, %+v", stage, r.Serialization.Good,
				r.Site.Quality, r.Rejects, good, quality, rejects)
		}
	}
	check("sent once", 90, 0.9, []ReasonCount{{"vision", 6, 0.6}, {"weight", 4, 0.4}}, false)
	// The corrected record, inserted a minute later (inserted_at is the version).
	if err := conn.Exec(ctx, `INSERT INTO line_counts (day, site_id, line_id, start_at, end_at, gtin, lot, good,
		rejected, ideal_rate, serials_used, aggregation_errors, reject_reasons, reject_counts, inserted_at)
		SELECT toDate('2026-03-02'), 's1', 'L1', toDateTime('2026-03-02 06:00:00', 'UTC'),
		toDateTime('2026-03-02 07:00:00', 'UTC'), '', '', 97, 3, 2, 0, 0, ['weight'], [3], now() + 60`); err != nil {
		t.Fatal(err)
	}
	check("sent again", 97, 0.97, []ReasonCount{{"weight", 3, 1}}, true)
}

// TestEachReject: the rejects text of a count record, whatever characters its reasons hold.
func TestEachReject(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]int64
		wantErr bool
	}{
		{"", map[string]int64{}, false},
		{"6:6:vision4:6:weight", map[string]int64{"vision": 6, "weight": 4}, false},
		{"2:7:a:3:b\nc1:1:x", map[string]int64{"a:3:b\nc": 2, "x": 1}, false},
		{"0:4:jam!", map[string]int64{"jam!": 0}, false},
		{"6:9:vision", nil, true}, // longer than the text
		{"6:-1:", nil, true},
		{"x:1:a", nil, true},
		{"6:6", nil, true},
	}
	for _, tt := range tests {
		got := map[string]int64{}
		err := eachReject(tt.in, func(r string, n int64) { got[r] += n })
		if (err != nil) != tt.wantErr || (!tt.wantErr && !maps.Equal(got, tt.want)) {
			t.Errorf("eachReject(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
