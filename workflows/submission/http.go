package submission

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// ViewStore is what the API needs of the system of record (gateways.Store).
type ViewStore interface {
	ListSubmissions(ctx context.Context, f gateways.Filter) ([]gateways.Submission, error)
	Submission(ctx context.Context, id string) (gateways.Submission, error)
	PayloadByStage(ctx context.Context, obligationID, stage string) (gateways.Payload, error)
	Payload(ctx context.Context, obligationID string, id int64) (gateways.Payload, error)
	SetStatus(ctx context.Context, id string, st gateways.Status, lastErr string, reopen bool) error
	DeletePayloads(ctx context.Context, obligationID string) error
}

// Control acts on submission workflows (Starter).
type Control interface {
	Start(ctx context.Context, obligationID, gateway string) error
	Cancel(ctx context.Context, obligationID string) error
	Acknowledge(ctx context.Context, obligationID string, ack Ack) error
}

// Handler is the REST API of submissions. Admins see and act on everything; a partner key
// sees only the submissions addressed to its GLN and may acknowledge them.
type Handler struct {
	Store   ViewStore
	Control Control
	Log     *slog.Logger
}

// Routes registers the routes on mux behind auth.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/submissions", auth(http.HandlerFunc(h.list)))
	mux.Handle("GET /v1/submissions/{id}", auth(http.HandlerFunc(h.show)))
	mux.Handle("GET /v1/submissions/{id}/payload", auth(http.HandlerFunc(h.payload)))
	mux.Handle("POST /v1/submissions/{id}/retry", auth(http.HandlerFunc(h.retry)))
	mux.Handle("POST /v1/submissions/{id}/cancel", auth(http.HandlerFunc(h.cancel)))
	mux.Handle("POST /v1/submissions/{id}/ack", auth(http.HandlerFunc(h.ack)))
}

// visible returns the submission if the caller may see it; another partner's is not found.
func (h *Handler) visible(r *http.Request) (gateways.Submission, domain.Principal, error) {
	p, err := api.Caller(r)
	if err != nil {
		return gateways.Submission{}, p, err
	}
	id := r.PathValue("id")
	sub, err := h.Store.Submission(r.Context(), id)
	if err != nil {
		return sub, p, err
	}
	switch {
	case p.Role == domain.RoleAdmin:
	case p.Role == domain.RolePartner && p.PartnerID == sub.PartnerGLN:
	default:
		return sub, p, domain.Errorf(domain.CodeNotFound, "submission %s does not exist", id)
	}
	return sub, p, nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	qv := r.URL.Query()
	f := gateways.Filter{Status: gateways.Status(qv.Get("status")), PartnerGLN: qv.Get("partner"), Gateway: qv.Get("gateway")}
	if v := qv.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit <= 0 {
			api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "limit must be a positive number"))
			return
		}
	}
	switch p.Role {
	case domain.RoleAdmin:
	case domain.RolePartner:
		f.PartnerGLN = p.PartnerID
	default:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "submissions are for admins and partners"))
		return
	}
	subs, err := h.Store.ListSubmissions(r.Context(), f)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if subs == nil {
		subs = []gateways.Submission{}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"submissions": subs})
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	sub, _, err := h.visible(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, sub)
}

// payload writes the exact bytes sent (the signed payload; ?stage=built for the unsigned).
func (h *Handler) payload(w http.ResponseWriter, r *http.Request) {
	sub, _, err := h.visible(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	stage := r.URL.Query().Get("stage")
	var p gateways.Payload
	switch stage {
	case "", gateways.StageSigned:
		p, err = h.Store.PayloadByStage(r.Context(), sub.ID, gateways.StageSigned)
	case gateways.StageBuilt:
		p, err = h.Store.PayloadByStage(r.Context(), sub.ID, gateways.StageBuilt)
	default:
		err = domain.Errorf(domain.CodeInvalid, "stage must be built or signed")
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+p.Filename+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(p.Body)))
	_, _ = w.Write(p.Body)
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	sub, _, err := h.visible(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ctx := r.Context()
	switch sub.Status {
	case gateways.StatusAccepted:
		err = domain.Errorf(domain.CodeConflict, "submission %s was accepted; nothing to retry", sub.ID)
	case gateways.StatusRejected, gateways.StatusFailed, gateways.StatusCancelled:
		// After a rejection the data may have been corrected: build the file again.
		if sub.Status == gateways.StatusRejected {
			err = h.Store.DeletePayloads(ctx, sub.ID)
		}
		if err == nil {
			err = h.Store.SetStatus(ctx, sub.ID, gateways.StatusPending, "", true)
		}
		if err == nil {
			err = h.Control.Start(ctx, sub.ID, sub.Gateway)
		}
	default:
		// Not final: running, or never started (a start that was lost). Starting is a no-op
		// for a running workflow.
		err = h.Control.Start(ctx, sub.ID, sub.Gateway)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	h.Log.InfoContext(ctx, "submission retried", "workflow_id", WorkflowID(sub.ID))
	sub, _ = h.Store.Submission(ctx, sub.ID)
	api.WriteJSON(w, http.StatusAccepted, sub)
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	sub, _, err := h.visible(r)
	if err == nil && sub.Status.Final() {
		err = domain.Errorf(domain.CodeConflict, "submission %s is %s already", sub.ID, sub.Status)
	}
	if err == nil {
		err = h.Control.Cancel(r.Context(), sub.ID)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	h.Log.InfoContext(r.Context(), "submission cancel requested", "workflow_id", WorkflowID(sub.ID))
	api.WriteJSON(w, http.StatusAccepted, map[string]string{"id": sub.ID, "status": "cancelling"})
}

// ack receives a receiver's acknowledgement: {"outcome":"accepted"|"rejected","reasons":[...],"ref":"..."}.
func (h *Handler) ack(w http.ResponseWriter, r *http.Request) {
	sub, _, err := h.visible(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var a Ack
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&a); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "acknowledgement: %v", err))
		return
	}
	if a.Outcome != gateways.Accepted && a.Outcome != gateways.Rejected {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "outcome must be accepted or rejected"))
		return
	}
	if err := h.Control.Acknowledge(r.Context(), sub.ID, a); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"id": sub.ID, "status": "acknowledged"})
}
