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
	for len(rows) > 0 {
		n := min(len(rows), maxBatchRows)
		if err := s.writeEvents(ctx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (s *Store) writeEvents(ctx context.Context, rows []domain.EPCEvent) error {
	b, err := s.conn.PrepareBatch(ctx, insertFacts)
	if err != nil {
		return fmt.Errorf("analytics: prepare insert: %w", err)
	}
	now := time.Now().UTC()
	for _, r := range rows {
		t := r.EventTime.UTC()
		if err := b.Append(t, t, r.EventID, r.ReceiptID, r.SiteID, r.LineID, r.EventType, r.Action, r.BizStep,
			r.Disposition, r.ReadPoint, r.BizLocation, r.EPC, r.Role, r.GTIN, r.Serial, r.Lot, r.Expiry,
			r.ParentEPC, r.Partner, r.Country, r.Source, r.Destination, now); err != nil {
			_ = b.Abort()
			return fmt.Errorf("analytics: append row: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("analytics: insert %d rows: %w", len(rows), err)
	}
	return nil
}
