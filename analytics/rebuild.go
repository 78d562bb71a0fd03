package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/serialhub/serialhub/schemas/domain"
)

// pgDomainError turns the driver errors a caller can cause into domain errors.
func pgDomainError(err error, site string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return domain.Errorf(domain.CodeNotFound, "site %q does not exist", site)
	}
	return err
}

// RebuildStats says what a rebuild wrote.
type RebuildStats struct {
	EventRows  int64 `json:"event_rows"`
	LineStates int64 `json:"line_states"`
	LineCounts int64 `json:"line_counts"`
	// SensorReadings are the EPCIS 2.0 sensor reports re-read from stored documents.
	SensorReadings int64         `json:"sensor_readings"`
	Took           time.Duration `json:"took"`
}

// RebuildOptions tune a rebuild.
type RebuildOptions struct {
	// Truncate empties the ClickHouse tables first (rows of events since deleted from
	// PostgreSQL disappear); without it the rebuild only adds what is missing.
	Truncate bool
	// EventsPerBatch is how many events are read from PostgreSQL per step (default 20,000).
	EventsPerBatch int64
	// Progress, if set, is called after each step.
	Progress func(RebuildStats)
	// OpenDocument reads stored documents, for the sensor readings only they keep; without
	// it sensor_readings is left as it is.
	OpenDocument OpenDocumentFunc
}

// factTables are the tables a truncating rebuild empties; the views refill the derived ones
// (recall_pack_events is a view on a Null table and holds nothing).
var factTables = []string{"epc_facts", "epc_history", "aggregations", "shipments", "line_states", "line_counts",
	"commissioned_hll", "sensor_readings", "recall_packs"}

// Rebuild refills ClickHouse from PostgreSQL: every recorded event flattened per identifier
// (the rows Publish writes), the sensor readings of stored EPCIS 2.0 documents (with
// opt.OpenDocument) and every line-data record. It streams in batches of event keys
// and may be run any number of times: rows written again collapse like any re-sent row.
func (s *Store) Rebuild(ctx context.Context, opt RebuildOptions) (RebuildStats, error) {
	var st RebuildStats
	start := time.Now()
	if s.pg == nil {
		return st, fmt.Errorf("rebuild: no PostgreSQL connection (wiring)")
	}
	if opt.EventsPerBatch <= 0 {
		opt.EventsPerBatch = 20_000
	}
	if opt.Truncate {
		for _, t := range factTables {
			if err := s.conn.Exec(ctx, "TRUNCATE TABLE IF EXISTS "+t); err != nil {
				return st, fmt.Errorf("rebuild: truncate %s: %w", t, err)
			}
		}
	}
	var lo, hi int64
	if err := s.pg.QueryRow(ctx, q.Get("EventPKRange")).Scan(&lo, &hi); err != nil {
		return st, fmt.Errorf("rebuild: event range: %w", err)
	}
	buf := make([]domain.EPCEvent, 0, 4096)
	for from := lo; hi > 0 && from <= hi; from += opt.EventsPerBatch {
		rows, err := s.pg.Query(ctx, q.Get("FactsByPK"), from, from+opt.EventsPerBatch)
		if err != nil {
			return st, fmt.Errorf("rebuild: read events from %d: %w", from, err)
		}
		buf = buf[:0]
		for rows.Next() {
			var e domain.EPCEvent
			if err := rows.Scan(&e.EventTime, &e.EventID, &e.ReceiptID, &e.SiteID, &e.EventType, &e.Action,
				&e.BizStep, &e.Disposition, &e.ReadPoint, &e.BizLocation, &e.EPC, &e.Role, &e.GTIN, &e.Serial,
				&e.Lot, &e.Expiry, &e.ParentEPC, &e.LineID, &e.Partner, &e.Country, &e.Source, &e.Destination); err != nil {
				rows.Close()
				return st, fmt.Errorf("rebuild: scan event: %w", err)
			}
			buf = append(buf, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("rebuild: read events from %d: %w", from, err)
		}
		if err := s.WriteEvents(ctx, buf); err != nil {
			return st, fmt.Errorf("rebuild: %w", err)
		}
		st.EventRows += int64(len(buf))
		if opt.Progress != nil {
			st.Took = time.Since(start)
			opt.Progress(st)
		}
	}
	if opt.OpenDocument != nil {
		if err := s.rebuildSensors(ctx, opt.OpenDocument, &st); err != nil {
			return st, err
		}
	}
	if err := s.rebuildLineData(ctx, &st); err != nil {
		return st, err
	}
	st.Took = time.Since(start)
	return st, nil
}

// rebuildLineData copies line states and counts, in batches.
func (s *Store) rebuildLineData(ctx context.Context, st *RebuildStats) error {
	const batch = 100_000
	type rec struct {
		site string
		ld   LineData
	}
	flush := func(recs []rec) error {
		if len(recs) == 0 {
			return nil
		}
		return s.writeLineRows(ctx, func(yield func(string, *LineData)) {
			for i := range recs {
				yield(recs[i].site, &recs[i].ld)
			}
		})
	}
	rows, err := s.pg.Query(ctx, q.Get("AllLineStates"))
	if err != nil {
		return fmt.Errorf("rebuild: line states: %w", err)
	}
	var recs []rec
	for rows.Next() {
		var r rec
		var x LineState
		if err := rows.Scan(&r.site, &r.ld.Line, &x.At, &x.State, &x.Reason); err != nil {
			rows.Close()
			return fmt.Errorf("rebuild: line states: %w", err)
		}
		r.ld.States = []LineState{x}
		recs = append(recs, r)
		if len(recs) == batch {
			if err := flush(recs); err != nil {
				rows.Close()
				return fmt.Errorf("rebuild: %w", err)
			}
			st.LineStates += int64(len(recs))
			recs = recs[:0]
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild: line states: %w", err)
	}
	if err := flush(recs); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	st.LineStates += int64(len(recs))
	recs = recs[:0]

	rows, err = s.pg.Query(ctx, q.Get("AllLineCounts"))
	if err != nil {
		return fmt.Errorf("rebuild: line counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r rec
		var c LineCount
		var good, rej, used, agg int32
		var reasons string
		if err := rows.Scan(&r.site, &r.ld.Line, &c.Start, &c.End, &c.GTIN, &c.Lot, &good, &rej, &c.IdealRate,
			&used, &agg, &reasons); err != nil {
			return fmt.Errorf("rebuild: line counts: %w", err)
		}
		c.Good, c.Rejected, c.SerialsUsed, c.AggregationErrors = int(good), int(rej), int(used), int(agg)
		if err := json.Unmarshal([]byte(reasons), &c.RejectReasons); err != nil {
			return fmt.Errorf("rebuild: line counts: reject reasons: %w", err)
		}
		r.ld.Counts = []LineCount{c}
		recs = append(recs, r)
		if len(recs) == batch {
			if err := flush(recs); err != nil {
				return fmt.Errorf("rebuild: %w", err)
			}
			st.LineCounts += int64(len(recs))
			recs = recs[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild: line counts: %w", err)
	}
	if err := flush(recs); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	st.LineCounts += int64(len(recs))
	return nil
}
