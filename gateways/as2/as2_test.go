package as2

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/gateways"
)

// identity makes a fresh certificate and key at test time: no private key is committed.
func identity(t testing.TB, cn string) Identity {
	t.Helper()
	c, k, err := gateways.SelfSigned(cn)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseIdentity(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRoundTrip(t *testing.T) {
	hub, partner, other := identity(t, "hub"), identity(t, "partner"), identity(t, "intruder")
	doc := []byte("<?xml version=\"1.0\"?>\r\n<epcis>\n  binary \x00 bytes stay\r\n</epcis>")
	msgID := MessageID("dscsa-urn:uuid:1-0614141000012", "serialhub")
	if strings.ContainsAny(msgID, ":<> ") {
		t.Fatalf("message id %q", msgID)
	}
	h, body, mic, err := Pack(Message{MessageID: msgID, From: "SERIALHUB", To: "PARTNER ONE", Filename: "f.xml",
		ContentType: "application/xml", Body: doc, ReceiptTo: "SERIALHUB"}, hub, partner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AS2-From", "AS2-To", "Message-ID", "Disposition-Notification-To", "Disposition-Notification-Options"} {
		if h.Get(k) == "" {
			t.Errorf("header %s missing", k)
		}
	}
	if bytes.Contains(body, []byte("binary")) {
		t.Fatal("the document travels in clear")
	}
	got, err := Open(h, body, partner, hub.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, doc) || got.MessageID != msgID || got.To != "PARTNER ONE" || got.Filename != "f.xml" || got.MIC != mic {
		t.Fatalf("opened %+v (mic %s, sent %s)", got, got.MIC, mic)
	}

	// Failures a receiver reports in its MDN.
	var ae *Error
	if _, err := Open(h, body, other, hub.Cert); !errors.As(err, &ae) || ae.Modifier != "decryption-failed" {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := Open(h, body, partner, other.Cert); !errors.As(err, &ae) || ae.Modifier != "authentication-failed" {
		t.Errorf("wrong sender: %v", err)
	}
	h2, body2, _, _ := Pack(Message{MessageID: "x@y", From: "A", To: "B", ContentType: "application/xml", Body: doc}, other, partner.Cert)
	if _, err := Open(h2, body2, partner, hub.Cert); !errors.As(err, &ae) || ae.Modifier != "authentication-failed" {
		t.Errorf("signed by an intruder: %v", err)
	}

	// The receipts and how the sender reads them.
	mdn := func(signer Identity, m MDN) gateways.Response {
		ct, b, err := BuildMDN(m, signer)
		if err != nil {
			t.Fatal(err)
		}
		return gateways.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ct}}, Body: b}
	}
	ok := MDN{ReportingUA: "sim", Recipient: "PARTNER ONE", OriginalMessageID: msgID, Disposition: DispositionProcessed, MIC: got.MIC, Text: "taken"}
	okResp := mdn(partner, ok)
	parsed, err := ParseMDN(okResp.Header, okResp.Body, partner.Cert)
	if err != nil || parsed != ok {
		t.Fatalf("ParseMDN = %+v, %v; want %+v", parsed, err, ok)
	}
	tests := []struct {
		name    string
		resp    gateways.Response
		outcome gateways.Outcome
		reason  string
	}{
		{"processed", mdn(partner, ok), gateways.Accepted, ""},
		{"duplicate warning", mdn(partner, func() MDN { m := ok; m.Disposition += "/warning: duplicate-document"; return m }()), gateways.Accepted, ""},
		{"error", mdn(partner, func() MDN {
			m := ok
			m.Disposition = DispositionError("unexpected-processing-error")
			m.MIC = ""
			return m
		}()),
			gateways.Rejected, "unexpected-processing-error"},
		{"wrong MIC", mdn(partner, func() MDN { m := ok; m.MIC = MIC([]byte("else")); return m }()), gateways.Rejected, "MIC"},
		{"other message", mdn(partner, func() MDN { m := ok; m.OriginalMessageID = "z@y"; return m }()), gateways.Rejected, "MDN for message"},
		{"signed by another", mdn(other, ok), gateways.Rejected, "authentication-failed"},
		{"unsigned", gateways.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("ok")}, gateways.Rejected, "not signed"},
		{"outage", gateways.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"7"}}}, gateways.Retry, ""},
	}
	for _, tc := range tests {
		a := InterpretMDN(tc.resp, partner.Cert, msgID, mic)
		if a.Outcome != tc.outcome || (tc.reason != "" && !strings.Contains(strings.Join(a.Reasons, ";"), tc.reason)) {
			t.Errorf("%s: %+v", tc.name, a)
		}
	}
}

func BenchmarkPackOpen(b *testing.B) {
	hub, partner := identity(b, "hub"), identity(b, "partner")
	doc := bytes.Repeat([]byte("<event>0123456789</event>\n"), 40000) // ≈1 MB
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		h, body, _, err := Pack(Message{MessageID: "m@x", From: "A", To: "B", ContentType: "application/xml", Body: doc}, hub, partner.Cert)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Open(h, body, partner, hub.Cert); err != nil {
			b.Fatal(err)
		}
	}
}
