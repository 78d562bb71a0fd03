package sites

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// TestLifecycle takes packs through their whole life and checks each state in PostgreSQL and
// the analytics rows.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	packs := []string{pack1("LC1"), pack1("LC2"), pack1("LC3"), pack1("LC4")}
	f.pools.issue(gtin1, "s1", "L1", "LOT-A", "LC1", "LC2", "LC3", "LC4")
	box, pallet := sscc("0000000101"), sscc("0000000102")
	r := f.mustProcess(
		commission(f.at(0), "L1", "LOT-A", "2028-01-31", packs...),
		commission(f.at(0), "L1", "", "", box),
		packInto(f.at(1), box, packs[:3]...),
		packInto(f.at(2), pallet, box), // the pallet is never commissioned: it is registered
	)
	if r.Events != 4 || r.Serials != 5 {
		t.Fatalf("receipt: %d events, %d serials, want 4 and 5", r.Events, r.Serials)
	}
	for _, c := range []struct {
		epc    string
		state  domain.SerialState
		parent string
	}{{packs[0], domain.StatePacked, box}, {packs[3], domain.StateCommissioned, ""}, {box, domain.StatePacked, pallet}, {pallet, domain.StateCommissioned, ""}} {
		if st, p := f.state(c.epc); st != c.state || p != c.parent {
			t.Errorf("%s: %s in %q, want %s in %q", c.epc, st, p, c.state, c.parent)
		}
	}
	f.mustProcess(
		unpack(f.at(3), box, packs[2]),
		observe(f.at(4), "urn:epcglobal:cbv:bizstep:sampling", "", epcis.ActionObserve, packs[2]),
		observe(f.at(4), "urn:epcglobal:cbv:bizstep:destroying", "urn:epcglobal:cbv:disp:destroyed", epcis.ActionObserve, packs[3]),
		ship(f.at(5), partySGLN(partnerGLN), pallet),
	)
	for _, c := range []struct {
		epc   string
		state domain.SerialState
	}{{packs[0], domain.StateShipped}, {box, domain.StateShipped}, {pallet, domain.StateShipped}, {packs[2], domain.StateSampled}, {packs[3], domain.StateDestroyed}} {
		if st, _ := f.state(c.epc); st != c.state {
			t.Errorf("%s: %s, want %s", c.epc, st, c.state)
		}
	}
	f.mustProcess(
		observe(f.at(6), "urn:epcglobal:cbv:bizstep:receiving", "urn:epcglobal:cbv:disp:returned", epcis.ActionObserve, pallet),
		observe(f.at(7), "urn:epcglobal:cbv:bizstep:holding", "urn:epcglobal:cbv:disp:recalled", epcis.ActionObserve, packs[1]),
		observe(f.at(8), "urn:epcglobal:cbv:bizstep:dispensing", "urn:epcglobal:cbv:disp:dispensed", epcis.ActionObserve, packs[0]),
		observe(f.at(9), "urn:epcglobal:cbv:bizstep:decommissioning", "urn:epcglobal:cbv:disp:inactive", epcis.ActionDelete, packs[2]),
	)
	for _, c := range []struct {
		epc   string
		state domain.SerialState
	}{{pallet, domain.StateReturned}, {box, domain.StateReturned}, {packs[1], domain.StateRecalled}, {packs[0], domain.StateDispensed}, {packs[2], domain.StateDecommissioned}} {
		if st, _ := f.state(c.epc); st != c.state {
			t.Errorf("%s: %s, want %s", c.epc, st, c.state)
		}
	}
	// Analytics: every identifier of every event, packs with their lot.
	var packed, shipped int
	for _, row := range f.sink.rows {
		if row.Role == "child" && row.ParentEPC == box && row.Lot != "LOT-A" {
			t.Errorf("packing row %+v: want lot LOT-A", row)
		}
		if row.EventType == "AggregationEvent" {
			packed++
		}
		if strings.HasSuffix(row.BizStep, "shipping") {
			shipped++
			if row.Partner != partnerGLN || row.Country != "DE" {
				t.Errorf("shipping row %+v: want partner %s in DE", row, partnerGLN)
			}
		}
		if !strings.HasPrefix(row.EventID, "ni:///sha-256;") {
			t.Errorf("event id %q is not an event hash", row.EventID)
		}
	}
	if packed != 5 || shipped != 1 {
		t.Errorf("analytics: %d packing rows, %d shipping rows, want 5 and 1", packed, shipped)
	}
}

// TestRules checks every business rule with an event that breaks it and one that does not.
func TestRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Shared history: packs S0..S9 of lot LOT-A commissioned on L1, S0-S1 in box B1,
	// box B1 in pallet P1, S9 decommissioned; T0..T9 issued but not commissioned.
	all := serialsN("S", 10)
	f.pools.issue(gtin1, "s1", "L1", "LOT-A", all...)
	f.pools.issue(gtin1, "s1", "L1", "LOT-A", "T0", "T1", "T2", "T3", "T4", "T5")
	f.pools.issue(gtin1, "s1", "L2", "LOT-A", "U1")
	f.pools.issue(gtin1, "s1", "L1", "", "V1", "V2", "V3", "V4", "V5", "V6")
	f.pools.issue(gtin1, "s2", "L9", "", "W1", "W2")
	f.pools.issue(gtin3, "s1", "L1", "", "D1")
	f.pools.issue(gtin3, "s2", "L9", "", "D2")
	var packs []string
	for _, s := range all {
		packs = append(packs, pack1(s))
	}
	b1, p1 := sscc("0000000201"), sscc("0000000202")
	f.mustProcess(
		commission(f.at(0), "L1", "LOT-A", "2028-01-31", packs...),
		packInto(f.at(1), b1, packs[0], packs[1]),
		packInto(f.at(2), p1, b1),
		observe(f.at(3), "urn:epcglobal:cbv:bizstep:decommissioning", "", epcis.ActionDelete, packs[9]),
	)
	f.runAs("s2", "", commission(f.at(0), "L9", "LOT-W", "2028-01-31", pack1("W1")))

	tests := []struct {
		name  string
		event *epcis.Event
		want  string // rule code, "" for accepted
	}{
		{"commission", commission(f.at(10), "L1", "LOT-A", "2028-01-31", pack1("T0")), ""},
		{"gtin unknown", commission(f.at(10), "L1", "LOT-A", "2028-01-31", sgtin("000002", "X1")), RuleGTINUnknown},
		{"gtin of another site", commission(f.at(10), "L1", "LOT-D", "2028-01-31", sgtin("000003", "D1")), RuleGTINNotForSite},
		{"serial never issued", commission(f.at(10), "L1", "LOT-A", "2028-01-31", pack1("NOPE")), RuleSerialNotAllocated},
		{"serial of another site", commission(f.at(10), "L1", "LOT-A", "2028-01-31", pack1("W2")), RuleSerialNotAllocated},
		{"serial of another line", commission(f.at(10), "L1", "LOT-A", "2028-01-31", pack1("U1")), RuleSerialOtherLine},
		{"serial of its line", commission(f.at(10), "L1", "LOT-A", "2028-01-31", pack1("T1")), ""},
		{"already commissioned", commission(f.at(10), "L1", "LOT-A", "2028-01-31", packs[5]), RuleAlreadyCommissioned},
		{"lot of another allocation", commission(f.at(10), "L1", "LOT-B", "2028-01-31", pack1("T2")), RuleLotMismatch},
		{"lot with another expiry", commission(f.at(10), "L1", "LOT-A", "2029-06-30", pack1("T3")), RuleExpiryMismatch},
		{"expiry before commissioning", commission(f.at(10), "L1", "LOT-V", "2001-01-01", pack1("V2")), RuleExpiryInvalid},
		{"new lot", commission(f.at(10), "L1", "LOT-V", "2028-05-31", pack1("V3")), ""},
		{"no lot", commission(f.at(10), "L1", "", "2028-05-31", pack1("V4")), RuleLotMissing},
		{"not an SGTIN or SSCC", commission(f.at(10), "L1", "LOT-V", "2028-05-31", "urn:epc:id:grai:4012345.00001.1"), RuleEPCInvalid},
		{"location of another company", func() *epcis.Event {
			e := commission(f.at(10), "L1", "LOT-V", "2028-05-31", pack1("V5"))
			e.ReadPoint = foreignSGLN
			return e
		}(), RuleLocation},
		{"pack", packInto(f.at(10), sscc("0000000203"), packs[2], packs[3]), ""},
		{"pack unknown child", packInto(f.at(10), sscc("0000000204"), pack1("T4")), RuleChildUnknown},
		{"pack packed child", packInto(f.at(10), sscc("0000000205"), packs[0]), RuleChildPacked},
		{"pack parent into its child", packInto(f.at(10), b1, p1), RuleParentCycle},
		{"pack into itself", packInto(f.at(10), packs[4], packs[4]), RuleParentCycle},
		{"pack decommissioned", packInto(f.at(10), sscc("0000000206"), packs[9]), RuleInactive},
		{"unpack", unpack(f.at(10), b1, packs[1]), ""},
		{"unpack from another parent", unpack(f.at(10), p1, packs[0]), RuleChildNotInParent},
		{"ship", ship(f.at(10), partySGLN(partnerGLN), packs[6]), ""},
		{"ship without destination", ship(f.at(10), "", packs[7]), RulePartnerMissing},
		{"ship to unknown partner", ship(f.at(10), partySGLN(unknownGLN), packs[7]), RulePartnerUnknown},
		{"ship to partner without licence", ship(f.at(10), partySGLN(expiredGLN), packs[7]), RulePartnerUnlicensed},
		{"ship decommissioned", ship(f.at(10), partySGLN(partnerGLN), packs[9]), RuleInactive},
		{"ship never commissioned", ship(f.at(10), partySGLN(partnerGLN), pack1("T5")), RuleNotCommissioned},
		{"ship another site's pack", ship(f.at(10), partySGLN(partnerGLN), pack1("W1")), RuleOtherSite},
		{"ship before commissioning", ship(f.at(-5), partySGLN(partnerGLN), packs[8]), RuleTimeOrder},
		{"event in the future", observe(f.at(60*48), "urn:epcglobal:cbv:bizstep:inspecting", "", epcis.ActionObserve, packs[8]), RuleTimeFuture},
		{"same event again", packInto(f.at(2), p1, b1), RuleDuplicateEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			r := f.run("", tt.event)
			if tt.want == "" {
				if r.Status != domain.StatusProcessed {
					t.Fatalf("status %s, errors %v; want processed", r.Status, r.Errors)
				}
				return
			}
			if r.Status != domain.StatusRejected || r.RejectedEvents != 1 || len(r.Errors) == 0 {
				t.Fatalf("status %s, %d rejected, errors %v; want rejected with [%s]", r.Status, r.RejectedEvents, r.Errors, tt.want)
			}
			if !strings.Contains(strings.Join(r.Errors, "\n"), "["+tt.want+"] event 0") {
				t.Fatalf("errors %v; want one [%s] naming event 0", r.Errors, tt.want)
			}
		})
	}
}

// TestErrorModes: rollback rejects the whole document and changes nothing; proceed accepts the
// good events and queues the bad ones.
func TestErrorModes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.pools.issue(gtin1, "s1", "L1", "LOT-M", "M1", "M2", "M3", "M4")
	events := func(a, b string) []*epcis.Event {
		return []*epcis.Event{
			commission(f.at(0), "L1", "LOT-M", "2028-01-31", pack1(a)),
			commission(f.at(0), "L1", "LOT-M", "2028-01-31", pack1("NEVER-ISSUED")),
			commission(f.at(0), "L1", "LOT-M", "2028-01-31", pack1(b)),
		}
	}
	r := f.run(ModeRollback, events("M1", "M2")...)
	if r.Status != domain.StatusRejected || r.RejectedEvents != 1 || r.Events != 0 {
		t.Fatalf("rollback: %+v", r)
	}
	if n := f.count(`SELECT count(*) FROM serials`); n != 0 {
		t.Fatalf("rollback left %d serials", n)
	}
	r = f.run(ModeProceed, events("M3", "M4")...)
	if r.Status != domain.StatusProcessed || r.RejectedEvents != 1 || r.Events != 2 || r.Serials != 2 {
		t.Fatalf("proceed: %+v", r)
	}
	if n := f.count(`SELECT count(*) FROM exceptions WHERE status = 'open'`); n != 2 {
		t.Fatalf("open exceptions = %d, want 2 (one per document)", n)
	}
	if !strings.Contains(r.Errors[0], "[serial_not_allocated] event 1 (line ") || !strings.Contains(r.Errors[0], "field epcList") {
		t.Fatalf("error %q: want the code, event 1 with its line, and the field", r.Errors[0])
	}
	// A document that cannot be read is rejected in any mode, with where it broke.
	bad := f.upload("s1", ModeProceed)
	if _, err := f.s.pool.Exec(context.Background(), `UPDATE document_parts SET data = convert_to(replace(convert_from(data, 'UTF8'), '</epcis:EPCISDocument>', '<oops>'), 'UTF8') WHERE receipt_id = $1`, bad.ID); err != nil {
		t.Fatal(err)
	}
	r = f.process(bad.ID, 0)
	if r.Status != domain.StatusRejected || len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0], "[syntax]") {
		t.Fatalf("broken document: %+v", r)
	}
}

// TestResume: a run that fails after some chunks is resumed by the next run from the first
// chunk not committed; every event and serial is recorded once, analytics rows at least once.
func TestResume(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sers := serialsN("R", 50)
	f.pools.issue(gtin1, "s1", "L1", "LOT-R", sers...)
	var events []*epcis.Event
	for i := 0; i < 50; i += 5 {
		var epcs []string
		for _, s := range sers[i : i+5] {
			epcs = append(epcs, pack1(s))
		}
		events = append(events, commission(f.at(i), "L1", "LOT-R", "2028-01-31", epcs...),
			packInto(f.at(i+1), sscc("00000003"+string(rune('0'+i/10))+string(rune('0'+i%10))), epcs...))
	}
	r := f.upload("s1", "", events...)
	boom := errors.New("analytics down")
	f.sink.fail = func(n int) error {
		if n == 4 {
			return boom
		}
		return nil
	}
	_, err := f.s.Process(context.Background(), r.ID, ProcessOptions{Rules: f.rules, Sink: f.sink, ChunkEPCs: 12})
	if !errors.Is(err, boom) {
		t.Fatalf("first run: err = %v, want the sink's", err)
	}
	if done := f.count(`SELECT chunks_done FROM documents WHERE receipt_id = $1`, r.ID); done != 3 {
		t.Fatalf("chunks done after the failure = %d, want 3", done)
	}
	f.sink.fail = nil
	got := f.process(r.ID, 12)
	if got.Status != domain.StatusProcessed || got.Events != 20 || got.Serials != 50 {
		t.Fatalf("receipt after resume: %+v", got)
	}
	if n := f.count(`SELECT count(*) FROM serials WHERE lot = 'LOT-R'`); n != 50 {
		t.Fatalf("serials = %d, want 50", n)
	}
	if n := f.count(`SELECT count(*) FROM epcis_events WHERE receipt_id = $1`, r.ID); n != 20 {
		t.Fatalf("events = %d, want 20", n)
	}
	if n := f.count(`SELECT count(*) FROM event_epcs x JOIN epcis_events e ON e.id = x.event_pk WHERE e.receipt_id = $1`, r.ID); n != 100 {
		t.Fatalf("identifiers = %d, want 100", n)
	}
	// A third run finds it done.
	if again := f.process(r.ID, 12); again.Events != 20 {
		t.Fatalf("third run: %+v", again)
	}
}

// TestExceptionQueue: rejected events are listed, reprocessed once the master data is fixed,
// or dismissed with a reason; nothing disappears.
func TestExceptionQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.pools.issue(gtin1, "s1", "L1", "LOT-Q", "Q1", "Q2")
	f.pools.issue(gtin2, "s1", "L1", "LOT-Q", "Q3")
	// Proceed: Q1 and Q2 accepted, the unknown product's pack queued.
	r := f.run(ModeProceed,
		commission(f.at(0), "L1", "LOT-Q", "2028-01-31", pack1("Q1")),
		commission(f.at(0), "L1", "LOT-Q", "2028-01-31", sgtin("000002", "Q3")),
		packInto(f.at(1), sscc("0000000401"), pack1("Q1"), sgtin("000002", "Q3")),
		commission(f.at(2), "L1", "LOT-Q", "2028-01-31", pack1("Q2")),
	)
	if r.Status != domain.StatusProcessed || r.RejectedEvents != 2 || r.Events != 2 {
		t.Fatalf("first attempt: %+v", r)
	}
	list, err := f.s.Exceptions(ctx, "s1", 0)
	if err != nil || len(list) != 1 || list[0].Open != 2 || !strings.HasPrefix(list[0].FirstError, "[gtin_unknown] event 1") {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if other, _ := f.s.Exceptions(ctx, "s2", 0); len(other) != 0 {
		t.Fatalf("site s2 sees %+v", other)
	}
	// The product is added; the two events go through on the second attempt.
	if _, err := f.rules.Catalog.(*masterdata.Store).PutProduct(ctx, masterdata.Product{GTIN: gtin2, CompanyPrefixLength: 7, Name: "Syrup", PackSize: 1}, masterdata.PutOptions{By: "test"}); err != nil {
		t.Fatal(err)
	}
	attempt, err := f.s.Reprocess(ctx, r.ID)
	if err != nil || attempt != 2 {
		t.Fatalf("reprocess = %d, %v", attempt, err)
	}
	r = f.process(r.ID, 0)
	if r.Status != domain.StatusProcessed || r.RejectedEvents != 0 || r.Events != 4 || r.Attempt != 2 {
		t.Fatalf("second attempt: %+v", r)
	}
	if st, p := f.state(sgtin("000002", "Q3")); st != domain.StatePacked || p != sscc("0000000401") {
		t.Fatalf("Q3: %s in %s", st, p)
	}
	d, err := f.s.ExceptionsOf(ctx, r.ID)
	if err != nil || len(d.Exceptions) != 2 || d.Exceptions[0].Status != "resolved" || d.Exceptions[1].Status != "resolved" {
		t.Fatalf("exceptions after reprocessing: %+v, %v", d.Exceptions, err)
	}
	if _, err := f.s.Reprocess(ctx, r.ID); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("reprocessing without open exceptions: %v", err)
	}
	// A rejected document dismissed with a reason stays listed with it.
	bad := f.run("", commission(f.at(3), "L1", "LOT-Q", "2028-01-31", pack1("NOT-ISSUED")))
	if _, err := f.s.Dismiss(ctx, bad.ID, "", "admin"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("dismiss without reason: %v", err)
	}
	if n, err := f.s.Dismiss(ctx, bad.ID, "test document sent by mistake", "admin key 1"); err != nil || n != 1 {
		t.Fatalf("dismiss = %d, %v", n, err)
	}
	d, err = f.s.ExceptionsOf(ctx, bad.ID)
	if err != nil || len(d.Exceptions) != 1 || d.Exceptions[0].Status != "dismissed" || d.Exceptions[0].Reason == "" ||
		d.Exceptions[0].Errors[0].Code != RuleSerialNotAllocated {
		t.Fatalf("dismissed: %+v, %v", d, err)
	}
	if list, _ := f.s.Exceptions(ctx, "", 0); len(list) != 0 {
		t.Fatalf("open exceptions left: %+v", list)
	}
}
