package gateways

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store is the PostgreSQL store of obligations, payloads and exchanges. Partner delivery
// settings and the product and location master data are master data's (sites/masterdata).
// It alone turns driver errors into domain errors.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool is the store's pool, for adapters that read the system of record in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Partner is how to reach a receiver: the delivery settings of its master-data record
// (sites/masterdata Store.Delivery).
type Partner = domain.Delivery

// Product is the master data of a GTIN in regulatory files (read from master data's products).
type Product struct {
	GTIN, NDC, Name, DosageForm, Strength, NetContent, Manufacturer string
}

// Location is the master data of a party or place (SGLN URI), from master data's sites and
// partners.
type Location struct {
	SGLN, Name, Street1, Street2, City, State, PostalCode, Country string
}

// CreateObligation records ob unless it exists; created says whether it is new.
func (s *Store) CreateObligation(ctx context.Context, ob Obligation) (created bool, err error) {
	tag, err := s.pool.Exec(ctx, q.Get("InsertObligation"), ob.ID, ob.Gateway, ob.Kind, ob.Subject,
		ob.EventPK, ob.ReceiptID, ob.SiteID, ob.PartnerGLN)
	if err != nil {
		return false, fmt.Errorf("create obligation %s: %w", ob.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Obligation returns an obligation by id.
func (s *Store) Obligation(ctx context.Context, id string) (Obligation, error) {
	var ob Obligation
	err := s.pool.QueryRow(ctx, q.Get("Obligation"), id).Scan(&ob.ID, &ob.Gateway, &ob.Kind, &ob.Subject,
		&ob.EventPK, &ob.ReceiptID, &ob.SiteID, &ob.PartnerGLN, &ob.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ob, domain.Errorf(domain.CodeNotFound, "submission %s does not exist", id)
	}
	if err != nil {
		return ob, fmt.Errorf("obligation %s: %w", id, err)
	}
	return ob, nil
}

// Status is where a submission stands.
type Status string

// The statuses; the last four are final.
const (
	StatusPending     Status = "pending"
	StatusBuilding    Status = "building"
	StatusDelivering  Status = "delivering"
	StatusAwaitingAck Status = "awaiting_ack"
	StatusAccepted    Status = "accepted"
	StatusRejected    Status = "rejected" // an exception for the compliance team
	StatusCancelled   Status = "cancelled"
	StatusFailed      Status = "failed" // gave up (deadline) or could not build
)

// Final reports whether no more work happens on a submission in status st.
func (st Status) Final() bool {
	return st == StatusAccepted || st == StatusRejected || st == StatusCancelled || st == StatusFailed
}

// Submission is an obligation with where it stands: what `submissions list|show` show.
type Submission struct {
	Obligation
	Status      Status     `json:"status"`
	Attempts    int        `json:"attempts"`
	AckRef      string     `json:"ack_ref,omitempty"`
	Reasons     []string   `json:"reasons,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	PayloadID   int64      `json:"payload_id,omitempty"`
	PayloadSize int64      `json:"payload_size,omitempty"`
	ContentType string     `json:"content_type,omitempty"`
	SHA256      string     `json:"sha256,omitempty"`
	Exchanges   []Exchange `json:"exchanges,omitempty"`
}

func scanSubmission(row pgx.Row) (Submission, error) {
	var s Submission
	var reasons []byte
	err := row.Scan(&s.ID, &s.Gateway, &s.Kind, &s.Subject, &s.ReceiptID, &s.SiteID, &s.PartnerGLN,
		&s.Status, &s.Attempts, &s.AckRef, &reasons, &s.LastError, &s.NextAttempt, &s.CreatedAt,
		&s.UpdatedAt, &s.CompletedAt, &s.PayloadID, &s.PayloadSize, &s.ContentType, &s.SHA256)
	if err != nil {
		return s, err
	}
	_ = json.Unmarshal(reasons, &s.Reasons) // written by us as a JSON array
	return s, nil
}

// Submission returns a submission with its exchanges.
func (s *Store) Submission(ctx context.Context, id string) (Submission, error) {
	sub, err := scanSubmission(s.pool.QueryRow(ctx, q.Get("Submission"), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sub, domain.Errorf(domain.CodeNotFound, "submission %s does not exist", id)
	}
	if err != nil {
		return sub, fmt.Errorf("submission %s: %w", id, err)
	}
	sub.Exchanges, err = s.Exchanges(ctx, id)
	return sub, err
}

// Filter selects submissions.
type Filter struct {
	Status     Status
	PartnerGLN string
	Gateway    string
	Limit      int
}

// ListSubmissions returns submissions, newest first.
func (s *Store) ListSubmissions(ctx context.Context, f Filter) ([]Submission, error) {
	if f.Limit <= 0 || f.Limit > 10000 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("ListSubmissions"), string(f.Status), f.PartnerGLN, f.Gateway, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	defer rows.Close()
	var out []Submission
	for rows.Next() {
		sub, err := scanSubmission(rows)
		if err != nil {
			return nil, fmt.Errorf("list submissions: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// SetStatus moves a submission to st (never out of a final status unless reopen).
func (s *Store) SetStatus(ctx context.Context, id string, st Status, lastErr string, reopen bool) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetStatus"), id, string(st), lastErr, reopen); err != nil {
		return fmt.Errorf("set status of %s: %w", id, err)
	}
	return nil
}

// SetAttempt records a delivery attempt in progress or failed, and when the next comes.
func (s *Store) SetAttempt(ctx context.Context, id string, st Status, attempt int, lastErr string, next *time.Time) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetAttempt"), id, string(st), attempt, lastErr, next); err != nil {
		return fmt.Errorf("set attempt of %s: %w", id, err)
	}
	return nil
}

// SetAckRef records that the receiver took the file and an acknowledgement is awaited.
func (s *Store) SetAckRef(ctx context.Context, id, ackRef string) error {
	if _, err := s.pool.Exec(ctx, q.Get("SetAckRef"), id, ackRef); err != nil {
		return fmt.Errorf("set ack of %s: %w", id, err)
	}
	return nil
}

// Finish records the final status of a submission with the receiver's reasons.
func (s *Store) Finish(ctx context.Context, id string, st Status, reasons []string, ackRef, lastErr string) error {
	if reasons == nil {
		reasons = []string{}
	}
	b, _ := json.Marshal(reasons)
	if _, err := s.pool.Exec(ctx, q.Get("Finish"), id, string(st), b, ackRef, lastErr); err != nil {
		return fmt.Errorf("finish %s: %w", id, err)
	}
	return nil
}

// Payload stages.
const (
	StageBuilt  = "built"
	StageSigned = "signed"
)

// SavePayload stores the payload of a stage unless one is stored already, and returns the
// stored one's id: a build retried after a crash keeps the first bytes.
func (s *Store) SavePayload(ctx context.Context, obligationID, stage string, p Payload) (int64, error) {
	sum := sha256.Sum256(p.Body)
	var id int64
	err := s.pool.QueryRow(ctx, q.Get("InsertPayload"), obligationID, stage, p.ContentType, p.Filename,
		sum[:], int64(len(p.Body)), p.Body).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		got, gerr := s.PayloadByStage(ctx, obligationID, stage)
		return got.ID, gerr
	}
	if err != nil {
		return 0, fmt.Errorf("save payload of %s: %w", obligationID, err)
	}
	if stage == StageSigned || stage == StageBuilt {
		if _, err := s.pool.Exec(ctx, q.Get("SetPayload"), obligationID, id); err != nil {
			return 0, fmt.Errorf("save payload of %s: %w", obligationID, err)
		}
	}
	return id, nil
}

// PayloadByStage returns the stored payload of a stage (not found when none).
func (s *Store) PayloadByStage(ctx context.Context, obligationID, stage string) (Payload, error) {
	var p Payload
	err := s.pool.QueryRow(ctx, q.Get("PayloadByStage"), obligationID, stage).Scan(&p.ID, &p.ContentType, &p.Filename, &p.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.CodeNotFound, "submission %s has no %s payload", obligationID, stage)
	}
	if err != nil {
		return p, fmt.Errorf("payload of %s: %w", obligationID, err)
	}
	return p, nil
}

// Payload returns a payload by id, only if it belongs to the obligation.
func (s *Store) Payload(ctx context.Context, obligationID string, id int64) (Payload, error) {
	var p Payload
	err := s.pool.QueryRow(ctx, q.Get("Payload"), id, obligationID).Scan(&p.ID, &p.ContentType, &p.Filename, &p.Body)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, domain.Errorf(domain.CodeNotFound, "submission %s has no payload %d", obligationID, id)
	}
	if err != nil {
		return p, fmt.Errorf("payload %d: %w", id, err)
	}
	return p, nil
}

// DeletePayloads forgets the payloads of an obligation, so that a retry rebuilds the file.
func (s *Store) DeletePayloads(ctx context.Context, obligationID string) error {
	if _, err := s.pool.Exec(ctx, q.Get("DeletePayloads"), obligationID); err != nil {
		return fmt.Errorf("delete payloads of %s: %w", obligationID, err)
	}
	return nil
}

// RecordExchange implements Recorder.
func (s *Store) RecordExchange(ctx context.Context, x Exchange) error {
	reqH, _ := json.Marshal(headerOrEmpty(x.RequestHeaders))
	respH, _ := json.Marshal(headerOrEmpty(x.ResponseHeaders))
	body := x.ResponseBody
	if body == nil {
		body = []byte{}
	}
	_, err := s.pool.Exec(ctx, q.Get("InsertExchange"), x.ObligationID, x.Attempt, x.Step, x.Transport,
		x.Method, x.URL, x.PayloadID, x.IdempotencyKey, reqH, x.StatusCode, respH, body,
		string(x.Outcome), x.Err, x.Tries, x.StartedAt, int(x.Duration/time.Millisecond))
	if err != nil {
		return fmt.Errorf("record exchange of %s: %w", x.ObligationID, err)
	}
	return nil
}

func headerOrEmpty(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h
}

// Exchanges returns every exchange of an obligation, oldest first.
func (s *Store) Exchanges(ctx context.Context, obligationID string) ([]Exchange, error) {
	rows, err := s.pool.Query(ctx, q.Get("Exchanges"), obligationID)
	if err != nil {
		return nil, fmt.Errorf("exchanges of %s: %w", obligationID, err)
	}
	defer rows.Close()
	var out []Exchange
	for rows.Next() {
		var x Exchange
		var id int64
		var reqH, respH []byte
		var ms int
		var outcome string
		if err := rows.Scan(&id, &x.Attempt, &x.Step, &x.Transport, &x.Method, &x.URL, &x.PayloadID,
			&x.IdempotencyKey, &reqH, &x.StatusCode, &respH, &x.ResponseBody, &outcome, &x.Err, &x.Tries,
			&x.StartedAt, &ms); err != nil {
			return nil, fmt.Errorf("exchanges of %s: %w", obligationID, err)
		}
		x.ObligationID = obligationID
		x.Outcome = Outcome(outcome)
		x.Duration = time.Duration(ms) * time.Millisecond
		_ = json.Unmarshal(reqH, &x.RequestHeaders)
		_ = json.Unmarshal(respH, &x.ResponseHeaders)
		out = append(out, x)
	}
	return out, rows.Err()
}

// Party is a source, destination or business transaction of an event.
type Party struct {
	Kind  string // source, destination, biz_transaction
	Type  string
	Value string
}

// AddEventParties records the sources, destinations and business transactions of a recorded
// event (idempotent).
func (s *Store) AddEventParties(ctx context.Context, eventPK int64, parties []Party) error {
	b := &pgx.Batch{}
	for _, p := range parties {
		b.Queue(q.Get("InsertEventParty"), eventPK, p.Kind, p.Type, p.Value)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("event parties of %d: %w", eventPK, err)
	}
	return nil
}

// ShippingEvent is a recorded shipping event of a document.
type ShippingEvent struct {
	Idx     int
	PK      int64
	EventID string
}

// ShippingEvents returns the shipping events recorded from a document.
func (s *Store) ShippingEvents(ctx context.Context, receiptID string) ([]ShippingEvent, error) {
	rows, err := s.pool.Query(ctx, q.Get("ShippingEvents"), receiptID)
	if err != nil {
		return nil, fmt.Errorf("shipping events of %s: %w", receiptID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ShippingEvent, error) {
		var e ShippingEvent
		err := r.Scan(&e.Idx, &e.PK, &e.EventID)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("shipping events of %s: %w", receiptID, err)
	}
	return out, nil
}

// PendingObligations returns obligations still pending after age: id and gateway.
func (s *Store) PendingObligations(ctx context.Context, age time.Duration) ([][2]string, error) {
	rows, err := s.pool.Query(ctx, q.Get("PendingObligations"), age.Seconds())
	if err != nil {
		return nil, fmt.Errorf("pending obligations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var v [2]string
		err := r.Scan(&v[0], &v[1])
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending obligations: %w", err)
	}
	return out, nil
}
