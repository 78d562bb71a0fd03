package vrs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Handler is the verification API: the LMS responder for partners, the requester for admins
// and the log of both.
//
//	GET  /v1/vrs/01/{gtin}/10/{lot}/21/{serial}?exp=YYMMDD&linkType=verificationService&context=dscsaSaleableReturn
//	POST /v1/vrs/verify          {"gtin","serial","lot","expiry","context","reqGLN","corrUUID"}
//	POST /v1/vrs/ask             {"partner":"GLN", ...the same} (admin): ask a partner's responder
//	GET  /v1/vrs/requests        the log (admin: all, ?partner=GLN; a partner: its own)
type Handler struct {
	Store *Store
	// Requester asks partners (nil: /v1/vrs/ask answers unavailable).
	Requester *Requester
	// ResponderGLN is the hub's GLN in answers.
	ResponderGLN string
	Log          *slog.Logger
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// Routes registers the routes on mux behind auth.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/vrs/01/{gtin}/10/{lot}/21/{serial}", auth(http.HandlerFunc(h.verifyLink)))
	mux.Handle("POST /v1/vrs/verify", auth(http.HandlerFunc(h.verifyJSON)))
	mux.Handle("POST /v1/vrs/ask", auth(http.HandlerFunc(h.ask)))
	mux.Handle("GET /v1/vrs/requests", auth(http.HandlerFunc(h.requests)))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) verifyLink(w http.ResponseWriter, r *http.Request) {
	req := Request{GTIN: r.PathValue("gtin"), Lot: r.PathValue("lot"), Serial: r.PathValue("serial")}
	req, err := fromQuery(req, r.URL.Query())
	h.answer(w, r, req, err)
}

func (h *Handler) verifyJSON(w http.ResponseWriter, r *http.Request) {
	var req Request
	err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req)
	if err != nil {
		err = domain.Errorf(domain.CodeInvalid, "request body: %v", err)
	}
	h.answer(w, r, req, err)
}

// answer verifies req for the caller (a partner or an admin) and logs the request, answered
// or refused, before answering.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, req Request, err error) {
	start := h.now()
	p, cerr := api.Caller(r)
	if cerr != nil {
		api.WriteError(w, r, h.Log, cerr)
		return
	}
	if err == nil && p.Role != domain.RolePartner && p.Role != domain.RoleAdmin {
		err = domain.Errorf(domain.CodeForbidden, "verification needs a partner key")
	}
	if err == nil {
		req, err = req.Normalize()
	}
	var resp Response
	if err == nil {
		var pack *Pack
		if pack, err = h.Store.Pack(r.Context(), req.GTIN, req.Serial); err == nil {
			resp = Response{VerificationTimestamp: start.UTC(), ResponderGLN: h.ResponderGLN, CorrUUID: req.CorrUUID,
				Data: Decide(pack, req, start)}
		}
	}
	e := LogEntry{Direction: Inbound, KeyID: p.KeyID, PartnerGLN: p.PartnerID, Request: req,
		Responder: h.ResponderGLN, Data: resp.Data, At: start, HTTPStatus: http.StatusOK}
	if err != nil {
		e.Err = domain.ErrorMessage(err)
		e.HTTPStatus = statusOf(err)
	} else {
		v := resp.Data.Verified
		e.Verified = &v
	}
	e.Duration = h.now().Sub(start)
	// The log is part of the answer: a request that is not on record is not answered.
	if _, lerr := h.Store.Log(context.WithoutCancel(r.Context()), e); lerr != nil {
		api.WriteError(w, r, h.Log, lerr)
		return
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	h.Log.InfoContext(r.Context(), "verification answered", "partner", p.PartnerID, "gtin", req.GTIN,
		"verified", resp.Data.Verified, "reason", resp.Data.VerificationFailureReason, "info", resp.Data.AdditionalInfo)
	api.WriteJSON(w, http.StatusOK, resp)
}

// statusOf is the HTTP status WriteError gives err (for the log).
func statusOf(err error) int {
	switch domain.ErrorCode(err) {
	case domain.CodeInvalid:
		return http.StatusBadRequest
	case domain.CodeUnauthorized:
		return http.StatusUnauthorized
	case domain.CodeForbidden:
		return http.StatusForbidden
	case domain.CodeNotFound:
		return http.StatusNotFound
	case domain.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// AskBody is the body of POST /v1/vrs/ask.
type AskBody struct {
	Partner string `json:"partner"`
	Request
}

func (h *Handler) ask(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	var b AskBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&b); err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "request body: %v", err))
		return
	}
	if h.Requester == nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeUnavailable, "this hub asks no partners"))
		return
	}
	resp, err := h.Requester.AskPartner(r.Context(), h.Store, b.Partner, b.Request)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, resp)
}

func (h *Handler) requests(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	partner := r.URL.Query().Get("partner")
	switch p.Role {
	case domain.RoleAdmin:
	case domain.RolePartner:
		partner = p.PartnerID // a partner sees only its own requests
	default:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "the verification log needs an admin or partner key"))
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	out, err := h.Store.Requests(r.Context(), partner, limit)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if out == nil {
		out = []LogEntry{}
	}
	api.WriteJSON(w, http.StatusOK, out)
}
