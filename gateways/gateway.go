package gateways

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Obligation is one report owed to one receiver: e.g. the DSCSA file of one shipment to one
// trading partner. ID is built from the business identity, so deriving it twice is harmless,
// and it is the idempotency key of every delivery.
type Obligation struct {
	ID         string    `json:"id"`
	Gateway    string    `json:"gateway"`
	Kind       string    `json:"kind"`
	Subject    string    `json:"subject"` // e.g. the shipping event's id
	EventPK    int64     `json:"-"`
	ReceiptID  string    `json:"receipt_id,omitempty"`
	SiteID     string    `json:"site_id,omitempty"`
	PartnerGLN string    `json:"partner_gln"`
	CreatedAt  time.Time `json:"created_at"`
}

// Payload is what is sent: the exact bytes, stored before they leave the hub.
type Payload struct {
	ID          int64
	ContentType string
	Filename    string
	Body        []byte
}

// Outcome is how a receiver answered.
type Outcome string

// The outcomes.
const (
	Accepted Outcome = "accepted" // received and accepted; nothing more to wait for
	Pending  Outcome = "pending"  // received; an acknowledgement follows (poll AckRef or callback)
	Rejected Outcome = "rejected" // refused for good; Reasons say why
	Retry    Outcome = "retry"    // not now: outage, throttling; try again after RetryAfter (0: backoff)
	Resend   Outcome = "resend"   // the receiver lost what it took (a vanished capture job): deliver again
)

// Answer is the interpreted answer of a receiver.
type Answer struct {
	Outcome    Outcome       `json:"outcome"`
	Reasons    []string      `json:"reasons,omitempty"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// AckRef is what to poll for the acknowledgement (a capture job URL, a message id).
	AckRef string `json:"ack_ref,omitempty"`
}

// Gateway is the contract of a reporting adapter. Implementations are safe for concurrent use
// and record every exchange through the Recorder found in the context (see WithRecorder).
type Gateway interface {
	// Name is the gateway's name ("dscsa"), also the suffix of its task queue.
	Name() string
	// Build returns the payload of the obligation. It must be deterministic enough that
	// building twice yields an equivalent file; the first build is stored and reused.
	Build(ctx context.Context, ob Obligation) (Payload, error)
	// Sign returns the signed payload (or p unchanged when the gateway signs nothing).
	Sign(ctx context.Context, ob Obligation, p Payload) (Payload, error)
	// Deliver sends the payload with the idempotency key ob.ID. An error means the exchange
	// failed without an answer (network, timeout): the caller retries.
	Deliver(ctx context.Context, ob Obligation, p Payload) (Answer, error)
	// Poll asks for the acknowledgement of an earlier Pending answer.
	Poll(ctx context.Context, ob Obligation, ackRef string) (Answer, error)
}

// ErrNoPartner is returned (wrapped in a domain error) when a receiver has no delivery
// settings.
var ErrNoPartner = errors.New("no delivery settings for partner")

// Registry finds gateways by name.
type Registry map[string]Gateway

// Get returns the named gateway.
func (r Registry) Get(name string) (Gateway, error) {
	g, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("gateway %q is not configured", name)
	}
	return g, nil
}
