package main

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	dscsasim "github.com/serialhub/serialhub/gateways/dscsa/sim"
)

// testPartnerSim is the DSCSA partner simulator of a test hub, as deploy/local/stack.sh runs
// cmd/partnersim beside the local hub: TLS on loopback, a bearer token, an AS2 identity, and
// the file's schema and the hub's signature checked. The test hub makes its signing
// certificate as its worker starts, so the simulator is made by start, after the hub is up;
// until then it answers 503, as cmd/partnersim does.
type testPartnerSim struct {
	env             map[string]string // the settings the hub and the demo need
	token           string
	as2Cert, as2Key []byte

	mu  sync.Mutex
	sim *dscsasim.Sim
	h   http.Handler
}

func newTestPartnerSim(t *testing.T) *testPartnerSim {
	t.Helper()
	dir := t.TempDir()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	p := &testPartnerSim{token: hex.EncodeToString(b)}
	tlsCert, tlsKey, err := gateways.SelfSigned("test partnersim")
	if err != nil {
		t.Fatal(err)
	}
	if p.as2Cert, p.as2Key, err = gateways.SelfSigned("test partnersim as2"); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(tlsCert, tlsKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"tls.crt": tlsCert, "as2.crt": p.as2Cert, "token": []byte(p.token)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		h := p.h
		p.mu.Unlock()
		if h == nil {
			http.Error(w, "partner simulator not ready", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.env = map[string]string{
		"SERIALHUB_PARTNER_CA":          filepath.Join(dir, "tls.crt"),
		"SERIALHUB_PARTNERSIM_URL":      srv.URL,
		"SERIALHUB_PARTNERSIM_TOKEN":    "file:" + filepath.Join(dir, "token"),
		"SERIALHUB_PARTNERSIM_AS2_CERT": filepath.Join(dir, "as2.crt"),
		// As the local stack sets them for the demo's hub.
		"SERIALHUB_SUBMISSION_RETRY": "1s",
		"SERIALHUB_SUBMISSION_POLL":  "1s",
	}
	return p
}

// start makes the simulator once the hub's signing certificate is in its data folder.
func (p *testPartnerSim) start(t *testing.T, dataDir string) {
	t.Helper()
	var hubCert []byte
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; {
		if hubCert, err = os.ReadFile(filepath.Join(dataDir, "gateway-signing.crt")); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	self, err := as2.ParseIdentity(p.as2Cert, p.as2Key)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := as2.ParseCert(hubCert)
	if err != nil {
		t.Fatal(err)
	}
	cfg := dscsasim.Config{Token: p.token, TrustedCertPEM: hubCert, JobPolls: 1,
		AS2: &dscsasim.AS2Config{Self: self, Sender: sender, ID: "PARTNERSIM"}}
	if xsd := filepath.Join("..", "..", "..", "shared", "vectors", "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd"); fileExists(xsd) {
		cfg.XSD = xsd
	}
	s := dscsasim.New(cfg)
	p.mu.Lock()
	p.sim, p.h = s, s.Handler()
	p.mu.Unlock()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
