package analytics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
)

// TestRecallLot: rows written twice count once; the parent is the latest aggregation, and an
// unpack clears it; other lots stay out. The expected answer is computed independently from
// the rows the test wrote.
func TestRecallLot(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	s := NewStore(conn)
	ctx := context.Background()
	const gtin = "04012345000016"
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var rows []domain.EPCEvent
	pack := func(i int) string { return fmt.Sprintf("urn:epc:id:sgtin:4012345.000001.S%d", i) }
	for i := range 5 {
		rows = append(rows, domain.EPCEvent{EventTime: t0, EventID: "c", EventType: "ObjectEvent", Action: "ADD",
			BizStep: "commissioning", EPC: pack(i), Role: "epc", GTIN: gtin, Serial: fmt.Sprint("S", i), Lot: "L1", SiteID: "s1"})
		rows = append(rows, domain.EPCEvent{EventTime: t0.Add(time.Minute), EventID: "a1", EventType: "AggregationEvent",
			Action: "ADD", BizStep: "packing", EPC: pack(i), Role: "child", GTIN: gtin, Lot: "L1", ParentEPC: "case-1", SiteID: "s1"})
	}
	// Pack 4 is unpacked later; pack 3 moves to case 2.
	rows = append(rows,
		domain.EPCEvent{EventTime: t0.Add(2 * time.Minute), EventID: "a2", EventType: "AggregationEvent", Action: "DELETE",
			EPC: pack(4), Role: "child", GTIN: gtin, Lot: "L1", ParentEPC: "case-1", SiteID: "s1"},
		domain.EPCEvent{EventTime: t0.Add(3 * time.Minute), EventID: "a3", EventType: "AggregationEvent", Action: "ADD",
			EPC: pack(3), Role: "child", GTIN: gtin, Lot: "L1", ParentEPC: "case-2", SiteID: "s1"},
		domain.EPCEvent{EventTime: t0, EventID: "other", EventType: "ObjectEvent", Action: "ADD",
			EPC: "urn:epc:id:sgtin:4012345.000001.X", Role: "epc", GTIN: gtin, Lot: "L2", SiteID: "s1"},
	)
	for range 2 { // a re-sent batch must not count twice
		if err := s.WriteEvents(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.Recall(ctx, RecallQuery{GTIN: gtin, Lots: []string{"L1"}})
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Items
	want := map[string]string{pack(0): "case-1", pack(1): "case-1", pack(2): "case-1", pack(3): "case-2", pack(4): ""}
	if len(got) != len(want) {
		t.Fatalf("recall returned %d packs, want %d: %+v", len(got), len(want), got)
	}
	for _, it := range got {
		if p, ok := want[it.EPC]; !ok || p != it.Parent {
			t.Errorf("pack %s: parent %q, want %q (known: %v)", it.EPC, it.Parent, p, ok)
		}
	}
}
