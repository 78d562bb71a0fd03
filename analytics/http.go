package analytics

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Handler serves the analytics API: recall and trace (admin), OEE and sensor readings (admin
// or the site's own key), line-data intake (the site's own key or admin).
type Handler struct {
	Store *Store
	Log   *slog.Logger
}

// Routes mounts the analytics API on mux; auth wraps every route.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/recall", auth(http.HandlerFunc(h.recallGet)))
	mux.Handle("POST /v1/recall", auth(http.HandlerFunc(h.recallPost)))
	mux.Handle("GET /v1/trace", auth(http.HandlerFunc(h.trace)))
	mux.Handle("GET /v1/oee", auth(http.HandlerFunc(h.oee)))
	mux.Handle("GET /v1/oee/chart.svg", auth(http.HandlerFunc(h.oeeChart)))
	mux.Handle("POST /v1/sites/{site}/linedata", auth(http.HandlerFunc(h.lineData)))
	mux.Handle("GET /v1/sensors", auth(http.HandlerFunc(h.sensors)))
}

// recallGet: ?gtin=&lot= (repeatable) &expiry_from=&expiry_to= &serial= (repeatable) &epc=.
func (h *Handler) recallGet(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	h.recall(w, r, RecallQuery{GTIN: v.Get("gtin"), Lots: v["lot"], ExpiryFrom: v.Get("expiry_from"),
		ExpiryTo: v.Get("expiry_to"), Serials: v["serial"], EPCs: v["epc"]})
}

// recallPost takes a RecallQuery as JSON, for long lists of serials or EPCs.
func (h *Handler) recallPost(w http.ResponseWriter, r *http.Request) {
	var rq RecallQuery
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&rq); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "recall query JSON: %v", err))
		return
	}
	h.recall(w, r, rq)
}

func (h *Handler) recall(w http.ResponseWriter, r *http.Request, rq RecallQuery) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	resp, err := h.Store.Recall(r.Context(), rq)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

// trace: ?id=EPC|element string|Digital Link [&gtin= for a bare serial].
func (h *Handler) trace(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "id is required"))
		return
	}
	resp, err := h.Store.Trace(r.Context(), id, r.URL.Query().Get("gtin"))
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

// oeeQuery reads ?site=&from=&to=[&line=]; from and to are dates (YYYY-MM-DD, to inclusive)
// or RFC 3339 times (to exclusive). A site key may ask only about its own site.
func (h *Handler) oeeQuery(r *http.Request) (OEEQuery, error) {
	v := r.URL.Query()
	oq := OEEQuery{Site: v.Get("site"), Line: v.Get("line")}
	p, err := api.Caller(r)
	if err != nil {
		return oq, err
	}
	if oq.Site != "" && !p.CanActForSite(oq.Site) {
		return oq, domain.Errorf(domain.CodeForbidden, "this key may not read site %s", oq.Site)
	}
	if oq.From, err = ParseDayOrTime(v.Get("from"), false); err != nil {
		return oq, err
	}
	if oq.To, err = ParseDayOrTime(v.Get("to"), true); err != nil {
		return oq, err
	}
	return oq, nil
}

// ParseDayOrTime reads YYYY-MM-DD (the start of that day, or of the next one when end is
// set, so that a "to" date is inclusive) or an RFC 3339 time.
func ParseDayOrTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, domain.Errorf(domain.CodeInvalid, "from and to are required")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.Add(24 * time.Hour)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, domain.Errorf(domain.CodeInvalid, "%q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t, nil
}

func (h *Handler) oee(w http.ResponseWriter, r *http.Request) {
	oq, err := h.oeeQuery(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	resp, err := h.Store.OEE(r.Context(), oq)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

func (h *Handler) oeeChart(w http.ResponseWriter, r *http.Request) {
	oq, err := h.oeeQuery(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	resp, err := h.Store.OEE(r.Context(), oq)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_ = WriteOEEChart(w, resp) // the client went away; nothing to do
}

// LineDataResponse acknowledges a line-data upload.
type LineDataResponse struct {
	Site   string `json:"site"`
	Line   string `json:"line"`
	States int    `json:"states"`
	Counts int    `json:"counts"`
}

func (h *Handler) lineData(w http.ResponseWriter, r *http.Request) {
	_, site, err := api.ForSite(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var ld LineData
	dec := json.NewDecoder(io.LimitReader(r.Body, 32<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ld); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "line data JSON: %v", err))
		return
	}
	if err := h.Store.SaveLineData(r.Context(), site, ld); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, LineDataResponse{Site: site, Line: ld.Line, States: len(ld.States), Counts: len(ld.Counts)})
}
