package alerts

import (
	"context"
	"crypto/sha256"
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

// Record is a stored alert with its investigation.
type Record struct {
	ID             string     `json:"id"`
	Code           string     `json:"code"`
	RaisedAt       time.Time  `json:"raised_at"`
	Market         string     `json:"market,omitempty"`
	GTIN           string     `json:"gtin"`
	Lot            string     `json:"lot,omitempty"`
	Expiry         string     `json:"expiry,omitempty"`
	Serial         string     `json:"serial,omitempty"`
	Text           string     `json:"text,omitempty"`
	Status         string     `json:"status"` // open, investigated, closed
	Cause          string     `json:"cause,omitempty"`
	Action         string     `json:"action,omitempty"`
	Facts          *Facts     `json:"facts,omitempty"`
	ClosedReason   string     `json:"closed_reason,omitempty"`
	ClosedBy       string     `json:"closed_by,omitempty"`
	ReceivedAt     time.Time  `json:"received_at"`
	InvestigatedAt *time.Time `json:"investigated_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
}

// Store keeps alerts (euhub_alerts, migration 0005) and reads the facts of investigations.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Insert stores an alert once (the hub's alert id); created says whether it is new.
func (s *Store) Insert(ctx context.Context, r Record) (bool, error) {
	tag, err := s.pool.Exec(ctx, q.Get("InsertAlert"), r.ID, r.Code, r.RaisedAt, r.Market, r.GTIN, r.Lot, r.Expiry, r.Serial, r.Text)
	if err != nil {
		return false, fmt.Errorf("insert alert %s: %w", r.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

func scan(row pgx.Row) (Record, error) {
	var r Record
	var facts []byte
	err := row.Scan(&r.ID, &r.Code, &r.RaisedAt, &r.Market, &r.GTIN, &r.Lot, &r.Expiry, &r.Serial, &r.Text,
		&r.Status, &r.Cause, &r.Action, &facts, &r.ClosedReason, &r.ClosedBy, &r.ReceivedAt, &r.InvestigatedAt, &r.ClosedAt)
	if err == nil && r.InvestigatedAt != nil {
		r.Facts = new(Facts)
		_ = json.Unmarshal(facts, r.Facts) // written by us
	}
	return r, err
}

// Get returns an alert.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	r, err := scan(s.pool.QueryRow(ctx, q.Get("Alert"), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.CodeNotFound, "alert %s does not exist", id)
	}
	if err != nil {
		return r, fmt.Errorf("alert %s: %w", id, err)
	}
	return r, nil
}

// Filter selects alerts.
type Filter struct {
	Code, Status, GTIN, Cause, Lot string
	Limit                          int
}

// List returns alerts, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, error) {
	if f.Limit <= 0 || f.Limit > 100000 {
		f.Limit = 1000
	}
	rows, err := s.pool.Query(ctx, q.Get("ListAlerts"), f.Code, f.Status, f.GTIN, f.Cause, f.Lot, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// SetFinding records the investigation's result.
func (s *Store) SetFinding(ctx context.Context, id string, f Finding, facts Facts) error {
	b, _ := json.Marshal(facts)
	if _, err := s.pool.Exec(ctx, q.Get("SetFinding"), id, f.Cause, f.Action, b); err != nil {
		return fmt.Errorf("alert %s: finding: %w", id, err)
	}
	return nil
}

// Close closes an alert with the compliance team's reason.
func (s *Store) Close(ctx context.Context, id, reason, by string) error {
	tag, err := s.pool.Exec(ctx, q.Get("CloseAlert"), id, reason, by)
	if err != nil {
		return fmt.Errorf("close alert %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Get(ctx, id); err != nil {
			return err
		}
		return domain.Errorf(domain.CodeConflict, "alert %s is closed already", id)
	}
	return nil
}

// Facts reads what our data says about an alert's pack and batch.
func (s *Store) Facts(ctx context.Context, a Record) (Facts, error) {
	var f Facts
	var state string
	err := s.pool.QueryRow(ctx, q.Get("SerialFacts"), a.GTIN, a.Serial).Scan(&f.OurLot, &f.OurExpiry, &state)
	switch {
	case err == nil:
		f.Commissioned = true
	case !errors.Is(err, pgx.ErrNoRows):
		return f, fmt.Errorf("facts of alert %s: serial: %w", a.ID, err)
	}
	err = s.pool.QueryRow(ctx, q.Get("UploadFacts"), a.GTIN, a.Serial).Scan(&f.UploadedLot, &f.UploadedExpiry, &f.UploadStatus)
	switch {
	case err == nil:
		f.Uploaded = true
	case !errors.Is(err, pgx.ErrNoRows):
		return f, fmt.Errorf("facts of alert %s: upload: %w", a.ID, err)
	}
	if err := s.pool.QueryRow(ctx, q.Get("LotFacts"), a.GTIN, a.Lot).Scan(&f.LotKnown, &f.LotReleased, &f.LotUploadDone, &f.Recalled); err != nil {
		return f, fmt.Errorf("facts of alert %s: lot: %w", a.ID, err)
	}
	f.LotUploadDone = f.LotUploadDone && f.LotReleased
	var kind, st string
	err = s.pool.QueryRow(ctx, q.Get("LastStatus"), a.GTIN, a.Serial).Scan(&kind, &st)
	switch {
	case err == nil && kind == "decommission":
		f.Decommissioned = st
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return f, fmt.Errorf("facts of alert %s: status: %w", a.ID, err)
	}
	if a.Code == "A3" && !f.Commissioned && !f.Uploaded && len(a.Serial) > 1 {
		var prefixes []string
		for i := 1; i < len(a.Serial) && i <= 20; i++ {
			prefixes = append(prefixes, a.Serial[:i])
		}
		rows, err := s.pool.Query(ctx, q.Get("KnownPrefixes"), a.GTIN, prefixes)
		if err != nil {
			return f, fmt.Errorf("facts of alert %s: prefixes: %w", a.ID, err)
		}
		known, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return f, fmt.Errorf("facts of alert %s: prefixes: %w", a.ID, err)
		}
		for _, k := range known {
			if ScanTail(a.Serial, k) && len(k) > len(f.ScanCandidate) {
				f.ScanCandidate = k
			}
		}
	}
	return f, nil
}

// EnsureHubKey stores (once) the API key the EU Hub presents when it sends alerts: role
// partner, partner id hub. Like sites' keys, only the SHA-256 of the token is stored.
func (s *Store) EnsureHubKey(ctx context.Context, token, hub string) error {
	h := sha256.Sum256([]byte(token))
	if _, err := s.pool.Exec(ctx, `INSERT INTO api_keys (key_hash, role, partner_id, label)
		VALUES ($1, 'partner', $2, 'EU Hub alerts') ON CONFLICT (key_hash) DO NOTHING`, h[:], hub); err != nil {
		return fmt.Errorf("EU Hub key: %w", err)
	}
	return nil
}
