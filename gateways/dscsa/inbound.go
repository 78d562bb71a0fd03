package dscsa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// InboundReceipt is the acknowledgement of a file a partner sent to the hub.
type InboundReceipt struct {
	ID          string    `json:"receipt_id"`
	PartnerGLN  string    `json:"partner_gln"`
	Transport   string    `json:"transport"`
	ContentType string    `json:"content_type"`
	Format      string    `json:"format"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Status      string    `json:"status"`
	Errors      []string  `json:"errors,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	Duplicate   bool      `json:"duplicate,omitempty"`
}

// InboundStore keeps partners' files (partner_documents, migration 0007).
type InboundStore struct{ pool *pgxpool.Pool }

// NewInboundStore returns an InboundStore on pool.
func NewInboundStore(pool *pgxpool.Pool) *InboundStore { return &InboundStore{pool: pool} }

// Save stores a partner's file; the same bytes from the same partner are the first receipt,
// marked duplicate.
func (s *InboundStore) Save(ctx context.Context, gln string, keyID int64, transport, contentType, format string, body []byte) (InboundReceipt, error) {
	sum := sha256.Sum256(body)
	rec := InboundReceipt{PartnerGLN: gln, Transport: transport, ContentType: contentType, Format: format,
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body))}
	var key *int64
	if keyID != 0 {
		key = &keyID
	}
	err := s.pool.QueryRow(ctx, q.Get("SaveInbound"), gln, key, transport, contentType, format, sum[:], len(body), body).
		Scan(&rec.ID, &rec.Status, &rec.ReceivedAt, &rec.Duplicate)
	if err != nil {
		return rec, fmt.Errorf("save partner document: %w", err)
	}
	return rec, nil
}

func scanInbound(row pgx.Row) (InboundReceipt, error) {
	var r InboundReceipt
	var errs []byte
	err := row.Scan(&r.ID, &r.PartnerGLN, &r.Transport, &r.ContentType, &r.Format, &r.SHA256, &r.Size, &r.Status, &errs, &r.ReceivedAt)
	if err == nil {
		_ = json.Unmarshal(errs, &r.Errors)
	}
	return r, err
}

// Receipt returns the receipt of a partner's file.
func (s *InboundStore) Receipt(ctx context.Context, id string) (InboundReceipt, error) {
	if !isUUID(id) {
		return InboundReceipt{}, domain.Errorf(domain.CodeNotFound, "no receipt %s", id)
	}
	r, err := scanInbound(s.pool.QueryRow(ctx, q.Get("Inbound"), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.CodeNotFound, "no receipt %s", id)
	}
	if err != nil {
		return r, fmt.Errorf("partner document %s: %w", id, err)
	}
	return r, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
			return false
		}
	}
	return true
}

// List returns the latest files, of one partner when gln is set.
func (s *InboundStore) List(ctx context.Context, gln string, limit int) ([]InboundReceipt, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("ListInbound"), gln, limit)
	if err != nil {
		return nil, fmt.Errorf("list partner documents: %w", err)
	}
	defer rows.Close()
	out := []InboundReceipt{}
	for rows.Next() {
		r, err := scanInbound(rows)
		if err != nil {
			return nil, fmt.Errorf("list partner documents: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InboundHandler is where partners send files (returns, receipts) to the hub:
//
//	POST /v1/partners/{gln}/documents       HTTPS with the partner's API key (its own GLN only)
//	POST /v1/partners/{gln}/as2             AS2, authenticated by the partner's signature
//	GET  /v1/partners/{gln}/documents       the partner's files (the partner or admin)
//	GET  /v1/partners/{gln}/documents/{id}  one receipt
//
// Files are stored before the answer, deduplicated by content. They are not ingested yet:
// intake takes documents of a site (see docs/gateways/dscsa.md, Inbound).
type InboundHandler struct {
	Store *InboundStore
	// AS2 receives AS2 messages (nil: the AS2 route answers 404).
	AS2      *as2.Receiver
	Log      *slog.Logger
	MaxBytes int64 // default 64 MiB
}

// Routes registers the routes; the AS2 route is outside auth (AS2 authenticates by signature).
func (h *InboundHandler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("POST /v1/partners/{gln}/documents", auth(http.HandlerFunc(h.upload)))
	mux.Handle("GET /v1/partners/{gln}/documents", auth(http.HandlerFunc(h.list)))
	mux.Handle("GET /v1/partners/{gln}/documents/{id}", auth(http.HandlerFunc(h.receipt)))
	mux.HandleFunc("POST /v1/partners/{gln}/as2", h.as2)
}

// partnerOf checks that the caller may act for the partner in the path: the partner's own
// key or an admin. Another partner's GLN is answered not found, as another site's objects are.
func partnerOf(r *http.Request) (domain.Principal, string, error) {
	p, err := api.Caller(r)
	if err != nil {
		return p, "", err
	}
	gln := r.PathValue("gln")
	switch {
	case p.Role == domain.RoleAdmin:
	case p.Role == domain.RolePartner && p.PartnerID == gln:
	case p.Role == domain.RolePartner:
		return p, gln, domain.Errorf(domain.CodeNotFound, "no partner %s", gln)
	default:
		return p, gln, domain.Errorf(domain.CodeForbidden, "this needs the partner's key")
	}
	if _, err := gs1.ParseGLN(gln); err != nil {
		return p, gln, domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	return p, gln, nil
}

// detect tells an EPCIS document's format, or refuses the file.
func detect(contentType string, body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", domain.Errorf(domain.CodeInvalid, "empty document")
	}
	f, err := codec.Detect(contentType, body[:min(len(body), 1<<20)])
	if err != nil {
		return "", domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	return f.String(), nil
}

func (h *InboundHandler) max() int64 {
	if h.MaxBytes > 0 {
		return h.MaxBytes
	}
	return 64 << 20
}

func (h *InboundHandler) upload(w http.ResponseWriter, r *http.Request) {
	p, gln, err := partnerOf(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.max()))
	if err != nil {
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "document larger than %d bytes or cut", h.max()))
		return
	}
	ct := r.Header.Get("Content-Type")
	format, err := detect(ct, body)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.Save(r.Context(), gln, p.KeyID, "https", ct, format, body)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	h.Log.InfoContext(r.Context(), "partner document received", "partner", gln, "receipt_id", rec.ID, "duplicate", rec.Duplicate)
	status := http.StatusAccepted
	if rec.Duplicate {
		status = http.StatusOK
	}
	api.WriteJSON(w, status, rec)
}

func (h *InboundHandler) as2(w http.ResponseWriter, r *http.Request) {
	gln := r.PathValue("gln")
	if h.AS2 == nil {
		http.NotFound(w, r)
		return
	}
	h.AS2.Serve(w, r, gln, func(ctx context.Context, m as2.Received) error {
		format, err := detect(m.ContentType, m.Body)
		if err != nil {
			return err
		}
		rec, err := h.Store.Save(ctx, gln, 0, "as2", m.ContentType, format, m.Body)
		if err != nil {
			h.Log.ErrorContext(ctx, "store partner document", "partner", gln, "err", err)
			return errors.New("not stored; send again")
		}
		h.Log.InfoContext(ctx, "partner document received", "partner", gln, "receipt_id", rec.ID, "transport", "as2", "duplicate", rec.Duplicate)
		return nil
	})
}

func (h *InboundHandler) list(w http.ResponseWriter, r *http.Request) {
	_, gln, err := partnerOf(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	out, err := h.Store.List(r.Context(), gln, limit)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *InboundHandler) receipt(w http.ResponseWriter, r *http.Request) {
	_, gln, err := partnerOf(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	rec, err := h.Store.Receipt(r.Context(), r.PathValue("id"))
	if err == nil && rec.PartnerGLN != gln {
		err = domain.Errorf(domain.CodeNotFound, "no receipt %s", r.PathValue("id"))
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}
