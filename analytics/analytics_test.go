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

// TestRecallOwnEvents: what a pack's own events say (newest event, own shipment, dispensed,
// decommissioned, site, expiry) comes out of recall_packs the same whatever form the business
// steps and dispositions take (bare, URN, web URI), when the events arrive in separate
// INSERTs and twice, and recall agrees with trace (which reads the same events one by one).
func TestRecallOwnEvents(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	s := NewStore(conn)
	ctx := context.Background()
	const gtin = "04012345000016"
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	pack := func(i int) string { return fmt.Sprintf("urn:epc:id:sgtin:4012345.000001.S%d", i) }
	ev := func(i int, at time.Duration, id, typ, action, step, disp, parent string) domain.EPCEvent {
		return domain.EPCEvent{EventTime: t0.Add(at), EventID: id, EventType: typ, Action: action, BizStep: step,
			Disposition: disp, EPC: pack(i), Role: "epc", GTIN: gtin, Serial: fmt.Sprint("S", i), Lot: "L1",
			Expiry: "2028-03-01", SiteID: "site-b", ParentEPC: parent}
	}
	var batches [][]domain.EPCEvent
	for i := range 4 {
		c := ev(i, 0, "c", "ObjectEvent", "ADD", "urn:epcglobal:cbv:bizstep:commissioning", "active", "")
		c.SiteID = "site-a"
		batches = append(batches, []domain.EPCEvent{c,
			ev(i, time.Minute, "a", "AggregationEvent", "ADD", "packing", "", "case-1")})
	}
	batches = append(batches,
		// Pack 0 shipped on its own (web URI), pack 1 dispensed (by disposition only), pack 2
		// destroyed (URN); pack 3 shipped twice, the second time later to another partner.
		[]domain.EPCEvent{withPartner(ev(0, time.Hour, "s0", "ObjectEvent", "OBSERVE", "https://ref.gs1.org/cbv/BizStep-shipping", "in_transit", ""), "P1", "DE")},
		[]domain.EPCEvent{ev(1, 2*time.Hour, "d1", "ObjectEvent", "OBSERVE", "", "urn:epcglobal:cbv:disp:dispensed", "")},
		[]domain.EPCEvent{ev(2, 3*time.Hour, "x2", "ObjectEvent", "DELETE", "urn:epcglobal:cbv:bizstep:destroying", "destroyed", "")},
		[]domain.EPCEvent{withPartner(ev(3, 4*time.Hour, "s3a", "ObjectEvent", "OBSERVE", "shipping", "", ""), "P1", "DE"),
			withPartner(ev(3, 5*time.Hour, "s3b", "ObjectEvent", "OBSERVE", "shipping", "", ""), "P2", "FR")},
	)
	for range 2 { // a re-sent batch must not count twice
		for _, b := range batches {
			if err := s.WriteEvents(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	resp, err := s.Recall(ctx, RecallQuery{GTIN: gtin, Lots: []string{"L1"}})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	want := []RecallPack{
		{State: "shipped", ShippedAt: at(time.Hour), Partner: "P1", Country: "DE", CaseAtShipment: "case-1", LastBizStep: "shipping"},
		{State: "dispensed", Dispensed: true, LastBizStep: ""},
		{State: "destroyed", Decommissioned: true, LastBizStep: "destroying"},
		{State: "shipped", ShippedAt: at(5 * time.Hour), Partner: "P2", Country: "FR", CaseAtShipment: "case-1", LastBizStep: "shipping"},
	}
	if len(resp.Items) != len(want) {
		t.Fatalf("recall returned %d packs, want %d: %+v", len(resp.Items), len(want), resp.Items)
	}
	for i, got := range resp.Items {
		w := want[i]
		if got.EPC != pack(i) || got.State != w.State || got.Dispensed != w.Dispensed || got.Decommissioned != w.Decommissioned ||
			(got.ShippedAt == nil) != (w.ShippedAt == nil) || (got.ShippedAt != nil && !got.ShippedAt.Equal(*w.ShippedAt)) ||
			got.Partner != w.Partner || got.Country != w.Country || got.CaseAtShipment != w.CaseAtShipment ||
			got.LastBizStep != w.LastBizStep || got.Case != "case-1" || got.Site != "site-a" || got.Expiry != "2028-03-01" {
			t.Errorf("pack %d:\n got %+v\nwant %+v", i, got, w)
		}
		tr, err := s.Trace(ctx, got.EPC, "")
		if err != nil {
			t.Fatal(err)
		}
		if tr.State != got.State {
			t.Errorf("pack %d: trace says %s, recall %s", i, tr.State, got.State)
		}
	}
	byExpiry, err := s.Recall(ctx, RecallQuery{GTIN: gtin, ExpiryFrom: "2028-03-01", ExpiryTo: "2028-03-01"})
	if err != nil || byExpiry.Count != 4 {
		t.Errorf("recall by expiry: %d packs, %v", byExpiry.Count, err)
	}
	if none, err := s.Recall(ctx, RecallQuery{GTIN: gtin, ExpiryFrom: "2028-03-02"}); err != nil || none.Count != 0 {
		t.Errorf("recall by a later expiry: %d packs, %v", none.Count, err)
	}
}

func withPartner(e domain.EPCEvent, partner, country string) domain.EPCEvent {
	e.Partner, e.Country = partner, country
	return e
}

// TestPackRowFold: two rows of recall_packs for one pack (parts not merged yet) fold as
// ClickHouse would merge their states: the newest event and shipment, the first
// commissioning site, either flag, every packing event once and in order.
func TestPackRowFold(t *testing.T) {
	a := &packRow{expiry: "", site: "11767600000 e1\tsite-b", last: "1767600100 e2\tAggregationEvent\tADD\tpacking\t\tcase-1",
		packing: "1767600100 e2\tADD\tcase-1"}
	b := &packRow{expiry: "2028-01-01", site: "01767600050 e0\tsite-a", last: "1767600050 e0\tObjectEvent\tADD\tcommissioning\tactive\t",
		ship: "1767700000 e9\tP1\tDE", dispensed: true,
		packing: "1767600000 e0a\tADD\tcase-0\n1767600100 e2\tADD\tcase-1"}
	a.fold(b)
	want := packRow{expiry: "2028-01-01", site: "01767600050 e0\tsite-a", last: a.last, ship: b.ship, dispensed: true,
		packing: "1767600000 e0a\tADD\tcase-0\n1767600100 e2\tADD\tcase-1"}
	if *a != want {
		t.Fatalf("folded\n%+v\nwant\n%+v", *a, want)
	}
	p, err := a.pack(map[string]timeline{})
	if err != nil {
		t.Fatal(err)
	}
	if p.site != "site-a" || p.latest.BizStep != "packing" || p.latest.Parent != "case-1" || p.latest.EventID != "e2" ||
		p.ship.Partner != "P1" || p.ship.Country != "DE" || p.ship.Time.Unix() != 1767700000 ||
		len(p.packing) != 2 || p.packing[0].Parent != "case-0" || p.packing[1].Action != "ADD" {
		t.Errorf("parsed %+v, latest %+v, ship %+v, packing %+v", p, p.latest, p.ship, p.packing)
	}
}
