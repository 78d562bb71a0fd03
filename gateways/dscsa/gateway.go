package dscsa

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Name is the gateway's name.
const Name = "dscsa"

// Transports a partner can be reached by.
const (
	TransportHTTPS   = "https"   // POST of the file to the endpoint
	TransportCapture = "capture" // EPCIS 2.0 REST capture: POST {endpoint}/capture, poll the job
	TransportAS2     = "as2"     // AS2 (RFC 4130): signed, encrypted, signed MDN (Config.AS2)
)

// Source assembles the shipment of an obligation.
type Source interface {
	Shipment(ctx context.Context, ob gateways.Obligation) (*Shipment, error)
}

// Partners finds a partner's delivery settings (masterdata.Store).
type Partners interface {
	Delivery(ctx context.Context, gln string) (gateways.Partner, error)
}

// Config is what the adapter needs.
type Config struct {
	Source   Source
	Partners Partners
	Signer   *gateways.Signer // nil: files go out unsigned
	HTTP     *gateways.HTTPClient
	// Secret resolves a partner's credentials reference to the bearer token to present.
	Secret func(ref string) (string, error)
	// AS2 delivers to partners whose transport is as2 (as2.Sender); nil: not configured.
	AS2 AS2Sender
}

// AS2Sender sends a payload by AS2 to endpoint and interprets the signed MDN.
type AS2Sender interface {
	Deliver(ctx context.Context, ob gateways.Obligation, endpoint string, h http.Header, p gateways.Payload) (gateways.Answer, error)
}

// Gateway is the DSCSA adapter.
type Gateway struct{ cfg Config }

var _ gateways.Gateway = (*Gateway)(nil)

// New returns the adapter.
func New(cfg Config) *Gateway { return &Gateway{cfg: cfg} }

// Name implements gateways.Gateway.
func (g *Gateway) Name() string { return Name }

// Build writes the shipment's EPCIS 1.2 file.
func (g *Gateway) Build(ctx context.Context, ob gateways.Obligation) (gateways.Payload, error) {
	sh, err := g.cfg.Source.Shipment(ctx, ob)
	if err != nil {
		return gateways.Payload{}, err
	}
	body, err := sh.Bytes()
	if err != nil {
		return gateways.Payload{}, fmt.Errorf("build %s: %w", ob.ID, err)
	}
	return gateways.Payload{ContentType: "application/xml", Filename: fileName(ob), Body: body}, nil
}

func fileName(ob gateways.Obligation) string {
	r := strings.NewReplacer(":", "_", "/", "_", ";", "_", "?", "_", "=", "_")
	return r.Replace(ob.ID) + ".xml"
}

// Sign adds the enveloped XML-DSig signature.
func (g *Gateway) Sign(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Payload, error) {
	if g.cfg.Signer == nil {
		return p, nil
	}
	body, err := g.cfg.Signer.SignEnveloped(p.Body)
	if err != nil {
		return p, fmt.Errorf("sign %s: %w", ob.ID, err)
	}
	p.Body = body
	return p, nil
}

func (g *Gateway) partner(ctx context.Context, ob gateways.Obligation) (gateways.Partner, http.Header, error) {
	pt, err := g.cfg.Partners.Delivery(ctx, ob.PartnerGLN)
	if domain.ErrorCode(err) == domain.CodeNotFound || (err == nil && (pt.Transport == "" || pt.Endpoint == "")) {
		// Settings may be added later: retried until the deadline, not rejected.
		return pt, nil, domain.Errorf(domain.CodeUnavailable, "partner %s has no delivery settings", ob.PartnerGLN)
	}
	if err != nil {
		return pt, nil, err
	}
	if !pt.Enabled {
		return pt, nil, domain.Errorf(domain.CodeUnavailable, "delivery to partner %s is disabled", pt.GLN)
	}
	h := http.Header{}
	if pt.CredentialsRef != "" && g.cfg.Secret != nil {
		tok, err := g.cfg.Secret(pt.CredentialsRef)
		if err != nil {
			return pt, nil, domain.Errorf(domain.CodeUnavailable, "credentials %s of partner %s: %v", pt.CredentialsRef, pt.GLN, err)
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	return pt, h, nil
}

// Deliver sends the file by the partner's transport.
func (g *Gateway) Deliver(ctx context.Context, ob gateways.Obligation, p gateways.Payload) (gateways.Answer, error) {
	pt, h, err := g.partner(ctx, ob)
	if err != nil {
		return gateways.Answer{}, err
	}
	h.Set("Content-Type", p.ContentType)
	h.Set("X-Document-Id", ob.ID)
	req := gateways.Request{ObligationID: ob.ID, Step: "deliver", Transport: pt.Transport, Method: http.MethodPost,
		Header: h, Body: p.Body, PayloadID: p.ID, IdempotencyKey: ob.ID}
	switch pt.Transport {
	case TransportHTTPS:
		req.URL = pt.Endpoint
		ans, _, err := g.cfg.HTTP.Do(ctx, req, classify)
		return ans, err
	case TransportCapture:
		req.URL = strings.TrimRight(pt.Endpoint, "/") + "/capture"
		h.Set("GS1-EPCIS-Version", "1.2")
		h.Set("GS1-CBV-Version", "1.2")
		ans, _, err := g.cfg.HTTP.Do(ctx, req, func(r gateways.Response) gateways.Answer {
			a := classify(r)
			if r.StatusCode == http.StatusAccepted {
				loc := r.Header.Get("Location")
				if loc == "" {
					return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{"capture answered 202 without a Location"}}
				}
				return gateways.Answer{Outcome: gateways.Pending, AckRef: resolve(req.URL, loc)}
			}
			return a
		})
		return ans, err
	case TransportAS2:
		if g.cfg.AS2 == nil {
			return gateways.Answer{}, domain.Errorf(domain.CodeUnavailable, "AS2 is not configured (partner %s)", pt.GLN)
		}
		h.Del("Content-Type") // the AS2 message has its own
		return g.cfg.AS2.Deliver(ctx, ob, pt.Endpoint, h, p)
	default:
		return gateways.Answer{}, domain.Errorf(domain.CodeUnavailable, "transport %q of partner %s is not implemented", pt.Transport, pt.GLN)
	}
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

// classify interprets a partner's HTTP answer. A 409 means the partner holds the file under
// this idempotency key already: delivered. 401/403/404 are our configuration (credentials,
// endpoint) and heal when it is fixed, so they are retried, not rejected.
func classify(r gateways.Response) gateways.Answer {
	switch r.StatusCode {
	case http.StatusConflict:
		return gateways.Answer{Outcome: gateways.Accepted, Reasons: []string{"already received (duplicate)"}}
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return gateways.Answer{Outcome: gateways.Retry, Reasons: []string{fmt.Sprintf("HTTP %d from partner: check endpoint and credentials", r.StatusCode)}}
	}
	a := gateways.ClassifyHTTP(r)
	if a.Outcome == gateways.Rejected {
		var body struct {
			Errors []string `json:"errors"`
		}
		if json.Unmarshal(r.Body, &body) == nil && len(body.Errors) > 0 {
			a.Reasons = body.Errors
		}
	}
	return a
}

// CaptureJob is the EPCIS 2.0 capture job resource (GET /capture/{captureID}).
type CaptureJob struct {
	CaptureID             string   `json:"captureID"`
	CreatedAt             string   `json:"createdAt,omitempty"`
	Running               bool     `json:"running"`
	Success               bool     `json:"success"`
	CaptureErrorBehaviour string   `json:"captureErrorBehaviour,omitempty"`
	Errors                []string `json:"errors,omitempty"`
}

// Poll reads the capture job of an earlier Pending delivery.
func (g *Gateway) Poll(ctx context.Context, ob gateways.Obligation, ackRef string) (gateways.Answer, error) {
	pt, h, err := g.partner(ctx, ob)
	if err != nil {
		return gateways.Answer{}, err
	}
	h.Set("Accept", "application/json")
	req := gateways.Request{ObligationID: ob.ID, Step: "poll", Transport: pt.Transport, Method: http.MethodGet,
		URL: ackRef, Header: h}
	ans, _, err := g.cfg.HTTP.Do(ctx, req, func(r gateways.Response) gateways.Answer {
		if r.StatusCode != http.StatusOK {
			a := classify(r)
			if r.StatusCode == http.StatusNotFound {
				// The job vanished (partner restarted): deliver again; the idempotency
				// key keeps the partner from taking it twice.
				return gateways.Answer{Outcome: gateways.Resend, Reasons: []string{"capture job not found"}}
			}
			return a
		}
		var job CaptureJob
		if err := json.Unmarshal(r.Body, &job); err != nil {
			return gateways.Answer{Outcome: gateways.Retry, Reasons: []string{"capture job: " + err.Error()}}
		}
		switch {
		case job.Running:
			return gateways.Answer{Outcome: gateways.Pending, AckRef: ackRef, RetryAfter: gateways.RetryAfter(r.Header, time.Now())}
		case job.Success:
			return gateways.Answer{Outcome: gateways.Accepted, AckRef: ackRef}
		default:
			return gateways.Answer{Outcome: gateways.Rejected, AckRef: ackRef, Reasons: job.Errors}
		}
	})
	return ans, err
}
