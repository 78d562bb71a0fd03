package recall

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store is the PostgreSQL store of recalls and their notices. It alone turns driver errors
// into domain errors.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Create records a decision unless a recall with its id exists; created says whether it is
// new. A different decision under an existing id is a conflict.
func (s *Store) Create(ctx context.Context, d Decision, keyID int64) (created bool, err error) {
	tag, err := s.pool.Exec(ctx, q.Get("InsertRecall"), d.ID, d.GTIN, d.Lots, d.Reason, string(d.Class), d.DecidedBy, keyID)
	if err != nil {
		return false, fmt.Errorf("record recall %s: %w", d.ID, err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	have, err := s.Recall(ctx, d.ID)
	if err != nil {
		return false, err
	}
	if !have.Decision.Same(d) {
		return false, domain.Errorf(domain.CodeConflict, "recall %s exists with another decision (%s lots %v, class %s)",
			d.ID, have.GTIN, have.Lots, have.Class)
	}
	return false, nil
}

func scanRecall(row pgx.Row) (Recall, error) {
	var r Recall
	var class, status string
	var summary, disc []byte
	err := row.Scan(&r.ID, &r.GTIN, &r.Lots, &r.Reason, &class, &r.DecidedBy, &r.DecidedKey, &status, &r.Source,
		&r.Packs, &r.Shipped, &summary, &disc, &r.CreatedAt, &r.PreparedAt, &r.DispatchedAt, &r.ClosedAt,
		&r.ClosedBy, &r.CloseReason)
	if err != nil {
		return r, err
	}
	r.Class, r.Status = Class(class), Status(status)
	_ = json.Unmarshal(summary, &r.Summary) // written by us
	_ = json.Unmarshal(disc, &r.Discrepancies)
	return r, nil
}

// Recall returns a recall without its targets.
func (s *Store) Recall(ctx context.Context, id string) (Recall, error) {
	r, err := scanRecall(s.pool.QueryRow(ctx, q.Get("Recall"), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.CodeNotFound, "recall %s does not exist", id)
	}
	if err != nil {
		return r, fmt.Errorf("recall %s: %w", id, err)
	}
	return r, nil
}

// RecallWithTargets returns a recall with every target and how many are acknowledged.
func (s *Store) RecallWithTargets(ctx context.Context, id string) (Recall, error) {
	r, err := s.Recall(ctx, id)
	if err != nil {
		return r, err
	}
	if r.Targets, err = s.Targets(ctx, id); err != nil {
		return r, err
	}
	for _, t := range r.Targets {
		if t.Status == "accepted" {
			r.Acknowledged++
		}
	}
	return r, nil
}

// List returns recalls, newest first.
func (s *Store) List(ctx context.Context, status Status, limit int) ([]Recall, error) {
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("ListRecalls"), string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("list recalls: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Recall, error) { return scanRecall(r) })
	if err != nil {
		return nil, fmt.Errorf("list recalls: %w", err)
	}
	return out, nil
}

// SetStatus moves a recall to st (never out of a final status).
func (s *Store) SetStatus(ctx context.Context, id string, st Status) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetStatus"), id, string(st)); err != nil {
		return fmt.Errorf("set status of recall %s: %w", id, err)
	}
	return nil
}

// Finish records the final status; done is false when the recall was final already.
func (s *Store) Finish(ctx context.Context, id string, st Status, by, reason string) (done bool, err error) {
	tag, err := s.pool.Exec(ctx, q.Get("Finish"), id, string(st), by, reason)
	if err != nil {
		return false, fmt.Errorf("finish recall %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Recorded returns the ids of recalls recorded longer than age ago and never prepared.
func (s *Store) Recorded(ctx context.Context, age time.Duration) ([]string, error) {
	rows, err := s.pool.Query(ctx, q.Get("RecordedRecalls"), age.Seconds())
	if err != nil {
		return nil, fmt.Errorf("recorded recalls: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("recorded recalls: %w", err)
	}
	return out, nil
}

// AffectedPacks computes the recalled packs of lots in PostgreSQL (see AffectedPacks in
// sql/recall.sql).
func (s *Store) AffectedPacks(ctx context.Context, gtin string, lots []string) ([]Pack, error) {
	rows, err := s.pool.Query(ctx, q.Get("AffectedPacks"), gtin, lots)
	if err != nil {
		return nil, fmt.Errorf("affected packs in PostgreSQL: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Pack, error) {
		var p Pack
		err := r.Scan(&p.EPC, &p.GTIN, &p.Serial, &p.Lot, &p.Expiry, &p.State, &p.Site, &p.Partner, &p.Country, &p.ShippedAt)
		if p.ShippedAt != nil {
			t := p.ShippedAt.UTC()
			p.ShippedAt = &t
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("affected packs in PostgreSQL: %w", err)
	}
	return out, nil
}

// SiteGLN returns a site's GLN ("" when it has none).
func (s *Store) SiteGLN(ctx context.Context, site string) (string, error) {
	var gln string
	err := s.pool.QueryRow(ctx, q.Get("SiteGLN"), site).Scan(&gln)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("site %s: %w", site, err)
	}
	return gln, nil
}

// NoticeRow is a built notice: the bytes and what the workflow needs to know of it.
type NoticeRow struct {
	PartnerGLN string
	Country    string
	Packs      int
	CSV, EPCIS []byte
}

// Prepared is what preparing a recall found: small enough for the workflow history.
type Prepared struct {
	Source        string
	Packs         int
	Shipped       int
	Partners      []string // GLNs with a notice
	Discrepancies int
}

// SavePrepared stores the notices and the figures of a recall in one transaction, once: a
// second call (a retried activity) keeps the first.
func (s *Store) SavePrepared(ctx context.Context, id string, p Prepared, sum Summary, disc []string, notices []NoticeRow) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save recall %s: %w", id, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if disc == nil {
		disc = []string{}
	}
	sb, _ := json.Marshal(sum)
	db, _ := json.Marshal(disc)
	tag, err := tx.Exec(ctx, q.Get("SetPrepared"), id, p.Source, p.Packs, p.Shipped, sb, db)
	if err != nil {
		return fmt.Errorf("save recall %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return nil // prepared by an earlier attempt
	}
	b := &pgx.Batch{}
	for _, n := range notices {
		b.Queue(q.Get("InsertNotice"), id, n.PartnerGLN, n.Country, n.Packs, n.CSV, n.EPCIS)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save notices of recall %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save recall %s: %w", id, err)
	}
	return nil
}

// PreparedNotice is a stored notice without its bytes.
type PreparedNotice struct {
	PartnerGLN string
	Country    string
	Packs      int
}

// Notices returns the stored notices of a recall.
func (s *Store) Notices(ctx context.Context, id string) ([]PreparedNotice, error) {
	rows, err := s.pool.Query(ctx, q.Get("PreparedNotices"), id)
	if err != nil {
		return nil, fmt.Errorf("notices of recall %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PreparedNotice, error) {
		var n PreparedNotice
		return n, r.Scan(&n.PartnerGLN, &n.Country, &n.Packs)
	})
	if err != nil {
		return nil, fmt.Errorf("notices of recall %s: %w", id, err)
	}
	return out, nil
}

// Notice formats.
const (
	FormatCSV   = "csv"
	FormatEPCIS = "epcis"
)

// Notice returns the bytes of a partner's notice in a format (csv or epcis).
func (s *Store) Notice(ctx context.Context, id, partnerGLN, format string) ([]byte, error) {
	name := "NoticeCSV"
	switch format {
	case FormatCSV:
	case FormatEPCIS:
		name = "NoticeEPCIS"
	default:
		return nil, domain.Errorf(domain.CodeInvalid, "notice format %q: want csv or epcis", format)
	}
	var b []byte
	err := s.pool.QueryRow(ctx, q.Get(name), id, partnerGLN).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.CodeNotFound, "recall %s has no notice for partner %s", id, partnerGLN)
	}
	if err != nil {
		return nil, fmt.Errorf("notice of recall %s for %s: %w", id, partnerGLN, err)
	}
	return b, nil
}

// NoticeEPCIS returns the EPCIS notice (recallnotice.Notices).
func (s *Store) NoticeEPCIS(ctx context.Context, id, partnerGLN string) ([]byte, error) {
	return s.Notice(ctx, id, partnerGLN, FormatEPCIS)
}

// SetNoticeObligation records the obligation that carries a notice.
func (s *Store) SetNoticeObligation(ctx context.Context, id, partnerGLN, obligationID string) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetNoticeObligation"), id, partnerGLN, obligationID); err != nil {
		return fmt.Errorf("notice of recall %s for %s: %w", id, partnerGLN, err)
	}
	return nil
}

// AddEUHub records the EU Hub batch recall of a lot.
func (s *Store) AddEUHub(ctx context.Context, id, lot, obligationID string) error {
	if _, err := s.pool.Exec(ctx, q.Get("InsertEUHub"), id, lot, obligationID); err != nil {
		return fmt.Errorf("EU Hub recall of %s lot %s: %w", id, lot, err)
	}
	return nil
}

// SetDispatched records that every notice and EU Hub recall was sent on its way.
func (s *Store) SetDispatched(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetDispatched"), id); err != nil {
		return fmt.Errorf("dispatched recall %s: %w", id, err)
	}
	return nil
}

// Targets returns every receiver of a recall with its submission's status.
func (s *Store) Targets(ctx context.Context, id string) ([]Target, error) {
	rows, err := s.pool.Query(ctx, q.Get("Targets"), id)
	if err != nil {
		return nil, fmt.Errorf("targets of recall %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Target, error) {
		var t Target
		var reasons []byte
		err := r.Scan(&t.Kind, &t.PartnerGLN, &t.Country, &t.Lot, &t.Packs, &t.ObligationID, &t.Status, &t.Attempts,
			&t.LastError, &reasons, &t.CompletedAt)
		_ = json.Unmarshal(reasons, &t.Reasons)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("targets of recall %s: %w", id, err)
	}
	return out, nil
}
