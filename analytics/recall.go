package analytics

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// RecallQuery selects the packs of a recall: one GTIN and any of several lots, an expiry
// range (inclusive, YYYY-MM-DD) or a list of serials; or a list of SGTIN EPC URIs.
type RecallQuery struct {
	GTIN       string   `json:"gtin,omitempty"`
	Lots       []string `json:"lots,omitempty"`
	ExpiryFrom string   `json:"expiry_from,omitempty"`
	ExpiryTo   string   `json:"expiry_to,omitempty"`
	Serials    []string `json:"serials,omitempty"`
	EPCs       []string `json:"epcs,omitempty"`
}

// maxRecallList bounds the lists of a recall query.
const maxRecallList = 1_000_000

// Validate checks the query and normalises its GTIN; the error is CodeInvalid.
func (rq *RecallQuery) Validate() error {
	if len(rq.EPCs) > 0 {
		if rq.GTIN != "" || len(rq.Lots) > 0 || len(rq.Serials) > 0 || rq.ExpiryFrom != "" || rq.ExpiryTo != "" {
			return domain.Errorf(domain.CodeInvalid, "a recall by EPCs takes no gtin, lot, serial or expiry")
		}
		for _, e := range rq.EPCs {
			if _, err := gs1.ParseSGTINURI(e); err != nil {
				return domain.Errorf(domain.CodeInvalid, "epc %q: %v", e, err)
			}
		}
		return nil
	}
	g, err := gs1.ParseGTIN(rq.GTIN)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "gtin: %v", err)
	}
	rq.GTIN = string(g)
	for _, d := range []string{rq.ExpiryFrom, rq.ExpiryTo} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return domain.Errorf(domain.CodeInvalid, "expiry %q: want YYYY-MM-DD", d)
		}
	}
	if len(rq.Lots) == 0 && len(rq.Serials) == 0 && rq.ExpiryFrom == "" && rq.ExpiryTo == "" {
		return domain.Errorf(domain.CodeInvalid, "a recall needs a lot, an expiry range, serials or EPCs")
	}
	if len(rq.Lots)+len(rq.Serials)+len(rq.EPCs) > maxRecallList {
		return domain.Errorf(domain.CodeInvalid, "at most %d lots, serials or EPCs", maxRecallList)
	}
	return nil
}

// where is the filter on epc_facts selecting the query's packs.
func (rq RecallQuery) where() string {
	w := rq.keyWhere()
	if rq.ExpiryFrom != "" {
		w += " AND expiry >= " + lit(rq.ExpiryFrom)
	}
	if rq.ExpiryTo != "" {
		w += " AND expiry <= " + lit(rq.ExpiryTo)
	}
	return w
}

// keyWhere is the part of where on the key columns (gtin, lot, serial), which recall_packs
// has too.
func (rq RecallQuery) keyWhere() string {
	if len(rq.EPCs) > 0 {
		byGTIN := map[string][]string{}
		for _, e := range rq.EPCs {
			sg, _ := gs1.ParseSGTINURI(e) // validated
			byGTIN[string(sg.GTIN)] = append(byGTIN[string(sg.GTIN)], sg.Serial)
		}
		var parts []string
		for _, g := range slices.Sorted(mapsKeys(byGTIN)) {
			parts = append(parts, fmt.Sprintf("(gtin = %s AND serial IN %s)", lit(g), litList(byGTIN[g])))
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	w := []string{"gtin = " + lit(rq.GTIN)}
	if len(rq.Lots) > 0 {
		w = append(w, "lot IN "+litList(rq.Lots))
	}
	if len(rq.Serials) > 0 {
		w = append(w, "serial IN "+litList(rq.Serials))
	}
	return strings.Join(w, " AND ")
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// RecallItem is one pack of a recall answer: its EPC and serial, and the answer it shares
// with the other packs of its group (packs with the same own events and containers, mostly
// those of one case). The group's fields read as the item's own (it.State) and sit beside
// EPC and serial in JSON. The packs of a group share one *RecallPack: change none through an
// item. A lot of 45,000 packs has about 2,500 groups; a flat item per pack, ten times the
// size, cost 20-110 ms per recall in allocation and copying at 100M rows.
type RecallItem struct {
	EPC    string `json:"epc"`
	Serial string `json:"serial"`
	*RecallPack
}

// RecallPack is the answer for a pack of a recall, less its EPC and serial.
type RecallPack struct {
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot"`
	Expiry string `json:"expiry"`
	Site   string `json:"site"`
	// State is the pack's current state: its own latest event, or a shipment or receipt of
	// the case or pallet it was in at the time.
	State string `json:"state"`
	// Case and Pallet are where the pack is now; CaseAtShipment and PalletAtShipment where it
	// was when it was last shipped.
	Case             string     `json:"case,omitempty"`
	Pallet           string     `json:"pallet,omitempty"`
	CaseAtShipment   string     `json:"case_at_shipment,omitempty"`
	PalletAtShipment string     `json:"pallet_at_shipment,omitempty"`
	ShippedAt        *time.Time `json:"shipped_at,omitempty"`
	Partner          string     `json:"partner,omitempty"`
	Country          string     `json:"country,omitempty"`
	Dispensed        bool       `json:"dispensed,omitempty"`
	Decommissioned   bool       `json:"decommissioned,omitempty"`
	LastEvent        time.Time  `json:"last_event"`
	LastBizStep      string     `json:"last_biz_step"`
	// Parent is Case, kept for clients of the first recall API.
	Parent string `json:"parent,omitempty"`
}

// RecallSummary counts the packs of a recall.
type RecallSummary struct {
	Packs          int            `json:"packs"`
	Shipped        int            `json:"shipped"`
	Dispensed      int            `json:"dispensed"`
	Decommissioned int            `json:"decommissioned"`
	Cases          int            `json:"cases"`   // distinct cases holding packs now
	Pallets        int            `json:"pallets"` // distinct pallets holding packs now
	ByState        map[string]int `json:"by_state"`
	ByPartner      map[string]int `json:"by_partner"`
	ByCountry      map[string]int `json:"by_country"`
	ByLot          map[string]int `json:"by_lot"`
}

// RecallResponse is the answer of the recall API.
type RecallResponse struct {
	Query   RecallQuery   `json:"query"`
	GTIN    string        `json:"gtin,omitempty"` // first API's fields
	Lot     string        `json:"lot,omitempty"`
	Count   int           `json:"count"`
	Summary RecallSummary `json:"summary"`
	Items   []RecallItem  `json:"items"`
}

// Fact is one event of one identifier, as recall and trace read it.
type Fact struct {
	EPC         string    `json:"epc"`
	Time        time.Time `json:"time"`
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	Action      string    `json:"action,omitempty"`
	BizStep     string    `json:"biz_step,omitempty"`
	Disposition string    `json:"disposition,omitempty"`
	Parent      string    `json:"parent,omitempty"`
	Partner     string    `json:"partner,omitempty"`
	Country     string    `json:"country,omitempty"`
	Site        string    `json:"site,omitempty"`
	Line        string    `json:"line,omitempty"`
	ReadPoint   string    `json:"read_point,omitempty"`
	BizLocation string    `json:"biz_location,omitempty"`
}

// isAggregation says whether f puts its identifier into (ADD) or out of (DELETE) Parent.
func (f Fact) isAggregation() bool { return f.Type == "AggregationEvent" && f.Parent != "" }

// timeline is one identifier's facts, oldest first.
type timeline []Fact

func (tl timeline) sort() {
	slices.SortStableFunc(tl, func(a, b Fact) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
}

// has says whether the timeline holds the event (timelines are short: a pack's or a
// container's handful of events).
func (tl timeline) has(eventID string) bool {
	for i := range tl {
		if tl[i].EventID == eventID {
			return true
		}
	}
	return false
}

// parentAt is the container of the identifier at time t (inclusive), "" if none.
func (tl timeline) parentAt(t time.Time) string {
	p := ""
	for _, f := range tl {
		if f.Time.After(t) {
			break
		}
		if f.isAggregation() {
			if f.Action == "DELETE" {
				if p == f.Parent {
					p = ""
				}
			} else {
				p = f.Parent
			}
		}
	}
	return p
}

// parents lists every container the identifier was ever in.
func (tl timeline) parents() []string {
	var out []string
	for _, f := range tl {
		if f.isAggregation() && f.Action != "DELETE" && !slices.Contains(out, f.Parent) {
			out = append(out, f.Parent)
		}
	}
	return out
}

// maxDepth bounds the walk up the packing hierarchy (pack, bundle, case, pallet, ...).
const maxDepth = 6

// chainAt is the containers of epc at t, innermost first.
func chainAt(own timeline, anc map[string]timeline, t time.Time) []string {
	var chain []string
	p := own.parentAt(t)
	for p != "" && len(chain) < maxDepth && !slices.Contains(chain, p) {
		chain = append(chain, p)
		p = anc[p].parentAt(t)
	}
	return chain
}

// BizStepName reduces a CBV business step or disposition in any of its forms (bare, URN,
// web URI) to its bare name.
func BizStepName(s string) string {
	if strings.HasPrefix(s, "urn:") || strings.HasPrefix(s, "http") {
		if i := strings.LastIndexAny(s, ":-/"); i >= 0 {
			return s[i+1:]
		}
	}
	return s
}

// stateByStep is the pack state an event with this business step leaves behind.
var stateByStep = map[string]string{
	"commissioning":   string(domain.StateCommissioned),
	"packing":         string(domain.StatePacked),
	"unpacking":       string(domain.StateCommissioned),
	"shipping":        string(domain.StateShipped),
	"receiving":       "received",
	"returning":       "returned",
	"dispensing":      "dispensed",
	"decommissioning": string(domain.StateDecommissioned),
	"destroying":      "destroyed",
	"sampling":        "sampled",
	"recalling":       "recalled",
}

// propagates says whether an event of a container changes the state of what it holds
// (a pallet shipped ships its packs; a pallet commissioned or packed does not touch them).
func propagates(f Fact) bool {
	switch BizStepName(f.BizStep) {
	case "shipping", "receiving", "returning", "recalling", "destroying":
		return true
	}
	return false
}

// stateOf is the state f leaves its identifier in.
func stateOf(f Fact, own bool) string {
	if own && f.isAggregation() {
		if f.Action == "DELETE" {
			return string(domain.StateCommissioned)
		}
		return string(domain.StatePacked)
	}
	step := BizStepName(f.BizStep)
	if s, ok := stateByStep[step]; ok {
		return s
	}
	if d := BizStepName(f.Disposition); d != "" {
		return d
	}
	return step
}

// Recall answers a recall query: every pack it selects, where it is, where it went.
func (s *Store) Recall(ctx context.Context, rq RecallQuery) (RecallResponse, error) {
	if err := rq.Validate(); err != nil {
		return RecallResponse{}, err
	}
	ctx = ch.Context(ctx, ch.WithSettings(bigQuery))
	// One round trip in the usual case: the packs, one row each from recall_packs, and at
	// the same time the events of the packs' containers and of their containers (a case and
	// its pallet). Deeper levels follow, level by level, until none is new.
	var packs []packRef
	var up2 map[string]timeline
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		packs, err = s.recallPacks(gctx, rq)
		return err
	})
	g.Go(func() (err error) {
		l1 := sqlWith(q.Get("PackParents"), "{where}", rq.where())
		l2 := sqlWith(q.Get("ParentsOf"), "{epcs}", l1)
		up2, err = s.history(gctx, `epc IN (`+l1+`) OR epc IN (`+l2+`)`)
		if err != nil {
			return fmt.Errorf("recall: containers: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return RecallResponse{}, err
	}
	// anc holds every container's events, read level by level from what up2 lacks.
	anc := map[string]timeline{}
	var next []string
	var need func(p string)
	need = func(p string) {
		if _, ok := anc[p]; ok {
			return
		}
		tl, ok := up2[p]
		if !ok {
			anc[p] = nil // not read yet (or no events)
			next = append(next, p)
			return
		}
		anc[p] = tl
		for _, pp := range tl.parents() {
			need(pp)
		}
	}
	seen := map[string]bool{} // packing keys done
	for _, r := range packs {
		if p := r.group; !seen[p.packingKey] {
			seen[p.packingKey] = true
			for _, c := range p.packing.parents() {
				need(c)
			}
		}
	}
	for depth := 1; len(next) > 0 && depth < maxDepth; depth++ {
		got, err := s.historyOf(ctx, next)
		if err != nil {
			return RecallResponse{}, fmt.Errorf("recall: containers: %w", err)
		}
		next = next[:0]
		for epc, tl := range got {
			anc[epc] = tl
		}
		for _, tl := range got {
			for _, p := range tl.parents() {
				if _, ok := anc[p]; !ok {
					anc[p] = nil
					next = append(next, p)
				}
			}
		}
	}
	items := make([]RecallItem, len(packs))
	views := map[string]*containerView{}
	answers := map[*pack]*RecallPack{} // one answer per group
	for i, r := range packs {
		a := answers[r.group]
		if a == nil {
			a = recallPack(r.group, anc, views)
			answers[r.group] = a
		}
		items[i] = RecallItem{EPC: r.epc, Serial: r.serial, RecallPack: a}
	}
	resp := RecallResponse{Query: rq, GTIN: rq.GTIN, Count: len(items), Summary: summarize(items), Items: items}
	if len(rq.Lots) == 1 {
		resp.Lot = rq.Lots[0]
	}
	return resp, nil
}

// sqlWith is query with its placeholders replaced (pairs of placeholder and text, in one
// pass: a text is never searched for placeholders) and no trailing semicolon, so that it can
// be a subquery.
func sqlWith(query string, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(strings.TrimSuffix(query, ";"))
}

// pack is one selected pack: what its own events say about it.
type pack struct {
	epc, gtin, lot, expiry, site string
	// latest is its newest own event and ship its newest own shipping event (by time, then
	// event id), nil if none.
	latest, ship              *Fact
	dispensed, decommissioned bool
	// packing is its own aggregation events, oldest first. Packs with the same packingKey
	// have the same packing, and so the same containerView.
	packing    timeline
	packingKey string
}

// packRef is one pack selected by recallPacks: its EPC and serial, and the states it shares
// with the other packs of its group (a pack without EPC).
type packRef struct {
	epc, serial string
	group       *pack
}

// packOf sums up an identifier's own events (oldest first) as recall_packs does; trace
// uses it, and no packingKey.
func packOf(epc string, own timeline) *pack {
	p := &pack{epc: epc}
	for i := range own {
		f := &own[i]
		// The newest wins; at the same second the one later in the timeline (by event id).
		if p.latest == nil || !f.Time.Before(p.latest.Time) {
			p.latest = f
		}
		step := BizStepName(f.BizStep)
		if step == "shipping" && (p.ship == nil || !f.Time.Before(p.ship.Time)) {
			p.ship = f
		}
		p.dispensed = p.dispensed || step == "dispensing" || BizStepName(f.Disposition) == "dispensed"
		p.decommissioned = p.decommissioned || step == "decommissioning" || step == "destroying"
		if f.isAggregation() {
			p.packing = append(p.packing, *f)
		}
	}
	return p
}

// recallPacks reads the selected packs from recall_packs (query RecallPacks: a row per
// distinct content with the EPCs that have it), folds the rows of a pack that ClickHouse has
// not merged yet, and returns the packs ordered by lot and EPC.
func (s *Store) recallPacks(ctx context.Context, rq RecallQuery) ([]packRef, error) {
	rows, err := s.conn.Query(ctx, sqlWith(q.Get("RecallPacks"), "{where}", rq.keyWhere()))
	if err != nil {
		return nil, fmt.Errorf("recall: packs: %w", err)
	}
	defer rows.Close()
	// A member is a pack in a group; a pack in several groups has several members.
	type member struct {
		epc, serial string
		group       *packRow
	}
	var members []member
	var dispensed, decommissioned uint8
	var epcs, serials string
	for rows.Next() {
		g := &packRow{}
		if err := rows.Scan(&g.gtin, &g.lot, &g.expiry, &g.site, &g.last, &g.ship, &dispensed, &decommissioned,
			&g.packing, &epcs, &serials); err != nil {
			return nil, fmt.Errorf("recall: packs: scan: %w", err)
		}
		g.dispensed, g.decommissioned = dispensed == 1, decommissioned == 1
		es, ss := strings.Split(epcs, "\n"), strings.Split(serials, "\n")
		if len(es) != len(ss) {
			return nil, fmt.Errorf("recall: packs: %d EPCs, %d serials", len(es), len(ss))
		}
		for i := range es {
			members = append(members, member{epc: es[i], serial: ss[i], group: g})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recall: packs: %w", err)
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.epc, b.epc) })
	packs := make([]packRef, 0, len(members))
	parsed := map[*packRow]*pack{} // a group parsed once
	packings := map[string]timeline{}
	oneLot := true
	for i := 0; i < len(members); {
		m := members[i]
		r := m.group
		if i++; i < len(members) && members[i].epc == m.epc { // several rows: fold them
			folded := *r
			for ; i < len(members) && members[i].epc == m.epc; i++ {
				folded.fold(members[i].group)
			}
			r = &folded
		}
		if (rq.ExpiryFrom != "" && r.expiry < rq.ExpiryFrom) || (rq.ExpiryTo != "" && r.expiry > rq.ExpiryTo) {
			continue
		}
		base := parsed[r]
		if base == nil {
			var err error
			if base, err = r.pack(packings); err != nil {
				return nil, fmt.Errorf("recall: packs: %s: %w", m.epc, err)
			}
			parsed[r] = base
		}
		oneLot = oneLot && (len(packs) == 0 || base.lot == packs[0].group.lot)
		packs = append(packs, packRef{epc: m.epc, serial: m.serial, group: base})
	}
	if !oneLot {
		slices.SortFunc(packs, func(a, b packRef) int {
			if c := strings.Compare(a.group.lot, b.group.lot); c != 0 {
				return c
			}
			return strings.Compare(a.epc, b.epc)
		})
	}
	return packs, nil
}

// packRow is the states of recall_packs of one pack, or of a group of packs with the same
// (see 0011 for the strings' form).
type packRow struct {
	gtin, lot, expiry         string
	site, last, ship, packing string
	dispensed, decommissioned bool
}

// fold adds to r the states of another row of the same pack, as ClickHouse merges them.
func (r *packRow) fold(o *packRow) {
	r.expiry = max(r.expiry, o.expiry)
	r.site = min(r.site, o.site)
	r.last = max(r.last, o.last)
	r.ship = max(r.ship, o.ship)
	r.dispensed = r.dispensed || o.dispensed
	r.decommissioned = r.decommissioned || o.decommissioned
	if r.packing != o.packing {
		lines := slices.Concat(strings.Split(r.packing, "\n"), strings.Split(o.packing, "\n"))
		slices.Sort(lines)
		lines = slices.Compact(lines)
		if lines[0] == "" { // from an empty text
			lines = lines[1:]
		}
		r.packing = strings.Join(lines, "\n")
	}
}

// pack parses r, with no EPC; packings holds the packing texts parsed so far.
func (r *packRow) pack(packings map[string]timeline) (*pack, error) {
	p := &pack{gtin: r.gtin, lot: r.lot, expiry: r.expiry,
		dispensed: r.dispensed, decommissioned: r.decommissioned, packingKey: r.packing}
	if _, rest, ok := strings.Cut(r.site, "\t"); ok {
		p.site = rest
	}
	if r.last != "" {
		f := &Fact{}
		var ok bool
		if ok = f.setKey(r.last); ok {
			f.Type, f.Action, f.BizStep, f.Disposition, f.Parent, ok = fields5(r.last)
		}
		if !ok {
			return nil, fmt.Errorf("bad last event %q", r.last)
		}
		p.latest = f
	}
	if r.ship != "" {
		f := &Fact{BizStep: "shipping"}
		_, rest, _ := strings.Cut(r.ship, "\t")
		var ok bool
		f.Partner, f.Country, ok = strings.Cut(rest, "\t")
		if !ok || !f.setKey(r.ship) {
			return nil, fmt.Errorf("bad shipping event %q", r.ship)
		}
		p.ship = f
	}
	tl, ok := packings[r.packing]
	if !ok {
		for line := range strings.SplitSeq(r.packing, "\n") {
			if line == "" {
				continue
			}
			f := Fact{Type: "AggregationEvent"}
			_, rest, _ := strings.Cut(line, "\t")
			var ok bool
			f.Action, f.Parent, ok = strings.Cut(rest, "\t")
			if !ok || !f.setKey(line) {
				return nil, fmt.Errorf("bad packing event %q", line)
			}
			tl = append(tl, f)
		}
		packings[r.packing] = tl
	}
	p.packing = tl
	return p, nil
}

// setKey sets f's time and event id from an event key of recall_packs at the start of s
// ("tttttttttt id" up to a tab: Unix seconds in 10 digits, a space, the event id).
func (f *Fact) setKey(s string) bool {
	key, _, _ := strings.Cut(s, "\t")
	sec, id, ok := strings.Cut(key, " ")
	t, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil {
		return false
	}
	f.Time, f.EventID = time.Unix(t, 0).UTC(), id
	return true
}

// fields5 is the five tab-separated fields after the event key of a last_event text.
func fields5(s string) (a, b, c, d, e string, ok bool) {
	_, s, ok = strings.Cut(s, "\t")
	fs := strings.SplitN(s, "\t", 5)
	if !ok || len(fs) != 5 {
		return "", "", "", "", "", false
	}
	return fs[0], fs[1], fs[2], fs[3], fs[4], true
}

// historyOf reads the events of the given identifiers from epc_history.
func (s *Store) historyOf(ctx context.Context, epcs []string) (map[string]timeline, error) {
	out := map[string]timeline{}
	for len(epcs) > 0 {
		n := min(len(epcs), 50_000)
		got, err := s.history(ctx, "epc IN "+litList(epcs[:n]))
		if err != nil {
			return nil, err
		}
		for k, v := range got {
			out[k] = v
		}
		epcs = epcs[n:]
	}
	return out, nil
}

// history reads the events of epc_history rows matching where, one per event id, each
// identifier's oldest first.
func (s *Store) history(ctx context.Context, where string) (map[string]timeline, error) {
	out := map[string]timeline{}
	rows, err := s.conn.Query(ctx, sqlWith(q.Get("History"), "{where}", where))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f Fact
		if err := rows.Scan(&f.EPC, &f.Time, &f.EventID, &f.Type, &f.Action, &f.BizStep, &f.Disposition,
			&f.Parent, &f.Partner, &f.Country, &f.Site, &f.Line, &f.ReadPoint, &f.BizLocation); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		if tl := out[f.EPC]; !tl.has(f.EventID) { // a re-sent event not yet collapsed
			out[f.EPC] = append(tl, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, tl := range out {
		tl.sort()
	}
	return out, nil
}

// containerView is what a pack's containers say about it: the newest of their events that
// changes the pack's state (a shipment, a receipt, ...) while the pack was inside, the
// newest such shipment, and the chain of containers now and at that shipment. It depends
// only on the pack's own aggregations, so the packs of one case share it.
type containerView struct {
	latest, ship *Fact
	now, atShip  []string
}

// viewOf computes the containerView of a pack from its own aggregation events and its
// containers' events.
func viewOf(own timeline, anc map[string]timeline) *containerView {
	v := &containerView{}
	seen := map[string]bool{}
	var visit func(c string, depth int)
	visit = func(c string, depth int) {
		if seen[c] || depth > maxDepth {
			return
		}
		seen[c] = true
		tl := anc[c]
		for i := range tl {
			f := &tl[i]
			if !propagates(*f) || !slices.Contains(chainAt(own, anc, f.Time), c) {
				continue
			}
			// The newest wins; at the same second the one seen later.
			if v.latest == nil || !f.Time.Before(v.latest.Time) {
				v.latest = f
			}
			if BizStepName(f.BizStep) == "shipping" && (v.ship == nil || !f.Time.Before(v.ship.Time)) {
				v.ship = f
			}
		}
		for _, p := range tl.parents() {
			visit(p, depth+1)
		}
	}
	for _, p := range own.parents() {
		visit(p, 1)
	}
	v.now = chainAt(own, anc, time.Unix(1<<40, 0))
	if v.ship != nil {
		v.atShip = chainAt(own, anc, v.ship.Time)
	}
	return v
}

// recallPack puts together one pack's answer from its own events and its containers'.
// views caches containerViews by packing key (nil: no cache).
func recallPack(p *pack, anc map[string]timeline, views map[string]*containerView) *RecallPack {
	it := &RecallPack{GTIN: p.gtin, Lot: p.lot, Expiry: p.expiry, Site: p.site,
		Dispensed: p.dispensed, Decommissioned: p.decommissioned}
	// The events that decide the pack's state: its own, and those of a container that
	// propagate while the pack was inside it. The newest wins; at the same second the pack's
	// own event beats its container's, and a container's shipment beats the pack's own.
	latest, ship := p.latest, p.ship
	var v *containerView
	if views == nil {
		v = viewOf(p.packing, anc)
	} else if v = views[p.packingKey]; v == nil {
		v = viewOf(p.packing, anc)
		views[p.packingKey] = v
	}
	latestOwn := true
	if v.latest != nil && (latest == nil || v.latest.Time.After(latest.Time)) {
		latest, latestOwn = v.latest, false
	}
	atShip := v.atShip
	if v.ship != nil && (ship == nil || !v.ship.Time.Before(ship.Time)) {
		ship = v.ship
	} else if ship != nil {
		atShip = chainAt(p.packing, anc, ship.Time)
	}
	if latest != nil {
		it.State = stateOf(*latest, latestOwn)
		it.LastEvent = latest.Time
		it.LastBizStep = BizStepName(latest.BizStep)
	}
	it.Case, it.Pallet = level(v.now, 0), level(v.now, 1)
	it.Parent = it.Case
	if ship != nil {
		t := ship.Time
		it.ShippedAt = &t
		it.Partner, it.Country = ship.Partner, ship.Country
		it.CaseAtShipment, it.PalletAtShipment = level(atShip, 0), level(atShip, 1)
	}
	return it
}

func level(chain []string, i int) string {
	if i < len(chain) {
		return chain[i]
	}
	return ""
}

func summarize(items []RecallItem) RecallSummary {
	s := RecallSummary{Packs: len(items), ByState: map[string]int{}, ByPartner: map[string]int{},
		ByCountry: map[string]int{}, ByLot: map[string]int{}}
	cases, pallets := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		s.ByState[it.State]++
		s.ByLot[it.Lot]++
		if it.ShippedAt != nil {
			s.Shipped++
			s.ByPartner[it.Partner]++
			s.ByCountry[it.Country]++
		}
		if it.Dispensed {
			s.Dispensed++
		}
		if it.Decommissioned {
			s.Decommissioned++
		}
		if it.Case != "" {
			cases[it.Case] = true
		}
		if it.Pallet != "" {
			pallets[it.Pallet] = true
		}
	}
	s.Cases, s.Pallets = len(cases), len(pallets)
	return s
}
