package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
)

// as2Sender is the DSCSA gateway's AS2 transport: the hub signs with its signing identity
// (SERIALHUB_SIGNING_CERT/KEY, on a local stack DATA/gateway-signing.*, made by gatewaySigner)
// and reads partners' AS2 identifiers and certificates from as2_partners. Without an
// identity AS2 partners are not served (their deliveries wait, unavailable, until it is set).
func as2Sender(cfg Config, d *deps, hc *gateways.HTTPClient, log *slog.Logger) *as2.Sender {
	crt, key := cfg.SigningCert, cfg.SigningKey
	if crt == "" && cfg.DataDir != "" {
		crt, key = filepath.Join(cfg.DataDir, "gateway-signing.crt"), filepath.Join(cfg.DataDir, "gateway-signing.key")
	}
	if crt == "" {
		return nil
	}
	c, err1 := os.ReadFile(crt)
	k, err2 := os.ReadFile(key)
	if err1 != nil || err2 != nil {
		log.Warn("no AS2 identity: AS2 partners are not served", "cert", crt)
		return nil
	}
	id, err := as2.ParseIdentity(c, k)
	if err != nil {
		log.Warn("no AS2 identity: AS2 partners are not served", "cert", crt, "err", err)
		return nil
	}
	return &as2.Sender{HTTP: hc, Self: id, Settings: as2.NewStore(d.pg)}
}
