package sites

import (
	"context"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
)

// The rules of a trading partner's file, besides the lifecycle rules every document passes
// (duplicate event, time order, inactive or unknown identifiers, lot).
const (
	// RuleLocationNotPartner: a read point, business location, source or destination that is
	// neither the partner's (its GLN and locations in master data) nor, for sources and
	// destinations, one of our sites.
	RuleLocationNotPartner = "location_not_partner"
	// RuleEventNotForPartner: a partner receives, returns and ships back what we shipped to
	// it; commissioning, packing and other steps are a site's.
	RuleEventNotForPartner = "event_not_for_partner"
	// RuleNotShippedToPartner: the identifier (or the case or pallet it is in) was not last
	// shipped to this partner by one of our sites, or is no longer with it.
	RuleNotShippedToPartner = "epc_not_shipped_to_partner"
	// RuleDestinationNotOurs: a partner's shipment goes back to one of our sites.
	RuleDestinationNotOurs = "destination_not_ours"
)

// partnerScope is what the rules know of the partner that sent a document.
type partnerScope struct {
	gln, country string
	known        bool                // in the master data
	own          map[string]bool     // the partner's GLN and its locations' GLNs
	ours         map[string]bool     // our sites' GLNs (from their GLN and SGLN)
	shipped      map[string]shipment // identifier → its last shipment to a partner
	looked       map[string]bool     // identifiers whose shipments were read
}

// party is a source or destination of a partner's event.
type party struct {
	field, value string
}

// partiesOf lists an event's sources and destinations (a partner's file checks every one).
func partiesOf(e *epcis.Event) []party {
	var out []party
	for _, s := range e.Sources {
		out = append(out, party{"sourceList", s.Value})
	}
	for _, d := range e.Destinations {
		out = append(out, party{"destinationList", d.Value})
	}
	return out
}

// prefetchShipped reads, for a partner's file, the last shipment of every identifier of the
// chunk and of the containers they are in (a shipment names the outermost container). The
// containers were read by prefetch.
func (c *checker) prefetchShipped(ctx context.Context, chunk []*staged) error {
	sc := c.site.partner
	if sc == nil {
		return nil
	}
	if sc.looked == nil {
		sc.looked = map[string]bool{}
	}
	var epcs []string
	for _, st := range chunk {
		for _, epc := range st.epcs {
			for p, depth := epc, 0; p != "" && depth < 16; depth++ {
				if !sc.looked[p] {
					sc.looked[p] = true
					epcs = append(epcs, p)
				}
				it := c.items[p]
				if it == nil {
					break
				}
				p = it.parent
			}
		}
	}
	return c.s.shippedTo(ctx, epcs, sc.shipped)
}

// partnerEvent runs the rules of a partner's file on one event (after the checks every event
// passes): where it happened, what it does, and that every identifier is with the partner.
// The rules of a site's document that assume a site (serial allocation, line, epc_other_site,
// location_not_site, the shipment's licensed partner) do not apply.
func (c *checker) partnerEvent(st *staged, e *errs) {
	sc := c.site.partner
	for _, loc := range []party{{"readPoint", st.readPoint}, {"bizLocation", st.bizLoc}} {
		if loc.value != "" && !sc.own[locationGLN(loc.value)] {
			c.notPartners(sc, e, loc)
		}
	}
	for _, p := range st.parties {
		if g := locationGLN(p.value); !sc.own[g] && !sc.ours[g] {
			c.notPartners(sc, e, p)
		}
	}
	if vocabName(st.bizStep) == "shipping" {
		if st.dest == "" {
			e.add(RuleDestinationNotOurs, "destinationList", "", "a partner's shipment needs a destination: one of our sites")
		} else if !sc.ours[locationGLN(st.dest)] {
			e.add(RuleDestinationNotOurs, "destinationList", "", "destination %s is none of our sites: a partner ships back to us", st.dest)
		}
	}
	if st.op != opState || (st.state != domain.StateReceived && st.state != domain.StateReturned && st.state != domain.StateShipped) {
		field, what := "bizStep", vocabName(st.bizStep)
		switch st.op {
		case opCommission, opPack, opUnpack:
			field, what = "action", string(st.typ)+" "+string(st.action)
		}
		if what == "" {
			what = "an event without a business step"
		}
		e.add(RuleEventNotForPartner, field, "", "%s: a partner's file may receive, return or ship back what we shipped to it", what)
		return
	}
	for _, epc := range st.epcs {
		it, ok := c.checkExisting(st, e, "epcList", epc, RuleNotCommissioned)
		if !ok {
			continue
		}
		switch sh := c.lastShipment(epc); {
		case sh.partner != sc.gln:
			// Another partner's GLN is not named: what we shipped to whom is not this partner's business.
			e.add(RuleNotShippedToPartner, "epcList", epc, "%s was not shipped to partner %s", epc, sc.gln)
		case it.state != domain.StateShipped && it.state != domain.StateReceived && it.state != domain.StatePacked:
			e.add(RuleNotShippedToPartner, "epcList", epc, "%s is %s, no longer with partner %s", epc, it.state, sc.gln)
		}
	}
}

// notPartners records a location of an event that is not the partner's.
func (c *checker) notPartners(sc *partnerScope, e *errs, p party) {
	if !sc.known {
		e.add(RuleLocationNotPartner, p.field, "", "%s %s: partner %s is not in the master data, so none of its locations is known", p.field, p.value, sc.gln)
		return
	}
	e.add(RuleLocationNotPartner, p.field, "", "%s %s is not a location of partner %s", p.field, p.value, sc.gln)
}

// lastShipment is the latest shipment to a partner of epc or of a container it is in.
func (c *checker) lastShipment(epc string) shipment {
	sc := c.site.partner
	var last shipment
	for p, depth := epc, 0; p != "" && depth < 16; depth++ {
		if sh, ok := sc.shipped[p]; ok && sh.t.After(last.t) {
			last = sh
		}
		it := c.items[p]
		if it == nil {
			break
		}
		p = it.parent
	}
	return last
}
