package sites

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
)

// TestChunkingEquivalence: the serials a document leaves and the analytics rows it sends are
// the same whether it is applied in one chunk, in many small chunks (new serials held back in
// memory across chunks and written once), or in small chunks by a run that fails half-way
// and a second run that resumes it.
func TestChunkingEquivalence(t *testing.T) {
	t.Parallel()
	sers := serialsN("Q", 40)
	packs := make([]string, len(sers))
	for i, s := range sers {
		packs[i] = pack1(s)
	}
	cs := make([]string, 4)
	for i := range cs {
		cs[i] = sscc(fmt.Sprintf("00000077%02d", i))
	}
	build := func(f *fixture) []*epcis.Event {
		var events []*epcis.Event
		for i := 0; i < 40; i += 10 {
			events = append(events, commission(f.at(0), "L1", "LOT-Q", "2028-01-31", packs[i:i+10]...))
		}
		return append(events,
			observe(f.at(1), "urn:epcglobal:cbv:bizstep:inspecting", "", epcis.ActionObserve, packs[3], packs[17]),
			packInto(f.at(2), cs[0], packs[0:10]...),
			packInto(f.at(2), cs[1], packs[10:20]...),
			observe(f.at(3), "urn:epcglobal:cbv:bizstep:sampling", "", epcis.ActionObserve, packs[25]),
			packInto(f.at(3), cs[2], packs[20:25]...),
			packInto(f.at(3), cs[3], packs[30:40]...),
			unpack(f.at(4), cs[1]),
			packInto(f.at(5), cs[2], packs[10:20]...),
			ship(f.at(6), partySGLN(partnerGLN), cs[0], cs[2]),
			observe(f.at(7), "urn:epcglobal:cbv:bizstep:inspecting", "", epcis.ActionObserve, packs[5], packs[33]),
		)
	}

	type result struct {
		serials []string
		facts   []string
	}
	run := func(t *testing.T, chunk int, failAt int) result {
		f := newFixture(t)
		f.pools.issue(gtin1, "s1", "L1", "LOT-Q", sers...)
		events := build(f)
		r := f.upload("s1", "", events...)
		if failAt > 0 {
			boom := errors.New("analytics down")
			f.sink.fail = func(n int) error {
				if n == failAt {
					return boom
				}
				return nil
			}
			if _, err := f.s.Process(context.Background(), r.ID, ProcessOptions{Rules: f.rules, Sink: f.sink, ChunkEPCs: chunk}); !errors.Is(err, boom) {
				t.Fatalf("first run: %v", err)
			}
			f.sink.fail = nil
		}
		got := f.process(r.ID, chunk)
		if got.Status != domain.StatusProcessed || got.Events != len(events) || got.Serials != 40 {
			t.Fatalf("receipt: %+v", got)
		}
		var res result
		rows, err := f.s.pool.Query(context.Background(), `SELECT concat_ws('|', epc, gtin, serial, lot, expiry, site_id, state,
			parent_epc, commissioned_at - $1::timestamptz, last_event_time - $1::timestamptz, line_id, packed_at - $1::timestamptz)
			FROM serials ORDER BY epc`, f.at(0))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			res.serials = append(res.serials, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, x := range f.sink.rows {
			k := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s", x.EventTime.Sub(f.at(0)), x.EPC, x.Role, x.GTIN, x.Serial, x.Lot, x.Expiry, x.ParentEPC, x.BizStep)
			if !seen[k] {
				seen[k] = true
				res.facts = append(res.facts, k)
			}
		}
		slices.Sort(res.facts)
		return res
	}
	whole := run(t, 1_000_000, 0)
	if len(whole.serials) != 44 {
		t.Fatalf("serials = %d, want 44 (40 packs, 4 cases)", len(whole.serials))
	}
	for _, c := range []struct {
		name          string
		chunk, failAt int
	}{{"small chunks", 7, 0}, {"small chunks, resumed", 7, 5}, {"chunks of 12, resumed", 12, 2}} {
		got := run(t, c.chunk, c.failAt)
		if d := diff(got.serials, whole.serials); d != "" {
			t.Errorf("%s: serials differ: %s", c.name, d)
		}
		if d := diff(got.facts, whole.facts); d != "" {
			t.Errorf("%s: analytics rows differ: %s", c.name, d)
		}
	}
}

// diff describes the first difference between two sorted lists, or returns "".
func diff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: got %q, want %q", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d", len(got), len(want))
	}
	return ""
}
