package serials

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// Handler serves the serial API: a site key requests and returns serials for its own site;
// pools and alerts are for admins.
type Handler struct {
	Store *Store
	Log   *slog.Logger
}

// Routes mounts the API on mux; auth wraps every route.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/sites/{site}/serials", auth(http.HandlerFunc(h.request)))
	mux.Handle("POST /v1/sites/{site}/serials/returns", auth(http.HandlerFunc(h.giveBack)))
	mux.Handle("GET /v1/serial-pools/{gtin}", auth(http.HandlerFunc(h.pool)))
	mux.Handle("PATCH /v1/serial-pools/{gtin}", auth(http.HandlerFunc(h.setAlert)))
	mux.Handle("GET /v1/serial-alerts", auth(http.HandlerFunc(h.alerts)))
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<20)) // a return of 1M serials is ~20 MB
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Errorf(domain.CodeInvalid, "JSON body: %v", err)
	}
	return nil
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	p, site, err := api.ForSite(r)
	var req Request
	if err == nil {
		err = decode(r, &req)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	req.SiteID = site
	req.By = fmt.Sprintf("%s key %d", p.Role, p.KeyID)
	a, err := h.Store.Request(r.Context(), req)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	status := http.StatusCreated
	if a.Replayed {
		status = http.StatusOK
	}
	api.WriteJSON(w, status, a)
}

// ReturnRequest is the body of a return.
type ReturnRequest struct {
	GTIN    string   `json:"gtin"`
	Serials []string `json:"serials"`
}

func (h *Handler) giveBack(w http.ResponseWriter, r *http.Request) {
	_, site, err := api.ForSite(r)
	var req ReturnRequest
	if err == nil {
		err = decode(r, &req)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	res, err := h.Store.Return(r.Context(), site, req.GTIN, req.Serials)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, res)
}

func gtinParam(r *http.Request) (string, error) {
	g, err := gs1.ParseGTIN(r.PathValue("gtin"))
	if err != nil {
		return "", domain.Errorf(domain.CodeInvalid, "gtin: %v", err)
	}
	return string(g), nil
}

func (h *Handler) pool(w http.ResponseWriter, r *http.Request) {
	_, err := api.RequireAdmin(r)
	var gtin string
	if err == nil {
		gtin, err = gtinParam(r)
	}
	var ps PoolStatus
	if err == nil {
		ps, err = h.Store.Pool(r.Context(), gtin)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, ps)
}

// PoolSettings is the body of PATCH /v1/serial-pools/{gtin}.
type PoolSettings struct {
	AlertBelow int64 `json:"alert_below"`
}

func (h *Handler) setAlert(w http.ResponseWriter, r *http.Request) {
	_, err := api.RequireAdmin(r)
	var gtin string
	if err == nil {
		gtin, err = gtinParam(r)
	}
	var set PoolSettings
	if err == nil {
		err = decode(r, &set)
	}
	var ps PoolStatus
	if err == nil {
		ps, err = h.Store.SetAlertBelow(r.Context(), gtin, set.AlertBelow)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, ps)
}

func (h *Handler) alerts(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	gtin := r.URL.Query().Get("gtin")
	if gtin != "" {
		g, err := gs1.ParseGTIN(gtin)
		if err != nil {
			api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "gtin: %v", err))
			return
		}
		gtin = string(g)
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	as, err := h.Store.Alerts(r.Context(), gtin, n)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if as == nil {
		as = []Alert{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"items": as})
}
