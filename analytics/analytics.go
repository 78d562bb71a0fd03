// Package analytics is the hub's ClickHouse side: the writer of flattened event facts and the
// recall queries over them. PostgreSQL stays the system of record; everything here can be
// rebuilt from it.
package analytics

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store reads and writes the analytics facts.
type Store struct {
	conn driver.Conn
}

// NewStore returns a Store on conn.
func NewStore(conn driver.Conn) *Store { return &Store{conn: conn} }

const insertEvents = `INSERT INTO epc_events (event_date, event_time, event_id, receipt_id, site_id,
	event_type, action, biz_step, disposition, read_point, biz_location, epc, role, gtin, serial, lot,
	expiry, parent_epc, inserted_at)`

// WriteEvents appends rows in one batch. Writing the same rows again is harmless: the table
// collapses rows with the same (epc, event_id) and queries read it FINAL.
func (s *Store) WriteEvents(ctx context.Context, rows []domain.EPCEvent) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, insertEvents)
	if err != nil {
		return fmt.Errorf("analytics: prepare insert: %w", err)
	}
	now := time.Now().UTC()
	for _, r := range rows {
		t := r.EventTime.UTC()
		if err := b.Append(t, t, r.EventID, r.ReceiptID, r.SiteID, r.EventType, r.Action, r.BizStep, r.Disposition,
			r.ReadPoint, r.BizLocation, r.EPC, r.Role, r.GTIN, r.Serial, r.Lot, r.Expiry, r.ParentEPC, now); err != nil {
			_ = b.Abort()
			return fmt.Errorf("analytics: append row: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("analytics: insert %d rows: %w", len(rows), err)
	}
	return nil
}

// RecallLot lists every pack of one lot of a GTIN.
func (s *Store) RecallLot(ctx context.Context, gtin gs1.GTIN, lot string) ([]domain.RecallItem, error) {
	rows, err := s.conn.Query(ctx, q.Get("RecallLot"), string(gtin), lot)
	if err != nil {
		return nil, fmt.Errorf("recall %s lot %s: %w", gtin, lot, err)
	}
	defer rows.Close()
	var out []domain.RecallItem
	for rows.Next() {
		var it domain.RecallItem
		if err := rows.Scan(&it.EPC, &it.GTIN, &it.Serial, &it.Lot, &it.Expiry, &it.Parent, &it.Site,
			&it.LastEvent, &it.LastBizStep); err != nil {
			return nil, fmt.Errorf("recall %s lot %s: scan: %w", gtin, lot, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recall %s lot %s: %w", gtin, lot, err)
	}
	return out, nil
}

// Handler serves the analytics API.
type Handler struct {
	Store *Store
	Log   *slog.Logger
}

// Routes mounts the analytics API on mux; auth wraps every route.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/recall", auth(http.HandlerFunc(h.recall)))
}

// RecallResponse is the answer of GET /v1/recall.
type RecallResponse struct {
	GTIN  string              `json:"gtin"`
	Lot   string              `json:"lot"`
	Count int                 `json:"count"`
	Items []domain.RecallItem `json:"items"`
}

func (h *Handler) recall(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	gtin, err := gs1.ParseGTIN(r.URL.Query().Get("gtin"))
	if err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "gtin: %v", err))
		return
	}
	lot := r.URL.Query().Get("lot")
	if lot == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "lot is required"))
		return
	}
	items, err := h.Store.RecallLot(r.Context(), gtin, lot)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if items == nil {
		items = []domain.RecallItem{}
	}
	api.WriteJSON(w, http.StatusOK, RecallResponse{GTIN: string(gtin), Lot: lot, Count: len(items), Items: items})
}
