package sites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// ExceptionSummary is one document with open exceptions.
type ExceptionSummary struct {
	ReceiptID  string               `json:"receipt_id"`
	SiteID     string               `json:"site_id,omitempty"`
	PartnerGLN string               `json:"partner_gln,omitempty"` // a trading partner's file
	Status     domain.ReceiptStatus `json:"status"`
	Attempt    int                  `json:"attempt"`
	Open       int                  `json:"open"`
	FirstError string               `json:"first_error"`
	ReceivedAt time.Time            `json:"received_at"`
}

// Exception is one rejected event (Event nil: the document) of one attempt.
type Exception struct {
	ID       int64       `json:"id"`
	Attempt  int         `json:"attempt"`
	Event    *int        `json:"event,omitempty"`
	Line     int         `json:"line,omitempty"`
	Errors   []RuleError `json:"errors"`
	Status   string      `json:"status"`
	Reason   string      `json:"reason,omitempty"`
	ClosedBy string      `json:"closed_by,omitempty"`
	ClosedAt *time.Time  `json:"closed_at,omitempty"`
}

// ExceptionDetail is a document's receipt and every exception it ever had.
type ExceptionDetail struct {
	Receipt    domain.Receipt `json:"receipt"`
	Exceptions []Exception    `json:"exceptions"`
}

// Exceptions lists documents with open exceptions, newest first; site "" lists every site.
func (s *Store) Exceptions(ctx context.Context, site string, limit int) ([]ExceptionSummary, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("ListExceptions"), site, limit)
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExceptionSummary, error) {
		var e ExceptionSummary
		var errs []byte
		if err := r.Scan(&e.ReceiptID, &e.SiteID, &e.PartnerGLN, &e.Status, &e.Attempt, &e.Open, &errs, &e.ReceivedAt); err != nil {
			return e, err
		}
		var re []RuleError
		if json.Unmarshal(errs, &re) == nil && len(re) > 0 {
			e.FirstError = re[0].String()
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	return out, nil
}

// ExceptionsOf returns a document's receipt and all its exceptions, of every attempt.
func (s *Store) ExceptionsOf(ctx context.Context, receiptID string) (ExceptionDetail, error) {
	var d ExceptionDetail
	var err error
	if d.Receipt, err = s.Receipt(ctx, receiptID); err != nil {
		return d, err
	}
	rows, err := s.pool.Query(ctx, q.Get("ExceptionsOf"), receiptID)
	if err != nil {
		return d, fmt.Errorf("exceptions of %s: %w", receiptID, err)
	}
	d.Exceptions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Exception, error) {
		var e Exception
		var errs []byte
		if err := r.Scan(&e.ID, &e.Attempt, &e.Event, &e.Line, &errs, &e.Status, &e.Reason, &e.ClosedBy, &e.ClosedAt); err != nil {
			return e, err
		}
		return e, json.Unmarshal(errs, &e.Errors)
	})
	if err != nil {
		return d, fmt.Errorf("exceptions of %s: %w", receiptID, err)
	}
	return d, nil
}

// Reprocess opens the next processing attempt of a document with open exceptions (after the
// master data was fixed) and returns its number; its rejected events are checked again, the
// ones accepted before stay as they are.
func (s *Store) Reprocess(ctx context.Context, receiptID string) (int, error) {
	var attempt int
	err := s.pool.QueryRow(ctx, q.Get("Reprocess"), receiptID).Scan(&attempt)
	if errors.Is(err, pgx.ErrNoRows) || isInvalidUUID(err) {
		return 0, domain.Errorf(domain.CodeConflict, "document %s has no open exceptions or is still being processed", receiptID)
	}
	if err != nil {
		return 0, fmt.Errorf("reprocess %s: %w", receiptID, err)
	}
	return attempt, nil
}

// Dismiss closes a document's open exceptions with a reason; they stay listed by ExceptionsOf.
func (s *Store) Dismiss(ctx context.Context, receiptID, reason, by string) (int, error) {
	if strings.TrimSpace(reason) == "" {
		return 0, domain.Errorf(domain.CodeInvalid, "dismissing needs a reason")
	}
	tag, err := s.pool.Exec(ctx, q.Get("Dismiss"), receiptID, reason, by)
	if err != nil {
		return 0, fmt.Errorf("dismiss %s: %w", receiptID, err)
	}
	if tag.RowsAffected() == 0 {
		return 0, domain.Errorf(domain.CodeConflict, "document %s has no open exceptions", receiptID)
	}
	return int(tag.RowsAffected()), nil
}

// AttemptStarter starts a processing attempt of a document (ingest.Starter).
type AttemptStarter interface {
	StartAttempt(ctx context.Context, receiptID string, attempt int) error
}

// DismissRequest is the body of a dismissal.
type DismissRequest struct {
	Reason string `json:"reason"`
}

// ReprocessResponse answers a reprocessing request.
type ReprocessResponse struct {
	ReceiptID string `json:"receipt_id"`
	Attempt   int    `json:"attempt"`
}

// exceptionRoutes mounts the exception queue.
func (h *Handler) exceptionRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /v1/exceptions", auth(http.HandlerFunc(h.listExceptions)))
	mux.Handle("GET /v1/exceptions/{id}", auth(http.HandlerFunc(h.showExceptions)))
	mux.Handle("POST /v1/exceptions/{id}/reprocess", auth(http.HandlerFunc(h.reprocess)))
	mux.Handle("POST /v1/exceptions/{id}/dismiss", auth(http.HandlerFunc(h.dismiss)))
}

func (h *Handler) listExceptions(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	site := r.URL.Query().Get("site")
	switch p.Role {
	case domain.RoleAdmin:
	case domain.RoleSite:
		if site != "" && site != p.SiteID {
			api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "this key may not read site %q", site))
			return
		}
		site = p.SiteID
	default:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "the exception queue is for sites and admins"))
		return
	}
	list, err := h.Store.Exceptions(r.Context(), site, 100)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	if list == nil {
		list = []ExceptionSummary{}
	}
	api.WriteJSON(w, http.StatusOK, list)
}

// ownDocument checks the caller may see the document; another site's answers not found.
func (h *Handler) ownDocument(r *http.Request) (domain.Principal, domain.Receipt, error) {
	p, err := api.Caller(r)
	if err != nil {
		return p, domain.Receipt{}, err
	}
	rec, err := h.Store.Receipt(r.Context(), r.PathValue("id"))
	if err == nil && !p.CanActForSite(rec.SiteID) {
		err = domain.Errorf(domain.CodeNotFound, "no receipt %s", r.PathValue("id"))
	}
	return p, rec, err
}

func (h *Handler) showExceptions(w http.ResponseWriter, r *http.Request) {
	_, rec, err := h.ownDocument(r)
	var d ExceptionDetail
	if err == nil {
		d, err = h.Store.ExceptionsOf(r.Context(), rec.ID)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, d)
}

func (h *Handler) reprocess(w http.ResponseWriter, r *http.Request) {
	_, rec, err := h.ownDocument(r)
	var attempt int
	if err == nil {
		attempt, err = h.Store.Reprocess(r.Context(), rec.ID)
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	// The attempt is recorded; should the start fail, the pending sweep starts it.
	if st, ok := h.Starter.(AttemptStarter); ok {
		if err := st.StartAttempt(r.Context(), rec.ID, attempt); err != nil {
			h.Log.WarnContext(r.Context(), "start reprocessing failed; the pending sweep will retry", "receipt_id", rec.ID, "err", err)
		}
	}
	api.WriteJSON(w, http.StatusAccepted, ReprocessResponse{ReceiptID: rec.ID, Attempt: attempt})
}

func (h *Handler) dismiss(w http.ResponseWriter, r *http.Request) {
	p, rec, err := h.ownDocument(r)
	var req DismissRequest
	if err == nil {
		if derr := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); derr != nil {
			err = domain.Errorf(domain.CodeInvalid, "dismissal JSON: %v", derr)
		}
	}
	var n int
	if err == nil {
		n, err = h.Store.Dismiss(r.Context(), rec.ID, req.Reason, fmt.Sprintf("%s key %d", p.Role, p.KeyID))
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"receipt_id": rec.ID, "dismissed": n})
}
