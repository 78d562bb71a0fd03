package sites

import (
	"context"
	"fmt"
	"sync"
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
//
// Serials commissioned by the document are folded in memory across chunks and written once,
// in their final state, by the last chunk that names them (a pack commissioned in chunk 0 and
// put into its case in chunk 20 is one COPY row in chunk 20, not an insert and an update).
// Rows are held back only between "simple" chunks (no unpack-all, no state reaching contents),
// whose effects on such rows are entirely in memory: a chunk whose SQL walks containers sees
// every row of the document written. The plan is a function of the accepted events only, so a
// resumed run rebuilds the rows held back by replaying the committed chunks in memory.
func (s *Store) applyPass(ctx context.Context, receiptID string, d Document, good []*staged, from int, opt ProcessOptions) (int, error) {
	ch := chunker{n: opt.ChunkEPCs}
	var chunks [][]*staged
	for _, st := range good {
		if chunk := ch.add(st); chunk != nil {
			chunks = append(chunks, chunk)
		}
	}
	if len(ch.cur) > 0 {
		chunks = append(chunks, ch.cur)
	}
	last := make(map[string]int32, len(good))
	simple := make([]bool, len(chunks)+1) // simple[len(chunks)] false: everything is written by the end
	for k, chunk := range chunks {
		simple[k] = true
		for _, st := range chunk {
			for _, epc := range st.epcs {
				last[epc] = int32(k)
			}
			for _, x := range st.extra {
				last[x.epc] = int32(k)
			}
			if st.parent != "" {
				last[st.parent] = int32(k)
			}
			if (st.op == opUnpack && len(st.epcs) == 0) || (st.op == opState && st.propagate) {
				simple[k] = false
			}
		}
	}
	held := map[string]*srow{}
	early := map[string]*srow{} // new rows written before the last chunk naming them
	folds := make([]*folded, len(chunks))
	next := 0
	foldTo := func(k int) {
		for ; next <= k && next < len(chunks); next++ {
			n := next
			keep := func(r *srow) bool { return simple[n] && simple[n+1] && int(last[r.epc]) > n }
			folds[n] = fold(chunks[n], held, early, keep, func(r *srow) bool { return int(last[r.epc]) > n },
				!(simple[n] && simple[n+1]))
		}
	}
	foldTo(from - 1) // the committed chunks, in memory only: what they held back is still to write
	for k := range from {
		folds[k] = nil
	}

	// Analytics rows are built and written by sinkWriters goroutines running up to sinkAhead
	// chunks ahead of PostgreSQL; a chunk commits only once its rows are written.
	const sinkAhead, sinkWriters = 2, 2
	var jobs chan *sinkJob
	if opt.Sink != nil {
		jobs = make(chan *sinkJob, sinkAhead+1)
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() { close(jobs); cancel(); wg.Wait() }()
		for range sinkWriters {
			wg.Go(func() {
				for j := range jobs {
					var err error
					if sctx.Err() == nil {
						j.n, err = s.writeFacts(sctx, receiptID, d, j.chunk, j.f, opt.Sink)
					} else {
						err = sctx.Err()
					}
					j.done <- err
				}
			})
		}
	}
	// The chunks are folded (in memory) by a goroutine of their own, which hands each chunk's
	// analytics rows to the writers as soon as it is folded, so that folding overlaps the
	// database work. plans holds one folded chunk besides the one being applied and the one the
	// goroutine is handing over: the writers are never more than sinkAhead chunks ahead.
	type plan struct {
		f    *folded
		sink *sinkJob
	}
	plans := make(chan plan, sinkAhead-1)
	pctx, stop := context.WithCancel(ctx)
	planned := make(chan struct{})
	defer func() { stop(); <-planned }() // before the writers stop: the planner sends to them
	go func() {
		defer close(planned)
		defer close(plans)
		for n := from; n < len(chunks); n++ {
			foldTo(n)
			p := plan{f: folds[n]}
			folds[n] = nil
			if jobs != nil {
				p.sink = &sinkJob{chunk: chunks[n], f: p.f, done: make(chan error, 1)}
				select {
				case jobs <- p.sink:
				case <-pctx.Done():
					return
				}
			}
			select {
			case plans <- p:
			case <-pctx.Done():
				return
			}
		}
	}()

	rows, events := 0, 0
	for k, chunk := range chunks {
		events += len(chunk)
		if k < from {
			continue
		}
		p, ok := <-plans
		if !ok {
			return rows, fmt.Errorf("apply chunk %d of %s: %w", k, receiptID, ctx.Err())
		}
		n, err := s.applyChunk(ctx, receiptID, d, k, chunk, p.f, p.sink)
		if err != nil {
			return rows, err
		}
		rows += n
		opt.Progress(Progress{Phase: "applying", Events: events, Chunk: k + 1})
	}
	return rows, nil
}

// sinkJob is one chunk's analytics rows to write.
type sinkJob struct {
	chunk []*staged
	f     *folded
	n     int
	done  chan error
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

type prop struct {
	epc   string
	state domain.SerialState
	t     time.Time
}

// folded is what a chunk's events do to the serials, computed in memory.
type folded struct {
	byEPC        map[string]*srow // every serial the chunk names (and new rows held from before)
	prior        map[string]*srow // rows of the document written by an earlier chunk (GTIN, serial, lot, expiry)
	news         []*srow          // new serials to write now
	changes      []*srow          // serials already written whose state changes
	props        []prop
	unpackAll    []string
	unpackAt     []time.Time
	implicit     map[string]time.Time
	commissioned int
	lots         map[[2]string]string
}

// fold applies a chunk's events in order to the rows they name. held holds new serials of
// earlier chunks not written yet: those the chunk names are taken out, and those keep says to
// hold on (the chunk's new rows included) are put back; the others are written by this chunk.
//
// A held row the chunk does not name is named by a later chunk, so keep holds it unless the
// chunk or the next is not simple: then (flush) every held row is written by this chunk.
func fold(chunk []*staged, held, early map[string]*srow, keep, later func(*srow) bool, flush bool) *folded {
	f := &folded{byEPC: map[string]*srow{}, prior: map[string]*srow{}, implicit: map[string]time.Time{},
		lots: map[[2]string]string{}}
	var order []*srow
	get := func(epc string) *srow {
		r := f.byEPC[epc]
		if r == nil {
			if r = held[epc]; r != nil {
				delete(held, epc)
			} else {
				r = &srow{epc: epc}
			}
			f.byEPC[epc] = r
			order = append(order, r)
		}
		return r
	}
	for _, st := range chunk {
		switch st.op {
		case opCommission:
			for _, epc := range st.epcs {
				g, ser := splitEPC(epc)
				r := get(epc)
				*r = srow{epc: epc, gtin: g, serial: ser, lot: st.lot, expiry: st.expiry, line: st.lineID,
					state: domain.StateCommissioned, first: st.t, last: st.t, isNew: true}
				if g != "" && st.lot != "" {
					f.lots[[2]string{g, st.lot}] = st.expiry
				}
			}
			f.commissioned += len(st.epcs)
		case opPack:
			if f.byEPC[st.parent] == nil && held[st.parent] == nil {
				if _, ok := f.implicit[st.parent]; !ok {
					f.implicit[st.parent] = st.t
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
				f.unpackAll = append(f.unpackAll, st.parent)
				f.unpackAt = append(f.unpackAt, st.t)
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
					f.props = append(f.props, prop{epc, st.state, st.t})
				}
			}
		}
	}
	for _, r := range order {
		switch {
		case !r.isNew:
			f.changes = append(f.changes, r)
		case keep(r):
			held[r.epc] = r
		default:
			f.news = append(f.news, r)
			if later(r) {
				early[r.epc] = r
			}
		}
	}
	if flush {
		for epc, r := range held {
			delete(held, epc)
			f.news = append(f.news, r)
			if later(r) {
				early[epc] = r
			}
		}
	}
	// The analytics rows of identifiers the document commissioned in an earlier chunk take
	// their GTIN, serial, lot and expiry from memory: the row may not be committed yet (or
	// not written at all, when held back).
	for _, st := range chunk {
		for _, epc := range st.epcs {
			if r := f.byEPC[epc]; r != nil && r.isNew {
				continue
			}
			if r := held[epc]; r != nil {
				f.prior[epc] = r
			} else if r := early[epc]; r != nil {
				f.prior[epc] = r
			}
		}
	}
	return f
}

// applyChunk writes one chunk in one transaction: its events and their identifiers, the
// serials' new states, the lots, the analytics rows, and the chunk count. Analytics rows are
// built and written concurrently with the PostgreSQL work and waited for before the commit:
// should the commit fail, the retried chunk writes the same rows again, which analytics
// collapses.
func (s *Store) applyChunk(ctx context.Context, receiptID string, d Document, k int, chunk []*staged, f *folded, sink *sinkJob) (int, error) {
	fail := func(step string, err error) (int, error) {
		return 0, fmt.Errorf("apply chunk %d of %s: %s: %w", k, receiptID, step, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit

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

	if len(f.unpackAll) > 0 {
		if _, err := tx.Exec(ctx, q.Get("UnpackAll"), f.unpackAll, f.unpackAt); err != nil {
			return fail("unpack", err)
		}
	}
	if len(f.news) > 0 {
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"serials"},
			[]string{"epc", "gtin", "serial", "lot", "expiry", "site_id", "state", "parent_epc", "commissioned_at",
				"last_event_time", "line_id", "packed_at"},
			pgx.CopyFromSlice(len(f.news), func(i int) ([]any, error) {
				r := f.news[i]
				return []any{r.epc, r.gtin, r.serial, r.lot, r.expiry, d.SiteID, string(r.state), r.parent, r.first,
					r.last, r.line, r.packedAt}, nil
			}))
		if err != nil {
			return fail("new serials", err)
		}
	}
	if len(f.implicit) > 0 {
		var es, ss []string
		var ts []time.Time
		for e, t := range f.implicit {
			_, ser := splitEPC(e)
			es, ss, ts = append(es, e), append(ss, ser), append(ts, t)
		}
		if _, err := tx.Exec(ctx, q.Get("ImplicitParents"), es, ts, d.SiteID, ss); err != nil {
			return fail("containers", err)
		}
	}
	if n := len(f.changes); n > 0 {
		epc, state, parent := make([]string, n), make([]string, n), make([]string, n)
		set, packed, lastT := make([]bool, n), make([]*time.Time, n), make([]time.Time, n)
		for i, r := range f.changes {
			epc[i], state[i], parent[i], set[i], packed[i], lastT[i] = r.epc, string(r.state), r.parent, r.setParent, r.packedAt, r.last
		}
		if _, err := tx.Exec(ctx, q.Get("ApplyChanges"), epc, state, parent, set, packed, lastT); err != nil {
			return fail("states", err)
		}
	}
	if len(f.props) > 0 {
		es, ss, ts := make([]string, len(f.props)), make([]string, len(f.props)), make([]time.Time, len(f.props))
		for i, p := range f.props {
			es[i], ss[i], ts[i] = p.epc, string(p.state), p.t
		}
		if _, err := tx.Exec(ctx, q.Get("Propagate"), es, ss, ts); err != nil {
			return fail("contents", err)
		}
	}
	if len(f.lots) > 0 {
		var gs, ls, xs, site []string
		for k, x := range f.lots {
			gs, ls, xs, site = append(gs, k[0]), append(ls, k[1]), append(xs, x), append(site, d.SiteID)
		}
		if _, err := tx.Exec(ctx, q.Get("InsertLots"), gs, ls, xs, site); err != nil {
			return fail("lots", err)
		}
	}

	// Analytics rows: written before the chunk counts as done.
	facts := 0
	if sink != nil {
		select {
		case err := <-sink.done:
			if err != nil {
				return fail("analytics", err)
			}
		case <-ctx.Done():
			return fail("analytics", ctx.Err())
		}
		facts = sink.n
	}

	tag, err := tx.Exec(ctx, q.Get("ChunkDone"), receiptID, k, len(chunk), f.commissioned, d.Attempt)
	if err != nil {
		return fail("chunk count", err)
	}
	if tag.RowsAffected() != 1 {
		return 0, domain.Errorf(domain.CodeConflict, "chunk %d of %s was applied by another run", k, receiptID)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return facts, nil
}

// writeFacts builds the chunk's analytics rows — one per identifier of every event, with the
// pack's GTIN, serial, lot and expiry — and writes them to sink. Lot and expiry come from the
// chunk's new rows in memory, or from the serials already recorded (set at commissioning, so
// what this chunk's transaction does to them does not change them).
func (s *Store) writeFacts(ctx context.Context, receiptID string, d Document, chunk []*staged, f *folded, sink EventSink) (int, error) {
	info := map[string][2]string{}
	var missing []string
	nf := 0
	for _, st := range chunk {
		nf += len(st.epcs) + len(st.extra)
		for _, epc := range st.epcs {
			if r := f.byEPC[epc]; r != nil && r.isNew {
				continue
			}
			if f.prior[epc] != nil {
				continue
			}
			if _, ok := info[epc]; !ok {
				info[epc] = [2]string{}
				missing = append(missing, epc)
			}
		}
	}
	if len(missing) > 0 {
		rows, err := s.pool.Query(ctx, q.Get("SerialInfo"), missing)
		if err != nil {
			return 0, fmt.Errorf("serial info: %w", err)
		}
		var epc, g, ser, lot, exp string
		_, err = pgx.ForEachRow(rows, []any{&epc, &g, &ser, &lot, &exp}, func() error {
			info[epc] = [2]string{lot, exp}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("serial info: %w", err)
		}
	}
	facts := &domain.EPCFacts{Events: make([]domain.EPCEvent, len(chunk)), Rows: make([]domain.EPCFact, 0, nf)}
	for i, st := range chunk {
		facts.Events[i] = domain.EPCEvent{EventTime: st.t, EventID: st.id, ReceiptID: receiptID, SiteID: d.SiteID,
			EventType: string(st.typ), Action: string(st.action), BizStep: st.bizStep, Disposition: st.disp,
			ReadPoint: st.readPoint, BizLocation: st.bizLoc, ParentEPC: st.parent, LineID: st.lineID,
			Partner: st.partner, Country: st.country, Source: st.source, Destination: st.dest}
		ev, role := int32(i), st.role()
		for _, r := range st.sensors {
			r.Event = ev
			facts.Sensors = append(facts.Sensors, r)
		}
		for _, epc := range st.epcs {
			x := domain.EPCFact{Event: ev, EPC: epc, Role: role}
			if r := f.byEPC[epc]; r != nil && r.isNew {
				x.GTIN, x.Serial, x.Lot, x.Expiry = r.gtin, r.serial, r.lot, r.expiry
			} else if r := f.prior[epc]; r != nil {
				x.GTIN, x.Serial, x.Lot, x.Expiry = r.gtin, r.serial, r.lot, r.expiry
			} else {
				x.GTIN, x.Serial = splitEPC(epc)
				li := info[epc]
				x.Lot, x.Expiry = li[0], li[1]
			}
			facts.Rows = append(facts.Rows, x)
		}
		for _, e := range st.extra {
			x := domain.EPCFact{Event: ev, EPC: e.epc, Role: e.role}
			x.GTIN, x.Serial = splitEPC(e.epc)
			facts.Rows = append(facts.Rows, x)
		}
	}
	if err := sink.WriteFacts(ctx, facts); err != nil {
		return 0, err
	}
	return len(facts.Rows), nil
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
