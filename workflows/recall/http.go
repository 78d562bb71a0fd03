package recall

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Handler is the recalls API. Starting, closing and reading recalls take an admin key
// (corporate compliance); a partner's key may read its own notice.
type Handler struct {
	Service *Service
	Log     *slog.Logger
}

// Routes registers the routes on mux behind auth.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	route := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, auth(f)) }
	route("POST /v1/recalls", h.start)
	route("GET /v1/recalls", h.list)
	route("GET /v1/recalls/{id}", h.show)
	route("POST /v1/recalls/{id}/close", h.close)
	route("GET /v1/recalls/{id}/notices/{gln}", h.notice)
}

// StartResponse is the answer to a recall decision.
type StartResponse struct {
	Recall
	Created    bool   `json:"created"`
	WorkflowID string `json:"workflow_id"`
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	p, err := api.RequireAdmin(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var d Decision
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&d); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "recall decision: %v", err))
		return
	}
	rec, created, err := h.Service.Start(r.Context(), d, p.KeyID)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
	}
	api.WriteJSON(w, status, StartResponse{Recall: rec, Created: created, WorkflowID: WorkflowID(rec.ID)})
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	rs, err := h.Service.Store.List(r.Context(), Status(r.URL.Query().Get("status")), limit)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if rs == nil {
		rs = []Recall{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"recalls": rs})
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Service.Store.RecallWithTargets(r.Context(), r.PathValue("id"))
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}

func (h *Handler) close(w http.ResponseWriter, r *http.Request) {
	p, err := api.RequireAdmin(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var req CloseRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "close: %v", err))
		return
	}
	if req.Reason == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "closing a recall needs a reason"))
		return
	}
	by := req.By
	if by == "" {
		by = fmt.Sprintf("%s key %d", p.Role, p.KeyID)
	}
	rec, err := h.Service.Close(r.Context(), r.PathValue("id"), by, req.Reason)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}

// notice writes a partner's notice: ?format=csv (default) or epcis. An admin reads any; a
// partner's key only its own (another partner's answers not found, as if it did not exist).
func (h *Handler) notice(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	gln := r.PathValue("gln")
	switch {
	case p.Role == domain.RoleAdmin:
	case p.Role == domain.RolePartner && p.PartnerID == gln:
	case p.Role == domain.RolePartner:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeNotFound, "recall %s has no notice for partner %s", r.PathValue("id"), gln))
		return
	default:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "notices are for the compliance team and the partner"))
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = FormatCSV
	}
	b, err := h.Service.Store.Notice(r.Context(), r.PathValue("id"), gln, format)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ct, ext := "text/csv; charset=utf-8", "csv"
	if format == FormatEPCIS {
		ct, ext = "application/xml", "xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", NoticeObligationID(r.PathValue("id"), gln)+"."+ext))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
