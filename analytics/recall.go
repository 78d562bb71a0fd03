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
	if rq.ExpiryFrom != "" {
		w = append(w, "expiry >= "+lit(rq.ExpiryFrom))
	}
	if rq.ExpiryTo != "" {
		w = append(w, "expiry <= "+lit(rq.ExpiryTo))
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

// RecallItem is one pack of a recall answer.
type RecallItem struct {
	EPC    string `json:"epc"`
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
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
	// One round trip in the usual case: the packs' own events and, at the same
	// time, the events of the packs' containers and of their containers (a case and its
	// pallet). Deeper levels follow, level by level, until none is new.
	var packs map[string]*pack
	var up2 map[string]timeline
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		packs, err = s.packFacts(gctx, rq)
		return err
	})
	g.Go(func() (err error) {
		l1 := `SELECT parent_epc FROM epc_facts WHERE ` + rq.where() + ` AND event_type = 'AggregationEvent' AND parent_epc != ''`
		l2 := `SELECT parent_epc FROM epc_history WHERE epc IN (` + l1 + `) AND event_type = 'AggregationEvent' AND parent_epc != ''`
		up2, err = s.history(gctx, `epc IN (`+l1+`) OR epc IN (`+l2+`)`)
		if err != nil {
			return fmt.Errorf("recall: containers: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return RecallResponse{}, err
	}
	// anc holds every container's events; a container known but not read yet is nil.
	anc := map[string]timeline{}
	var next []string
	need := func(p string) {
		if _, ok := anc[p]; ok {
			return
		}
		if tl, ok := up2[p]; ok {
			anc[p] = tl
			for _, pp := range tl.parents() {
				if _, ok := up2[pp]; !ok {
					next = append(next, pp) // a third level
				}
			}
			return
		}
		anc[p] = nil
	}
	for _, pk := range packs {
		for _, f := range pk.own {
			if f.isAggregation() && f.Action != "DELETE" {
				need(f.Parent)
			}
		}
	}
	for _, tl := range up2 {
		for _, p := range tl.parents() {
			need(p)
		}
	}
	for depth := 2; len(next) > 0 && depth < maxDepth; depth++ {
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
	// Packs in answer order (lot, EPC), sorted as pointers; then one item each.
	order := make([]*pack, 0, len(packs))
	for _, p := range packs {
		order = append(order, p)
	}
	slices.SortFunc(order, func(a, b *pack) int {
		if c := strings.Compare(a.lot, b.lot); c != 0 {
			return c
		}
		return strings.Compare(a.epc, b.epc)
	})
	items := make([]RecallItem, len(order))
	views := map[string]*containerView{}
	for i, p := range order {
		items[i] = recallItem(p, anc, views)
	}
	resp := RecallResponse{Query: rq, GTIN: rq.GTIN, Count: len(items), Summary: summarize(items), Items: items}
	if len(rq.Lots) == 1 {
		resp.Lot = rq.Lots[0]
	}
	return resp, nil
}

// pack is one selected pack: what its rows say about it, and its own events.
type pack struct {
	epc, gtin, serial, lot, expiry, site string
	siteFromCommissioning                bool
	own                                  timeline
}

// packFacts reads the selected packs' own events. Rows come in no particular order (a
// pack's events span monthly partitions); an event re-sent and not yet collapsed by a merge
// is skipped here (a pack has a handful of events), which is cheaper than LIMIT 1 BY on the
// server.
func (s *Store) packFacts(ctx context.Context, rq RecallQuery) (map[string]*pack, error) {
	query := `SELECT epc, gtin, serial, lot, expiry, site_id, event_time, event_id, event_type, action,
		biz_step, disposition, parent_epc, partner, country
	FROM epc_facts WHERE ` + rq.where()
	rows, err := s.conn.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("recall: packs: %w", err)
	}
	defer rows.Close()
	packs := map[string]*pack{}
	for rows.Next() {
		var f Fact
		var gtin, serial, lot, expiry string
		if err := rows.Scan(&f.EPC, &gtin, &serial, &lot, &expiry, &f.Site, &f.Time, &f.EventID,
			&f.Type, &f.Action, &f.BizStep, &f.Disposition, &f.Parent, &f.Partner, &f.Country); err != nil {
			return nil, fmt.Errorf("recall: packs: scan: %w", err)
		}
		p := packs[f.EPC]
		if p == nil {
			p = &pack{epc: f.EPC, gtin: gtin, serial: serial, lot: lot, own: make(timeline, 0, 3)}
			packs[f.EPC] = p
		}
		if p.own.has(f.EventID) {
			continue
		}
		p.own = append(p.own, f)
		if expiry != "" {
			p.expiry = expiry
		}
		// The pack's site is where it was commissioned, else the first site seen.
		if !p.siteFromCommissioning && (p.site == "" || BizStepName(f.BizStep) == "commissioning") {
			p.site, p.siteFromCommissioning = f.Site, BizStepName(f.BizStep) == "commissioning"
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recall: packs: %w", err)
	}
	for _, p := range packs {
		p.own.sort()
	}
	return packs, nil
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
	rows, err := s.conn.Query(ctx, `SELECT epc, event_time, event_id, event_type, action, biz_step, disposition,
		parent_epc, partner, country, site_id, line_id, read_point, biz_location
	FROM epc_history WHERE `+where)
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

// aggregationKey names a pack's own aggregation history (the containers it was put into and
// taken out of, and when): packs with the same key have the same containerView.
func aggregationKey(own timeline) string {
	var b strings.Builder
	for _, f := range own {
		if f.isAggregation() {
			b.WriteString(f.Action)
			b.WriteByte(' ')
			b.WriteString(f.Parent)
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(f.Time.Unix(), 10))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// viewOf computes the containerView of a pack from its own events and its containers'.
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

// recallItem puts together one pack's answer from its own events and its containers'.
// views caches containerViews by aggregationKey (nil: no cache).
func recallItem(p *pack, anc map[string]timeline, views map[string]*containerView) RecallItem {
	it := RecallItem{EPC: p.epc, GTIN: p.gtin, Serial: p.serial, Lot: p.lot, Expiry: p.expiry, Site: p.site}
	// The events that decide the pack's state: its own, and those of a container that
	// propagate while the pack was inside it. The newest wins; at the same second the pack's
	// own event beats its container's, and a container's shipment beats the pack's own.
	var latest, ship *Fact
	for i := range p.own {
		f := &p.own[i]
		if latest == nil || !f.Time.Before(latest.Time) {
			latest = f
		}
		if BizStepName(f.BizStep) == "shipping" && (ship == nil || !f.Time.Before(ship.Time)) {
			ship = f
		}
		switch {
		case BizStepName(f.BizStep) == "dispensing" || BizStepName(f.Disposition) == "dispensed":
			it.Dispensed = true
		case BizStepName(f.BizStep) == "decommissioning" || BizStepName(f.BizStep) == "destroying":
			it.Decommissioned = true
		}
	}
	var v *containerView
	if views == nil {
		v = viewOf(p.own, anc)
	} else {
		key := aggregationKey(p.own)
		if v = views[key]; v == nil {
			v = viewOf(p.own, anc)
			views[key] = v
		}
	}
	latestOwn := true
	if v.latest != nil && (latest == nil || v.latest.Time.After(latest.Time)) {
		latest, latestOwn = v.latest, false
	}
	atShip := v.atShip
	if v.ship != nil && (ship == nil || !v.ship.Time.Before(ship.Time)) {
		ship = v.ship
	} else if ship != nil {
		atShip = chainAt(p.own, anc, ship.Time)
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
