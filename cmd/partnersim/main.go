// Command partnersim runs the simulated DSCSA trading partner (gateways/dscsa/sim) on
// loopback for the demo and manual tests: it receives files by HTTPS POST (/dscsa), EPCIS
// capture (/capture) and AS2 (/as2, with --as2-sender), checks them, records them by
// idempotency key, shows them at GET /sim/received and takes faults at POST /sim/faults,
// e.g. {"fail": 20, "retry_after": 5} or {"down": true}. deploy/local/stack.sh starts one.
//
// Identities: with --tls-cert/--tls-key (and --as2-cert/--as2-key) the simulator keeps its
// TLS (and AS2) certificate in files, made once when missing, so that a restarted simulator
// is still the partner the hub trusts; without them it makes fresh ones at every start.
//
// The hub's certificate (--trust, --as2-sender) may not exist yet when the local stack starts
// the simulator: the hub's worker makes it on its first start. The simulator then answers 503
// (which the hub retries) until the file is there.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/gateways/dscsa/sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "partnersim:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	xsd, trust, as2Sender, as2ID string
	as2Cert, as2Key, as2CertOut  string
	token                        string
	jobPolls                     int
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:18443", "listen address (loopback only)")
	tokenEnv := flag.String("token-env", "PARTNERSIM_TOKEN", "environment variable holding the bearer token senders must present")
	var o options
	flag.StringVar(&o.xsd, "xsd", "", "EPCIS 1.2 XSD to validate files against (xmllint)")
	flag.StringVar(&o.trust, "trust", "", "PEM certificate whose signature every file must carry (xmlsec1)")
	plain := flag.Bool("http", false, "serve plain HTTP instead of TLS")
	tlsCert := flag.String("tls-cert", "", "TLS certificate (PEM); made self-signed with --tls-key when missing")
	tlsKey := flag.String("tls-key", "", "TLS key (PEM) of --tls-cert")
	certOut := flag.String("cert-out", "", "write the TLS certificate here (for the hub's SERIALHUB_PARTNER_CA)")
	flag.IntVar(&o.jobPolls, "job-polls", 1, "polls a capture job stays running")
	flag.StringVar(&o.as2Sender, "as2-sender", "", "enable the AS2 receiver (/as2): PEM certificate of the hub, which signs what it sends")
	flag.StringVar(&o.as2ID, "as2-id", "PARTNERSIM", "the simulator's AS2 identifier")
	flag.StringVar(&o.as2Cert, "as2-cert", "", "the simulator's AS2 certificate (PEM); made with --as2-key when missing")
	flag.StringVar(&o.as2Key, "as2-key", "", "AS2 key (PEM) of --as2-cert")
	flag.StringVar(&o.as2CertOut, "as2-cert-out", "", "write the simulator's AS2 certificate here (for the hub's as2_partners)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("the simulator listens on loopback only")
	}
	o.token = os.Getenv(*tokenEnv)
	// The AS2 identity is settled now (its certificate is what the hub pins), the hub's
	// certificates when the first request comes.
	var self as2.Identity
	if o.as2Sender != "" {
		if self, err = as2Identity(o.as2Cert, o.as2Key, o.as2CertOut); err != nil {
			return err
		}
	}
	p := &partner{opts: o, as2Self: self}
	srv := &http.Server{Addr: *addr, Handler: p, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		fmt.Println(p.summary())
	}()
	scheme := "http"
	if !*plain {
		certPEM, keyPEM, err := loadOrMake(*tlsCert, *tlsKey, "partnersim")
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return err
		}
		if *certOut != "" {
			if err := os.WriteFile(*certOut, certPEM, 0o644); err != nil {
				return err
			}
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	fmt.Printf("partnersim listening on %s://%s (file: /dscsa, capture: /capture, AS2: /as2; faults: POST /sim/faults)\n", scheme, *addr)
	if scheme == "https" {
		err = srv.ListenAndServeTLS("", "")
	} else {
		err = srv.ListenAndServe()
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// partner makes the simulator on the first request that finds the hub's certificates, and
// hands every request to it.
type partner struct {
	opts    options
	as2Self as2.Identity

	mu      sync.Mutex
	sim     *sim.Sim
	handler http.Handler
}

func (p *partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, err := p.get()
	if err != nil {
		http.Error(w, "partnersim not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

func (p *partner) get() (http.Handler, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.handler != nil {
		return p.handler, nil
	}
	cfg := sim.Config{Token: p.opts.token, XSD: p.opts.xsd, JobPolls: p.opts.jobPolls}
	if p.opts.trust != "" {
		b, err := os.ReadFile(p.opts.trust)
		if err != nil {
			return nil, fmt.Errorf("the hub's signing certificate: %w", err)
		}
		cfg.TrustedCertPEM = b
	}
	if p.opts.as2Sender != "" {
		b, err := os.ReadFile(p.opts.as2Sender)
		if err != nil {
			return nil, fmt.Errorf("the hub's AS2 certificate: %w", err)
		}
		sender, err := as2.ParseCert(b)
		if err != nil {
			return nil, fmt.Errorf("the hub's AS2 certificate: %w", err)
		}
		cfg.AS2 = &sim.AS2Config{Self: p.as2Self, Sender: sender, ID: p.opts.as2ID}
	}
	p.sim = sim.New(cfg)
	p.handler = p.sim.Handler()
	return p.handler, nil
}

func (p *partner) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sim == nil {
		return "no files received"
	}
	return p.sim.Summary()
}

// as2Identity loads (or makes) the simulator's AS2 identity.
func as2Identity(certFile, keyFile, certOut string) (as2.Identity, error) {
	certPEM, keyPEM, err := loadOrMake(certFile, keyFile, "partnersim as2")
	if err != nil {
		return as2.Identity{}, fmt.Errorf("AS2 identity: %w", err)
	}
	self, err := as2.ParseIdentity(certPEM, keyPEM)
	if err != nil {
		return as2.Identity{}, err
	}
	if certOut != "" {
		if err := os.WriteFile(certOut, certPEM, 0o644); err != nil {
			return as2.Identity{}, err
		}
	}
	return self, nil
}

// loadOrMake reads a PEM certificate and key, or makes a self-signed pair named cn and writes
// it there when the certificate file is missing. With no files it makes a pair in memory.
func loadOrMake(certFile, keyFile, cn string) (certPEM, keyPEM []byte, err error) {
	if (certFile == "") != (keyFile == "") {
		return nil, nil, errors.New("give both the certificate and the key file, or neither")
	}
	if certFile != "" {
		certPEM, err = os.ReadFile(certFile)
		if err == nil {
			keyPEM, err = os.ReadFile(keyFile)
			return certPEM, keyPEM, err
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
	}
	if certPEM, keyPEM, err = gateways.SelfSigned(cn); err != nil {
		return nil, nil, err
	}
	if certFile != "" {
		// The key first: a certificate without its key would be taken as a pair next time.
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
			return nil, nil, err
		}
	}
	return certPEM, keyPEM, nil
}
