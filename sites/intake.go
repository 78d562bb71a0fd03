package sites

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Capture error behaviours (EPCIS 2.0 capture interface, GS1-Capture-Error-Behaviour).
const (
	ModeRollback = "rollback" // one bad event rejects the whole document (the default)
	ModeProceed  = "proceed"  // the good events are accepted, the bad ones go to the exception queue
)

// ValidMode reports whether m is a capture error behaviour.
func ValidMode(m string) bool { return m == ModeRollback || m == ModeProceed }

// partSize is the size of one stored part of a document body: large enough for few rows,
// small enough that a reader holds little.
const partSize = 4 << 20

// UploadMeta describes an upload whose body is streamed to SaveUpload. Exactly one of SiteID
// and PartnerGLN names its owner.
type UploadMeta struct {
	SiteID      string
	PartnerGLN  string // a trading partner's file (partner.go)
	Transport   string // partners: https, capture or as2
	KeyID       int64  // partners: the API key that sent it (0: none, as over AS2)
	ContentType string
	Format      string
	DocumentID  string // SBDH InstanceIdentifier, when the header says
	ErrorMode   string // "" takes the site's default
}

// SaveUpload streams body into PostgreSQL in parts of a few MiB, inside one transaction
// committed only when the whole body is stored, and returns the receipt. The same bytes, or
// the same document id, from the same site (or partner) return the first receipt with
// Duplicate set.
func (s *Store) SaveUpload(ctx context.Context, u UploadMeta, body io.Reader) (domain.Receipt, error) {
	if u.ErrorMode != "" && !ValidMode(u.ErrorMode) {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "capture error behaviour %q: want rollback or proceed", u.ErrorMode)
	}
	if (u.SiteID == "") == (u.PartnerGLN == "") {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "a document belongs to one site or one partner")
	}
	id, err := newUUID()
	if err != nil {
		return domain.Receipt{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return domain.Receipt{}, fmt.Errorf("save upload: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	src := &partSource{r: body, id: id, h: sha256.New(), buf: make([]byte, partSize)}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"document_parts"}, []string{"receipt_id", "part", "data"}, src); err != nil {
		if src.err != nil {
			err = src.err // the body's error says more (too large, client gone)
		}
		return domain.Receipt{}, fmt.Errorf("save upload: %w", err)
	}
	if src.size == 0 {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "empty document")
	}
	sum := src.h.Sum(nil)
	var got string
	insert, earlier, owner := q.Get("InsertUpload"), q.Get("ReceiptBySHAOrDocumentID"), u.SiteID
	args := []any{id, owner, u.ContentType, u.Format, sum, u.DocumentID, src.size, src.parts, u.ErrorMode}
	if u.PartnerGLN != "" {
		insert, earlier, owner = q.Get("InsertPartnerUpload"), q.Get("PartnerReceiptBySHAOrDocumentID"), u.PartnerGLN
		args[1] = owner
		args = append(args, u.Transport, u.KeyID)
	}
	err = tx.QueryRow(ctx, insert, args...).Scan(&got)
	duplicate := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !duplicate {
		return domain.Receipt{}, storeErr(err, u.SiteID)
	}
	if duplicate {
		_ = tx.Rollback(ctx) // drop the parts
		if err := s.pool.QueryRow(ctx, earlier, owner, sum, u.DocumentID).Scan(&got); err != nil {
			return domain.Receipt{}, fmt.Errorf("save upload: find the earlier receipt: %w", err)
		}
	} else if err := tx.Commit(ctx); err != nil {
		return domain.Receipt{}, storeErr(err, u.SiteID)
	}
	r, err := s.Receipt(ctx, got)
	r.Duplicate = duplicate
	return r, err
}

func storeErr(err error, site string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return domain.Errorf(domain.CodeNotFound, "site %q does not exist", site)
	}
	return fmt.Errorf("save upload: %w", err)
}

// newUUID returns a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// partSource feeds COPY with parts of the body as they arrive, hashing them on the way.
type partSource struct {
	r     io.Reader
	id    string
	h     hash.Hash
	buf   []byte
	n     int
	parts int
	size  int64
	err   error
}

func (p *partSource) Next() bool {
	n, err := io.ReadFull(p.r, p.buf)
	if n > 0 {
		p.n = n
		p.h.Write(p.buf[:n])
		p.size += int64(n)
		p.parts++
		if err == io.ErrUnexpectedEOF {
			err = nil
		}
	}
	if err != nil && err != io.EOF {
		p.err = err
		return false
	}
	return n > 0
}

func (p *partSource) Values() ([]any, error) { return []any{p.id, p.parts - 1, p.buf[:p.n]}, nil }

func (p *partSource) Err() error { return p.err }

// SetSiteErrorMode sets a site's default capture error behaviour.
func (s *Store) SetSiteErrorMode(ctx context.Context, site, mode string) error {
	if !ValidMode(mode) {
		return domain.Errorf(domain.CodeInvalid, "capture error behaviour %q: want rollback or proceed", mode)
	}
	if _, err := s.pool.Exec(ctx, q.Get("SetSiteErrorMode"), site, mode); err != nil {
		return storeErr(err, site)
	}
	return nil
}

// OpenDocument returns a stored document's metadata and a reader of its body, which fetches
// the body one part at a time.
func (s *Store) OpenDocument(ctx context.Context, id string) (Document, io.Reader, error) {
	var d Document
	var status string
	var parts int
	var body []byte
	err := s.pool.QueryRow(ctx, q.Get("OpenDocument"), id).Scan(&d.SiteID, &d.PartnerGLN, &d.Format, &status, &d.ErrorMode,
		&d.Attempt, &d.CheckedAttempt, &d.ChunksDone, &d.appliedBefore, &parts, &body)
	if errors.Is(err, pgx.ErrNoRows) || isInvalidUUID(err) {
		return d, nil, domain.Errorf(domain.CodeNotFound, "no document %s", id)
	}
	if err != nil {
		return d, nil, fmt.Errorf("open document %s: %w", id, err)
	}
	d.Status = domain.ReceiptStatus(status)
	if parts == 0 {
		return d, bytes.NewReader(body), nil
	}
	return d, &partReader{ctx: ctx, s: s, id: id, parts: parts}, nil
}

// partReader reads a body stored in parts.
type partReader struct {
	ctx   context.Context
	s     *Store
	id    string
	parts int
	next  int
	cur   []byte
}

func (r *partReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.next >= r.parts {
			return 0, io.EOF
		}
		if err := r.s.pool.QueryRow(r.ctx, q.Get("DocumentPart"), r.id, r.next).Scan(&r.cur); err != nil {
			return 0, fmt.Errorf("read part %d of document %s: %w", r.next, r.id, err)
		}
		r.next++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
