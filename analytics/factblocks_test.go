package analytics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
)

// TestFactsInBlocks writes an INSERT of several blocks (factBlockRows) and checks that every
// row arrives, as one part: ClickHouse squashes the blocks of one INSERT.
func TestFactsInBlocks(t *testing.T) {
	conn, _ := chtest.NewDB(t)
	ctx := context.Background()
	at := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	f := &domain.EPCFacts{Events: []domain.EPCEvent{
		{EventID: "e1", SiteID: "s", EventTime: at},
		{EventID: "e2", SiteID: "s", EventTime: at.Add(time.Hour)},
	}}
	n := 2*factBlockRows + 100
	for i := range n {
		f.Rows = append(f.Rows, domain.EPCFact{Event: int32(i % 2), EPC: fmt.Sprint("urn:epc:id:sgtin:0614141.107346.", i), Role: "epc"})
	}
	if err := NewStore(conn).WriteFacts(ctx, f); err != nil {
		t.Fatal(err)
	}
	var rows, epcs, e2 uint64
	var parts uint64
	if err := conn.QueryRow(ctx, `SELECT count(), uniqExact(epc), countIf(event_id = 'e2' AND event_time = toDateTime('2025-01-01 11:00:00'))
		FROM epc_facts`).Scan(&rows, &epcs, &e2); err != nil {
		t.Fatal(err)
	}
	if rows != uint64(n) || epcs != uint64(n) || e2 != uint64(n/2) {
		t.Errorf("rows %d, identifiers %d, rows of e2 at its time %d; want %d, %d, %d", rows, epcs, e2, n, n, n/2)
	}
	if err := conn.QueryRow(ctx, `SELECT count() FROM system.parts
		WHERE database = currentDatabase() AND table = 'epc_facts' AND active`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts != 1 {
		t.Errorf("%d parts, want 1", parts)
	}
}
