package as2

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Settings are how a partner speaks AS2 with the hub: the AS2 agreement of its master-data
// record (as2_id, as2_our_id, as2_cert; the URL is its delivery endpoint).
type Settings struct {
	GLN  string
	To   string // the partner's AS2 identifier
	From string // ours, as the partner knows us
	Cert *x509.Certificate
}

// Partners finds partners' delivery settings (masterdata.Store).
type Partners interface {
	Delivery(ctx context.Context, gln string) (gateways.Partner, error)
}

// Agreements reads partners' AS2 settings from their delivery settings.
type Agreements struct{ Partners Partners }

// Settings returns the partner's AS2 settings (NotFound: no AS2 agreement).
func (a Agreements) Settings(ctx context.Context, gln string) (Settings, error) {
	pt, err := a.Partners.Delivery(ctx, gln)
	if err != nil {
		return Settings{}, err
	}
	if pt.AS2ID == "" || pt.AS2OurID == "" || pt.AS2Cert == "" {
		return Settings{}, domain.Errorf(domain.CodeNotFound, "partner %s has no AS2 settings", gln)
	}
	st := Settings{GLN: pt.GLN, To: pt.AS2ID, From: pt.AS2OurID}
	if st.Cert, err = ParseCert([]byte(pt.AS2Cert)); err != nil {
		return st, domain.Errorf(domain.CodeUnavailable, "AS2 certificate of partner %s: %v", gln, err)
	}
	return st, nil
}

// SettingsSource finds partners' AS2 settings (Agreements).
type SettingsSource interface {
	Settings(ctx context.Context, gln string) (Settings, error)
}

// Sender delivers gateway payloads by AS2 with a synchronous signed MDN.
type Sender struct {
	HTTP     *gateways.HTTPClient
	Self     Identity
	Settings SettingsSource
	// Domain is the right-hand side of Message-IDs; default "serialhub".
	Domain string
	// ReceiptTo is the Disposition-Notification-To value; default our AS2 id.
	ReceiptTo string
}

// Deliver sends p to the partner's AS2 endpoint. The Message-ID is derived from the
// obligation id, so a retried delivery is the same message to the receiver. The answer is
// accepted only when the MDN is signed by the partner, names our message, says processed and
// reports the MIC of what we signed; anything else is rejected with the reason, since the
// partner answered and sending again would get the same receipt.
func (s *Sender) Deliver(ctx context.Context, ob gateways.Obligation, endpoint string, h http.Header, p gateways.Payload) (gateways.Answer, error) {
	st, err := s.Settings.Settings(ctx, ob.PartnerGLN)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return gateways.Answer{}, domain.Errorf(domain.CodeUnavailable, "%s", domain.ErrorMessage(err))
	}
	if err != nil {
		return gateways.Answer{}, err
	}
	dom := s.Domain
	if dom == "" {
		dom = "serialhub"
	}
	rt := s.ReceiptTo
	if rt == "" {
		rt = st.From
	}
	msgID := MessageID(ob.ID, dom)
	ah, body, mic, err := Pack(Message{MessageID: msgID, From: st.From, To: st.To, Subject: "DSCSA " + ob.ID,
		Filename: p.Filename, ContentType: p.ContentType, Body: p.Body, ReceiptTo: rt}, s.Self, st.Cert)
	if err != nil {
		return gateways.Answer{}, err
	}
	for k, vs := range h {
		if _, set := ah[k]; !set && !strings.EqualFold(k, "Content-Type") {
			ah[k] = vs
		}
	}
	req := gateways.Request{ObligationID: ob.ID, Step: "deliver", Transport: "as2", Method: http.MethodPost,
		URL: endpoint, Header: ah, Body: body, PayloadID: p.ID, IdempotencyKey: ob.ID}
	ans, _, err := s.HTTP.Do(ctx, req, func(r gateways.Response) gateways.Answer {
		return InterpretMDN(r, st.Cert, msgID, mic)
	})
	return ans, err
}

// InterpretMDN turns the synchronous answer to message msgID (sent with MIC mic) into an
// outcome.
func InterpretMDN(r gateways.Response, partner *x509.Certificate, msgID, mic string) gateways.Answer {
	if r.StatusCode < 200 || r.StatusCode >= 300 {
		return gateways.ClassifyHTTP(r)
	}
	m, err := ParseMDN(r.Header, r.Body, partner)
	switch {
	case err != nil:
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{"MDN not acceptable: " + err.Error()}}
	case m.OriginalMessageID != msgID:
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{fmt.Sprintf("MDN for message <%s>, sent <%s>", m.OriginalMessageID, msgID)}}
	case !m.Processed():
		reason := "MDN: " + m.Disposition
		if m.Text != "" {
			reason += ": " + m.Text
		}
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{reason}}
	case !SameMIC(m.MIC, mic):
		return gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{fmt.Sprintf("MDN MIC %q differs from the MIC sent %q", m.MIC, mic)}}
	}
	return gateways.Answer{Outcome: gateways.Accepted, AckRef: "mdn:" + msgID}
}
