// Package recallnotice is the gateway of recall notices: the EPCIS notice a recall owes a
// trading partner (built by workflows/recall and stored in PostgreSQL), signed like every
// file the hub sends, and delivered through the partner's own transport — the DSCSA adapter's
// HTTPS, EPCIS capture and AS2 — as an obligation of the submission workflow. The idempotency
// key is the obligation id, recallnotice-<recall id>-<partner GLN>.
package recallnotice

import (
	"context"
	"fmt"

	"github.com/serialhub/serialhub/gateways"
)

// Name is the gateway's name (task queue serialhub-submission-recallnotice).
const Name = "recallnotice"

// Kind is the obligation kind of a recall notice.
const Kind = "recall_notice"

// Notices reads the stored EPCIS notice of a recall for a partner (workflows/recall's store).
type Notices interface {
	NoticeEPCIS(ctx context.Context, recallID, partnerGLN string) ([]byte, error)
}

// Transport signs a payload as the hub signs every file to partners, delivers it by the
// partner's transport and polls for the acknowledgement (the DSCSA adapter, *dscsa.Gateway,
// with its signer).
type Transport interface {
	Sign(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Payload, error)
	Deliver(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Answer, error)
	Poll(ctx context.Context, ob gateways.Obligation, ackRef string) (gateways.Answer, error)
}

// Config is what the gateway needs.
type Config struct {
	Notices   Notices
	Transport Transport
}

// Gateway sends recall notices.
type Gateway struct{ cfg Config }

var _ gateways.Gateway = (*Gateway)(nil)

// New returns the gateway.
func New(cfg Config) *Gateway { return &Gateway{cfg: cfg} }

// Name implements gateways.Gateway.
func (g *Gateway) Name() string { return Name }

// Build returns the stored EPCIS notice: its bytes were fixed when the recall was prepared.
func (g *Gateway) Build(ctx context.Context, ob gateways.Obligation) (gateways.Payload, error) {
	body, err := g.cfg.Notices.NoticeEPCIS(ctx, ob.Subject, ob.PartnerGLN)
	if err != nil {
		return gateways.Payload{}, fmt.Errorf("build %s: %w", ob.ID, err)
	}
	return gateways.Payload{ContentType: "application/xml", Filename: ob.ID + ".xml", Body: body}, nil
}

// Sign adds the enveloped XML-DSig signature, as on DSCSA files.
func (g *Gateway) Sign(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Payload, error) {
	return g.cfg.Transport.Sign(ctx, ob, p)
}

// Deliver sends the notice by the partner's transport under the idempotency key ob.ID.
func (g *Gateway) Deliver(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Answer, error) {
	return g.cfg.Transport.Deliver(ctx, ob, p)
}

// Poll asks for the acknowledgement of a pending delivery (a capture job).
func (g *Gateway) Poll(ctx context.Context, ob gateways.Obligation, ackRef string) (gateways.Answer, error) {
	return g.cfg.Transport.Poll(ctx, ob, ackRef)
}
