package euhub

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Name is the gateway's name.
const Name = "euhub"

// HubGLN is the partner key of the EU Hub in obligations (its connection: Store.Delivery).
const HubGLN = "EUHUB"

// Request kinds.
const (
	KindProduct      = "product"
	KindPacks        = "packs"
	KindRecall       = "recall"
	KindWithdrawal   = "withdrawal"
	KindDecommission = "decommission"
	KindUndo         = "undo"
)

// DefaultChunk is the number of packs per upload message.
const DefaultChunk = 10000

// Request is what one obligation asks of the hub.
type Request struct {
	ObligationID string             `json:"obligation_id"`
	Kind         string             `json:"kind"`
	GTIN         string             `json:"gtin"`
	Lot          string             `json:"lot,omitempty"`
	Expiry       string             `json:"expiry,omitempty"`
	Status       string             `json:"status,omitempty"`
	Reason       string             `json:"reason,omitempty"`
	Chunk        int                `json:"chunk,omitempty"`
	Chunks       int                `json:"chunks,omitempty"`
	Product      *ProductMasterData `json:"product,omitempty"`
	Serials      []string           `json:"serials,omitempty"`
}

// Store keeps the EU Hub requests (migration 0005) beside the obligations of 0004.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ObligationID builds the business key of a request (docs/gateways/euhub.md).
func ObligationID(r Request) string {
	switch r.Kind {
	case KindProduct:
		b, _ := json.Marshal(r.Product)
		return "euhub-product-" + r.GTIN + "-" + digest(string(b))
	case KindPacks:
		return fmt.Sprintf("euhub-packs-%s-%s-%05d", r.GTIN, r.Lot, r.Chunk)
	case KindRecall:
		return "euhub-recall-" + r.GTIN + "-" + r.Lot
	case KindWithdrawal:
		return "euhub-withdrawal-" + r.GTIN
	default:
		s := append([]string(nil), r.Serials...)
		sort.Strings(s)
		return "euhub-" + r.Kind + "-" + r.GTIN + "-" + r.Lot + "-" + r.Status + "-" + digest(strings.Join(s, "\n"))
	}
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// Record stores a request and its obligation (once: the id is the business key) and returns
// the obligation id.
func (s *Store) Record(ctx context.Context, r Request) (string, error) {
	r.ObligationID = ObligationID(r)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("record %s: %w", r.ObligationID, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after commit: no-op
	if err := insertRequest(ctx, tx, r); err != nil {
		return "", err
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("record %s: commit: %w", r.ObligationID, err)
	}
	return r.ObligationID, nil
}

func insertRequest(ctx context.Context, tx pgx.Tx, r Request) error {
	subject := r.GTIN
	if r.Lot != "" {
		subject += "/" + r.Lot
	}
	if _, err := tx.Exec(ctx, q.Get("InsertObligation"), r.ObligationID, r.Kind, subject, HubGLN); err != nil {
		return fmt.Errorf("record obligation %s: %w", r.ObligationID, err)
	}
	body := []byte("{}")
	if r.Product != nil {
		body, _ = json.Marshal(r.Product)
	}
	serials := r.Serials
	if serials == nil {
		serials = []string{}
	}
	if _, err := tx.Exec(ctx, q.Get("InsertRequest"), r.ObligationID, r.Kind, r.GTIN, r.Lot, r.Expiry,
		r.Status, r.Reason, r.Chunk, r.Chunks, body, serials); err != nil {
		return fmt.Errorf("record request %s: %w", r.ObligationID, err)
	}
	return nil
}

// Release is a batch released for EU markets.
type Release struct {
	GTIN      string   `json:"gtin"`
	Lot       string   `json:"lot"`
	Expiry    string   `json:"expiry"`
	Serials   []string `json:"serials,omitempty"`
	ChunkSize int      `json:"chunk_size,omitempty"`
}

// RecordRelease records the chunks of a release and their packs in one transaction, once: a
// release recorded before returns its chunk obligations again (created false).
func (s *Store) RecordRelease(ctx context.Context, rel Release) (ids []string, created bool, err error) {
	if rel.ChunkSize <= 0 {
		rel.ChunkSize = DefaultChunk
	}
	n := len(rel.Serials)
	chunks := (n + rel.ChunkSize - 1) / rel.ChunkSize
	for i := 1; i <= chunks; i++ {
		ids = append(ids, ObligationID(Request{Kind: KindPacks, GTIN: rel.GTIN, Lot: rel.Lot, Chunk: i}))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("release %s/%s: %w", rel.GTIN, rel.Lot, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after commit: no-op
	tag, err := tx.Exec(ctx, q.Get("InsertRelease"), rel.GTIN, rel.Lot, rel.Expiry, n, chunks)
	if err != nil {
		return nil, false, fmt.Errorf("release %s/%s: %w", rel.GTIN, rel.Lot, err)
	}
	if tag.RowsAffected() == 0 {
		st, err := s.ReleaseStatus(ctx, rel.GTIN, rel.Lot)
		if err != nil {
			return nil, false, err
		}
		ids = ids[:0]
		for _, c := range st.Chunks {
			ids = append(ids, c.ObligationID)
		}
		return ids, false, nil
	}
	// A chunk keeps its serials in its request row (Build reads one row), and every pack has
	// a row in euhub_packs for duplicates and the facts of alert investigations.
	for i, id := range ids {
		part := rel.Serials[i*rel.ChunkSize : min((i+1)*rel.ChunkSize, n)]
		if err := insertRequest(ctx, tx, Request{ObligationID: id, Kind: KindPacks, GTIN: rel.GTIN, Lot: rel.Lot,
			Expiry: rel.Expiry, Chunk: i + 1, Chunks: chunks, Serials: part}); err != nil {
			return nil, false, err
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"euhub_packs"}, []string{"gtin", "serial", "lot", "obligation_id"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return []any{rel.GTIN, rel.Serials[i], rel.Lot, ids[i/rel.ChunkSize]}, nil
		}))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, false, s.duplicates(ctx, rel)
	}
	if err != nil {
		return nil, false, fmt.Errorf("release %s/%s: packs: %w", rel.GTIN, rel.Lot, err)
	}
	if err := mismatches(ctx, tx, rel); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("release %s/%s: commit: %w", rel.GTIN, rel.Lot, err)
	}
	return ids, true, nil
}

// duplicates explains a release refused for packs uploaded before (A9).
func (s *Store) duplicates(ctx context.Context, rel Release) error {
	rows, err := s.pool.Query(ctx, q.Get("Uploaded"), rel.GTIN, rel.Serials, rel.Lot)
	if err != nil {
		return fmt.Errorf("release %s/%s: duplicates: %w", rel.GTIN, rel.Lot, err)
	}
	var dup []string
	for rows.Next() {
		var sn, l string
		if err := rows.Scan(&sn, &l); err != nil {
			rows.Close()
			return fmt.Errorf("release %s/%s: duplicates: %w", rel.GTIN, rel.Lot, err)
		}
		dup = append(dup, sn+" (lot "+l+")")
	}
	rows.Close()
	if len(dup) == 0 {
		dup = []string{"serials listed twice"}
	}
	return domain.Errorf(domain.CodeConflict, "%s packs already uploaded: %s", A9, strings.Join(dup, ", "))
}

// mismatches refuses a release whose batch or expiry differ from the packs' own (A68, A52).
func mismatches(ctx context.Context, tx pgx.Tx, rel Release) error {
	iso := ""
	if len(rel.Expiry) == 6 {
		iso = "20" + rel.Expiry[:2] + "-" + rel.Expiry[2:4] + "-" + rel.Expiry[4:]
	}
	rows, err := tx.Query(ctx, q.Get("Mismatches"), rel.GTIN, rel.Lot, rel.Expiry, iso)
	if err != nil {
		return fmt.Errorf("release %s/%s: check packs: %w", rel.GTIN, rel.Lot, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	var sn, lot, exp string
	if err := rows.Scan(&sn, &lot, &exp); err != nil {
		return fmt.Errorf("release %s/%s: check packs: %w", rel.GTIN, rel.Lot, err)
	}
	if lot != rel.Lot {
		return domain.Errorf(domain.CodeInvalid, "%s pack %s is of batch %q, not %q: batch ids go to the EU Hub exactly as on the pack", A68, sn, lot, rel.Lot)
	}
	return domain.Errorf(domain.CodeInvalid, "%s pack %s expires %q, not %q: expiry goes to the EU Hub exactly as on the pack", A52, sn, exp, rel.Expiry)
}

// Request returns what an obligation asks, with the serials of a chunk.
func (s *Store) Request(ctx context.Context, obligationID string) (Request, error) {
	var r Request
	var body []byte
	err := s.pool.QueryRow(ctx, q.Get("Request"), obligationID).Scan(&r.ObligationID, &r.Kind, &r.GTIN, &r.Lot,
		&r.Expiry, &r.Status, &r.Reason, &r.Chunk, &r.Chunks, &body, &r.Serials)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, domain.Errorf(domain.CodeNotFound, "EU Hub request %s does not exist", obligationID)
	}
	if err != nil {
		return r, fmt.Errorf("request %s: %w", obligationID, err)
	}
	if r.Kind == KindProduct {
		r.Product = new(ProductMasterData)
		if err := json.Unmarshal(body, r.Product); err != nil {
			return r, fmt.Errorf("request %s: master data: %w", obligationID, err)
		}
	}
	return r, nil
}

// PackFact is a pack as the hub's serial store holds it.
type PackFact struct {
	Serial, Lot, Expiry string
}

// LotPacks returns the packs of a lot in the serial store.
func (s *Store) LotPacks(ctx context.Context, gtin, lot string) ([]PackFact, error) {
	rows, err := s.pool.Query(ctx, q.Get("LotPacks"), gtin, lot)
	if err != nil {
		return nil, fmt.Errorf("packs of %s/%s: %w", gtin, lot, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PackFact, error) {
		var p PackFact
		return p, r.Scan(&p.Serial, &p.Lot, &p.Expiry)
	})
	if err != nil {
		return nil, fmt.Errorf("packs of %s/%s: %w", gtin, lot, err)
	}
	return out, nil
}

// ChunkStatus is where one chunk of a release stands.
type ChunkStatus struct {
	ObligationID string          `json:"obligation_id"`
	Chunk        int             `json:"chunk"`
	Chunks       int             `json:"chunks"`
	Status       gateways.Status `json:"status"`
	Attempts     int             `json:"attempts"`
	LastError    string          `json:"last_error,omitempty"`
	Packs        int             `json:"packs"`
}

// ReleaseStatus is a release with its chunks.
type ReleaseStatus struct {
	GTIN     string        `json:"gtin"`
	Lot      string        `json:"lot"`
	Packs    int           `json:"packs"`
	Accepted int           `json:"accepted_packs"`
	Complete bool          `json:"complete"`
	Chunks   []ChunkStatus `json:"chunks"`
}

// ReleaseStatus returns where the upload of a batch stands.
func (s *Store) ReleaseStatus(ctx context.Context, gtin, lot string) (ReleaseStatus, error) {
	st := ReleaseStatus{GTIN: gtin, Lot: lot}
	rows, err := s.pool.Query(ctx, q.Get("ReleaseStatus"), gtin, lot)
	if err != nil {
		return st, fmt.Errorf("release %s/%s: %w", gtin, lot, err)
	}
	st.Chunks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChunkStatus, error) {
		var c ChunkStatus
		return c, r.Scan(&c.ObligationID, &c.Chunk, &c.Chunks, &c.Status, &c.Attempts, &c.LastError, &c.Packs)
	})
	if err != nil {
		return st, fmt.Errorf("release %s/%s: %w", gtin, lot, err)
	}
	if len(st.Chunks) == 0 {
		return st, domain.Errorf(domain.CodeNotFound, "batch %s/%s was not released to the EU Hub", gtin, lot)
	}
	st.Complete = true
	for _, c := range st.Chunks {
		st.Packs += c.Packs
		if c.Status == gateways.StatusAccepted {
			st.Accepted += c.Packs
		} else {
			st.Complete = false
		}
	}
	return st, nil
}

// RequestSummary is a status operation with where it stands.
type RequestSummary struct {
	ObligationID string          `json:"obligation_id"`
	Kind         string          `json:"kind"`
	GTIN         string          `json:"gtin"`
	Lot          string          `json:"lot,omitempty"`
	Status       string          `json:"decommission_status,omitempty"`
	Submission   gateways.Status `json:"status"`
	LastError    string          `json:"last_error,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// Requests lists the operations other than pack uploads, newest first.
func (s *Store) Requests(ctx context.Context, gtin, lot string) ([]RequestSummary, error) {
	rows, err := s.pool.Query(ctx, q.Get("Requests"), gtin, lot)
	if err != nil {
		return nil, fmt.Errorf("EU Hub requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RequestSummary, error) {
		var x RequestSummary
		return x, r.Scan(&x.ObligationID, &x.Kind, &x.GTIN, &x.Lot, &x.Status, &x.Submission, &x.LastError, &x.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("EU Hub requests: %w", err)
	}
	return out, nil
}

// Delivery returns the EU Hub's connection as delivery settings (migration 0009: the EU Hub
// is no trading partner, so its endpoint is not master data). gln must be HubGLN.
func (s *Store) Delivery(ctx context.Context, gln string) (gateways.Partner, error) {
	pt := gateways.Partner{GLN: HubGLN, Name: "EU Hub", Country: "EU", Gateway: Name, Transport: "https"}
	if gln != HubGLN {
		return pt, domain.Errorf(domain.CodeNotFound, "%s is not the EU Hub", gln)
	}
	err := s.pool.QueryRow(ctx, q.Get("Connection")).Scan(&pt.Endpoint, &pt.CredentialsRef, &pt.Enabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return pt, domain.Errorf(domain.CodeNotFound, "the EU Hub has no connection: run `serialhub euhub connect`")
	}
	if err != nil {
		return pt, fmt.Errorf("euhub connection: %w", err)
	}
	return pt, nil
}

// SetConnection records where the EU Hub is reached and the reference to the credentials
// presented to it (env:NAME, file:PATH; never the secret).
func (s *Store) SetConnection(ctx context.Context, endpoint, credentialsRef string, enabled bool) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetConnection"), endpoint, credentialsRef, enabled); err != nil {
		return fmt.Errorf("euhub connection: %w", err)
	}
	return nil
}
