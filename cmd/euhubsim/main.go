// Command euhubsim runs the EU Hub simulator (gateways/euhub/sim) on loopback for manual tests:
// it serves the SOAP message set of docs/gateways/euhub.md at POST /soap, takes faults at
// POST /sim/faults (e.g. {"down": true}, {"slow_ms": 500}, {"fail_next": 3},
// {"drop_answers": 1}), simulates pharmacy scans at POST /sim/scan and sends the alerts they
// raise to the hub (-callback, with the key in -callback-token-file), and shows its counts at
// GET /sim/state?gtin=G&lot=L.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/serialhub/serialhub/gateways/euhub/sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "euhubsim:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:18444", "listen address (loopback only)")
	tokenEnv := flag.String("token-env", "EUHUBSIM_TOKEN", "environment variable holding the bearer token the MAH must present")
	callback := flag.String("callback", "", "the hub's base URL alerts are sent to (e.g. http://127.0.0.1:8080)")
	cbFile := flag.String("callback-token-file", "", "file holding the hub's key for alerts (DATA/euhub-alerts.token)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("the simulator listens on loopback only")
	}
	cfg := sim.Config{Token: os.Getenv(*tokenEnv), Callback: *callback}
	if *cbFile != "" {
		b, err := os.ReadFile(*cbFile)
		if err != nil {
			return err
		}
		cfg.CallbackToken = strings.TrimSpace(string(b))
	}
	s, err := sim.Start(*addr, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("EU Hub simulator on %s (token required: %v)\n", s.URL(), cfg.Token != "")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
