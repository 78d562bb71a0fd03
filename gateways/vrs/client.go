package vrs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Requester asks partners' verification responders, through the shared retrying HTTP client.
type Requester struct {
	HTTP *gateways.HTTPClient
	// RequestorGLN is the hub's GLN, sent as reqGLN.
	RequestorGLN string
	// Secret resolves a partner's credentials reference to the bearer token to present.
	Secret func(ref string) (string, error)
}

// Ask sends r (normalised) to the responder at base (the Digital Link path is appended) with
// the bearer token, and returns its answer and the HTTP status. An answer other than 200 with
// an LMS body is an error carrying the status.
func (q *Requester) Ask(ctx context.Context, base, token string, r Request) (Response, int, error) {
	if r.RequestorGLN == "" {
		r.RequestorGLN = q.RequestorGLN
	}
	if r.CorrUUID == "" {
		r.CorrUUID = newUUID()
	}
	h := http.Header{"Accept": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	url := strings.TrimRight(base, "/") + r.Path()
	_, resp, err := q.HTTP.Do(ctx, gateways.Request{Step: "verify", Transport: "vrs", Method: http.MethodGet,
		URL: url, Header: h}, gateways.ClassifyHTTP)
	if err != nil {
		return Response{}, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return Response{}, resp.StatusCode, fmt.Errorf("verify: responder answered HTTP %d: %.200s", resp.StatusCode, resp.Body)
	}
	var out Response
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return Response{}, resp.StatusCode, fmt.Errorf("verify: responder's answer: %w", err)
	}
	if out.CorrUUID != "" && out.CorrUUID != r.CorrUUID {
		return out, resp.StatusCode, fmt.Errorf("verify: answer for corrUUID %q, asked %q", out.CorrUUID, r.CorrUUID)
	}
	return out, resp.StatusCode, nil
}

// PartnerStore finds partners' responders and logs requests (Store).
type PartnerStore interface {
	Partner(ctx context.Context, gln string) (Partner, error)
	Log(ctx context.Context, e LogEntry) (int64, error)
}

// AskPartner asks the partner with the GLN and logs the exchange, answered or not.
func (q *Requester) AskPartner(ctx context.Context, st PartnerStore, gln string, r Request) (Response, error) {
	r, err := r.Normalize()
	if err != nil {
		return Response{}, err
	}
	p, err := st.Partner(ctx, gln)
	if err != nil {
		return Response{}, err
	}
	if !p.Enabled {
		return Response{}, domain.Errorf(domain.CodeUnavailable, "verification with partner %s is disabled", gln)
	}
	var token string
	if p.CredentialsRef != "" && q.Secret != nil {
		if token, err = q.Secret(p.CredentialsRef); err != nil {
			return Response{}, domain.Errorf(domain.CodeUnavailable, "credentials %s of partner %s: %v", p.CredentialsRef, gln, err)
		}
	}
	if r.RequestorGLN == "" {
		r.RequestorGLN = q.RequestorGLN
	}
	if r.CorrUUID == "" {
		r.CorrUUID = newUUID()
	}
	start := time.Now()
	resp, status, askErr := q.Ask(ctx, p.Endpoint, token, r)
	e := LogEntry{Direction: Outbound, PartnerGLN: gln, Request: r, Responder: resp.ResponderGLN, Data: resp.Data,
		HTTPStatus: status, At: start, Duration: time.Since(start)}
	if askErr != nil {
		e.Err = askErr.Error()
	} else {
		v := resp.Data.Verified
		e.Verified = &v
	}
	if _, err := st.Log(context.WithoutCancel(ctx), e); err != nil {
		return resp, err
	}
	if askErr != nil {
		return resp, domain.Errorf(domain.CodeUnavailable, "partner %s: %v", gln, askErr)
	}
	return resp, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
