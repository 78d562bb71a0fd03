package euhub

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Requests reads what an obligation asks (Store).
type Requests interface {
	Request(ctx context.Context, obligationID string) (Request, error)
}

// Transport carries one built message to the hub and interprets the answer. SOAPTransport
// is the one of the simulator and of this message set; a real connection replaces only this.
type Transport interface {
	// Send delivers p and returns the interpreted answer with the alerts the hub raised.
	Send(ctx context.Context, ob gateways.Obligation, action string, p gateways.Payload) (gateways.Answer, []Alert, error)
}

// AlertSink takes the alerts the hub raised on our own operations (A2, A3, A7, A24 ...), to be
// stored and investigated like the ones pharmacies raise.
type AlertSink interface {
	Raised(ctx context.Context, alerts []AlertNotification) error
}

// MaxAlertsPerMessage bounds the alerts of one answer passed to the sink.
const MaxAlertsPerMessage = 100

// Config is what the adapter needs.
type Config struct {
	Requests  Requests
	Transport Transport
	Sender    string    // the MAH's id at the hub
	Alerts    AlertSink // nil: the alerts stay in the submission's reasons only
	// Now stamps the header (tests fix it); default time.Now.
	Now func() time.Time
}

// Gateway is the EU Hub adapter.
type Gateway struct{ cfg Config }

var _ gateways.Gateway = (*Gateway)(nil)

// New returns the adapter.
func New(cfg Config) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Gateway{cfg: cfg}
}

// Name implements gateways.Gateway.
func (g *Gateway) Name() string { return Name }

// Action returns the body element of a request kind.
func Action(kind string) string {
	switch kind {
	case KindProduct:
		return OpProduct
	case KindPacks:
		return OpPacks
	case KindRecall:
		return OpRecall
	case KindWithdrawal:
		return OpWithdrawal
	case KindDecommission:
		return OpDecommission
	case KindUndo:
		return OpUndo
	}
	return ""
}

// Body returns the body element of a request.
func Body(r Request) (any, error) {
	pc := ProductCode{Scheme: "GTIN", Code: r.GTIN}
	switch r.Kind {
	case KindProduct:
		if r.Product == nil {
			return nil, domain.Errorf(domain.CodeInvalid, "%s master data incomplete: no master data", A16)
		}
		return r.Product, nil
	case KindPacks:
		return &PackDataUpload{Product: pc, Batch: r.Lot, Expiry: r.Expiry, Chunk: Chunk{r.Chunk, r.Chunks}, Serials: r.Serials}, nil
	case KindRecall:
		return &BatchRecall{Product: pc, Batch: r.Lot, Reason: r.Reason}, nil
	case KindWithdrawal:
		return &ProductWithdrawal{Product: pc, Reason: r.Reason}, nil
	case KindDecommission, KindUndo:
		return &PackStatus{XMLName: xmlName(Action(r.Kind)), Product: pc, Batch: r.Lot, Expiry: r.Expiry,
			Status: r.Status, Serials: r.Serials}, nil
	}
	return nil, domain.Errorf(domain.CodeInvalid, "unknown EU Hub request kind %q", r.Kind)
}

// Build writes the obligation's SOAP message.
func (g *Gateway) Build(ctx context.Context, ob gateways.Obligation) (gateways.Payload, error) {
	r, err := g.cfg.Requests.Request(ctx, ob.ID)
	if err != nil {
		return gateways.Payload{}, err
	}
	body, err := Body(r)
	if err != nil {
		return gateways.Payload{}, err
	}
	// Created is the time of the first build: the stored bytes are what every retry sends.
	b, err := Marshal(&Header{MessageID: ob.ID, Sender: g.cfg.Sender, Created: g.cfg.Now().UTC().Format(time.RFC3339)}, body)
	if err != nil {
		return gateways.Payload{}, fmt.Errorf("build %s: %w", ob.ID, err)
	}
	return gateways.Payload{ContentType: "text/xml; charset=utf-8", Filename: ob.ID + ".xml", Body: b}, nil
}

// Sign returns p unchanged: the hub authenticates the connection (client certificate or
// credential), not the message.
func (g *Gateway) Sign(_ context.Context, _ gateways.Obligation, p gateways.Payload) (gateways.Payload, error) {
	return p, nil
}

// Deliver sends the message; the MessageId (the obligation id) makes it idempotent.
func (g *Gateway) Deliver(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Answer, error) {
	ans, alerts, err := g.cfg.Transport.Send(ctx, ob, Action(ob.Kind), p)
	if err != nil || len(alerts) == 0 || g.cfg.Alerts == nil {
		return ans, err
	}
	// The alert ids derive from the message and the pack: a repeated delivery raises none twice.
	r, err := g.cfg.Requests.Request(ctx, ob.ID)
	if err != nil {
		return ans, err
	}
	now := g.cfg.Now().UTC()
	var out []AlertNotification
	for _, a := range alerts[:min(len(alerts), MaxAlertsPerMessage)] {
		id := ob.ID + "-" + a.Code
		if a.Serial != "" {
			id += "-" + a.Serial
		}
		out = append(out, AlertNotification{AlertID: id, Code: a.Code, Raised: now, Product: ProductCode{Scheme: "GTIN", Code: r.GTIN},
			Batch: r.Lot, Expiry: r.Expiry, Serial: a.Serial, Text: a.Text + " (on " + Action(ob.Kind) + ")"})
	}
	if err := g.cfg.Alerts.Raised(ctx, out); err != nil {
		return ans, fmt.Errorf("record the alerts of %s: %w", ob.ID, err)
	}
	return ans, nil
}

// Poll is never needed (the hub answers synchronously); a submission that asks delivers again
// under the same MessageId, which the hub answers with its first acknowledgement.
func (g *Gateway) Poll(_ context.Context, _ gateways.Obligation, _ string) (gateways.Answer, error) {
	return gateways.Answer{Outcome: gateways.Resend}, nil
}

// Partners finds the hub's delivery settings (Store.Delivery: the EU Hub's connection).
type Partners interface {
	Delivery(ctx context.Context, gln string) (gateways.Partner, error)
}

// SOAPTransport posts the envelope to {endpoint}/soap of the hub's delivery settings.
type SOAPTransport struct {
	Partners Partners
	HTTP     *gateways.HTTPClient
	// Secret resolves the credentials reference to the bearer token to present.
	Secret func(ref string) (string, error)
}

// Send implements Transport.
func (t *SOAPTransport) Send(ctx context.Context, ob gateways.Obligation, action string, p gateways.Payload) (gateways.Answer, []Alert, error) {
	pt, err := t.Partners.Delivery(ctx, ob.PartnerGLN)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return gateways.Answer{}, nil, domain.Errorf(domain.CodeUnavailable, "the EU Hub (%s) has no delivery settings", ob.PartnerGLN)
	}
	if err != nil {
		return gateways.Answer{}, nil, err
	}
	if !pt.Enabled {
		return gateways.Answer{}, nil, domain.Errorf(domain.CodeUnavailable, "delivery to the EU Hub is disabled")
	}
	h := http.Header{}
	h.Set("Content-Type", p.ContentType)
	h.Set("SOAPAction", `"`+NS+"/"+action+`"`)
	if pt.CredentialsRef != "" && t.Secret != nil {
		tok, err := t.Secret(pt.CredentialsRef)
		if err != nil {
			return gateways.Answer{}, nil, domain.Errorf(domain.CodeUnavailable, "EU Hub credentials %s: %v", pt.CredentialsRef, err)
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	ans, resp, err := t.HTTP.Do(ctx, gateways.Request{ObligationID: ob.ID, Step: "deliver", Transport: "soap",
		Method: http.MethodPost, URL: strings.TrimRight(pt.Endpoint, "/") + "/soap", Header: h, Body: p.Body,
		PayloadID: p.ID, IdempotencyKey: ob.ID}, Interpret)
	if err != nil || resp.StatusCode != http.StatusOK {
		return ans, nil, err
	}
	var alerts []Alert
	if e, perr := Unmarshal(resp.Body); perr == nil && e.Body.Ack != nil {
		alerts = e.Body.Ack.Alerts
	}
	return ans, alerts, nil
}

// Interpret reads the hub's answer: an Ack (accepted, or rejected with its alerts), a fault,
// or an HTTP status.
func Interpret(r gateways.Response) gateways.Answer {
	if r.StatusCode == http.StatusUnauthorized || r.StatusCode == http.StatusForbidden {
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{fmt.Sprintf("HTTP %d: credentials refused", r.StatusCode)}}
	}
	if r.StatusCode != http.StatusOK {
		a := gateways.ClassifyHTTP(r)
		if e, err := Unmarshal(r.Body); err == nil && e.Body.Fault != nil {
			a.Reasons = append(a.Reasons, e.Body.Fault.String)
		}
		return a
	}
	e, err := Unmarshal(r.Body)
	if err != nil || e.Body.Ack == nil {
		return gateways.Answer{Outcome: gateways.Retry, Reasons: []string{"answer is not an acknowledgement"}}
	}
	ack := e.Body.Ack
	var reasons []string
	for _, a := range ack.Alerts {
		reasons = append(reasons, a.String())
	}
	switch ack.Result {
	case "accepted":
		return gateways.Answer{Outcome: gateways.Accepted, Reasons: reasons, AckRef: ack.MessageID}
	case "rejected":
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: reasons, AckRef: ack.MessageID}
	}
	return gateways.Answer{Outcome: gateways.Retry, Reasons: []string{"acknowledgement result " + ack.Result}}
}
