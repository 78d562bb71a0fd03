package alerts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Investigations starts investigations (Starter).
type Investigations interface {
	Start(ctx context.Context, alertID string) error
}

// Handler is the alert intake (the EU Hub's notifications) and the compliance team's API.
type Handler struct {
	Store   *Store
	Starter Investigations
	Log     *slog.Logger
	// HubPartner is the partner id of the EU Hub's API key (default euhub.HubGLN).
	HubPartner string
}

// Routes registers the routes on mux behind auth.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/euhub/alerts", auth(http.HandlerFunc(h.intake)))
	mux.Handle("GET /v1/alerts", auth(http.HandlerFunc(h.list)))
	mux.Handle("GET /v1/alerts/{id}", auth(http.HandlerFunc(h.show)))
	mux.Handle("POST /v1/alerts/{id}/close", auth(http.HandlerFunc(h.close)))
}

func (h *Handler) intake(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	hub := h.HubPartner
	if hub == "" {
		hub = euhub.HubGLN
	}
	if p.Role != domain.RoleAdmin && !(p.Role == domain.RolePartner && p.PartnerID == hub) {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "alerts come from the EU Hub's key"))
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "read: %v", err))
		return
	}
	env, err := euhub.Unmarshal(b)
	if err != nil || env.Body.Alert == nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "want a SOAP AlertNotification: %v", err))
		return
	}
	a := env.Body.Alert
	if a.AlertID == "" || a.Code == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "AlertId and Code are required"))
		return
	}
	if a.Raised.IsZero() {
		a.Raised = time.Now()
	}
	if err := (&Intake{Store: h.Store, Starter: h.Starter, Log: h.Log}).Raised(r.Context(), []euhub.AlertNotification{*a}); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	out, _ := euhub.Marshal(nil, euhub.AlertReceipt{XMLName: xml.Name{Space: euhub.NS, Local: "AlertReceipt"}, AlertID: a.AlertID})
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	w.Write(out) //nolint:errcheck // the client went away
}

// Intake stores alerts once and starts their investigations: the alerts pharmacies raise
// (through the intake route) and the ones the hub raises on our own operations (the EU Hub
// adapter's AlertSink).
type Intake struct {
	Store   *Store
	Starter Investigations
	Log     *slog.Logger
}

var _ euhub.AlertSink = (*Intake)(nil)

// Raised implements euhub.AlertSink.
func (in *Intake) Raised(ctx context.Context, list []euhub.AlertNotification) error {
	for _, a := range list {
		if a.Raised.IsZero() {
			a.Raised = time.Now()
		}
		created, err := in.Store.Insert(ctx, Record{ID: a.AlertID, Code: a.Code, RaisedAt: a.Raised, Market: a.Market,
			GTIN: a.Product.Code, Lot: a.Batch, Expiry: a.Expiry, Serial: a.Serial, Text: a.Text})
		if err != nil {
			return err
		}
		// Started on every delivery: a start lost after the insert is made good by the repeat.
		if err := in.Starter.Start(ctx, a.AlertID); err != nil {
			return err
		}
		if created && in.Log != nil {
			in.Log.InfoContext(ctx, "EU Hub alert received", "alert_id", a.AlertID, "code", a.Code, "gtin", a.Product.Code, "lot", a.Batch)
		}
	}
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	qv := r.URL.Query()
	limit, _ := strconv.Atoi(qv.Get("limit"))
	out, err := h.Store.List(r.Context(), Filter{Code: qv.Get("code"), Status: qv.Get("status"), GTIN: qv.Get("gtin"),
		Cause: qv.Get("cause"), Lot: qv.Get("lot"), Limit: limit})
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if qv.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		WriteCSV(w, out) //nolint:errcheck // the client went away
		return
	}
	if out == nil {
		out = []Record{}
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// WriteCSV writes alerts as CSV with a header row.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "code", "raised_at", "market", "gtin", "lot", "expiry", "serial", "status", "cause", "action", "closed_reason", "closed_at"})
	for _, r := range recs {
		closed := ""
		if r.ClosedAt != nil {
			closed = r.ClosedAt.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{r.ID, r.Code, r.RaisedAt.UTC().Format(time.RFC3339), r.Market, r.GTIN, r.Lot, r.Expiry, r.Serial,
			r.Status, r.Cause, r.Action, r.ClosedReason, closed})
	}
	cw.Flush()
	return cw.Error()
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}

// CloseRequest is the compliance team's closing of an alert.
type CloseRequest struct {
	Reason string `json:"reason"`
}

func (h *Handler) close(w http.ResponseWriter, r *http.Request) {
	p, err := api.RequireAdmin(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var in CloseRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || strings.TrimSpace(in.Reason) == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "closing an alert needs a reason"))
		return
	}
	id := r.PathValue("id")
	if err := h.Store.Close(r.Context(), id, in.Reason, "key "+strconv.FormatInt(p.KeyID, 10)); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.Get(r.Context(), id)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}
