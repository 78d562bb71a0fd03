package euhub

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Handler is the REST API of EU Hub operations (admin only).
type Handler struct {
	Service *Service
	Log     *slog.Logger
	// MaxBytes bounds a request body (a release with its serials); default 64 MiB.
	MaxBytes int64
}

// Routes registers the routes on mux behind auth.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/euhub/products", auth(http.HandlerFunc(h.product)))
	mux.Handle("POST /v1/euhub/releases", auth(http.HandlerFunc(h.release)))
	mux.Handle("GET /v1/euhub/releases/{gtin}/{lot}", auth(http.HandlerFunc(h.releaseStatus)))
	mux.Handle("POST /v1/euhub/recalls", auth(http.HandlerFunc(h.recall)))
	mux.Handle("POST /v1/euhub/withdrawals", auth(http.HandlerFunc(h.withdraw)))
	mux.Handle("POST /v1/euhub/decommissions", auth(http.HandlerFunc(h.decommission(false))))
	mux.Handle("POST /v1/euhub/undos", auth(http.HandlerFunc(h.decommission(true))))
	mux.Handle("GET /v1/euhub/requests", auth(http.HandlerFunc(h.requests)))
}

func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return false
	}
	max := h.MaxBytes
	if max <= 0 {
		max = 64 << 20
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "request body: %v", err))
		return false
	}
	return true
}

type accepted struct {
	Obligation string `json:"obligation"`
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request, id string, err error) {
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusAccepted, accepted{id})
}

func (h *Handler) product(w http.ResponseWriter, r *http.Request) {
	var m ProductMasterData
	if !h.decode(w, r, &m) {
		return
	}
	id, err := h.Service.Product(r.Context(), m)
	h.answer(w, r, id, err)
}

func (h *Handler) release(w http.ResponseWriter, r *http.Request) {
	var rel Release
	if !h.decode(w, r, &rel) {
		return
	}
	res, err := h.Service.Release(r.Context(), rel)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusAccepted, res)
}

func (h *Handler) releaseStatus(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	st, err := h.Service.Store.ReleaseStatus(r.Context(), r.PathValue("gtin"), r.PathValue("lot"))
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, st)
}

type recallRequest struct {
	GTIN    string `json:"gtin"`
	Lot     string `json:"lot"`
	Reason  string `json:"reason"`
	Confirm string `json:"confirm"`
}

func (h *Handler) recall(w http.ResponseWriter, r *http.Request) {
	var in recallRequest
	if !h.decode(w, r, &in) {
		return
	}
	id, err := h.Service.Recall(r.Context(), in.GTIN, in.Lot, in.Reason)
	h.answer(w, r, id, err)
}

func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request) {
	var in recallRequest
	if !h.decode(w, r, &in) {
		return
	}
	id, err := h.Service.Withdraw(r.Context(), in.GTIN, in.Reason, in.Confirm)
	h.answer(w, r, id, err)
}

func (h *Handler) decommission(undo bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in StatusChange
		if !h.decode(w, r, &in) {
			return
		}
		id, err := h.Service.Decommission(r.Context(), in, undo)
		h.answer(w, r, id, err)
	}
}

func (h *Handler) requests(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	out, err := h.Service.Store.Requests(r.Context(), r.URL.Query().Get("gtin"), r.URL.Query().Get("lot"))
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}
