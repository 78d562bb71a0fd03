package dscsa

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/sites"
)

// InboundHandler is where trading partners send their files (receipts, returns) to the hub,
// over the transports the hub delivers by:
//
//	POST /v1/partners/{gln}/documents       HTTPS with the partner's API key (its own GLN only)
//	POST /v1/partners/{gln}/capture         EPCIS 2.0 capture: 202 and the capture job's Location
//	GET  /v1/partners/{gln}/capture/{id}    the capture job (running, success, errors)
//	POST /v1/partners/{gln}/as2             AS2, authenticated by the partner's signature
//	GET  /v1/partners/{gln}/documents       the partner's receipts (the partner or admin)
//	GET  /v1/partners/{gln}/documents/{id}  one receipt
//
// Every file goes through the same intake as a site's upload (sites.Intake): stored before
// the answer, deduplicated by hash or SBDH document id, then checked by the rules (the partner
// rules among them) and applied by the ingest workflow. A receipt is the partner's own.
type InboundHandler struct {
	Intake *sites.Intake
	// AS2 receives AS2 messages (nil: the AS2 route answers 404).
	AS2      *as2.Receiver
	Log      *slog.Logger
	MaxBytes int64 // default 64 MiB
}

// Routes registers the routes; the AS2 route is outside auth (AS2 authenticates by signature).
func (h *InboundHandler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/partners/{gln}/documents", auth(http.HandlerFunc(h.upload)))
	mux.Handle("POST /v1/partners/{gln}/capture", auth(http.HandlerFunc(h.capture)))
	mux.Handle("GET /v1/partners/{gln}/capture/{id}", auth(http.HandlerFunc(h.captureJob)))
	mux.Handle("GET /v1/partners/{gln}/documents", auth(http.HandlerFunc(h.list)))
	mux.Handle("GET /v1/partners/{gln}/documents/{id}", auth(http.HandlerFunc(h.receipt)))
	mux.HandleFunc("POST /v1/partners/{gln}/as2", h.as2)
}

func (h *InboundHandler) max() int64 {
	if h.MaxBytes > 0 {
		return h.MaxBytes
	}
	return 64 << 20
}

// take stores a file the caller sent for the partner in the path.
func (h *InboundHandler) take(w http.ResponseWriter, r *http.Request, transport string) (domain.Receipt, error) {
	p, gln, err := api.ForPartner(r)
	if err != nil {
		return domain.Receipt{}, err
	}
	if _, err := gs1.ParseGLN(gln); err != nil {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	mode, err := sites.ErrorMode(r)
	if err != nil {
		return domain.Receipt{}, err
	}
	rec, err := h.Intake.Take(r.Context(), sites.UploadMeta{PartnerGLN: gln, Transport: transport, KeyID: p.KeyID,
		ContentType: r.Header.Get("Content-Type"), ErrorMode: mode}, http.MaxBytesReader(w, r.Body, h.max()))
	return rec, sites.BodyErr(err, h.max())
}

func (h *InboundHandler) upload(w http.ResponseWriter, r *http.Request) {
	rec, err := h.take(w, r, TransportHTTPS)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	status := http.StatusAccepted
	if rec.Duplicate {
		status = http.StatusOK
	}
	api.WriteJSON(w, status, rec)
}

// capture is the EPCIS 2.0 capture interface: the answer is 202 with the capture job, whose
// id is the receipt id (a repeated file: the first one's job).
func (h *InboundHandler) capture(w http.ResponseWriter, r *http.Request) {
	rec, err := h.take(w, r, TransportCapture)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	w.Header().Set("Location", "/v1/partners/"+rec.PartnerGLN+"/capture/"+rec.ID)
	api.WriteJSON(w, http.StatusAccepted, map[string]any{"captureID": rec.ID, "duplicate": rec.Duplicate})
}

// captureJob shows a capture job: running until the file is processed or rejected; success
// when it was processed without errors.
func (h *InboundHandler) captureJob(w http.ResponseWriter, r *http.Request) {
	rec, err := h.ownReceipt(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	running := rec.Status == domain.StatusReceived || rec.Status == domain.StatusProcessing
	api.WriteJSON(w, http.StatusOK, CaptureJob{CaptureID: rec.ID, CreatedAt: rec.ReceivedAt.UTC().Format(time.RFC3339),
		Running: running, Success: rec.Status == domain.StatusProcessed && len(rec.Errors) == 0,
		CaptureErrorBehaviour: rec.ErrorMode, Errors: rec.Errors})
}

func (h *InboundHandler) as2(w http.ResponseWriter, r *http.Request) {
	gln := r.PathValue("gln")
	if h.AS2 == nil {
		http.NotFound(w, r)
		return
	}
	h.AS2.Serve(w, r, gln, func(ctx context.Context, m as2.Received) error {
		_, err := h.Intake.Take(ctx, sites.UploadMeta{PartnerGLN: gln, Transport: TransportAS2, ContentType: m.ContentType},
			bytes.NewReader(m.Body))
		switch {
		case err == nil:
			return nil
		case domain.ErrorCode(err) == domain.CodeInvalid:
			return errors.New(domain.ErrorMessage(err)) // the MDN says what is wrong with the file
		}
		h.Log.ErrorContext(ctx, "store partner document", "partner", gln, "transport", TransportAS2, "err", err)
		return errors.New("not stored; send again")
	})
}

func (h *InboundHandler) list(w http.ResponseWriter, r *http.Request) {
	_, gln, err := api.ForPartner(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	out, err := h.Intake.Store.PartnerReceipts(r.Context(), gln, limit)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// ownReceipt reads the receipt in the path if it is the path's partner's and the caller may
// act for that partner; anything else is answered not found.
func (h *InboundHandler) ownReceipt(r *http.Request) (domain.Receipt, error) {
	_, gln, err := api.ForPartner(r)
	if err != nil {
		return domain.Receipt{}, err
	}
	rec, err := h.Intake.Store.Receipt(r.Context(), r.PathValue("id"))
	if err == nil && rec.PartnerGLN != gln {
		err = domain.Errorf(domain.CodeNotFound, "no receipt %s", r.PathValue("id"))
	}
	return rec, err
}

func (h *InboundHandler) receipt(w http.ResponseWriter, r *http.Request) {
	rec, err := h.ownReceipt(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}
