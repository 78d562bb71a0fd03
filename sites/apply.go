package sites

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/domain"
)

// loadItems reads the serial records of epcs; unknown identifiers are absent.
func (s *Store) loadItems(ctx context.Context, epcs []string) (map[string]item, error) {
	out := make(map[string]item, len(epcs))
	if len(epcs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, q.Get("LoadItems"), epcs)
	if err != nil {
		return nil, fmt.Errorf("load serials: %w", err)
	}
	var epc, state string
	var it item
	_, err = pgx.ForEachRow(rows, []any{&epc, &it.gtin, &it.lot, &it.expiry, &it.site, &state, &it.parent, &it.last}, func() error {
		it.known, it.state = true, domain.SerialState(state)
		out[epc] = it
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load serials: %w", err)
	}
	return out, nil
}

// childrenOf returns the children of each parent.
func (s *Store) childrenOf(ctx context.Context, parents []string) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, q.Get("ChildrenOf"), parents)
	if err != nil {
		return nil, fmt.Errorf("children: %w", err)
	}
	out := map[string][]string{}
	var p, c string
	_, err = pgx.ForEachRow(rows, []any{&p, &c}, func() error { out[p] = append(out[p], c); return nil })
	if err != nil {
		return nil, fmt.Errorf("children: %w", err)
	}
	return out, nil
}

// loadLots adds the expiry of each known (gtin, lot) of keys to into.
func (s *Store) loadLots(ctx context.Context, keys [][2]string, into map[[2]string]string) error {
	if len(keys) == 0 {
		return nil
	}
	gs, ls := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		gs[i], ls[i] = k[0], k[1]
	}
	rows, err := s.pool.Query(ctx, q.Get("LoadLots"), gs, ls)
	if err != nil {
		return fmt.Errorf("lots: %w", err)
	}
	var g, l, e string
	_, err = pgx.ForEachRow(rows, []any{&g, &l, &e}, func() error { into[[2]string{g, l}] = e; return nil })
	if err != nil {
		return fmt.Errorf("lots: %w", err)
	}
	return nil
}

// knownEventIDs returns which of ids are recorded already.
func (s *Store) knownEventIDs(ctx context.Context, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, q.Get("KnownEventIDs"), ids)
	if err != nil {
		return nil, fmt.Errorf("known events: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("known events: %w", err)
	}
	return out, nil
}

// applyPass applies the accepted events chunk by chunk, from chunk `from` on.
func (s *Store) applyPass(ctx context.Context, receiptID string, d Document, good []*staged, from int, opt ProcessOptions) (int, error) {
	ch := chunker{n: opt.ChunkEPCs}
	k, rows, events := 0, 0, 0
	run := func(chunk []*staged) error {
		defer func() { k++ }()
		events += len(chunk)
		if k < from {
			return nil
		}
		n, err := s.applyChunk(ctx, receiptID, d, k, chunk, opt.Sink)
		if err != nil {
			return err
		}
		rows += n
		opt.Progress(Progress{Phase: "applying", Events: events, Chunk: k + 1})
		return nil
	}
	for _, st := range good {
		if chunk := ch.add(st); chunk != nil {
			if err := run(chunk); err != nil {
				return rows, err
			}
		}
	}
	if len(ch.cur) > 0 {
		if err := run(ch.cur); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// srow is a serial record as a chunk leaves it.
type srow struct {
	epc, gtin, serial, lot, expiry, line string
	state                                domain.SerialState
	parent                               string
	setParent                            bool
	packedAt                             *time.Time
	first, last                          time.Time
	isNew                                bool
}

// applyChunk writes one chunk in one transaction: its events and their identifiers, the
// serials' new states, the lots, the analytics rows, and the chunk count. Analytics rows go
// out before the commit: should the commit fail, the retried chunk writes the same rows again,
// which analytics collapses.
func (s *Store) applyChunk(ctx context.Context, receiptID string, d Document, k int, chunk []*staged, sink EventSink) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("apply chunk %d of %s: %w", k, receiptID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	fail := func(step string, err error) (int, error) {
		return 0, fmt.Errorf("apply chunk %d of %s: %s: %w", k, receiptID, step, err)
	}

	// Events and identifiers, with keys drawn from the sequence so both COPY straight in.
	pkRows, err := tx.Query(ctx, q.Get("EventPKs"), len(chunk))
	if err != nil {
		return fail("event keys", err)
	}
	pks, err := pgx.CollectRows(pkRows, pgx.RowTo[int64])
	if err != nil {
		return fail("event keys", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"epcis_events"},
		[]string{"id", "receipt_id", "idx", "event_id", "event_type", "action", "biz_step", "disposition", "event_time",
			"tz_offset", "read_point", "biz_location", "parent_epc", "lot", "expiry", "line_id", "source", "destination",
			"partner", "country"},
		pgx.CopyFromSlice(len(chunk), func(i int) ([]any, error) {
			st := chunk[i]
			return []any{pks[i], receiptID, st.idx, st.id, string(st.typ), string(st.action), st.bizStep, st.disp, st.t,
				st.tz, st.readPoint, st.bizLoc, st.parent, st.lot, st.expiry, st.lineID, st.source, st.dest,
				st.partner, st.country}, nil
		}))
	if err != nil {
		return fail("events", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"event_epcs"}, []string{"event_pk", "epc", "role"}, &epcSource{chunk: chunk, pks: pks, j: -1})
	if err != nil {
		return fail("identifiers", err)
	}

	// The serials, folded over the chunk's events in order.
	byEPC := map[string]*srow{}
	var order []*srow
	get := func(epc string) *srow {
		r := byEPC[epc]
		if r == nil {
			r = &srow{epc: epc}
			byEPC[epc] = r
			order = append(order, r)
		}
		return r
	}
	type prop struct {
		epc   string
		state domain.SerialState
		t     time.Time
	}
	var props []prop
	var unpackAll []string
	var unpackAt []time.Time
	implicit := map[string]time.Time{}
	var commissioned int
	lots := map[[2]string]string{}
	for _, st := range chunk {
		switch st.op {
		case opCommission:
			for _, epc := range st.epcs {
				g, ser := splitEPC(epc)
				r := get(epc)
				*r = srow{epc: epc, gtin: g, serial: ser, lot: st.lot, expiry: st.expiry, line: st.lineID,
					state: domain.StateCommissioned, first: st.t, last: st.t, isNew: true}
				if g != "" && st.lot != "" {
					lots[[2]string{g, st.lot}] = st.expiry
				}
			}
			commissioned += len(st.epcs)
		case opPack:
			if r := byEPC[st.parent]; r == nil {
				if _, ok := implicit[st.parent]; !ok {
					implicit[st.parent] = st.t
				}
			}
			for _, epc := range st.epcs {
				r := get(epc)
				t := st.t
				r.state, r.parent, r.setParent, r.packedAt, r.last = domain.StatePacked, st.parent, true, &t, st.t
			}
		case opUnpack:
			kids := st.epcs
			if len(kids) == 0 {
				unpackAll = append(unpackAll, st.parent)
				unpackAt = append(unpackAt, st.t)
				for _, r := range order {
					if r.parent == st.parent {
						kids = append(kids, r.epc)
					}
				}
			}
			for _, epc := range kids {
				r := get(epc)
				r.state, r.parent, r.setParent, r.packedAt, r.last = domain.StateCommissioned, "", true, nil, st.t
			}
		case opState:
			for _, epc := range st.epcs {
				r := get(epc)
				r.state, r.last = st.state, st.t
				if st.propagate {
					props = append(props, prop{epc, st.state, st.t})
				}
			}
		}
	}
	if len(unpackAll) > 0 {
		if _, err := tx.Exec(ctx, q.Get("UnpackAll"), unpackAll, unpackAt); err != nil {
			return fail("unpack", err)
		}
	}
	var news []*srow
	var ch struct {
		epc, state, parent []string
		set                []bool
		packed             []*time.Time
		last               []time.Time
	}
	for _, r := range order {
		if r.isNew {
			news = append(news, r)
			continue
		}
		ch.epc = append(ch.epc, r.epc)
		ch.state = append(ch.state, string(r.state))
		ch.parent = append(ch.parent, r.parent)
		ch.set = append(ch.set, r.setParent)
		ch.packed = append(ch.packed, r.packedAt)
		ch.last = append(ch.last, r.last)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"serials"},
		[]string{"epc", "gtin", "serial", "lot", "expiry", "site_id", "state", "parent_epc", "commissioned_at",
			"last_event_time", "line_id", "packed_at"},
		pgx.CopyFromSlice(len(news), func(i int) ([]any, error) {
			r := news[i]
			return []any{r.epc, r.gtin, r.serial, r.lot, r.expiry, d.SiteID, string(r.state), r.parent, r.first,
				r.last, r.line, r.packedAt}, nil
		}))
	if err != nil {
		return fail("new serials", err)
	}
	if len(implicit) > 0 {
		var es, ss []string
		var ts []time.Time
		for e, t := range implicit {
			_, ser := splitEPC(e)
			es, ss, ts = append(es, e), append(ss, ser), append(ts, t)
		}
		if _, err := tx.Exec(ctx, q.Get("ImplicitParents"), es, ts, d.SiteID, ss); err != nil {
			return fail("containers", err)
		}
	}
	info := map[string][2]string{} // epc → lot, expiry (for analytics)
	if len(ch.epc) > 0 {
		rows, err := tx.Query(ctx, q.Get("ApplyChanges"), ch.epc, ch.state, ch.parent, ch.set, ch.packed, ch.last)
		if err != nil {
			return fail("states", err)
		}
		var epc, g, ser, lot, exp string
		_, err = pgx.ForEachRow(rows, []any{&epc, &g, &ser, &lot, &exp}, func() error {
			info[epc] = [2]string{lot, exp}
			return nil
		})
		if err != nil {
			return fail("states", err)
		}
	}
	if len(props) > 0 {
		es, ss, ts := make([]string, len(props)), make([]string, len(props)), make([]time.Time, len(props))
		for i, p := range props {
			es[i], ss[i], ts[i] = p.epc, string(p.state), p.t
		}
		if _, err := tx.Exec(ctx, q.Get("Propagate"), es, ss, ts); err != nil {
			return fail("contents", err)
		}
	}
	if len(lots) > 0 {
		var gs, ls, xs, site []string
		for k, x := range lots {
			gs, ls, xs, site = append(gs, k[0]), append(ls, k[1]), append(xs, x), append(site, d.SiteID)
		}
		if _, err := tx.Exec(ctx, q.Get("InsertLots"), gs, ls, xs, site); err != nil {
			return fail("lots", err)
		}
	}

	// Analytics rows.
	n := 0
	if sink != nil {
		var missing []string
		for _, st := range chunk {
			for _, epc := range st.epcs {
				if r := byEPC[epc]; r != nil && r.isNew {
					continue
				}
				if _, ok := info[epc]; !ok {
					info[epc] = [2]string{}
					missing = append(missing, epc)
				}
			}
		}
		if len(missing) > 0 {
			rows, err := tx.Query(ctx, q.Get("SerialInfo"), missing)
			if err != nil {
				return fail("serial info", err)
			}
			var epc, g, ser, lot, exp string
			_, err = pgx.ForEachRow(rows, []any{&epc, &g, &ser, &lot, &exp}, func() error {
				info[epc] = [2]string{lot, exp}
				return nil
			})
			if err != nil {
				return fail("serial info", err)
			}
		}
		nf := 0
		for _, st := range chunk {
			nf += len(st.epcs) + len(st.extra)
		}
		facts := make([]domain.EPCEvent, 0, nf)
		for _, st := range chunk {
			base := domain.EPCEvent{EventTime: st.t, EventID: st.id, ReceiptID: receiptID, SiteID: d.SiteID,
				EventType: string(st.typ), Action: string(st.action), BizStep: st.bizStep, Disposition: st.disp,
				ReadPoint: st.readPoint, BizLocation: st.bizLoc, ParentEPC: st.parent, LineID: st.lineID,
				Partner: st.partner, Country: st.country, Source: st.source, Destination: st.dest}
			role := st.role()
			for _, epc := range st.epcs {
				f := base
				f.EPC, f.Role = epc, role
				if r := byEPC[epc]; r != nil && r.isNew {
					f.GTIN, f.Serial, f.Lot, f.Expiry = r.gtin, r.serial, r.lot, r.expiry
				} else {
					f.GTIN, f.Serial = splitEPC(epc)
					li := info[epc]
					f.Lot, f.Expiry = li[0], li[1]
				}
				facts = append(facts, f)
			}
			for _, x := range st.extra {
				f := base
				f.EPC, f.Role = x.epc, x.role
				f.GTIN, f.Serial = splitEPC(x.epc)
				facts = append(facts, f)
			}
		}
		if err := sink.WriteEvents(ctx, facts); err != nil {
			return fail("analytics", err)
		}
		n = len(facts)
	}

	tag, err := tx.Exec(ctx, q.Get("ChunkDone"), receiptID, k, len(chunk), commissioned, d.Attempt)
	if err != nil {
		return fail("chunk count", err)
	}
	if tag.RowsAffected() != 1 {
		return 0, domain.Errorf(domain.CodeConflict, "chunk %d of %s was applied by another run", k, receiptID)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return n, nil
}

// epcSource feeds COPY event_epcs with every identifier of every event of a chunk.
type epcSource struct {
	chunk []*staged
	pks   []int64
	i, j  int // event, identifier (epcs then extra)
}

func (e *epcSource) Next() bool {
	for e.i < len(e.chunk) {
		e.j++
		st := e.chunk[e.i]
		if e.j < len(st.epcs)+len(st.extra) {
			return true
		}
		e.i++
		e.j = -1
	}
	return false
}

func (e *epcSource) Values() ([]any, error) {
	st := e.chunk[e.i]
	if e.j < len(st.epcs) {
		return []any{e.pks[e.i], st.epcs[e.j], st.role()}, nil
	}
	x := st.extra[e.j-len(st.epcs)]
	return []any{e.pks[e.i], x.epc, x.role}, nil
}

func (e *epcSource) Err() error { return nil }
