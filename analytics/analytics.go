// Package analytics is the hub's ClickHouse side: the batching writer of flattened event facts
// and line data, the recall, trace and OEE queries over them, the line-data intake and the
// rebuild of ClickHouse from PostgreSQL. PostgreSQL stays the system of record; everything in
// ClickHouse can be rebuilt from it (`serialhub analytics rebuild`).
//
// Every statement runs on Debian's ClickHouse 18.16 as well as current releases: no window
// functions, no LowCardinality/DateTime64/Map, INSERTs through PrepareBatch with the column list.
// Facts are append-only and a re-sent row never counts twice: the tables are
// ReplacingMergeTree and every query collapses duplicates itself (argMax, groupUniqArray,
// uniqExact), because merges happen whenever ClickHouse likes.
package analytics

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store reads and writes the analytics facts in ClickHouse and, for line data and rebuilds,
// the system of record in PostgreSQL.
type Store struct {
	conn driver.Conn
	pg   *pgxpool.Pool
}

// NewStore returns a Store on conn.
func NewStore(conn driver.Conn) *Store { return &Store{conn: conn} }

// WithPostgres returns a copy of s that also reaches the system of record (line-data intake,
// rebuild).
func (s *Store) WithPostgres(pg *pgxpool.Pool) *Store {
	cp := *s
	cp.pg = pg
	return &cp
}

// maxBatchRows bounds one INSERT: large enough for few, big parts (ClickHouse merges small
// parts in the background and dislikes thousands of them), small enough to bound memory.
const maxBatchRows = 200_000

const insertFacts = `INSERT INTO epc_facts (event_date, event_time, event_id, receipt_id, site_id, line_id,
	event_type, action, biz_step, disposition, read_point, biz_location, epc, role, gtin, serial, lot,
	expiry, parent_epc, partner, country, source, destination, inserted_at)`

// WriteEvents appends rows, in batches of at most maxBatchRows. Writing the same rows again is
// harmless: the tables collapse rows with the same key and queries collapse them too.
func (s *Store) WriteEvents(ctx context.Context, rows []domain.EPCEvent) error {
	return s.WriteFacts(ctx, domain.FactsOf(rows))
}

// WriteFacts appends the rows of f, in batches of at most maxBatchRows, like WriteEvents, and
// its sensor readings (sensors.go).
func (s *Store) WriteFacts(ctx context.Context, f *domain.EPCFacts) error {
	for start := 0; start < len(f.Rows); start += maxBatchRows {
		part := &domain.EPCFacts{Events: f.Events, Rows: f.Rows[start:min(start+maxBatchRows, len(f.Rows))]}
		if err := s.writeFacts(ctx, part); err != nil {
			return err
		}
	}
	return s.writeSensors(ctx, f)
}

// The columns of insertFacts after the two times and before inserted_at, each taken from the
// event or from the row.
var factColumns = []struct {
	event func(*domain.EPCEvent) string
	row   func(*domain.EPCFact) string
}{
	{event: func(e *domain.EPCEvent) string { return e.EventID }},
	{event: func(e *domain.EPCEvent) string { return e.ReceiptID }},
	{event: func(e *domain.EPCEvent) string { return e.SiteID }},
	{event: func(e *domain.EPCEvent) string { return e.LineID }},
	{event: func(e *domain.EPCEvent) string { return e.EventType }},
	{event: func(e *domain.EPCEvent) string { return e.Action }},
	{event: func(e *domain.EPCEvent) string { return e.BizStep }},
	{event: func(e *domain.EPCEvent) string { return e.Disposition }},
	{event: func(e *domain.EPCEvent) string { return e.ReadPoint }},
	{event: func(e *domain.EPCEvent) string { return e.BizLocation }},
	{row: func(r *domain.EPCFact) string { return r.EPC }},
	{row: func(r *domain.EPCFact) string { return r.Role }},
	{row: func(r *domain.EPCFact) string { return r.GTIN }},
	{row: func(r *domain.EPCFact) string { return r.Serial }},
	{row: func(r *domain.EPCFact) string { return r.Lot }},
	{row: func(r *domain.EPCFact) string { return r.Expiry }},
	{event: func(e *domain.EPCEvent) string { return e.ParentEPC }},
	{event: func(e *domain.EPCEvent) string { return e.Partner }},
	{event: func(e *domain.EPCEvent) string { return e.Country }},
	{event: func(e *domain.EPCEvent) string { return e.Source }},
	{event: func(e *domain.EPCEvent) string { return e.Destination }},
}

// factBlockRows is how many rows go into one block of a facts INSERT.
//
// Why blocks: clickhouse-go starts every batch with empty columns and grows them row by row,
// which for 50k rows and 14 string columns cost about 8 s of CPU per 1M-serial document
// (growing slices and collecting them). Flush sends the block and empties the columns but
// keeps their memory, so an INSERT sent as blocks of this size grows its columns once, to
// this size. It stays one INSERT, written only when Send succeeds: ClickHouse squashes the
// blocks of an INSERT into parts of min_insert_block_size_rows (about 1M) rows, so the parts
// and the materialized views see what one block would have given them.
const factBlockRows = 2048

// writeFacts sends one INSERT, in blocks of factBlockRows, column by column: one scratch
// slice is filled per column and appended whole, so no row is boxed value by value.
func (s *Store) writeFacts(ctx context.Context, f *domain.EPCFacts) error {
	if len(f.Rows) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, insertFacts)
	if err != nil {
		return fmt.Errorf("analytics: prepare insert: %w", err)
	}
	n := len(f.Rows)
	fail := func(err error) error {
		_ = b.Abort()
		return fmt.Errorf("analytics: insert %d rows: %w", n, err)
	}
	now := time.Now().UTC()
	times := make([]time.Time, min(n, factBlockRows))
	strs := make([]string, min(n, factBlockRows))
	for start := 0; start < n; start += factBlockRows {
		rows := f.Rows[start:min(start+factBlockRows, n)]
		if err := appendFacts(b, f.Events, rows, times[:len(rows)], strs[:len(rows)], now); err != nil {
			return fail(err)
		}
		if err := b.Flush(); err != nil {
			return fail(err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("analytics: insert %d rows: %w", n, err)
	}
	return nil
}

// appendFacts appends rows to the columns of b, with times and strs as scratch (one element
// per row) and now as inserted_at.
func appendFacts(b driver.Batch, events []domain.EPCEvent, rows []domain.EPCFact, times []time.Time, strs []string, now time.Time) error {
	for i := range rows {
		times[i] = events[rows[i].Event].EventTime.UTC()
	}
	if err := b.Column(0).Append(times); err != nil { // event_date
		return err
	}
	if err := b.Column(1).Append(times); err != nil { // event_time
		return err
	}
	for c, col := range factColumns {
		for i := range rows {
			r := &rows[i]
			if col.row != nil {
				strs[i] = col.row(r)
			} else {
				strs[i] = col.event(&events[r.Event])
			}
		}
		if err := b.Column(2 + c).Append(strs); err != nil {
			return err
		}
	}
	for i := range times {
		times[i] = now
	}
	return b.Column(2 + len(factColumns)).Append(times) // inserted_at
}
