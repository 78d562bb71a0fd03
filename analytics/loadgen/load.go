package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Stats says what a load wrote and how long each store took.
type Stats struct {
	EventRows  int64
	Events     int64
	Serials    int64
	LineStates int64
	LineCounts int64
	CH, PG     time.Duration
}

// benchShipments holds the partner and country of each shipping event in PostgreSQL. The
// skeleton's epcis_events has no destination columns yet (issue 4 adds them); until then the
// load keeps them beside, in its own database, so that PostgreSQL can answer the same recall.
const benchShipments = `CREATE TABLE IF NOT EXISTS bench_shipments (
	event_pk bigint PRIMARY KEY, partner text NOT NULL, country text NOT NULL)`

// Load generates every lot of cfg and writes it to ClickHouse (store) and, when pg is not nil,
// PostgreSQL, in chunks of lots. Line data for every line over cfg.Days goes to both too.
func Load(ctx context.Context, cfg Config, store *analytics.Store, pg *pgxpool.Pool) (Stats, error) {
	var st Stats
	if pg != nil {
		if err := prepare(ctx, cfg, pg); err != nil {
			return st, err
		}
	}
	var pk int64
	const chunk = 20
	for lo := 0; lo < cfg.Lots; lo += chunk {
		var lots []Lot
		var rows []domain.EPCEvent
		for i := lo; i < min(lo+chunk, cfg.Lots); i++ {
			l := cfg.GenLot(i)
			lots = append(lots, l)
			rows = append(rows, l.Rows()...)
		}
		t := time.Now()
		if err := store.WriteEvents(ctx, rows); err != nil {
			return st, fmt.Errorf("loadgen: clickhouse: %w", err)
		}
		st.CH += time.Since(t)
		st.EventRows += int64(len(rows))
		for _, l := range lots {
			st.Events += int64(len(l.Events))
			st.Serials += int64(len(l.Serials))
		}
		if pg != nil {
			t = time.Now()
			if err := copyLots(ctx, pg, lots, &pk); err != nil {
				return st, err
			}
			st.PG += time.Since(t)
		}
	}
	if pg != nil {
		if _, err := pg.Exec(ctx, `ANALYZE`); err != nil {
			return st, fmt.Errorf("loadgen: analyze: %w", err)
		}
	}
	return st, loadLineData(ctx, cfg, store, pg, &st)
}

func prepare(ctx context.Context, cfg Config, pg *pgxpool.Pool) error {
	if _, err := pg.Exec(ctx, benchShipments); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	for i := range cfg.Sites {
		if _, err := pg.Exec(ctx, `INSERT INTO sites (id, name, country) VALUES ($1, $1, 'DE') ON CONFLICT DO NOTHING`, SiteID(i)); err != nil {
			return fmt.Errorf("loadgen: site: %w", err)
		}
	}
	return nil
}

// copyLots writes lots to PostgreSQL by COPY: one document per lot, its events with their
// identifiers, and the identifiers' current states.
func copyLots(ctx context.Context, pg *pgxpool.Pool, lots []Lot, pk *int64) error {
	tx, err := pg.Begin(ctx)
	if err != nil {
		return fmt.Errorf("loadgen: postgres: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var docs, events, epcs, serials, ships [][]any
	now := time.Now()
	for _, l := range lots {
		sum := sha256.Sum256([]byte(l.ReceiptID))
		docs = append(docs, []any{l.ReceiptID, l.Site, "application/xml", "xml-1.2", sum[:], int64(0), []byte{}, "processed", now, now, now})
		for idx, e := range l.Events {
			*pk++
			events = append(events, []any{*pk, l.ReceiptID, int32(idx), e.ID, e.Type, e.Action, e.BizStep, e.Disposition,
				e.Time, "+00:00", e.Parent, e.Lot, e.Expiry})
			role := "epc"
			if e.Type == "AggregationEvent" {
				role = "child"
			}
			for _, x := range e.EPCs {
				epcs = append(epcs, []any{*pk, x, role})
			}
			if e.Partner != "" {
				ships = append(ships, []any{*pk, e.Partner, e.Country})
			}
		}
		for _, s := range l.Serials {
			serials = append(serials, []any{s.EPC, s.GTIN, s.Serial, s.Lot, s.Expiry, l.Site, s.State, s.Parent, s.Commissioned, s.Last})
		}
	}
	copies := []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"documents", []string{"receipt_id", "site_id", "content_type", "format", "sha256", "size", "body", "status", "received_at", "applied_at", "processed_at"}, docs},
		{"epcis_events", []string{"id", "receipt_id", "idx", "event_id", "event_type", "action", "biz_step", "disposition", "event_time", "tz_offset", "parent_epc", "lot", "expiry"}, events},
		{"event_epcs", []string{"event_pk", "epc", "role"}, epcs},
		{"serials", []string{"epc", "gtin", "serial", "lot", "expiry", "site_id", "state", "parent_epc", "commissioned_at", "last_event_time"}, serials},
		{"bench_shipments", []string{"event_pk", "partner", "country"}, ships},
	}
	for _, c := range copies {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("loadgen: copy %s: %w", c.table, err)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('epcis_events', 'id'), $1)`, *pk); err != nil {
		return fmt.Errorf("loadgen: sequence: %w", err)
	}
	return tx.Commit(ctx)
}

// downReasons are the unplanned stops a line suffers, most frequent first.
var downReasons = []string{"jam", "vision-reject-streak", "missing-material", "printer", "electrical", "label-roll-change"}

// rejectReasons are why packs are rejected.
var rejectReasons = []string{"vision-2d-grade", "ocr-mismatch", "weight", "missing-leaflet", "tamper-seal"}

// GenLine generates one line's data for one day: a planned stop at night, a changeover,
// unplanned stops and idle spells, and counts per 15 minutes consistent with the states.
func (c Config) GenLine(site, line int, day int) analytics.LineData {
	rng := rand.New(rand.NewPCG(c.Seed+1, uint64(site*10_000+line*1_000+day)))
	d0 := c.Start.Add(time.Duration(day) * 24 * time.Hour)
	ld := analytics.LineData{Line: LineID(line)}
	ld.States = append(ld.States,
		analytics.LineState{At: d0, State: analytics.StateRunning},
		analytics.LineState{At: d0.Add(2 * time.Hour), State: analytics.StatePlanned, Reason: "night-break"},
		analytics.LineState{At: d0.Add(3 * time.Hour), State: analytics.StateRunning},
		analytics.LineState{At: d0.Add(13 * time.Hour), State: analytics.StateChangeover, Reason: "lot-change"},
		analytics.LineState{At: d0.Add(13*time.Hour + time.Duration(20+rng.IntN(30))*time.Minute), State: analytics.StateRunning},
	)
	for range 4 + rng.IntN(8) {
		at := d0.Add(time.Duration(4*60+rng.IntN(8*60)) * time.Minute)
		if rng.IntN(2) == 0 {
			at = at.Add(10 * time.Hour)
		}
		st, reason := analytics.StateDown, downReasons[min(rng.IntN(len(downReasons)), rng.IntN(len(downReasons)))]
		if rng.IntN(4) == 0 {
			st, reason = analytics.StateIdle, "starved"
		}
		ld.States = append(ld.States, analytics.LineState{At: at, State: st, Reason: reason},
			analytics.LineState{At: at.Add(time.Duration(2+rng.IntN(25)) * time.Minute), State: analytics.StateRunning})
	}
	sortStates(ld.States)
	// Two stops drawn at the same minute: the later word wins, as in the stores.
	dedup := ld.States[:0]
	for _, x := range ld.States {
		if n := len(dedup); n > 0 && dedup[n-1].At.Equal(x.At) {
			dedup[n-1] = x
			continue
		}
		dedup = append(dedup, x)
	}
	ld.States = dedup
	rate := float64(100 + 10*(line%5))
	for k := range 96 {
		s := d0.Add(time.Duration(k) * 15 * time.Minute)
		e := s.Add(15 * time.Minute)
		run := runMinutes(ld.States, s, e)
		total := int(run * rate * (0.85 + 0.13*rng.Float64()))
		rej := int(float64(total) * (0.005 + 0.02*rng.Float64()))
		reasons := map[string]int{}
		left := rej
		for left > 0 {
			n := min(left, 1+rng.IntN(3))
			reasons[rejectReasons[min(rng.IntN(len(rejectReasons)), rng.IntN(len(rejectReasons)))]] += n
			left -= n
		}
		aggErr := 0
		if rng.IntN(50) == 0 {
			aggErr = 1
		}
		ld.Counts = append(ld.Counts, analytics.LineCount{Start: s, End: e, Good: total - rej, Rejected: rej, IdealRate: rate,
			SerialsUsed: total, AggregationErrors: aggErr, RejectReasons: reasons})
	}
	return ld
}

func sortStates(ss []analytics.LineState) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j].At.Before(ss[j-1].At); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// runMinutes is how long the sorted states say the line ran in [s, e).
func runMinutes(ss []analytics.LineState, s, e time.Time) float64 {
	total := 0.0
	for i, x := range ss {
		from, to := x.At, e
		if i+1 < len(ss) {
			to = ss[i+1].At
		}
		if from.Before(s) {
			from = s
		}
		if to.After(e) {
			to = e
		}
		if x.State == analytics.StateRunning && to.After(from) {
			total += to.Sub(from).Minutes()
		}
	}
	return total
}

func loadLineData(ctx context.Context, cfg Config, store *analytics.Store, pg *pgxpool.Pool, st *Stats) error {
	for si := range cfg.Sites {
		var lds []analytics.LineData
		for li := range cfg.LinesPerSite {
			for d := range cfg.Days {
				lds = append(lds, cfg.GenLine(si, li, d))
			}
		}
		t := time.Now()
		if err := store.WriteLineData(ctx, SiteID(si), lds); err != nil {
			return fmt.Errorf("loadgen: line data: %w", err)
		}
		st.CH += time.Since(t)
		var states, counts [][]any
		for _, ld := range lds {
			for _, x := range ld.States {
				states = append(states, []any{SiteID(si), ld.Line, x.At, x.State, x.Reason})
			}
			for _, c := range ld.Counts {
				rr, _ := json.Marshal(c.RejectReasons)
				counts = append(counts, []any{SiteID(si), ld.Line, c.Start, c.End, int32(c.Good), int32(c.Rejected), c.IdealRate,
					int32(c.SerialsUsed), int32(c.AggregationErrors), rr})
			}
		}
		st.LineStates += int64(len(states))
		st.LineCounts += int64(len(counts))
		if pg == nil {
			continue
		}
		t = time.Now()
		if _, err := pg.CopyFrom(ctx, pgx.Identifier{"line_states"}, []string{"site_id", "line_id", "at", "state", "reason"}, pgx.CopyFromRows(states)); err != nil {
			return fmt.Errorf("loadgen: copy line_states: %w", err)
		}
		if _, err := pg.CopyFrom(ctx, pgx.Identifier{"line_counts"}, []string{"site_id", "line_id", "start_at", "end_at", "good", "rejected",
			"ideal_rate", "serials_used", "aggregation_errors", "reject_reasons"}, pgx.CopyFromRows(counts)); err != nil {
			return fmt.Errorf("loadgen: copy line_counts: %w", err)
		}
		st.PG += time.Since(t)
	}
	return nil
}
