package sites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
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
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	site := r.PathValue("site")
	if !p.CanActForSite(site) {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "this key may not upload for site %q", site))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "document larger than %d bytes", h.MaxBytes))
			return
		}
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "read body: %v", err))
		return
	}
	format, err := sniffFormat(r.Header.Get("Content-Type"), body)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.SaveDocument(r.Context(), Upload{SiteID: site, ContentType: r.Header.Get("Content-Type"),
		Format: format, Body: body})
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	log := h.Log.With("site", site, "receipt_id", rec.ID)
	if rec.Duplicate {
		log.InfoContext(r.Context(), "duplicate upload", "status", rec.Status)
		api.WriteJSON(w, http.StatusOK, rec)
		return
	}
	// The document is durable now. If starting the workflow fails, the worker's sweep of
	// pending documents starts it later; the site still gets its acknowledgement.
	if err := h.Starter.StartIngest(r.Context(), rec.ID); err != nil {
		log.WarnContext(r.Context(), "start ingest failed; the pending sweep will retry", "err", err)
	}
	log.InfoContext(r.Context(), "document received", "bytes", rec.Size, "format", format)
	api.WriteJSON(w, http.StatusAccepted, rec)
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

// sniffFormat decides a document's binding from its content type and first bytes.
func sniffFormat(contentType string, body []byte) (string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	head := bytes.TrimSpace(body[:min(len(body), 4096)])
	switch {
	case len(head) == 0:
		return "", domain.Errorf(domain.CodeInvalid, "empty document")
	case head[0] == '{' || mt == "application/ld+json" || mt == "application/json":
		if head[0] != '{' {
			return "", domain.Errorf(domain.CodeInvalid, "content type %s but the body is not a JSON object", mt)
		}
		return FormatJSON20, nil
	case head[0] == '<':
		if bytes.Contains(head, []byte("urn:epcglobal:epcis:xsd:2")) {
			return FormatXML20, nil
		}
		if bytes.Contains(head, []byte("urn:epcglobal:epcis:xsd:1")) {
			return FormatXML12, nil
		}
		return "", domain.Errorf(domain.CodeInvalid, "XML document without an EPCIS 1.2 or 2.0 namespace in its first 4 KiB")
	}
	return "", domain.Errorf(domain.CodeInvalid, "not an EPCIS document (content type %q)", contentType)
}
