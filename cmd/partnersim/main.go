// Command partnersim runs the simulated DSCSA trading partner (gateways/dscsa/sim) on
// loopback for the demo and manual tests: it receives files by HTTPS POST (/dscsa) and EPCIS
// capture (/capture) and AS2 (/as2, with --as2-sender), checks them, records them by idempotency key, and takes faults at
// POST /sim/faults, e.g. {"fail": 20, "retry_after": 5} or {"down": true}.
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

func run() error {
	addr := flag.String("addr", "127.0.0.1:18443", "listen address (loopback only)")
	tokenEnv := flag.String("token-env", "PARTNERSIM_TOKEN", "environment variable holding the bearer token senders must present")
	xsd := flag.String("xsd", "", "EPCIS 1.2 XSD to validate files against (xmllint)")
	trust := flag.String("trust", "", "PEM certificate whose signature every file must carry (xmlsec1)")
	plain := flag.Bool("http", false, "serve plain HTTP instead of TLS with a fresh self-signed certificate")
	certOut := flag.String("cert-out", "", "write the self-signed TLS certificate here (for the hub's SERIALHUB_PARTNER_CA)")
	jobPolls := flag.Int("job-polls", 1, "polls a capture job stays running")
	as2Sender := flag.String("as2-sender", "", "enable the AS2 receiver (/as2): PEM certificate of the hub, which signs what it sends")
	as2ID := flag.String("as2-id", "PARTNERSIM", "the simulator's AS2 identifier")
	as2CertOut := flag.String("as2-cert-out", "", "write the simulator's fresh AS2 certificate here (for the hub's as2_partners)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("the simulator listens on loopback only")
	}
	cfg := sim.Config{Token: os.Getenv(*tokenEnv), XSD: *xsd, JobPolls: *jobPolls}
	if *trust != "" {
		if cfg.TrustedCertPEM, err = os.ReadFile(*trust); err != nil {
			return err
		}
	}
	if *as2Sender != "" {
		if cfg.AS2, err = as2Config(*as2Sender, *as2ID, *as2CertOut); err != nil {
			return err
		}
	}
	s := sim.New(cfg)
	srv := &http.Server{Addr: *addr, Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		fmt.Println(s.Summary())
	}()
	scheme := "http"
	if !*plain {
		certPEM, keyPEM, err := gateways.SelfSigned("partnersim")
		if err != nil {
			return err
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

// as2Config makes the simulator's AS2 identity afresh (its key never leaves the process) and
// trusts the hub's certificate.
func as2Config(senderPEM, id, certOut string) (*sim.AS2Config, error) {
	b, err := os.ReadFile(senderPEM)
	if err != nil {
		return nil, err
	}
	sender, err := as2.ParseCert(b)
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := gateways.SelfSigned("partnersim as2")
	if err != nil {
		return nil, err
	}
	self, err := as2.ParseIdentity(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	if certOut != "" {
		if err := os.WriteFile(certOut, certPEM, 0o644); err != nil {
			return nil, err
		}
	}
	return &sim.AS2Config{Self: self, Sender: sender, ID: id}, nil
}
