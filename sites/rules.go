package sites

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// The business rules' codes. Every rejected event carries one or more, each with a message
// naming the event (index and line) and the field.
const (
	RuleSyntax              = "syntax"               // the document cannot be read
	RuleDuplicateEvent      = "duplicate_event"      // the same event (event hash) was recorded before
	RuleEPCInvalid          = "epc_invalid"          // not an SGTIN or SSCC EPC URI
	RuleGTINUnknown         = "gtin_unknown"         // no product with this GTIN
	RuleGTINNotForSite      = "gtin_not_for_site"    // the product is not packed at this site
	RuleSerialNotAllocated  = "serial_not_allocated" // not issued, returned, or issued to another site
	RuleSerialOtherLine     = "serial_other_line"    // issued to another line of the site
	RuleAlreadyCommissioned = "already_commissioned" // commissioned before
	RuleNotCommissioned     = "not_commissioned"     // an event on an identifier never commissioned
	RuleChildUnknown        = "child_not_commissioned"
	RuleChildPacked         = "child_already_packed" // packed into a container already
	RuleChildNotInParent    = "child_not_in_parent"  // unpacking what the parent does not hold
	RuleParentCycle         = "parent_cycle"         // the parent is (inside) one of its children
	RuleLotMissing          = "lot_missing"          // commissioning a pack without a lot
	RuleLotMismatch         = "lot_mismatch"         // the lot contradicts the allocation or the serial
	RuleExpiryInvalid       = "expiry_invalid"       // not a date, or before the event
	RuleExpiryMismatch      = "expiry_mismatch"      // the lot is known with another expiry
	RuleInactive            = "serial_inactive"      // destroyed or decommissioned
	RuleOtherSite           = "epc_other_site"       // the identifier belongs to another site
	RuleLocation            = "location_not_site"    // read point or business location of another company
	RulePartnerMissing      = "partner_missing"      // a shipment without a destination
	RulePartnerUnknown      = "partner_unknown"      // shipped to no known trading partner
	RulePartnerUnlicensed   = "partner_unlicensed"   // the partner holds no licence valid on the ship date
	RuleTimeOrder           = "time_order"           // earlier than what was recorded for the identifier
	RuleTimeFuture          = "time_future"          // in the future
)

// RuleError is one broken rule of one event. When many identifiers of an event break the same
// rule, one RuleError names the first and counts them.
type RuleError struct {
	Code    string `json:"code"`
	Event   int    `json:"event"` // 0-based index in the document; -1 for the document
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	EPC     string `json:"epc,omitempty"`
	Count   int    `json:"count,omitempty"`
	Message string `json:"message"`
}

func (e RuleError) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] ", e.Code)
	if e.Event >= 0 {
		fmt.Fprintf(&b, "event %d", e.Event)
	} else {
		b.WriteString("document")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Count > 1 {
		fmt.Fprintf(&b, " (and %d more identifiers)", e.Count-1)
	}
	return b.String()
}

// Catalog is the master data the rules consult (masterdata.Store).
type Catalog interface {
	ProductsByGTIN(ctx context.Context, gtins []string) (map[string]masterdata.Product, error)
	Partner(ctx context.Context, glnOrSGLN string) (masterdata.Partner, error)
}

// Issued says to whom a serial was issued (the serial pools).
type Issued struct {
	SiteID   string
	LineID   string
	Lot      string
	Returned bool
}

// Allocations are the serial pools' records (serials.Store through a small adapter).
type Allocations interface {
	Allocated(ctx context.Context, gtin string, serials []string) (map[string]Issued, error)
}

// Rules are the lookups the rules need; a nil one switches its rules off (tests of other
// parts, hubs without master data).
type Rules struct {
	Catalog     Catalog
	Allocations Allocations
	// Now is the clock for the time_future rule; nil means time.Now.
	Now func() time.Time
}

// item is what the rules know of one identifier: its record in serials, as changed by the
// events of the document checked so far.
type item struct {
	known  bool
	state  domain.SerialState
	parent string
	gtin   string
	lot    string
	expiry string
	site   string
	last   time.Time
}

// partnerInfo is a destination resolved to a partner.
type partnerInfo struct {
	gln, country string
	licensed     func(time.Time) bool
	found        bool
}

// checker runs the rules over a document's events in order, one chunk at a time, keeping the
// state the document's accepted events produce in memory (items).
type checker struct {
	s      *Store
	rules  Rules
	site   siteInfo
	now    time.Time
	items  map[string]*item
	prods  map[string]*masterdata.Product // nil value: unknown GTIN
	parts  map[string]*partnerInfo
	lots   map[[2]string]string // (gtin, lot) → expiry
	seen   map[string]bool      // event ids of this document
	packed map[string][]string  // children of parents unpacked or packed by this document
	alloc  map[string]allocInfo // gtin NUL serial → pool record, of the chunk being checked (readPools)
}

// siteInfo is what the rules know of the uploading site.
type siteInfo struct {
	id    string
	gln   string
	lines map[string]bool
	// partner is set, and the site empty, for a trading partner's file (partner_rules.go).
	partner *partnerScope
}

func newChecker(s *Store, rules Rules, site siteInfo) *checker {
	now := time.Now()
	if rules.Now != nil {
		now = rules.Now()
	}
	return &checker{s: s, rules: rules, site: site, now: now, items: map[string]*item{},
		prods: map[string]*masterdata.Product{}, parts: map[string]*partnerInfo{},
		lots: map[[2]string]string{}, seen: map[string]bool{}, packed: map[string][]string{},
		alloc: map[string]allocInfo{}}
}

// check runs the rules over one chunk of staged events, in order, and returns the errors of
// each rejected event by index. Accepted events change the in-memory state.
func (c *checker) check(ctx context.Context, chunk []*staged) (map[int][]RuleError, error) {
	if err := c.prefetch(ctx, chunk); err != nil {
		return nil, err
	}
	if err := c.prefetchShipped(ctx, chunk); err != nil {
		return nil, err
	}
	bad := map[int][]RuleError{}
	for _, st := range chunk {
		if errs := c.event(st); len(errs) > 0 {
			bad[st.idx] = errs
			continue
		}
		c.accept(st)
	}
	return bad, nil
}

// prefetch reads, in a few set-based queries, everything the chunk's rules will look at.
func (c *checker) prefetch(ctx context.Context, chunk []*staged) error {
	var epcs []string
	want := func(epc string) {
		if c.want(epc) {
			epcs = append(epcs, epc)
		}
	}
	var ids []string
	gtins := map[string]bool{}
	lotKeys := map[[2]string]bool{}
	var unpackAll []string
	for _, st := range chunk {
		ids = append(ids, st.id)
		want(st.parent)
		for _, e := range st.epcs {
			want(e)
			if g, _ := splitEPC(e); g != "" {
				gtins[g] = true
			}
		}
		if st.op == opCommission && st.lot != "" {
			for _, e := range st.epcs {
				if g, _ := splitEPC(e); g != "" {
					lotKeys[[2]string{g, st.lot}] = true
				}
			}
		}
		if st.op == opUnpack && len(st.epcs) == 0 {
			unpackAll = append(unpackAll, st.parent)
		}
		if st.op == opState && st.state == domain.StateShipped {
			c.partner(ctx, st.dest)
		}
	}
	// The lookups below are independent of each other: they run at once, each on its own
	// connection, and each fills its own map.
	var g errgroup.Group
	g.Go(func() error { return c.prefetchItems(ctx, epcs, unpackAll) })
	g.Go(func() error { return c.prefetchProducts(ctx, gtins) })
	g.Go(func() error {
		var keys [][2]string
		for k := range lotKeys {
			if _, ok := c.lots[k]; !ok {
				keys = append(keys, k)
			}
		}
		return c.s.loadLots(ctx, keys, c.lots)
	})
	var dups []string
	g.Go(func() error {
		var err error
		dups, err = c.s.knownEventIDs(ctx, ids)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for _, id := range dups {
		c.seen[id] = true
	}
	return nil
}

// want marks epc as to be read, unless it is known already.
func (c *checker) want(epc string) bool {
	if epc == "" || c.items[epc] != nil {
		return false
	}
	c.items[epc] = &item{}
	return true
}

// prefetchItems reads the serial records of epcs and, level by level, of the containers they
// are in (parent cycles), and the children of containers unpacked whole.
func (c *checker) prefetchItems(ctx context.Context, epcs, unpackAll []string) error {
	var more []string
	wantMore := func(epc string) {
		if c.want(epc) {
			more = append(more, epc)
		}
	}
	for depth := 0; len(epcs) > 0 && depth < 16; depth++ {
		found, err := c.s.loadItems(ctx, epcs)
		if err != nil {
			return err
		}
		for e, it := range found {
			*c.items[e] = it
		}
		more = nil
		for _, it := range found {
			wantMore(it.parent)
		}
		epcs = more
	}
	if len(unpackAll) == 0 {
		return nil
	}
	kids, err := c.s.childrenOf(ctx, unpackAll)
	if err != nil {
		return err
	}
	more = nil
	for p, ks := range kids {
		for _, k := range ks {
			wantMore(k)
		}
		c.packed[p] = append(c.packed[p], ks...)
	}
	found, err := c.s.loadItems(ctx, more)
	if err != nil {
		return err
	}
	for e, it := range found {
		*c.items[e] = it
	}
	return nil
}

// prefetchProducts reads the products of gtins not looked up yet.
func (c *checker) prefetchProducts(ctx context.Context, gtins map[string]bool) error {
	if c.rules.Catalog == nil {
		return nil
	}
	var missing []string
	for g := range gtins {
		if _, ok := c.prods[g]; !ok {
			missing = append(missing, g)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ps, err := c.rules.Catalog.ProductsByGTIN(ctx, missing)
	if err != nil {
		return fmt.Errorf("products: %w", err)
	}
	for _, g := range missing {
		if p, ok := ps[g]; ok {
			c.prods[g] = &p
		} else {
			c.prods[g] = nil
		}
	}
	return nil
}

// readPools reads the pool records of the serials chunk commissions, keyed by GTIN NUL serial.
// They depend on nothing the document does, so they are read ahead of the rules (checkPass).
func readPools(ctx context.Context, a Allocations, chunk []*staged) (map[string]allocInfo, error) {
	out := map[string]allocInfo{}
	if a == nil {
		return out, nil
	}
	commission := map[string][]string{} // gtin → serials
	for _, st := range chunk {
		if st.op != opCommission {
			continue
		}
		for _, e := range st.epcs {
			if g, ser := splitEPC(e); g != "" {
				commission[g] = append(commission[g], ser)
			}
		}
	}
	for g, sers := range commission {
		iss, err := a.Allocated(ctx, g, sers)
		if err != nil {
			return nil, fmt.Errorf("allocations of %s: %w", g, err)
		}
		for _, ser := range sers {
			is, ok := iss[ser]
			out[g+"\x00"+ser] = allocInfo{Issued: is, found: ok}
		}
	}
	return out, nil
}

// partner resolves a destination to a trading partner, once per document.
func (c *checker) partner(ctx context.Context, dest string) *partnerInfo {
	if dest == "" || c.rules.Catalog == nil {
		return nil
	}
	if p, ok := c.parts[dest]; ok {
		return p
	}
	pi := &partnerInfo{}
	p, err := c.rules.Catalog.Partner(ctx, dest)
	if err == nil {
		pi = &partnerInfo{gln: p.GLN, country: p.Country, licensed: p.LicensedOn, found: true}
	}
	c.parts[dest] = pi
	return pi
}

// errs collects an event's rule errors, one per (code, field), counting identifiers.
type errs struct {
	st   *staged
	list []RuleError
}

func (e *errs) add(code, field, epc, format string, args ...any) {
	for i := range e.list {
		if e.list[i].Code == code && e.list[i].Field == field {
			e.list[i].Count++
			return
		}
	}
	e.list = append(e.list, RuleError{Code: code, Event: e.st.idx, Line: e.st.line, Field: field, EPC: epc,
		Count: 1, Message: fmt.Sprintf(format, args...)})
}

// event runs every rule on one event against the current state.
func (c *checker) event(st *staged) []RuleError {
	e := &errs{st: st}
	if c.seen[st.id] {
		e.add(RuleDuplicateEvent, "eventID", "", "the same event (hash %s) was recorded before", st.id)
	}
	if st.t.After(c.now.Add(10 * time.Minute)) {
		e.add(RuleTimeFuture, "eventTime", "", "event time %s is in the future", st.t.UTC().Format(time.RFC3339))
	}
	for _, loc := range []struct{ field, v string }{{"readPoint", st.readPoint}, {"bizLocation", st.bizLoc}} {
		if g := locationGLN(loc.v); g != "" && c.site.gln != "" && g != c.site.gln && st.state != domain.StateReceived && st.state != domain.StateReturned {
			e.add(RuleLocation, loc.field, "", "%s %s is not a location of site %s (GLN %s)", loc.field, loc.v, c.site.id, c.site.gln)
		}
	}
	field := "epcList"
	if st.typ == epcis.AggregationEvent || st.typ == epcis.AssociationEvent {
		field = "childEPCs"
	}
	for _, epc := range st.epcs {
		if !strings.HasPrefix(epc, "urn:epc:id:sgtin:") && !strings.HasPrefix(epc, "urn:epc:id:sscc:") {
			if st.op != opNone {
				e.add(RuleEPCInvalid, field, epc, "%s is not an SGTIN or SSCC EPC URI", epc)
			}
			continue
		}
		if g, _ := splitEPC(epc); g == "" && strings.HasPrefix(epc, "urn:epc:id:sgtin:") {
			e.add(RuleEPCInvalid, field, epc, "%s is not a valid SGTIN", epc)
		}
	}
	if len(e.list) > 0 && e.list[len(e.list)-1].Code == RuleEPCInvalid {
		return e.list
	}
	if c.site.partner != nil { // a partner's file: rules of its own instead of a site's
		c.partnerEvent(st, e)
		return e.list
	}
	switch st.op {
	case opCommission:
		c.commission(st, e)
	case opPack:
		c.pack(st, e)
	case opUnpack:
		c.unpack(st, e)
	case opState:
		c.state(st, e)
	}
	return e.list
}

func (c *checker) commission(st *staged, e *errs) {
	if st.expiry != "" {
		if d, err := time.Parse(time.DateOnly, st.expiry); err != nil {
			e.add(RuleExpiryInvalid, "ilmd.itemExpirationDate", "", "expiry %q is not a date (YYYY-MM-DD)", st.expiry)
		} else if d.Before(st.t.Truncate(24 * time.Hour)) {
			e.add(RuleExpiryInvalid, "ilmd.itemExpirationDate", "", "expiry %s is before the commissioning (%s)", st.expiry, st.t.UTC().Format(time.DateOnly))
		}
	}
	for _, epc := range st.epcs {
		it := c.items[epc]
		if it.known {
			if inactive(it.state) {
				e.add(RuleAlreadyCommissioned, "epcList", epc, "%s was commissioned before and is %s", epc, it.state)
			} else {
				e.add(RuleAlreadyCommissioned, "epcList", epc, "%s is commissioned already (%s)", epc, it.state)
			}
			continue
		}
		gtin, serial := splitEPC(epc)
		if gtin == "" {
			continue // an SSCC: a container
		}
		if st.lot == "" {
			e.add(RuleLotMissing, "ilmd.lotNumber", epc, "commissioning %s without a lot number", epc)
		}
		if c.rules.Catalog != nil {
			p := c.prods[gtin]
			switch {
			case p == nil:
				e.add(RuleGTINUnknown, "epcList", epc, "GTIN %s of %s is not in the master data", gtin, epc)
				continue
			case !p.MadeAt(c.site.id):
				e.add(RuleGTINNotForSite, "epcList", epc, "GTIN %s (%s) is not packed at site %s", gtin, p.Name, c.site.id)
				continue
			}
		}
		if c.rules.Allocations != nil {
			a := c.alloc[gtin+"\x00"+serial]
			switch {
			case !a.found:
				e.add(RuleSerialNotAllocated, "epcList", epc, "serial %s of GTIN %s was never issued", serial, gtin)
				continue
			case a.Returned:
				e.add(RuleSerialNotAllocated, "epcList", epc, "serial %s of GTIN %s was returned unused", serial, gtin)
				continue
			case a.SiteID != c.site.id:
				e.add(RuleSerialNotAllocated, "epcList", epc, "serial %s of GTIN %s is allocated to another site", serial, gtin)
				continue
			case st.lineID != "" && a.LineID != "" && a.LineID != st.lineID:
				e.add(RuleSerialOtherLine, "readPoint", epc, "serial %s of GTIN %s is allocated to line %s, not %s", serial, gtin, a.LineID, st.lineID)
			}
			if a.Lot != "" && st.lot != "" && a.Lot != st.lot {
				e.add(RuleLotMismatch, "ilmd.lotNumber", epc, "lot %s, but serial %s was requested for lot %s", st.lot, serial, a.Lot)
			}
		}
		if st.lot != "" {
			if exp, ok := c.lots[[2]string{gtin, st.lot}]; ok && exp != "" && st.expiry != "" && exp != st.expiry {
				e.add(RuleExpiryMismatch, "ilmd.itemExpirationDate", epc, "lot %s of GTIN %s expires %s, not %s", st.lot, gtin, exp, st.expiry)
			}
		}
	}
}

// checkExisting applies the rules every event on an existing identifier must pass.
func (c *checker) checkExisting(st *staged, e *errs, field, epc string, unknownCode string) (*item, bool) {
	it := c.items[epc]
	switch {
	case !it.known:
		e.add(unknownCode, field, epc, "%s was never commissioned", epc)
		return it, false
	case inactive(it.state):
		e.add(RuleInactive, field, epc, "%s is %s", epc, it.state)
		return it, false
	case it.site != c.site.id && c.site.partner == nil && st.state != domain.StateReceived && st.state != domain.StateReturned:
		e.add(RuleOtherSite, field, epc, "%s belongs to another site", epc)
		return it, false
	case st.t.Before(it.last):
		e.add(RuleTimeOrder, "eventTime", epc, "event time %s is before the last event recorded for %s (%s)",
			st.t.UTC().Format(time.RFC3339), epc, it.last.UTC().Format(time.RFC3339))
	}
	if st.lot != "" && it.lot != "" && st.lot != it.lot {
		e.add(RuleLotMismatch, "ilmd.lotNumber", epc, "lot %s, but %s is of lot %s", st.lot, epc, it.lot)
	}
	return it, true
}

func (c *checker) pack(st *staged, e *errs) {
	if p := c.items[st.parent]; p.known && inactive(p.state) {
		e.add(RuleInactive, "parentID", st.parent, "parent %s is %s", st.parent, p.state)
	}
	children := make(map[string]bool, len(st.epcs))
	for _, epc := range st.epcs {
		children[epc] = true
		it, ok := c.checkExisting(st, e, "childEPCs", epc, RuleChildUnknown)
		if ok && it.parent != "" {
			e.add(RuleChildPacked, "childEPCs", epc, "%s is packed in %s already", epc, it.parent)
		}
	}
	// The parent must not be one of the children or inside one of them.
	for p, depth := st.parent, 0; p != "" && depth < 32; depth++ {
		if children[p] {
			e.add(RuleParentCycle, "parentID", st.parent, "parent %s is (inside) its own child %s", st.parent, p)
			break
		}
		it := c.items[p]
		if it == nil {
			break
		}
		p = it.parent
	}
}

func (c *checker) unpack(st *staged, e *errs) {
	for _, epc := range st.epcs {
		it, ok := c.checkExisting(st, e, "childEPCs", epc, RuleChildUnknown)
		if ok && it.parent != st.parent {
			e.add(RuleChildNotInParent, "childEPCs", epc, "%s is not in %s", epc, st.parent)
		}
	}
}

func (c *checker) state(st *staged, e *errs) {
	for _, epc := range st.epcs {
		c.checkExisting(st, e, "epcList", epc, RuleNotCommissioned)
	}
	if st.state != domain.StateShipped || c.rules.Catalog == nil {
		return
	}
	if st.dest == "" {
		e.add(RulePartnerMissing, "destinationList", "", "a shipment needs a destination (owning_party or location)")
		return
	}
	p := c.parts[st.dest]
	switch {
	case p == nil || !p.found:
		e.add(RulePartnerUnknown, "destinationList", "", "destination %s is not a known trading partner", st.dest)
	case !p.licensed(st.t):
		e.add(RulePartnerUnlicensed, "destinationList", "", "partner %s holds no licence valid on %s", p.gln, st.t.UTC().Format(time.DateOnly))
	}
}

// accept applies an accepted event to the in-memory state.
func (c *checker) accept(st *staged) {
	c.seen[st.id] = true
	switch st.op {
	case opCommission:
		for _, epc := range st.epcs {
			g, _ := splitEPC(epc)
			*c.items[epc] = item{known: true, state: domain.StateCommissioned, gtin: g,
				lot: st.lot, expiry: st.expiry, site: c.site.id, last: st.t}
			if g != "" && st.lot != "" {
				if _, ok := c.lots[[2]string{g, st.lot}]; !ok {
					c.lots[[2]string{g, st.lot}] = st.expiry
				}
			}
		}
	case opPack:
		if p := c.items[st.parent]; !p.known {
			*p = item{known: true, state: domain.StateCommissioned, site: c.site.id, last: st.t}
		}
		for _, epc := range st.epcs {
			it := c.items[epc]
			it.parent, it.state, it.last = st.parent, domain.StatePacked, st.t
		}
		c.packed[st.parent] = append(c.packed[st.parent], st.epcs...)
	case opUnpack:
		kids := st.epcs
		if len(kids) == 0 {
			kids = c.packed[st.parent]
		}
		for _, epc := range kids {
			if it := c.items[epc]; it != nil && it.parent == st.parent {
				it.parent, it.state, it.last = "", domain.StateCommissioned, st.t
			}
		}
		c.packed[st.parent] = slices.DeleteFunc(c.packed[st.parent], func(k string) bool { return c.items[k].parent != st.parent })
	case opState:
		for _, epc := range st.epcs {
			it := c.items[epc]
			it.state, it.last = st.state, st.t
		}
		if p := c.parts[st.dest]; p != nil && p.found {
			st.partner, st.country = p.gln, p.country
		}
	}
}

// allocInfo is a serial's pool record; found is false for serials never issued.
type allocInfo struct {
	Issued
	found bool
}
