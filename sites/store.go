package sites

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store is the PostgreSQL side of sites: keys, uploaded documents and the serial lifecycle.
// It alone turns driver errors into domain errors.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// UpsertSite creates or updates a site.
func (s *Store) UpsertSite(ctx context.Context, site domain.Site) (domain.Site, error) {
	var out domain.Site
	err := s.pool.QueryRow(ctx, q.Get("UpsertSite"), site.ID, site.Name, site.GLN, site.Country).
		Scan(&out.ID, &out.Name, &out.GLN, &out.Country, &out.CreatedAt)
	if err != nil {
		return out, fmt.Errorf("upsert site %s: %w", site.ID, err)
	}
	return out, nil
}

// NewToken returns a fresh random API token.
func NewToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "shk_" + base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateKey stores a new API key for the role (and site) and returns its token, which is
// shown once and never stored.
func (s *Store) CreateKey(ctx context.Context, role domain.Role, siteID, label string) (string, error) {
	token := NewToken()
	if err := s.EnsureKey(ctx, token, role, siteID, label); err != nil {
		return "", err
	}
	return token, nil
}

// EnsureKey stores the key for token unless it exists (bootstrap of the local admin key).
func (s *Store) EnsureKey(ctx context.Context, token string, role domain.Role, siteID, label string) error {
	var id int64
	err := s.pool.QueryRow(ctx, q.Get("InsertKey"), hashToken(token), string(role), siteID, "", label).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return domain.Errorf(domain.CodeNotFound, "site %q does not exist", siteID)
		}
		return fmt.Errorf("store key: %w", err)
	}
	return nil
}

// Authenticate resolves a token to its principal.
func (s *Store) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	var p domain.Principal
	var role string
	err := s.pool.QueryRow(ctx, q.Get("Authenticate"), hashToken(token)).Scan(&p.KeyID, &role, &p.SiteID, &p.PartnerID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.CodeUnauthorized, "unknown or revoked API key")
	}
	if err != nil {
		return p, fmt.Errorf("authenticate: %w", err)
	}
	p.Role = domain.Role(role)
	return p, nil
}

// Upload is a document as received, before it is stored.
type Upload struct {
	SiteID      string
	ContentType string
	Format      string
	DocumentID  string
	Body        []byte
}

// SaveDocument stores the document durably and returns its receipt. The same bytes sent again
// by the same site return the first receipt with Duplicate set.
func (s *Store) SaveDocument(ctx context.Context, u Upload) (domain.Receipt, error) {
	sum := sha256.Sum256(u.Body)
	var id string
	err := s.pool.QueryRow(ctx, q.Get("InsertDocument"), u.SiteID, u.ContentType, u.Format, sum[:], u.DocumentID,
		int64(len(u.Body)), u.Body).Scan(&id)
	duplicate := false
	if errors.Is(err, pgx.ErrNoRows) {
		duplicate = true
		err = s.pool.QueryRow(ctx, q.Get("ReceiptBySHA"), u.SiteID, sum[:]).Scan(&id)
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return domain.Receipt{}, domain.Errorf(domain.CodeNotFound, "site %q does not exist", u.SiteID)
		}
		return domain.Receipt{}, fmt.Errorf("save document: %w", err)
	}
	r, err := s.Receipt(ctx, id)
	r.Duplicate = duplicate
	return r, err
}

// Receipt reads a document's receipt.
func (s *Store) Receipt(ctx context.Context, id string) (domain.Receipt, error) {
	var r domain.Receipt
	var sum []byte
	var errs []byte
	var status string
	err := s.pool.QueryRow(ctx, q.Get("Receipt"), id).Scan(&r.ID, &r.SiteID, &r.PartnerGLN, &r.Transport, &status, &r.Format, &r.Size, &sum,
		&r.DocumentID, &r.ReceivedAt, &r.ProcessedAt, &r.Events, &r.Serials, &errs, &r.ErrorMode, &r.Attempt,
		&r.RejectedEvents)
	if errors.Is(err, pgx.ErrNoRows) || isInvalidUUID(err) {
		return r, domain.Errorf(domain.CodeNotFound, "no receipt %s", id)
	}
	if err != nil {
		return r, fmt.Errorf("read receipt %s: %w", id, err)
	}
	r.Status = domain.ReceiptStatus(status)
	r.SHA256 = hex.EncodeToString(sum)
	if err := json.Unmarshal(errs, &r.Errors); err != nil {
		return r, fmt.Errorf("read receipt %s errors: %w", id, err)
	}
	return r, nil
}

func isInvalidUUID(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22P02"
}

// Document is a stored upload as the ingest workflow reads it.
type Document struct {
	SiteID     string
	PartnerGLN string // a trading partner's file: SiteID is empty (partner.go)
	Format     string
	Body       []byte // LoadDocument only; OpenDocument streams it
	Status     domain.ReceiptStatus

	ErrorMode      string // rollback or proceed
	Attempt        int    // the current processing run
	CheckedAttempt int    // the run whose rule check is recorded
	ChunksDone     int    // chunks of that run applied

	appliedBefore int64 // largest event key of the document before the checked run
}

// LoadDocument reads a stored upload with its whole body. Large documents are better read
// with OpenDocument.
func (s *Store) LoadDocument(ctx context.Context, id string) (Document, error) {
	d, r, err := s.OpenDocument(ctx, id)
	if err != nil {
		return d, err
	}
	if d.Body, err = io.ReadAll(r); err != nil {
		return d, fmt.Errorf("load document %s: %w", id, err)
	}
	return d, nil
}

// SetProcessing marks a document as being processed (unless already finished).
func (s *Store) SetProcessing(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetStatus"), id, string(domain.StatusProcessing)); err != nil {
		return fmt.Errorf("mark %s processing: %w", id, err)
	}
	return nil
}

// Reject marks a document rejected with its errors; it stays stored for correction.
func (s *Store) Reject(ctx context.Context, id string, errs []string) error {
	b, err := json.Marshal(errs)
	if err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	if _, err := s.pool.Exec(ctx, q.Get("Reject"), id, b); err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	return nil
}

// MarkProcessed marks an applied document processed: its facts are in analytics too.
func (s *Store) MarkProcessed(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, q.Get("MarkProcessed"), id); err != nil {
		return fmt.Errorf("mark %s processed: %w", id, err)
	}
	return nil
}

// PendingDocument is a document acknowledged but not finished, with its processing attempt.
type PendingDocument struct {
	ReceiptID string
	Attempt   int
}

// Pending lists documents acknowledged longer ago than age and not yet finished.
func (s *Store) Pending(ctx context.Context, age time.Duration) ([]PendingDocument, error) {
	rows, err := s.pool.Query(ctx, q.Get("Pending"), fmt.Sprintf("%d seconds", int(age.Seconds())))
	if err != nil {
		return nil, fmt.Errorf("list pending documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PendingDocument])
	if err != nil {
		return nil, fmt.Errorf("list pending documents: %w", err)
	}
	return out, nil
}

// FlatEvents returns a document's events flattened per identifier, for the analytics store.
func (s *Store) FlatEvents(ctx context.Context, receiptID string) ([]domain.EPCEvent, error) {
	rows, err := s.pool.Query(ctx, q.Get("FlatEvents"), receiptID)
	if err != nil {
		return nil, fmt.Errorf("flat events %s: %w", receiptID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.EPCEvent, error) {
		var e domain.EPCEvent
		err := row.Scan(&e.EventTime, &e.EventID, &e.ReceiptID, &e.SiteID, &e.EventType, &e.Action, &e.BizStep,
			&e.Disposition, &e.ReadPoint, &e.BizLocation, &e.EPC, &e.Role, &e.GTIN, &e.Serial, &e.Lot, &e.Expiry,
			&e.ParentEPC)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("flat events %s: %w", receiptID, err)
	}
	return out, nil
}
