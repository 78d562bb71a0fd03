package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

// LineData is one upload of packaging-line data for one line (docs/analytics.md "Line data
// format"): state changes with reasons and good/rejected counts per interval.
type LineData struct {
	Line   string      `json:"line"`
	States []LineState `json:"states,omitempty"`
	Counts []LineCount `json:"counts,omitempty"`
}

// LineState is a change of a line's state at an instant; it lasts until the next change.
type LineState struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
}

// The line states. Planned stops are outside planned production time; every other state but
// running is a loss of availability.
const (
	StateRunning    = "running"
	StateDown       = "down"       // unplanned stop (breakdown, jam, missing material): reason required
	StateChangeover = "changeover" // product or lot change, line clearance
	StateIdle       = "idle"       // ready but starved or blocked
	StatePlanned    = "planned"    // planned stop: no shift, break, planned maintenance
)

var lineStates = map[string]bool{StateRunning: true, StateDown: true, StateChangeover: true, StateIdle: true, StatePlanned: true}

// LineCount is what a line produced in [Start, End).
type LineCount struct {
	Start             time.Time      `json:"start"`
	End               time.Time      `json:"end"`
	GTIN              string         `json:"gtin,omitempty"`
	Lot               string         `json:"lot,omitempty"`
	Good              int            `json:"good"`
	Rejected          int            `json:"rejected"`
	IdealRate         float64        `json:"ideal_rate"` // packs per minute at the line's rated speed
	SerialsUsed       int            `json:"serials_used,omitempty"`
	AggregationErrors int            `json:"aggregation_errors,omitempty"`
	RejectReasons     map[string]int `json:"reject_reasons,omitempty"`
}

// Limits of one line-data upload.
const (
	maxLineRecords = 100_000
	maxIDLen       = 64
)

// Validate checks an upload; every error is CodeInvalid and names the record.
func (ld *LineData) Validate() error {
	if ld.Line == "" || len(ld.Line) > maxIDLen {
		return domain.Errorf(domain.CodeInvalid, "line: want 1 to %d characters", maxIDLen)
	}
	if len(ld.States)+len(ld.Counts) == 0 {
		return domain.Errorf(domain.CodeInvalid, "no states and no counts")
	}
	if len(ld.States)+len(ld.Counts) > maxLineRecords {
		return domain.Errorf(domain.CodeInvalid, "at most %d records per upload", maxLineRecords)
	}
	for i, s := range ld.States {
		switch {
		case s.At.IsZero():
			return domain.Errorf(domain.CodeInvalid, "states[%d].at is missing", i)
		case !lineStates[s.State]:
			return domain.Errorf(domain.CodeInvalid, "states[%d].state %q: want running, down, changeover, idle or planned", i, s.State)
		case s.State == StateDown && s.Reason == "":
			return domain.Errorf(domain.CodeInvalid, "states[%d]: a down state needs a reason", i)
		case len(s.Reason) > 200:
			return domain.Errorf(domain.CodeInvalid, "states[%d].reason is longer than 200 characters", i)
		}
	}
	for i, c := range ld.Counts {
		switch {
		case c.Start.IsZero() || c.End.IsZero():
			return domain.Errorf(domain.CodeInvalid, "counts[%d]: start and end are required", i)
		case !c.End.After(c.Start):
			return domain.Errorf(domain.CodeInvalid, "counts[%d]: end must be after start", i)
		case c.End.Sub(c.Start) > 24*time.Hour:
			return domain.Errorf(domain.CodeInvalid, "counts[%d]: an interval is at most 24 hours", i)
		case c.Good < 0 || c.Rejected < 0 || c.SerialsUsed < 0 || c.AggregationErrors < 0:
			return domain.Errorf(domain.CodeInvalid, "counts[%d]: counts cannot be negative", i)
		case c.IdealRate <= 0:
			return domain.Errorf(domain.CodeInvalid, "counts[%d].ideal_rate must be positive (packs per minute)", i)
		}
		sum := 0
		for r, n := range c.RejectReasons {
			if n < 0 || r == "" {
				return domain.Errorf(domain.CodeInvalid, "counts[%d].reject_reasons: empty reason or negative count", i)
			}
			sum += n
		}
		if sum > c.Rejected {
			return domain.Errorf(domain.CodeInvalid, "counts[%d]: reject reasons add up to %d, more than rejected %d", i, sum, c.Rejected)
		}
	}
	return nil
}

// dedupe keeps the last record of each key: PostgreSQL refuses to update one row twice in one
// statement, and the last word of a site is the one that counts.
func (ld *LineData) dedupe() {
	seenS := map[int64]int{}
	var states []LineState
	for _, s := range ld.States {
		k := s.At.Unix()
		if i, ok := seenS[k]; ok {
			states[i] = s
			continue
		}
		seenS[k] = len(states)
		states = append(states, s)
	}
	ld.States = states
	seenC := map[int64]int{}
	var counts []LineCount
	for _, c := range ld.Counts {
		k := c.Start.Unix()
		if i, ok := seenC[k]; ok {
			counts[i] = c
			continue
		}
		seenC[k] = len(counts)
		counts = append(counts, c)
	}
	ld.Counts = counts
}

// truncate drops sub-second parts: ClickHouse keeps seconds, and both stores must agree on
// the key of a record.
func (ld *LineData) truncate() {
	for i := range ld.States {
		ld.States[i].At = ld.States[i].At.UTC().Truncate(time.Second)
	}
	for i := range ld.Counts {
		ld.Counts[i].Start = ld.Counts[i].Start.UTC().Truncate(time.Second)
		ld.Counts[i].End = ld.Counts[i].End.UTC().Truncate(time.Second)
	}
}

// SaveLineData stores a validated upload for site in PostgreSQL (the system of record) and
// then in ClickHouse. A record sent again replaces the first in both.
func (s *Store) SaveLineData(ctx context.Context, site string, ld LineData) error {
	if err := ld.Validate(); err != nil {
		return err
	}
	ld.truncate()
	ld.dedupe()
	if s.pg == nil {
		return fmt.Errorf("line data: no PostgreSQL connection (wiring)")
	}
	tx, err := s.pg.Begin(ctx)
	if err != nil {
		return fmt.Errorf("line data %s/%s: %w", site, ld.Line, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if len(ld.States) > 0 {
		n := len(ld.States)
		at, st, rs := make([]time.Time, n), make([]string, n), make([]string, n)
		for i, x := range ld.States {
			at[i], st[i], rs[i] = x.At, x.State, x.Reason
		}
		if _, err := tx.Exec(ctx, q.Get("UpsertLineStates"), site, ld.Line, at, st, rs); err != nil {
			return fmt.Errorf("line data %s/%s: states: %w", site, ld.Line, pgDomainError(err, site))
		}
	}
	if len(ld.Counts) > 0 {
		n := len(ld.Counts)
		st, en := make([]time.Time, n), make([]time.Time, n)
		gt, lo, rr := make([]string, n), make([]string, n), make([]string, n)
		good, rej, used, agg := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		rate := make([]float64, n)
		for i, c := range ld.Counts {
			st[i], en[i], gt[i], lo[i] = c.Start, c.End, c.GTIN, c.Lot
			good[i], rej[i], used[i], agg[i] = int32(c.Good), int32(c.Rejected), int32(c.SerialsUsed), int32(c.AggregationErrors)
			rate[i] = c.IdealRate
			b, _ := json.Marshal(c.RejectReasons)
			if c.RejectReasons == nil {
				b = []byte("{}")
			}
			rr[i] = string(b)
		}
		if _, err := tx.Exec(ctx, q.Get("UpsertLineCounts"), site, ld.Line, st, en, gt, lo, good, rej, rate, used, agg, rr); err != nil {
			return fmt.Errorf("line data %s/%s: counts: %w", site, ld.Line, pgDomainError(err, site))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("line data %s/%s: commit: %w", site, ld.Line, err)
	}
	return s.writeLineData(ctx, site, []LineData{ld})
}

// WriteLineData inserts validated line data of one site into ClickHouse only (bulk loads;
// the intake goes through SaveLineData, which stores it in PostgreSQL first).
func (s *Store) WriteLineData(ctx context.Context, site string, lds []LineData) error {
	return s.writeLineData(ctx, site, lds)
}

// writeLineData inserts line data into ClickHouse, one batch per table.
func (s *Store) writeLineData(ctx context.Context, site string, lds []LineData) error {
	return s.writeLineRows(ctx, func(yield func(site string, ld *LineData)) {
		for i := range lds {
			yield(site, &lds[i])
		}
	})
}

// writeLineRows inserts what each yields into ClickHouse (sites may differ: rebuild).
func (s *Store) writeLineRows(ctx context.Context, each func(func(site string, ld *LineData))) error {
	now := time.Now().UTC()
	bs, err := s.conn.PrepareBatch(ctx, `INSERT INTO line_states (day, site_id, line_id, at, state, reason, inserted_at)`)
	if err != nil {
		return fmt.Errorf("line data: prepare: %w", err)
	}
	bc, err := s.conn.PrepareBatch(ctx, `INSERT INTO line_counts (day, site_id, line_id, start_at, end_at, gtin, lot,
		good, rejected, ideal_rate, serials_used, aggregation_errors, reject_reasons, reject_counts, inserted_at)`)
	if err != nil {
		_ = bs.Abort()
		return fmt.Errorf("line data: prepare: %w", err)
	}
	var appendErr error
	each(func(site string, ld *LineData) {
		if appendErr != nil {
			return
		}
		for _, x := range ld.States {
			at := x.At.UTC()
			if err := bs.Append(at, site, ld.Line, at, x.State, x.Reason, now); err != nil {
				appendErr = err
				return
			}
		}
		for _, c := range ld.Counts {
			reasons := make([]string, 0, len(c.RejectReasons))
			for r := range c.RejectReasons {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			counts := make([]uint32, len(reasons))
			for i, r := range reasons {
				counts[i] = uint32(c.RejectReasons[r])
			}
			st := c.Start.UTC()
			if err := bc.Append(st, site, ld.Line, st, c.End.UTC(), c.GTIN, c.Lot, uint32(c.Good), uint32(c.Rejected),
				c.IdealRate, uint32(c.SerialsUsed), uint32(c.AggregationErrors), reasons, counts, now); err != nil {
				appendErr = err
				return
			}
		}
	})
	if appendErr != nil {
		_ = bs.Abort()
		_ = bc.Abort()
		return fmt.Errorf("line data: append: %w", appendErr)
	}
	if err := bs.Send(); err != nil {
		_ = bc.Abort()
		return fmt.Errorf("line data: insert states: %w", err)
	}
	if err := bc.Send(); err != nil {
		return fmt.Errorf("line data: insert counts: %w", err)
	}
	return nil
}
