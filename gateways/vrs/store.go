package vrs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store reads serials and keeps the log of verification requests in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pack returns the pack with the GTIN and serial, or nil when the hub knows none.
func (s *Store) Pack(ctx context.Context, gtin, serial string) (*Pack, error) {
	var p Pack
	var state string
	err := s.pool.QueryRow(ctx, q.Get("Pack"), gtin, serial).Scan(&p.GTIN, &p.Serial, &p.Lot, &p.Expiry, &state, &p.LotRecalled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vrs: look up pack: %w", err)
	}
	p.State = domain.SerialState(state)
	return &p, nil
}

// Direction says who answered a logged request.
type Direction string

// The directions.
const (
	Inbound  Direction = "in"  // a partner asked, we answered
	Outbound Direction = "out" // we asked a partner
)

// LogEntry is one verification request in the audit trail.
type LogEntry struct {
	ID         int64         `json:"id"`
	Direction  Direction     `json:"direction"`
	KeyID      int64         `json:"key_id,omitempty"`
	PartnerGLN string        `json:"partner_gln,omitempty"`
	Request    Request       `json:"request"`
	Responder  string        `json:"responder_gln,omitempty"`
	Verified   *bool         `json:"verified,omitempty"`
	Data       Data          `json:"data"`
	HTTPStatus int           `json:"http_status"`
	Err        string        `json:"error,omitempty"`
	At         time.Time     `json:"requested_at"`
	Duration   time.Duration `json:"duration_ns"`
}

// Log records e and returns its id.
func (s *Store) Log(ctx context.Context, e LogEntry) (int64, error) {
	var key *int64
	if e.KeyID != 0 {
		key = &e.KeyID
	}
	var id int64
	r := e.Request
	err := s.pool.QueryRow(ctx, q.Get("LogRequest"), string(e.Direction), key, e.PartnerGLN, r.RequestorGLN,
		e.Responder, r.CorrUUID, r.Context, r.GTIN, r.Serial, r.Lot, r.Expiry, e.Verified,
		e.Data.VerificationFailureReason, e.Data.AdditionalInfo, e.HTTPStatus, e.Err, e.At,
		e.Duration.Microseconds()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("vrs: log request: %w", err)
	}
	return id, nil
}

// Requests lists the latest logged requests, of one partner when partnerGLN is set.
func (s *Store) Requests(ctx context.Context, partnerGLN string, limit int) ([]LogEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("ListRequests"), partnerGLN, limit)
	if err != nil {
		return nil, fmt.Errorf("vrs: list requests: %w", err)
	}
	var out []LogEntry
	var e LogEntry
	var dir string
	var us int64
	r := &e.Request
	_, err = pgx.ForEachRow(rows, []any{&e.ID, &dir, &e.KeyID, &e.PartnerGLN, &r.RequestorGLN, &e.Responder,
		&r.CorrUUID, &r.Context, &r.GTIN, &r.Serial, &r.Lot, &r.Expiry, &e.Verified,
		&e.Data.VerificationFailureReason, &e.Data.AdditionalInfo, &e.HTTPStatus, &e.Err, &e.At, &us}, func() error {
		e.Direction, e.Duration = Direction(dir), time.Duration(us)*time.Microsecond
		if e.Verified != nil {
			e.Data.Verified = *e.Verified
		}
		out = append(out, e)
		e.Verified = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vrs: list requests: %w", err)
	}
	return out, nil
}

// Partner is where a partner answers verification requests: vrs_endpoint and
// vrs_credentials_ref of its master-data record, disabled with the record.
type Partner struct {
	GLN            string `json:"gln"`
	Endpoint       string `json:"endpoint"`
	CredentialsRef string `json:"credentials_ref,omitempty"`
	Enabled        bool   `json:"enabled"`
}

// Partner returns the partner's responder settings.
func (s *Store) Partner(ctx context.Context, gln string) (Partner, error) {
	var p Partner
	err := s.pool.QueryRow(ctx, q.Get("Partner"), gln).Scan(&p.GLN, &p.Endpoint, &p.CredentialsRef, &p.Enabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.CodeNotFound, "partner %s has no verification endpoint", gln)
	}
	if err != nil {
		return p, fmt.Errorf("vrs: partner %s: %w", gln, err)
	}
	return p, nil
}

// CreatePartnerKey stores a new API key of role partner for the GLN and returns its token,
// shown once and never stored (only its SHA-256, as sites.Store does for every key).
func (s *Store) CreatePartnerKey(ctx context.Context, gln, label string) (string, error) {
	if _, err := gs1.ParseGLN(gln); err != nil {
		return "", domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := "shk_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	var id int64
	if err := s.pool.QueryRow(ctx, q.Get("InsertPartnerKey"), h[:], gln, label).Scan(&id); err != nil {
		return "", fmt.Errorf("vrs: create partner key: %w", err)
	}
	return token, nil
}
