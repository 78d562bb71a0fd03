package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

func smallConfig() Config {
	c := DefaultConfig(8000)
	c.Lots, c.LinesPerSite, c.Partners, c.Products, c.Days = 6, 2, 7, 3, 2
	c.PacksPerCase, c.CasesPerPallet = 10, 4
	return c
}

// TestRecallEqualsPostgres: for every lot, the ClickHouse recall names the same packs with
// the same case, pallet, state, shipment, partner and country as PostgreSQL computes by
// another route; its summary counts equal counts over the PostgreSQL answer; re-sent rows do
// not change anything; recall by expiry range and by serials select the same packs.
func TestRecallEqualsPostgres(t *testing.T) {
	ctx := context.Background()
	conn, _ := chtest.NewDB(t)
	pg, _ := pgtest.NewDB(t)
	cfg := smallConfig()
	store := analytics.NewStore(conn).WithPostgres(pg)
	st, err := Load(ctx, cfg, Targets{CH: conn, Store: store, PG: pg})
	if err != nil {
		t.Fatal(err)
	}
	// Every fact sent a second time must not count twice.
	for i := range cfg.Lots {
		if err := store.WriteEvents(ctx, cfg.GenLot(i).Rows()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("loaded %+v", st)
	shippedSomewhere := 0
	for i := range cfg.Lots {
		ref := cfg.Ref(i)
		got, err := store.Recall(ctx, analytics.RecallQuery{GTIN: ref.GTIN, Lots: []string{ref.Lot}})
		if err != nil {
			t.Fatal(err)
		}
		want, err := PGRecall(ctx, pg, ref.GTIN, ref.Lot)
		if err != nil {
			t.Fatal(err)
		}
		compareRecall(t, ref, got, want, true)
		shippedSomewhere += got.Summary.Shipped
	}
	if shippedSomewhere == 0 {
		t.Fatal("no pack was shipped: the test data proves nothing")
	}

	// Trace: a dispensed pack of a shipped pallet, named by its DataMatrix content (no company prefix
	// length), shows its case and pallet with the shipment; the pallet holds its cases and
	// their packs.
	var l *Lot
	var pack Serial
	for i := range cfg.Lots {
		lot := cfg.GenLot(i)
		for _, s := range lot.Serials {
			if s.State == "dispensed" { // a pack dispensed after its pallet was shipped
				l, pack = &lot, s
				break
			}
		}
		if l != nil {
			break
		}
	}
	if l == nil {
		t.Fatal("no shipped pack in the test data")
	}
	tr, err := store.Trace(ctx, "\x1d01"+pack.GTIN+"21"+pack.Serial, "")
	if err != nil {
		t.Fatal(err)
	}
	caseEPC := pack.Parent
	var palletEPC string
	for _, s := range l.Serials {
		if s.EPC == caseEPC {
			palletEPC = s.Parent
		}
	}
	if tr.EPC != pack.EPC || tr.Lot != l.Lot || len(tr.ContainersNow) != 2 || tr.ContainersNow[0] != caseEPC ||
		tr.ContainersNow[1] != palletEPC || len(tr.Up) != 2 || tr.State != pack.State {
		t.Fatalf("trace of %s: %+v", pack.EPC, tr)
	}
	shippedPallet := false
	for _, f := range tr.Up[1].History {
		shippedPallet = shippedPallet || (f.BizStep == "shipping" && f.Partner != "")
	}
	if !shippedPallet {
		t.Errorf("trace of %s: the pallet's shipment is missing: %+v", pack.EPC, tr.Up[1])
	}
	ptr, err := store.Trace(ctx, palletEPC, "")
	if err != nil {
		t.Fatal(err)
	}
	wantDown := 0
	for _, s := range l.Serials {
		for _, c := range l.Serials {
			if s.Parent == palletEPC || (s.Parent == c.EPC && c.Parent == palletEPC) {
				wantDown++
				break
			}
		}
	}
	if ptr.DownCount != wantDown {
		t.Errorf("pallet %s holds %d, want %d", palletEPC, ptr.DownCount, wantDown)
	}

	// By expiry range: exactly the packs of the GTIN's lots that expire in it.
	l0 := cfg.GenLot(0)
	byExp, err := store.Recall(ctx, analytics.RecallQuery{GTIN: l0.GTIN, ExpiryFrom: l0.Expiry, ExpiryTo: l0.Expiry})
	if err != nil {
		t.Fatal(err)
	}
	wantN := 0
	for i := range cfg.Lots {
		if l := cfg.GenLot(i); l.GTIN == l0.GTIN && l.Expiry == l0.Expiry {
			wantN += cfg.PacksPerLot()
		}
	}
	if byExp.Count != wantN {
		t.Errorf("recall by expiry %s: %d packs, want %d", l0.Expiry, byExp.Count, wantN)
	}
	// By serials and by EPCs: exactly those.
	var sns, epcs []string
	for _, s := range l0.Serials[:5] {
		sns, epcs = append(sns, s.Serial), append(epcs, s.EPC)
	}
	for name, rq := range map[string]analytics.RecallQuery{
		"serials": {GTIN: l0.GTIN, Serials: sns},
		"epcs":    {EPCs: epcs},
	} {
		r, err := store.Recall(ctx, rq)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Count != 5 {
			t.Errorf("recall by %s: %d packs, want 5", name, r.Count)
		}
		for _, it := range r.Items {
			if it.Lot != l0.Lot {
				t.Errorf("recall by %s: pack %s of lot %s", name, it.EPC, it.Lot)
			}
		}
	}

	// A rebuild from PostgreSQL alone gives the same answers, partners and countries included.
	conn2, _ := chtest.NewDB(t)
	store2 := analytics.NewStore(conn2).WithPostgres(pg)
	rst, err := store2.Rebuild(ctx, analytics.RebuildOptions{EventsPerBatch: 50})
	if err != nil {
		t.Fatal(err)
	}
	if rst.EventRows != st.EventRows || rst.LineStates != st.LineStates || rst.LineCounts != st.LineCounts {
		t.Errorf("rebuild wrote %+v, load wrote %+v", rst, st)
	}
	if _, err := store2.Rebuild(ctx, analytics.RebuildOptions{}); err != nil { // idempotent
		t.Fatal(err)
	}
	// A truncating rebuild empties what the views filled too: a pack that ClickHouse alone
	// knows is gone from recall afterwards.
	stray := domain.EPCEvent{EventTime: cfg.Start, EventID: "stray", EventType: "ObjectEvent", Action: "ADD",
		BizStep: "commissioning", EPC: "urn:epc:id:sgtin:4012345.000001.STRAY", Role: "epc", GTIN: GTIN(0),
		Serial: "STRAY", Lot: "STRAYLOT", SiteID: SiteID(0)}
	if err := store2.WriteEvents(ctx, []domain.EPCEvent{stray}); err != nil {
		t.Fatal(err)
	}
	if _, err := store2.Rebuild(ctx, analytics.RebuildOptions{Truncate: true}); err != nil {
		t.Fatal(err)
	}
	if r, err := store2.Recall(ctx, analytics.RecallQuery{GTIN: GTIN(0), Lots: []string{"STRAYLOT"}}); err != nil || r.Count != 0 {
		t.Errorf("recall of a pack only ClickHouse had, after a truncating rebuild: %d packs, %v", r.Count, err)
	}
	for i := range cfg.Lots {
		ref := cfg.Ref(i)
		got, err := store2.Recall(ctx, analytics.RecallQuery{GTIN: ref.GTIN, Lots: []string{ref.Lot}})
		if err != nil {
			t.Fatal(err)
		}
		want, err := PGRecall(ctx, pg, ref.GTIN, ref.Lot)
		if err != nil {
			t.Fatal(err)
		}
		compareRecall(t, ref, got, want, true)
	}
	// OEE is the same on the rebuilt store.
	oq := analytics.OEEQuery{Site: SiteID(0), From: cfg.Start, To: cfg.Start.Add(time.Duration(cfg.Days) * 24 * time.Hour)}
	a, err := store.OEE(ctx, oq)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store2.OEE(ctx, oq)
	if err != nil {
		t.Fatal(err)
	}
	if a.Site.Good == 0 || a.Site != b.Site {
		t.Errorf("OEE loaded %+v, rebuilt %+v", a.Site, b.Site)
	}
}

func compareRecall(t *testing.T, ref LotRef, got analytics.RecallResponse, want []PGRecallItem, partners bool) {
	t.Helper()
	if got.Count != len(want) || len(got.Items) != len(want) {
		t.Fatalf("%v: ClickHouse %d packs, PostgreSQL %d", ref, got.Count, len(want))
	}
	byState, byPartner, byCountry := map[string]int{}, map[string]int{}, map[string]int{}
	shipped, dispensed, decom := 0, 0, 0
	for i, w := range want {
		g := got.Items[i] // both ordered by EPC within one lot
		if g.EPC != w.EPC || g.Case != w.Case || g.Pallet != w.Pallet || g.State != w.State ||
			g.Dispensed != w.Dispensed || g.Decommissioned != w.Decommission ||
			(g.ShippedAt == nil) != (w.ShippedAt == nil) ||
			(g.ShippedAt != nil && !g.ShippedAt.Equal(*w.ShippedAt)) ||
			(partners && (g.Partner != w.Partner || g.Country != w.Country)) {
			t.Fatalf("%v pack %d:\nClickHouse %+v\nPostgreSQL %+v", ref, i, g, w)
		}
		byState[w.State]++
		if w.ShippedAt != nil {
			shipped++
			byPartner[w.Partner]++
			byCountry[w.Country]++
		}
		if w.Dispensed {
			dispensed++
		}
		if w.Decommission {
			decom++
		}
	}
	s := got.Summary
	if s.Shipped != shipped || s.Dispensed != dispensed || s.Decommissioned != decom || !sameCounts(s.ByState, byState) {
		t.Errorf("%v summary %+v; PostgreSQL: shipped %d dispensed %d decommissioned %d states %v", ref, s, shipped, dispensed, decom, byState)
	}
	if partners && (!sameCounts(s.ByPartner, byPartner) || !sameCounts(s.ByCountry, byCountry)) {
		t.Errorf("%v by partner %v / %v, by country %v / %v", ref, s.ByPartner, byPartner, s.ByCountry, byCountry)
	}
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
