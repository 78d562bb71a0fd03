package sites

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
)

// TestPartnerRules: a trading partner's file passes the lifecycle rules and the partner rules,
// not the rules of a site. Site s1 ships box B1 (packs S0, S1) and pack S2 to the partner;
// S3 stays at the site.
func TestPartnerRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	packs := serialsN("S", 4)
	f.pools.issue(gtin1, "s1", "L1", "LOT-A", packs...)
	for i, s := range packs {
		packs[i] = pack1(s)
	}
	b1 := sscc("0000000301")
	f.mustProcess(
		commission(f.at(0), "L1", "LOT-A", "2028-01-31", packs...),
		packInto(f.at(1), b1, packs[0], packs[1]),
		ship(f.at(2), partySGLN(partnerGLN), b1, packs[2]),
	)
	at := partySGLN(partnerGLN)
	recv := func(min int, loc string, epcs ...string) *epcis.Event {
		return &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionObserve, EventTime: f.at(min), EventTimeZoneOffset: "+00:00",
			EPCList: epcs, BizStep: "urn:epcglobal:cbv:bizstep:receiving", Disposition: "urn:epcglobal:cbv:disp:in_progress",
			ReadPoint: loc, BizLocation: loc,
			Sources:      []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: sgln("0")}},
			Destinations: []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: at}}}
	}
	giveBack := func(min int, dest string, epcs ...string) *epcis.Event {
		e := recv(min, at, epcs...)
		e.BizStep, e.Disposition = "urn:epcglobal:cbv:bizstep:shipping", "urn:epcglobal:cbv:disp:returned"
		e.Sources = []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: at}}
		e.Destinations = []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: dest}}
		return e
	}
	tests := []struct {
		name    string
		partner string
		event   *epcis.Event
		want    string // rule code, "" for accepted
	}{
		{"receive the box", partnerGLN, recv(10, at, b1), ""},
		{"receive a pack of the box", partnerGLN, recv(11, at, packs[0]), ""},
		{"ship a pack back to our site", partnerGLN, giveBack(12, sgln("0"), packs[2]), ""},
		{"a pack returned already", partnerGLN, recv(13, at, packs[2]), RuleNotShippedToPartner},
		{"a pack we never shipped", partnerGLN, recv(13, at, packs[3]), RuleNotShippedToPartner},
		{"another partner's location", partnerGLN, recv(13, foreignSGLN, packs[1]), RuleLocationNotPartner},
		{"a source of nobody we know", partnerGLN, func() *epcis.Event {
			e := recv(13, at, packs[1])
			e.Sources[0].Value = foreignSGLN
			return e
		}(), RuleLocationNotPartner},
		{"ship on to another partner", partnerGLN, giveBack(13, partySGLN(expiredGLN), packs[1]), RuleDestinationNotOurs},
		{"commission", partnerGLN, func() *epcis.Event {
			e := commission(f.at(13), "L1", "LOT-A", "2028-01-31", pack1("NEW"))
			e.ReadPoint, e.BizLocation = at, at
			return e
		}(), RuleEventNotForPartner},
		{"never commissioned", partnerGLN, recv(13, at, pack1("NEVER")), RuleNotCommissioned},
		{"before the last event", partnerGLN, recv(5, at, packs[1]), RuleTimeOrder},
		{"a partner not in the master data", unknownGLN, recv(13, partySGLN(unknownGLN), packs[1]), RuleLocationNotPartner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.docs++
			r, err := f.s.SaveUpload(context.Background(), UploadMeta{PartnerGLN: tt.partner, Transport: "https",
				ContentType: "application/xml", Format: "2.0-xml"}, bytes.NewReader(document(t, f.docs, tt.event)))
			if err != nil {
				t.Fatal(err)
			}
			r = f.process(r.ID, 0)
			if r.PartnerGLN != tt.partner || r.SiteID != "" {
				t.Fatalf("receipt of %s: %+v", tt.partner, r)
			}
			if tt.want == "" {
				if r.Status != domain.StatusProcessed {
					t.Fatalf("status %s, errors %v; want processed", r.Status, r.Errors)
				}
				return
			}
			if r.Status != domain.StatusRejected || !strings.Contains(strings.Join(r.Errors, "\n"), "["+tt.want+"] event 0") {
				t.Fatalf("status %s, errors %v; want rejected with [%s] naming event 0", r.Status, r.Errors, tt.want)
			}
		})
	}
	f.t = t
	// The box and its packs were received, the pack shipped back is returned; the site's
	// ownership of the serials did not change.
	want := map[string]domain.SerialState{b1: domain.StateReceived, packs[0]: domain.StateReceived,
		packs[1]: domain.StateReceived, packs[2]: domain.StateReturned, packs[3]: domain.StateCommissioned}
	for epc, st := range want {
		if n := f.count(`SELECT count(*) FROM serials WHERE epc = $1 AND state = $2 AND site_id = 's1'`, epc, string(st)); n != 1 {
			t.Errorf("%s is not %s of site s1", epc, st)
		}
	}
}
