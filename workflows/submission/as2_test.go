package submission

import (
	"net/http/httptest"
	"testing"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/gateways/dscsa/sim"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// TestAS2Transport: three shipments to a partner reached by AS2, through the real Temporal
// server and PostgreSQL (settings in as2_partners), while the partner is down (503 with
// Retry-After) for a stretch and then drops the answer to a message it took: every file is
// taken exactly once, each submission is accepted on a signed MDN whose MIC matched.
func TestAS2Transport(t *testing.T) {
	e := newEnv(t, dscsa.TransportHTTPS, sim.Config{})
	mk := func(cn string) ([]byte, []byte, as2.Identity) {
		c, k, err := gateways.SelfSigned(cn)
		if err != nil {
			t.Fatal(err)
		}
		id, err := as2.ParseIdentity(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return c, k, id
	}
	hubPEM, hubKey, hub := mk("hub") // one identity signs the files (XML-DSig) and the AS2 messages
	partnerPEM, _, partner := mk("partner")
	signer, err := gateways.ParseSigner(hubPEM, hubKey)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Config{XSD: vectorsXSD(t), TrustedCertPEM: hubPEM, AS2: &sim.AS2Config{Self: partner, Sender: hub.Cert, ID: "SIM"}})
	s.SetFaults(sim.Faults{Fail: 2, RetryAfter: 1, DropAnswer: 1})
	srv := httptest.NewTLSServer(s.Handler())
	t.Cleanup(srv.Close)
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: srvRoots(srv)})
	if err != nil {
		t.Fatal(err)
	}
	gln := partyGLN("urn:epc:id:sgln:0012345.00000.0")
	putPartner(t, e.md, gln, "AS2 partner", masterdata.Delivery{Transport: dscsa.TransportAS2, Endpoint: srv.URL + "/as2",
		AS2ID: "SIM", AS2OurID: "SERIALHUB", AS2Cert: string(partnerPEM)})
	st := as2.Agreements{Partners: e.md}
	// The worker of newEnv knows no AS2: run one whose gateway does.
	e.worker.Stop()
	e.acts.Gateways = gateways.Registry{dscsa.Name: dscsa.New(dscsa.Config{Source: dscsa.PGSource{Pool: e.gw.Pool()}, Partners: e.md,
		Signer: signer, HTTP: hc, AS2: &as2.Sender{HTTP: hc, Self: hub, Settings: st}})}
	e.startWorker()

	receipt := e.ingest(39)
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(ids) != 3 {
		t.Fatalf("obligations %v, %v", ids, err)
	}
	for id, err := range e.waitAll(ids) {
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	got := s.Received()
	if len(got) != 3 {
		t.Fatalf("partner holds %d files, want 3", len(got))
	}
	redelivered := 0
	for _, r := range got {
		if r.Accepted != 1 || r.Transport != "as2" {
			t.Errorf("%s: %+v", r.Key, r)
		}
		if r.Deliveries > 1 {
			redelivered++
		}
	}
	if redelivered == 0 {
		t.Error("the dropped answer caused no second delivery")
	}
	for _, id := range ids {
		sub, err := e.gw.Submission(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != gateways.StatusAccepted {
			t.Errorf("%s: %s", id, sub.Status)
		}
		last := sub.Exchanges[len(sub.Exchanges)-1]
		if last.Transport != "as2" || last.RequestHeaders.Get("Message-ID") == "" || last.RequestHeaders.Get("AS2-To") != "SIM" {
			t.Errorf("%s: last exchange %+v", id, last)
		}
	}
}
