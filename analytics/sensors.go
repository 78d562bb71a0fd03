package analytics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
)

// writeSensors inserts the sensor readings of f into sensor_readings, in INSERTs of at most
// maxBatchRows. A reading sent again has the same key (site, type, event time, event id,
// report index) and collapses; the queries read with FINAL.
func (s *Store) writeSensors(ctx context.Context, f *domain.EPCFacts) error {
	for start := 0; start < len(f.Sensors); start += maxBatchRows {
		if err := s.insertSensors(ctx, f.Events, f.Sensors[start:min(start+maxBatchRows, len(f.Sensors))]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertSensors(ctx context.Context, events []domain.EPCEvent, rs []domain.SensorReading) error {
	b, err := s.conn.PrepareBatch(ctx, q.Get("InsertSensorReadings"))
	if err != nil {
		return fmt.Errorf("analytics: prepare sensor insert: %w", err)
	}
	now := time.Now().UTC()
	for i := range rs {
		r := &rs[i]
		e := &events[r.Event]
		t := e.EventTime.UTC()
		epcs := r.EPCs
		if epcs == nil {
			epcs = []string{}
		}
		var hasValue uint8
		if r.HasValue {
			hasValue = 1
		}
		if err := b.Append(t, t, e.EventID, e.SiteID, epcs, r.Idx, r.DeviceID, r.Time.UTC(), r.Type, r.Value, hasValue,
			r.MinValue, r.MaxValue, r.UOM, r.Exception, r.StringValue, now); err != nil {
			_ = b.Abort()
			return fmt.Errorf("analytics: append sensor reading %d of %s: %w", r.Idx, e.EventID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("analytics: insert %d sensor readings: %w", len(rs), err)
	}
	return nil
}

// SensorQuery selects sensor readings: of a site (all sites when empty, admin keys only), of
// a measurement type (any form: "Temperature", "gs1:Temperature", the web URI; all when empty),
// read in [From, To) (zero: unbounded). ByEPC adds the summary per identifier of the events.
type SensorQuery struct {
	Site  string
	Type  string
	From  time.Time
	To    time.Time
	ByEPC bool
}

// SensorStats summarise readings of one measurement type and unit (and identifier, in ByEPC).
// Min, Max and Avg are over the readings with a value, nil when none has one.
type SensorStats struct {
	Type       string    `json:"type"`
	UOM        string    `json:"uom"`
	EPC        string    `json:"epc,omitempty"`
	Readings   uint64    `json:"readings"`
	WithValue  uint64    `json:"with_value"`
	Min        *float64  `json:"min"`
	Max        *float64  `json:"max"`
	Avg        *float64  `json:"avg"`
	Exceptions uint64    `json:"exceptions"`
	Events     uint64    `json:"events"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
}

// SensorResponse answers a SensorQuery.
type SensorResponse struct {
	Site  string        `json:"site,omitempty"`
	Type  string        `json:"type,omitempty"`
	From  *time.Time    `json:"from,omitempty"`
	To    *time.Time    `json:"to,omitempty"`
	Types []SensorStats `json:"types"`
	ByEPC []SensorStats `json:"by_epc,omitempty"`
}

// Sensors summarises sensor readings per measurement type and unit: count, min, max, average.
func (s *Store) Sensors(ctx context.Context, sq SensorQuery) (SensorResponse, error) {
	resp := SensorResponse{Site: sq.Site, Types: []SensorStats{}}
	if sq.Type != "" {
		sq.Type = epcis.VocabMeasurementType.CURIE(sq.Type)
		resp.Type = sq.Type
	}
	from, to := int64(0), int64(math.MaxUint32)
	if !sq.From.IsZero() {
		from = max(sq.From.Unix(), 0)
		resp.From = &sq.From
	}
	if !sq.To.IsZero() {
		to = min(sq.To.Unix(), math.MaxUint32)
		resp.To = &sq.To
	}
	args := []any{sq.Site, sq.Site, sq.Type, sq.Type, from, to}
	var err error
	if resp.Types, err = s.sensorStats(ctx, "SensorSummary", false, args); err != nil {
		return resp, err
	}
	if sq.ByEPC {
		if resp.ByEPC, err = s.sensorStats(ctx, "SensorSummaryByEPC", true, args); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

func (s *Store) sensorStats(ctx context.Context, query string, byEPC bool, args []any) ([]SensorStats, error) {
	rows, err := s.conn.Query(ctx, q.Get(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sensors: %w", err)
	}
	defer rows.Close()
	out := []SensorStats{}
	for rows.Next() {
		var x SensorStats
		var lo, hi, avg float64
		dest := []any{&x.Type, &x.UOM, &x.Readings, &x.WithValue, &lo, &hi, &avg, &x.Exceptions, &x.Events, &x.First, &x.Last}
		if byEPC {
			dest = append(dest[:2], append([]any{&x.EPC}, dest[2:]...)...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sensors: scan: %w", err)
		}
		if x.WithValue > 0 {
			x.Min, x.Max, x.Avg = &lo, &hi, &avg
		}
		x.First, x.Last = x.First.UTC(), x.Last.UTC()
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sensors: %w", err)
	}
	return out, nil
}

// OpenDocumentFunc opens a stored document's body and tells its format (codec names). The
// rebuild takes it from the wiring, which knows where intake keeps documents.
type OpenDocumentFunc func(ctx context.Context, receiptID string) (format string, body io.Reader, err error)

// rebuildSensors writes the sensor readings of every applied EPCIS 2.0 document that has a
// sensorElementList: only the stored documents hold them. Each is decoded again and its events
// matched to the recorded ones by their place in the document, which gives their event ids;
// events the intake did not record (rejected) are skipped.
func (s *Store) rebuildSensors(ctx context.Context, open OpenDocumentFunc, st *RebuildStats) error {
	rows, err := s.pg.Query(ctx, q.Get("SensorDocuments"))
	if err != nil {
		return fmt.Errorf("rebuild: sensor documents: %w", err)
	}
	type doc struct{ id, site string }
	var docs []doc
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.id, &d.site); err != nil {
			rows.Close()
			return fmt.Errorf("rebuild: sensor documents: %w", err)
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild: sensor documents: %w", err)
	}
	for _, d := range docs {
		n, err := s.rebuildSensorsOf(ctx, open, d.id, d.site)
		if err != nil {
			return fmt.Errorf("rebuild: sensors of %s: %w", d.id, err)
		}
		st.SensorReadings += int64(n)
	}
	return nil
}

// rebuildSensorsOf writes the sensor readings of one document, a batch at a time.
func (s *Store) rebuildSensorsOf(ctx context.Context, open OpenDocumentFunc, receiptID, site string) (int, error) {
	rows, err := s.pg.Query(ctx, q.Get("EventIDsOfReceipt"), receiptID)
	if err != nil {
		return 0, fmt.Errorf("event ids: %w", err)
	}
	ids := map[int]string{}
	var idx int
	var id string
	for rows.Next() {
		if err := rows.Scan(&idx, &id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("event ids: %w", err)
		}
		ids[idx] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("event ids: %w", err)
	}
	name, body, err := open(ctx, receiptID)
	if err != nil {
		return 0, err
	}
	format, err := codec.ParseFormat(name)
	if err != nil {
		return 0, err
	}
	dec, err := codec.NewDecoder(body, format, epcis.DefaultLimits)
	if err != nil {
		return 0, err
	}
	if _, err := dec.Document(); err != nil {
		return 0, err
	}
	var f domain.EPCFacts
	written := 0
	flush := func() error {
		if err := s.writeSensors(ctx, &f); err != nil {
			return err
		}
		written += len(f.Sensors)
		f = domain.EPCFacts{}
		return nil
	}
	for i := 0; ; i++ {
		e, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return written, err
		}
		id, ok := ids[i]
		if !ok || len(e.SensorElements) == 0 {
			continue
		}
		ev := int32(len(f.Events))
		f.Events = append(f.Events, domain.EPCEvent{EventTime: e.EventTime, EventID: id, ReceiptID: receiptID, SiteID: site})
		for _, r := range e.SensorReadings() {
			r.Event = ev
			f.Sensors = append(f.Sensors, r)
		}
		if len(f.Sensors) >= maxBatchRows {
			if err := flush(); err != nil {
				return written, err
			}
		}
	}
	return written, flush()
}

// sensors: ?site=&type=&from=&to=[&by=epc]. from and to are optional, as for OEE (days, to
// inclusive, or RFC 3339 times). A site key reads only its own site (its site when none is
// named); an admin key without a site reads every site.
func (h *Handler) sensors(w http.ResponseWriter, r *http.Request) {
	sq, err := sensorQuery(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	resp, err := h.Store.Sensors(r.Context(), sq)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

func sensorQuery(r *http.Request) (SensorQuery, error) {
	v := r.URL.Query()
	sq := SensorQuery{Site: v.Get("site"), Type: v.Get("type"), ByEPC: v.Get("by") == "epc"}
	p, err := api.Caller(r)
	if err != nil {
		return sq, err
	}
	if sq.Site == "" && p.Role == domain.RoleSite {
		sq.Site = p.SiteID
	}
	if !p.CanActForSite(sq.Site) && !(sq.Site == "" && p.Role == domain.RoleAdmin) {
		return sq, domain.Errorf(domain.CodeForbidden, "this key may not read site %q", sq.Site)
	}
	if s := v.Get("from"); s != "" {
		if sq.From, err = ParseDayOrTime(s, false); err != nil {
			return sq, err
		}
	}
	if s := v.Get("to"); s != "" {
		if sq.To, err = ParseDayOrTime(s, true); err != nil {
			return sq, err
		}
	}
	return sq, nil
}
