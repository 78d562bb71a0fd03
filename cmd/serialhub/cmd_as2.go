package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// as2Identity is the hub's AS2 identity: its signing identity (SERIALHUB_SIGNING_CERT/KEY, on
// a local stack DATA/gateway-signing.*, made by gatewaySigner when the worker starts).
func as2Identity(cfg Config, log *slog.Logger) (as2.Identity, bool) {
	crt, key := cfg.SigningCert, cfg.SigningKey
	if crt == "" && cfg.DataDir != "" {
		crt, key = filepath.Join(cfg.DataDir, "gateway-signing.crt"), filepath.Join(cfg.DataDir, "gateway-signing.key")
	}
	if crt == "" {
		return as2.Identity{}, false
	}
	c, err1 := os.ReadFile(crt)
	k, err2 := os.ReadFile(key)
	if err1 != nil || err2 != nil {
		log.Warn("no AS2 identity: AS2 partners are not served", "cert", crt)
		return as2.Identity{}, false
	}
	id, err := as2.ParseIdentity(c, k)
	if err != nil {
		log.Warn("no AS2 identity: AS2 partners are not served", "cert", crt, "err", err)
		return as2.Identity{}, false
	}
	return id, true
}

// as2Sender is the DSCSA gateway's AS2 transport; partners' AS2 identifiers and certificates
// come from their master-data records. Without an identity AS2 deliveries wait, unavailable, until it is set.
func as2Sender(cfg Config, d *deps, hc *gateways.HTTPClient, log *slog.Logger) *as2.Sender {
	id, ok := as2Identity(cfg, log)
	if !ok {
		return nil
	}
	return &as2.Sender{HTTP: hc, Self: id, Settings: as2.Agreements{Partners: masterdata.NewStore(d.pg)}}
}

// inboundRoutes registers where partners send files to the hub (HTTPS, EPCIS capture and
// AS2); they go through the same intake as site uploads.
func inboundRoutes(mux *http.ServeMux, auth func(http.Handler) http.Handler, cfg Config, d *deps, store *sites.Store,
	starter sites.IngestStarter, log *slog.Logger) {
	h := &dscsa.InboundHandler{Intake: &sites.Intake{Store: store, Starter: starter, Log: log}, Log: log,
		MaxBytes: cfg.MaxDocumentBytes}
	// On a local stack the identity is made on first use; the API may start before the worker.
	if _, err := gatewaySigner(cfg); err != nil {
		log.Warn("no signing identity", "err", err)
	}
	if id, ok := as2Identity(cfg, log); ok {
		h.AS2 = &as2.Receiver{Self: id, Settings: as2.Agreements{Partners: masterdata.NewStore(d.pg)}}
	}
	h.Routes(mux, auth)
}

const as2Usage = `usage:
  serialhub as2 partner GLN --to AS2ID --from AS2ID --cert PARTNER.pem   (server command)
        a partner's AS2 identifiers and certificate in its master-data record (a new
        version); its URL and transport as2 are its delivery settings (endpoint, transport)`

// runAS2 edits partners' AS2 settings in master data.
func runAS2(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "partner" {
		return errors.New(as2Usage)
	}
	fs := flag.NewFlagSet("as2 partner", flag.ContinueOnError)
	to := fs.String("to", "", "the partner's AS2 identifier")
	from := fs.String("from", "", "ours, as the partner knows us")
	certFile := fs.String("cert", "", "the partner's PEM certificate (encrypt to it, verify its MDNs)")
	gln, rest := firstArg(args[1:])
	if err := fs.Parse(rest); err != nil {
		return err
	}
	certPEM, err := os.ReadFile(*certFile)
	if err != nil {
		return err
	}
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := updatePartner(ctx, pg, gln, func(p *masterdata.Partner) {
		p.AS2ID, p.AS2OurID, p.AS2Cert = *to, *from, string(certPEM)
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "partner %s: AS2 %s → %s\n", gln, *from, *to)
	return nil
}

// updatePartner changes a partner's master-data record through the store, so the change is
// a new version with its history (by "cli"), refused if the record moved on meanwhile.
func updatePartner(ctx context.Context, pg *pgxpool.Pool, gln string, change func(*masterdata.Partner)) error {
	md := masterdata.NewStore(pg)
	p, err := md.Partner(ctx, gln)
	if err != nil {
		return err
	}
	if p.GLN != gln {
		return domain.Errorf(domain.CodeInvalid, "%s is a location of partner %s: name the partner's own GLN", gln, p.GLN)
	}
	change(&p)
	_, err = md.PutPartner(ctx, p, masterdata.PutOptions{By: "cli"})
	return err
}
