package sites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
)

// IngestStarter starts the processing of a stored document. Starting twice for the same
// receipt must be harmless.
type IngestStarter interface {
	StartIngest(ctx context.Context, receiptID string) error
}

// Handler serves the intake API.
type Handler struct {
	Store    *Store
	Starter  IngestStarter
	Log      *slog.Logger
	MaxBytes int64 // largest accepted document
}

// Routes mounts the intake API on mux; auth wraps every route.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/sites", auth(http.HandlerFunc(h.upsertSite)))
	mux.Handle("POST /v1/sites/{site}/keys", auth(http.HandlerFunc(h.createKey)))
	mux.Handle("POST /v1/sites/{site}/documents", auth(http.HandlerFunc(h.upload)))
	mux.Handle("GET /v1/receipts/{id}", auth(http.HandlerFunc(h.receipt)))
	mux.Handle("PUT /v1/sites/{site}/intake-settings", auth(http.HandlerFunc(h.intakeSettings)))
	h.exceptionRoutes(mux, auth)
}

func (h *Handler) upsertSite(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var s domain.Site
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&s); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "site JSON: %v", err))
		return
	}
	if s.ID == "" || s.Name == "" {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "site needs id and name"))
		return
	}
	out, err := h.Store.UpsertSite(r.Context(), s)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// KeyResponse carries a new API key's token, shown only once.
type KeyResponse struct {
	SiteID string `json:"site_id"`
	Token  string `json:"token"`
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	site := r.PathValue("site")
	token, err := h.Store.CreateKey(r.Context(), domain.RoleSite, site, "created via API")
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, KeyResponse{SiteID: site, Token: token})
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	_, site, err := api.ForSite(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	mode, err := ErrorMode(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	// The body streams into PostgreSQL; only its head is held, to tell the format and read
	// the SBDH document id. The same intake takes partners' files (partner.go).
	in := &Intake{Store: h.Store, Starter: h.Starter, Log: h.Log}
	rec, err := in.Take(r.Context(), UploadMeta{SiteID: site, ContentType: r.Header.Get("Content-Type"), ErrorMode: mode},
		http.MaxBytesReader(w, r.Body, h.MaxBytes))
	if err != nil {
		api.WriteError(w, r, h.Log, BodyErr(err, h.MaxBytes))
		return
	}
	status := http.StatusAccepted
	if rec.Duplicate {
		status = http.StatusOK
	}
	api.WriteJSON(w, status, rec)
}

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.Receipt(r.Context(), r.PathValue("id"))
	if err == nil && !p.CanActForSite(rec.SiteID) {
		// Another site's receipt is answered like a missing one, so ids cannot be probed.
		err = domain.Errorf(domain.CodeNotFound, "no receipt %s", r.PathValue("id"))
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}

// Format names of stored documents.
const (
	FormatXML12  = "1.2-xml"
	FormatXML20  = "2.0-xml"
	FormatJSON20 = "2.0-json"
)

// headBytes is how much of a body is held to tell its format and read its header.
const headBytes = 1 << 20

// BodyErr turns a failure to read a body limited by http.MaxBytesReader into a domain error.
func BodyErr(err error, maxBytes int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return domain.Errorf(domain.CodeInvalid, "document larger than %d bytes", maxBytes)
	}
	return err
}

// ErrorMode reads the capture error behaviour an upload asks for: the EPCIS 2.0 header
// GS1-Capture-Error-Behaviour or the query parameter errors=; "" leaves it to the site.
func ErrorMode(r *http.Request) (string, error) {
	m := r.Header.Get("GS1-Capture-Error-Behaviour")
	if v := r.URL.Query().Get("errors"); v != "" {
		m = v
	}
	if m != "" && !ValidMode(m) {
		return "", domain.Errorf(domain.CodeInvalid, "capture error behaviour %q: want rollback or proceed", m)
	}
	return m, nil
}

// documentID reads the SBDH InstanceIdentifier from the head of a document, when the header
// lies within it. A head that does not decode has no id; the ingest reports what is wrong.
func documentID(head []byte, f codec.Format) string {
	dec, err := codec.NewDecoder(bytes.NewReader(head), f, epcis.DefaultLimits)
	if err != nil {
		return ""
	}
	doc, err := dec.Document()
	if err != nil || doc == nil || doc.Header == nil {
		return ""
	}
	id := strings.TrimSpace(doc.Header.InstanceIdentifier)
	if len(id) > 200 {
		return ""
	}
	return id
}

// IntakeSettings are a site's intake settings.
type IntakeSettings struct {
	ErrorMode string `json:"error_mode"` // rollback or proceed
}

func (h *Handler) intakeSettings(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var in IntakeSettings
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "intake settings JSON: %v", err))
		return
	}
	if err := h.Store.SetSiteErrorMode(r.Context(), r.PathValue("site"), in.ErrorMode); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, in)
}
