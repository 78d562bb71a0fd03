package dscsa

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/gateways/dscsa/sim"
)

type partnersFunc func(gln string) (gateways.Partner, error)

func (f partnersFunc) Delivery(_ context.Context, gln string) (gateways.Partner, error) {
	return f(gln)
}

type as2Settings as2.Settings

func (s as2Settings) Settings(context.Context, string) (as2.Settings, error) {
	return as2.Settings(s), nil
}

// TestAS2Delivery sends a signed DSCSA file by AS2 to the simulated partner, which decrypts
// it, verifies the CMS signature, validates the file (XSD, XML-DSig with xmlsec1) and answers
// a signed MDN; the hub checks the MDN's signature and MIC. Then the partner's faults: a
// failed MDN, a wrong MIC, an outage, a duplicate.
func TestAS2Delivery(t *testing.T) {
	ctx := context.Background()
	mk := func(cn string) ([]byte, as2.Identity) {
		c, k, err := gateways.SelfSigned(cn)
		if err != nil {
			t.Fatal(err)
		}
		id, err := as2.ParseIdentity(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return c, id
	}
	signCert, signKey, _ := gateways.SelfSigned("hub xml signer")
	signer, err := gateways.ParseSigner(signCert, signKey)
	if err != nil {
		t.Fatal(err)
	}
	_, hub := mk("hub as2")
	_, partner := mk("partner as2")
	s := sim.New(sim.Config{XSD: xsdPath(t), TrustedCertPEM: signCert,
		AS2: &sim.AS2Config{Self: partner, Sender: hub.Cert, ID: "SIMPARTNER"}})
	srv := httptest.NewTLSServer(s.Handler())
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: roots, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	g := New(Config{Signer: signer, HTTP: hc,
		Partners: partnersFunc(func(gln string) (gateways.Partner, error) {
			return gateways.Partner{GLN: gln, Transport: TransportAS2, Endpoint: srv.URL + "/as2", Enabled: true}, nil
		}),
		AS2: &as2.Sender{HTTP: hc, Self: hub, Settings: as2Settings{To: "SIMPARTNER", From: "SERIALHUB", Cert: partner.Cert}}})

	var file bytes.Buffer
	if err := SampleShipment(12).WriteFile(&file); err != nil {
		t.Fatal(err)
	}
	send := func(id string) gateways.Answer {
		t.Helper()
		ob := gateways.Obligation{ID: id, PartnerGLN: "0399999999991"}
		p, err := g.Sign(ctx, ob, gateways.Payload{ID: 1, ContentType: "application/xml", Filename: "f.xml", Body: file.Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		ans, err := g.Deliver(ctx, ob, p)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return ans
	}
	reasons := func(a gateways.Answer) string { return strings.Join(a.Reasons, "; ") }

	if a := send("dscsa-a"); a.Outcome != gateways.Accepted {
		t.Fatalf("delivery: %+v", a)
	}
	if a := send("dscsa-a"); a.Outcome != gateways.Accepted { // the same message again: a duplicate warning
		t.Fatalf("again: %+v", a)
	}
	s.SetFaults(sim.Faults{WrongMIC: 1})
	if a := send("dscsa-b"); a.Outcome != gateways.Rejected || !strings.Contains(reasons(a), "MIC") {
		t.Errorf("wrong MIC: %+v", a)
	}
	s.SetFaults(sim.Faults{Reject: []string{"unknown product"}})
	if a := send("dscsa-c"); a.Outcome != gateways.Rejected || !strings.Contains(reasons(a), "unknown product") {
		t.Errorf("failed MDN: %+v", a)
	}
	s.SetFaults(sim.Faults{Fail: 5, RetryAfter: 30})
	if a := send("dscsa-d"); a.Outcome != gateways.Retry || a.RetryAfter != 30*time.Second {
		t.Errorf("outage: %+v", a)
	}
	s.SetFaults(sim.Faults{})
	got := map[string]sim.Received{}
	for _, r := range s.Received() {
		got[r.Key] = r
	}
	if r := got["dscsa-a"]; r.Accepted != 1 || r.Deliveries != 2 || r.Transport != "as2" {
		t.Errorf("partner holds %+v", r)
	}
	if !bytes.Contains(s.Body("dscsa-a"), []byte("<ds:Signature")) && !bytes.Contains(s.Body("dscsa-a"), []byte("Signature")) {
		t.Error("the partner did not get the signed file")
	}
	if r := got["dscsa-c"]; r.Accepted != 0 || len(r.Rejected) == 0 {
		t.Errorf("rejected file held as %+v", r)
	}

	// A sender the partner does not know: the MDN says authentication-failed.
	_, intruder := mk("intruder")
	g.cfg.AS2 = &as2.Sender{HTTP: hc, Self: intruder, Settings: as2Settings{To: "SIMPARTNER", From: "X", Cert: partner.Cert}}
	if a := send("dscsa-e"); a.Outcome != gateways.Rejected || !strings.Contains(reasons(a), "authentication-failed") {
		t.Errorf("intruder: %+v", a)
	}
}
