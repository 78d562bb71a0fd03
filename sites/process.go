package sites

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
	"github.com/serialhub/serialhub/schemas/epcis/eventhash"
)

// EventSink receives accepted events flattened per identifier, for analytics. Writing the
// same rows twice must be harmless.
type EventSink interface {
	WriteFacts(ctx context.Context, f *domain.EPCFacts) error
}

// ProcessOptions are what Process needs besides the document.
type ProcessOptions struct {
	Rules     Rules
	Sink      EventSink // nil: no analytics
	ChunkEPCs int       // identifiers per chunk (checked and applied); 0: DefaultChunkEPCs
	// Progress is called often (at least once a second while waiting for the site's lock):
	// the ingest activity heartbeats from it.
	Progress func(Progress)
	Log      *slog.Logger
}

// DefaultChunkEPCs is the default number of identifiers per chunk.
const DefaultChunkEPCs = 50_000

// Progress says where processing stands.
type Progress struct {
	Phase  string `json:"phase"` // waiting, checking, applying
	Events int    `json:"events"`
	Chunk  int    `json:"chunk"`
}

// Outcome is what processing a document did.
type Outcome struct {
	Status   domain.ReceiptStatus
	Events   int // accepted events, all attempts
	Serials  int // identifiers commissioned, all attempts
	Rejected int // events rejected by the last check
	Rows     int // analytics rows written by this run
	Errors   []string
}

// maxReceiptErrors bounds the errors a receipt lists; the exception queue keeps them all.
const maxReceiptErrors = 200

// staged is an event as the hub records it: what the rules and the lifecycle need, nothing of
// the document's XML or JSON.
type staged struct {
	idx, line int
	id        string
	typ       epcis.EventType
	action    epcis.Action
	bizStep   string
	disp      string
	t         time.Time
	tz        string
	readPoint string
	bizLoc    string
	parent    string
	epcs      []string // epcList, or childEPCs; deduplicated
	extra     []epcRole
	lot       string
	expiry    string
	lineID    string
	source    string
	dest      string
	op        op
	state     domain.SerialState
	propagate bool
	partner   string // GLN of the partner shipped to
	country   string
	parties   []party                // a partner's file: every source and destination (partner_rules.go)
	sensors   []domain.SensorReading // EPCIS 2.0 sensor reports, for analytics
}

type epcRole struct{ epc, role string }

func (st *staged) role() string {
	if st.typ == epcis.AggregationEvent || st.typ == epcis.AssociationEvent {
		return "child"
	}
	return "epc"
}

// Process checks and applies a stored document: the rules over all its events first (a
// rejected document changes nothing), then the accepted events in chunks, each committed
// together with its effects, its analytics rows and the count of chunks done. A run that dies
// is resumed by the next from the last committed chunk; a finished document is left alone.
// Documents of one site are processed one at a time (a PostgreSQL advisory lock), in the
// order they get the lock, so that a document's rules see the effects of the ones before.
func (s *Store) Process(ctx context.Context, receiptID string, opt ProcessOptions) (Outcome, error) {
	if opt.ChunkEPCs <= 0 {
		opt.ChunkEPCs = DefaultChunkEPCs
	}
	if opt.Progress == nil {
		opt.Progress = func(Progress) {}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	d, _, err := s.OpenDocument(ctx, receiptID)
	if err != nil {
		return Outcome{}, err
	}
	if finished(d.Status) {
		return s.outcome(ctx, receiptID)
	}
	unlock, err := s.lockSite(ctx, lockKey(d), opt.Progress)
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	started := time.Now() // the check and apply times are logged
	d, body, err := s.OpenDocument(ctx, receiptID)
	if err != nil {
		return Outcome{}, err
	}
	if finished(d.Status) {
		return s.outcome(ctx, receiptID)
	}
	if err := s.SetProcessing(ctx, receiptID); err != nil {
		return Outcome{}, err
	}
	site, err := s.ownerInfo(ctx, d)
	if err != nil {
		return Outcome{}, err
	}
	// Events recorded by earlier attempts are not looked at again. When this attempt's check
	// is not recorded yet, none of its chunks are applied, so every recorded event is earlier.
	before := d.appliedBefore
	if d.CheckedAttempt < d.Attempt {
		before = math.MaxInt64
	}
	skip, err := s.appliedIdx(ctx, receiptID, before)
	if err != nil {
		return Outcome{}, err
	}
	log := opt.Log.With("receipt_id", receiptID, "site", d.SiteID)

	var good []*staged
	chunksDone := d.ChunksDone
	if d.CheckedAttempt < d.Attempt {
		var bad map[int][]RuleError
		var stop error
		good, bad, stop, err = s.checkPass(ctx, receiptID, d, body, site, skip, opt)
		if err != nil {
			return Outcome{}, err
		}
		reject := stop != nil || (len(bad) > 0 && (d.ErrorMode != ModeProceed || len(good) == 0))
		if err := s.recordCheck(ctx, receiptID, d, bad, stop, reject); err != nil {
			return Outcome{}, err
		}
		if reject {
			log.InfoContext(ctx, "document rejected", "rejected_events", len(bad), "syntax", stop != nil)
			return s.outcome(ctx, receiptID)
		}
		chunksDone = 0
	} else {
		// Resumed: the check is recorded; its rejected events are skipped, not checked again
		// (the chunks applied since would make the rules see the document's own effects).
		if err := s.openBad(ctx, receiptID, d.Attempt, skip); err != nil {
			return Outcome{}, err
		}
		good, err = s.stagePass(ctx, receiptID, d, body, site, skip, opt)
		if err != nil {
			return Outcome{}, err
		}
		log.InfoContext(ctx, "resuming", "chunks_done", chunksDone, "events", len(good))
	}
	checked := time.Now()
	rows, err := s.applyPass(ctx, receiptID, d, good, chunksDone, opt)
	if err != nil {
		return Outcome{}, err
	}
	if _, err := s.pool.Exec(ctx, q.Get("FinishProcessed"), receiptID, d.Attempt); err != nil {
		return Outcome{}, fmt.Errorf("finish %s: %w", receiptID, err)
	}
	out, err := s.outcome(ctx, receiptID)
	out.Rows = rows
	log.InfoContext(ctx, "document processed", "events", out.Events, "serials", out.Serials, "rejected_events", out.Rejected,
		"check_ms", checked.Sub(started).Milliseconds(), "apply_ms", time.Since(checked).Milliseconds())
	return out, err
}

func finished(st domain.ReceiptStatus) bool {
	return st == domain.StatusProcessed || st == domain.StatusRejected
}

// lockSite waits for the site's intake lock, reporting progress while it waits. The lock is
// held by one connection: should the process die, PostgreSQL releases it.
func (s *Store) lockSite(ctx context.Context, site string, progress func(Progress)) (func(), error) {
	// The lock lives on a connection of its own, outside the pool: documents waiting for
	// their site must not take the pool connections that the lock holders need for their
	// chunks. Closing the connection releases the lock, also when the worker dies.
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("lock site %s: %w", site, err)
	}
	closeConn := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn.Close(cctx) //nolint:errcheck // closing the session releases the lock
	}
	for {
		var ok bool
		if err := conn.QueryRow(ctx, q.Get("TryLockSite"), site).Scan(&ok); err != nil {
			closeConn()
			return nil, fmt.Errorf("lock site %s: %w", site, err)
		}
		if ok {
			break
		}
		progress(Progress{Phase: "waiting"})
		select {
		case <-ctx.Done():
			closeConn()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return closeConn, nil
}

func (s *Store) siteInfo(ctx context.Context, id string) (siteInfo, error) {
	si := siteInfo{id: id, lines: map[string]bool{}}
	var lines []string
	if err := s.pool.QueryRow(ctx, q.Get("SiteInfo"), id).Scan(&si.gln, &lines); err != nil {
		return si, fmt.Errorf("site %s: %w", id, err)
	}
	for _, l := range lines {
		si.lines[l] = true
	}
	return si, nil
}

func (s *Store) appliedIdx(ctx context.Context, receiptID string, before int64) (map[int]bool, error) {
	rows, err := s.pool.Query(ctx, q.Get("AppliedIdx"), receiptID, before)
	if err != nil {
		return nil, fmt.Errorf("applied events of %s: %w", receiptID, err)
	}
	out := map[int]bool{}
	var i int
	_, err = pgx.ForEachRow(rows, []any{&i}, func() error { out[i] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("applied events of %s: %w", receiptID, err)
	}
	return out, nil
}

func (s *Store) openBad(ctx context.Context, receiptID string, attempt int, skip map[int]bool) error {
	rows, err := s.pool.Query(ctx, q.Get("OpenBadIdx"), receiptID, attempt)
	if err != nil {
		return fmt.Errorf("rejected events of %s: %w", receiptID, err)
	}
	var i int
	_, err = pgx.ForEachRow(rows, []any{&i}, func() error { skip[i] = true; return nil })
	if err != nil {
		return fmt.Errorf("rejected events of %s: %w", receiptID, err)
	}
	return nil
}

// decode streams the document's events to f as staged events, skipping those in skip. A
// document that cannot be read returns a *epcis.DecodeError (or a domain CodeInvalid error).
func (s *Store) decode(ctx context.Context, receiptID string, d Document, body io.Reader, site siteInfo,
	skip map[int]bool, f func(*staged) error) error {
	format, err := codec.ParseFormat(d.Format)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	dec, err := codec.NewDecoder(body, format, epcis.DefaultLimits)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	doc, err := dec.Document()
	if err != nil {
		return err
	}
	h := eventhash.NewHasher(doc)
	for i := 0; ; i++ {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if skip[i] {
			continue
		}
		if err := f(stage(e, i, receiptID, h, site)); err != nil {
			return err
		}
	}
}

// stage reduces a decoded event to what the hub records.
func stage(e *epcis.Event, i int, receiptID string, h *eventhash.Hasher, site siteInfo) *staged {
	id, err := h.ID(e)
	if err != nil {
		// Events the hash cannot canonicalise still get a stable id of their own.
		sum := sha256.Sum256(fmt.Appendf(nil, "%s#%d", receiptID, i))
		id = "urn:serialhub:event:" + hex.EncodeToString(sum[:16])
	}
	o, state, prop := lifecycle(e)
	st := &staged{idx: i, line: e.Pos.Line, id: id, typ: e.Type, action: e.Action, bizStep: e.BizStep,
		disp: e.Disposition, t: e.EventTime, tz: e.EventTimeZoneOffset, readPoint: e.ReadPoint,
		bizLoc: e.BizLocation, parent: e.ParentID, lot: e.LotNumber(), expiry: e.ExpiryDate(),
		lineID: lineOf(e.ReadPoint, site.lines), source: firstOf(e.Sources), dest: firstOf(e.Destinations),
		op: o, state: state, propagate: prop, sensors: e.SensorReadings()}
	if site.partner != nil {
		st.parties = partiesOf(e)
	}
	seen := make(map[string]bool, len(e.EPCList))
	st.epcs = e.EPCList[:0:0]
	for _, x := range e.EPCList {
		if !seen[x] {
			seen[x] = true
			st.epcs = append(st.epcs, x)
		}
	}
	// Inputs and outputs once per role: with the epcList, the identifiers written for the
	// event (event_epcs) are unique per role.
	var seenExtra map[epcRole]bool
	for _, l := range []struct {
		epcs []string
		role string
	}{{e.InputEPCList, "input"}, {e.OutputEPCList, "output"}} {
		for _, x := range l.epcs {
			r := epcRole{x, l.role}
			if seenExtra == nil {
				seenExtra = map[epcRole]bool{}
			}
			if !seenExtra[r] {
				seenExtra[r] = true
				st.extra = append(st.extra, r)
			}
		}
	}
	return st
}

// chunker groups staged events into chunks of about n identifiers.
type chunker struct {
	n     int
	cur   []*staged
	count int
}

func (c *chunker) add(st *staged) (full []*staged) {
	c.cur = append(c.cur, st)
	c.count += len(st.epcs) + len(st.extra) + 1
	if c.count >= c.n {
		full, c.cur, c.count = c.cur, nil, 0
	}
	return full
}

// checkPass decodes the document and runs the rules chunk by chunk. stop is set when the
// document cannot be read; err only for failures of the hub.
func (s *Store) checkPass(ctx context.Context, receiptID string, d Document, body io.Reader, site siteInfo,
	skip map[int]bool, opt ProcessOptions) (good []*staged, bad map[int][]RuleError, stop, err error) {
	c := newChecker(s, opt.Rules, site)
	bad = map[int][]RuleError{}
	ch := chunker{n: opt.ChunkEPCs}
	events := 0
	run := func(chunk []*staged, pools map[string]allocInfo) error {
		c.alloc = pools
		b, err := c.check(ctx, chunk)
		if err != nil {
			return err
		}
		for _, st := range chunk {
			if errs, ok := b[st.idx]; ok {
				bad[st.idx] = errs
			} else {
				good = append(good, st)
			}
		}
		events += len(chunk)
		opt.Progress(Progress{Phase: "checking", Events: events})
		return nil
	}
	// The document is decoded by a goroutine a chunk or two ahead of the rules.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []*staged, 1)
	var derr error
	go func() {
		defer close(chunks)
		send := func(chunk []*staged) error {
			select {
			case chunks <- chunk:
				return nil
			case <-dctx.Done():
				return dctx.Err()
			}
		}
		derr = s.decode(dctx, receiptID, d, body, site, skip, func(st *staged) error {
			if chunk := ch.add(st); chunk != nil {
				return send(chunk)
			}
			return nil
		})
		if derr == nil && len(ch.cur) > 0 {
			derr = send(ch.cur)
		}
	}()
	// A second goroutine reads each chunk's pool records while the rules check the chunk
	// before it. The loop below reads every chunk it sends, also after a failure.
	type pooled struct {
		chunk []*staged
		pools map[string]allocInfo
		err   error
	}
	ahead := make(chan pooled, 1)
	go func() {
		defer close(ahead)
		for chunk := range chunks {
			p := pooled{chunk: chunk}
			if p.err = dctx.Err(); p.err == nil {
				p.pools, p.err = readPools(dctx, opt.Rules.Allocations, chunk)
			}
			ahead <- p
		}
	}()
	var rerr error
	for p := range ahead {
		if rerr == nil {
			if rerr = p.err; rerr == nil {
				rerr = run(p.chunk, p.pools)
			}
			if rerr != nil {
				cancel()
			}
		}
	}
	if rerr != nil {
		derr = rerr
	}
	var de *epcis.DecodeError
	switch {
	case derr == nil:
		return good, bad, nil, nil
	case errors.As(derr, &de) || domain.ErrorCode(derr) == domain.CodeInvalid:
		return nil, bad, derr, nil
	}
	return nil, nil, nil, fmt.Errorf("check %s: %w", receiptID, derr)
}

// stagePass decodes the document into staged events without checking them (a resumed run).
func (s *Store) stagePass(ctx context.Context, receiptID string, d Document, body io.Reader, site siteInfo,
	skip map[int]bool, opt ProcessOptions) ([]*staged, error) {
	var good []*staged
	ptrs := map[string]*partnerInfo{}
	err := s.decode(ctx, receiptID, d, body, site, skip, func(st *staged) error {
		good = append(good, st)
		if st.state == domain.StateShipped && st.dest != "" && opt.Rules.Catalog != nil {
			p, ok := ptrs[st.dest]
			if !ok {
				p = &partnerInfo{}
				if pp, err := opt.Rules.Catalog.Partner(ctx, st.dest); err == nil {
					p = &partnerInfo{gln: pp.GLN, country: pp.Country, found: true}
				}
				ptrs[st.dest] = p
			}
			st.partner, st.country = p.gln, p.country
		}
		if len(good)%10000 == 0 {
			opt.Progress(Progress{Phase: "staging", Events: len(good)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", receiptID, err)
	}
	return good, nil
}

// exceptionRow is one rejected event (or the whole document, idx nil) of a check.
type exceptionRow struct {
	idx    *int
	line   int
	errors []RuleError
}

// recordCheck stores the outcome of a check: the rejected events into the exception queue,
// the earlier attempts' exceptions closed, the document's errors and, when rejected, its
// status — in one transaction.
func (s *Store) recordCheck(ctx context.Context, receiptID string, d Document, bad map[int][]RuleError, stop error, reject bool) error {
	var rows []exceptionRow
	var badIdx []int32
	for idx, errs := range bad {
		i := idx
		rows = append(rows, exceptionRow{idx: &i, line: errs[0].Line, errors: errs})
		badIdx = append(badIdx, int32(idx))
	}
	if stop != nil {
		re := RuleError{Code: RuleSyntax, Event: -1, Message: domain.ErrorMessage(stop)}
		var de *epcis.DecodeError
		if errors.As(stop, &de) {
			re = RuleError{Code: RuleSyntax, Event: de.Event, Line: de.Line, Field: de.Field, Message: de.Msg}
		}
		rows = append(rows, exceptionRow{line: re.Line, errors: []RuleError{re}})
	}
	sortExceptions(rows)
	var msgs []string
	for _, r := range rows {
		for _, e := range r.errors {
			if len(msgs) < maxReceiptErrors {
				msgs = append(msgs, e.String())
			}
		}
	}
	total := 0
	for _, r := range rows {
		total += len(r.errors)
	}
	if total > len(msgs) {
		msgs = append(msgs, fmt.Sprintf("... and %d more errors (serialhub exceptions show %s)", total-len(msgs), receiptID))
	}
	if msgs == nil {
		msgs = []string{}
	}
	errJSON, err := json.Marshal(msgs)
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record check of %s: %w", receiptID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, q.Get("CloseEarlierExceptions"), receiptID, d.Attempt, badIdx, stop != nil); err != nil {
		return fmt.Errorf("record check of %s: %w", receiptID, err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"exceptions"},
		[]string{"receipt_id", "site_id", "attempt", "event_idx", "line", "errors"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			b, err := json.Marshal(r.errors)
			return []any{receiptID, d.SiteID, d.Attempt, r.idx, r.line, string(b)}, err
		}))
	if err != nil {
		return fmt.Errorf("record exceptions of %s: %w", receiptID, err)
	}
	if _, err := tx.Exec(ctx, q.Get("RecordCheck"), receiptID, d.Attempt, len(bad), errJSON, reject); err != nil {
		return fmt.Errorf("record check of %s: %w", receiptID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record check of %s: %w", receiptID, err)
	}
	return nil
}

func sortExceptions(rows []exceptionRow) {
	key := func(r exceptionRow) int {
		if r.idx == nil {
			return -1
		}
		return *r.idx
	}
	slices.SortFunc(rows, func(a, b exceptionRow) int { return cmp.Compare(key(a), key(b)) })
}

func (s *Store) outcome(ctx context.Context, receiptID string) (Outcome, error) {
	var o Outcome
	var status string
	var errs []byte
	if err := s.pool.QueryRow(ctx, q.Get("Outcome"), receiptID).Scan(&status, &o.Events, &o.Serials, &o.Rejected, &errs); err != nil {
		return o, fmt.Errorf("outcome of %s: %w", receiptID, err)
	}
	o.Status = domain.ReceiptStatus(status)
	if err := json.Unmarshal(errs, &o.Errors); err != nil {
		return o, fmt.Errorf("outcome of %s: %w", receiptID, err)
	}
	return o, nil
}
