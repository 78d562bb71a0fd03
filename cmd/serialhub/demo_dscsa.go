package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/dscsa"
	dscsasim "github.com/serialhub/serialhub/gateways/dscsa/sim"
	"github.com/serialhub/serialhub/gateways/vrs"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres"
)

// The DSCSA part of the demo: a US product of the demo site, three US trading partners of
// GS1 US's example company prefix, one per transport, all served by the local stack's partner
// simulator (cmd/partnersim).
const (
	demoUSItemRef   = "00002"
	demoUSPrefix    = "0614141"
	demoPacksPerBox = 5
	demoOutageMin   = 2 // failed attempts the demo waits for before the partner comes back
)

// demoPartner is a US trading partner of the demo and how it takes DSCSA files.
type demoPartner struct {
	gln, sgln, name, transport string
}

// demoShipment is one shipment of a case to a partner and what became of it.
type demoShipment struct {
	to      demoPartner
	packs   []string // EPC URIs
	receipt string
	sub     gateways.Submission
}

// demoDSCSA ships cases of a US product from the demo site to three US partners, one per
// transport (HTTPS, EPCIS capture, AS2); each shipment becomes a signed DSCSA file delivered to
// the partner simulator. Then the HTTPS partner vanishes (a fault set on the simulator) while a
// fourth shipment is on its way: the submission retries until the partner is back and is
// delivered once. Last, the partner verifies a pack with our VRS responder, and a pack with the
// wrong lot.
func demoDSCSA(ctx context.Context, cfg Config, admin, site *apiClient, out io.Writer) error {
	step := func(format string, a ...any) { fmt.Fprintf(out, "• "+format+"\n", a...) }
	if cfg.PartnerSimURL == "" || cfg.PartnerSimToken == "" || cfg.PartnerSimAS2Cert == "" {
		return errors.New("no DSCSA partner simulator: SERIALHUB_PARTNERSIM_URL, _TOKEN and _AS2_CERT are written by deploy/local/stack.sh up")
	}
	ps, err := newPartnerSim(cfg)
	if err != nil {
		return err
	}
	if err := ps.setFaults(ctx, dscsasim.Faults{}); err != nil {
		return err
	}
	as2Cert, err := os.ReadFile(cfg.PartnerSimAS2Cert)
	if err != nil {
		return fmt.Errorf("partner simulator's AS2 certificate: %w", err)
	}
	partners, err := demoUSPartners(ctx, admin, cfg, string(as2Cert))
	if err != nil {
		return err
	}
	step("DSCSA: 3 US trading partners in master data, delivered to by the partner simulator at %s:", cfg.PartnerSimURL)
	for _, p := range partners {
		fmt.Fprintf(out, "    %s  %-26s %s\n", p.gln, p.name, p.transport)
	}

	gtin, err := demoUSProduct(ctx, admin)
	if err != nil {
		return err
	}
	lot := "US" + time.Now().UTC().Format("060102150405")
	expiry := time.Now().UTC().AddDate(2, 0, 0).Format(time.DateOnly)
	var alloc struct {
		Serials []string `json:"serials"`
	}
	req := map[string]any{"line": demoLine, "gtin": string(gtin), "count": 4 * demoPacksPerBox, "lot": lot, "request_id": "demo-" + lot}
	if err := site.postJSON(ctx, "/v1/sites/"+demoSite+"/serials", req, &alloc); err != nil {
		return fmt.Errorf("request serials: %w", err)
	}
	if len(alloc.Serials) != 4*demoPacksPerBox {
		return fmt.Errorf("the hub issued %d serials, want %d", len(alloc.Serials), 4*demoPacksPerBox)
	}

	// One shipment per partner; the fourth goes to the HTTPS partner while it is down.
	ships := make([]*demoShipment, 4)
	for i := range ships {
		ships[i] = &demoShipment{to: partners[i%len(partners)]}
		serials := alloc.Serials[i*demoPacksPerBox : (i+1)*demoPacksPerBox]
		if ships[i].packs, err = demoSGTINs(gtin, serials); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, sh := range ships[:3] {
		if err := demoShip(ctx, site, sh, lot, expiry); err != nil {
			return err
		}
	}
	for _, sh := range ships[:3] {
		if sh.sub, err = demoWaitDSCSA(ctx, admin, sh, time.Minute); err != nil {
			return err
		}
	}
	step("%d cases of GTIN %s lot %s shipped from %s; each shipment became a signed DSCSA file (EPCIS 1.2), delivered in %s:",
		3, gtin, lot, demoSite, time.Since(start).Round(100*time.Millisecond))

	// The HTTPS partner vanishes (connections dropped unanswered) while the fourth file is on
	// its way; the submission retries, and once the partner is back it is delivered once.
	outage := ships[3]
	if err := ps.setFaults(ctx, dscsasim.Faults{Down: true}); err != nil {
		return err
	}
	down := time.Now()
	if err := demoShip(ctx, site, outage, lot, expiry); err != nil {
		return err
	}
	failed, err := demoWaitAttempts(ctx, admin, outage, demoOutageMin, time.Minute)
	if err != nil {
		return err
	}
	if err := ps.setFaults(ctx, dscsasim.Faults{}); err != nil {
		return err
	}
	downFor := time.Since(down)
	if outage.sub, err = demoWaitDSCSA(ctx, admin, outage, time.Minute); err != nil {
		return err
	}
	held, err := ps.received(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    partner\ttransport\tstatus\tattempts\tfile\tpartner holds")
	for _, sh := range ships {
		r, ok := held[sh.sub.ID]
		hold := "nothing"
		if ok {
			hold = fmt.Sprintf("taken %d×, sent %d×, %s", r.Accepted, r.Deliveries, r.Transport)
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%d\t%.1f kB signed\t%s\n", sh.to.gln, sh.to.transport, sh.sub.Status, sh.sub.Attempts,
			float64(sh.sub.PayloadSize)/1000, hold)
		if !ok || r.Accepted != 1 {
			tw.Flush()
			return fmt.Errorf("the partner simulator holds submission %s %d times, want once", sh.sub.ID, r.Accepted)
		}
	}
	tw.Flush()
	fmt.Fprintln(out)
	step("partner %s was down for %s (connections dropped): %d delivery attempts failed (%s), then caught up: delivered once",
		outage.to.gln, downFor.Round(100*time.Millisecond), failed, clipNote(outage.lastFailure(), 50))

	return demoVRS(ctx, cfg, admin, partners[0], gtin, lot, expiry, ships[0].packs[0], out)
}

// lastFailure is the error of the shipment's last failed exchange.
func (sh *demoShipment) lastFailure() string {
	for i := len(sh.sub.Exchanges) - 1; i >= 0; i-- {
		if e := sh.sub.Exchanges[i]; e.Err != "" {
			return e.Err
		}
	}
	return "no answer"
}

// demoUSPartners registers (create or replace) the three partners with their delivery
// settings in master data.
func demoUSPartners(ctx context.Context, admin *apiClient, cfg Config, as2Cert string) ([]demoPartner, error) {
	base := strings.TrimRight(cfg.PartnerSimURL, "/")
	defs := []struct{ ref, name, transport, endpoint string }{
		{"00002", "Demo Distributor East", dscsa.TransportHTTPS, base + "/dscsa"},
		{"00003", "Demo Distributor West", dscsa.TransportCapture, base},
		{"00004", "Demo Pharmacy Chain", dscsa.TransportAS2, base + "/as2"},
	}
	var out []demoPartner
	for _, d := range defs {
		gln, err := demoGLN(demoUSPrefix, d.ref)
		if err != nil {
			return nil, err
		}
		sgln, err := gs1.SGLNURI(gln, "0", len(demoUSPrefix))
		if err != nil {
			return nil, err
		}
		body := map[string]any{"gln": string(gln), "name": d.name, "country": "US", "sglns": []string{sgln},
			"licences": []map[string]string{{"number": "US-WD-" + d.ref, "type": "wholesale", "valid_from": "2020-01-01", "valid_to": "2099-12-31"}},
			"address":  map[string]string{"street1": d.ref + " Demo Way", "city": "Newark", "state": "NJ", "postal_code": "07102"},
			"gateway":  dscsa.Name, "transport": d.transport, "endpoint": d.endpoint, "credentials_ref": cfg.PartnerSimToken}
		if d.transport == dscsa.TransportAS2 {
			body["as2_id"], body["as2_our_id"], body["as2_cert"] = "PARTNERSIM", "SERIALHUB", as2Cert
		}
		if _, err := admin.do(ctx, http.MethodPut, "/v1/partners/"+string(gln), "application/json", demoJSON(body), nil); err != nil {
			return nil, fmt.Errorf("register partner %s: %w", gln, err)
		}
		out = append(out, demoPartner{gln: string(gln), sgln: sgln, name: d.name, transport: d.transport})
	}
	return out, nil
}

// demoUSProduct registers the demo's US product with what a DSCSA file says of it.
func demoUSProduct(ctx context.Context, admin *apiClient) (gs1.GTIN, error) {
	digits := demoExtension + demoPrefix + demoUSItemRef
	cd, err := gs1.CheckDigit(digits)
	if err != nil {
		return "", err
	}
	gtin, err := gs1.ParseGTIN(digits + string(cd))
	if err != nil {
		return "", err
	}
	product := map[string]any{"gtin": string(gtin), "company_prefix_length": len(demoPrefix), "name": "Demoxetine 10 mg 30 tablets",
		"common_name": "demoxetine", "dosage_form": "TABLET", "strength": "10 mg", "net_content": "30 TABLET",
		"manufacturer": "Demo Pharma Inc.", "pack_size": 30, "national_codes": []map[string]string{{"scheme": "NDC", "code": "4012-3450-02"}},
		"markets": []map[string]string{{"market": "US"}}}
	if _, err := admin.do(ctx, http.MethodPut, "/v1/products/"+string(gtin), "application/json", demoJSON(product), nil); err != nil {
		return "", fmt.Errorf("register product: %w", err)
	}
	return gtin, nil
}

// demoGLN is the GLN of a company prefix and location reference (12 digits with them).
func demoGLN(prefix, ref string) (gs1.GLN, error) {
	cd, err := gs1.CheckDigit(prefix + ref)
	if err != nil {
		return "", err
	}
	return gs1.ParseGLN(prefix + ref + string(cd))
}

// demoSGTINs is the SGTIN EPC URIs of serials of gtin (the demo's company prefix).
func demoSGTINs(gtin gs1.GTIN, serials []string) ([]string, error) {
	out := make([]string, len(serials))
	for i, s := range serials {
		uri, err := gs1.SGTIN{GTIN: gtin, Serial: s, PrefixLen: len(demoPrefix)}.URI()
		if err != nil {
			return nil, err
		}
		out[i] = uri
	}
	return out, nil
}

// demoShip uploads, as the demo site, one EPCIS 1.2 document: the packs commissioned with lot
// and expiry, packed into a new case, and the case shipped to the partner (with a purchase
// order and despatch advice), and waits until the hub has processed it.
func demoShip(ctx context.Context, site *apiClient, sh *demoShipment, lot, expiry string) error {
	ref, err := randomSerial(9)
	if err != nil {
		return err
	}
	body := "0" + demoPrefix + ref
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		return err
	}
	caseURI, err := gs1.SSCC{Value: body + string(cd), PrefixLen: len(demoPrefix)}.URI()
	if err != nil {
		return err
	}
	siteLoc := "urn:epc:id:sgln:" + demoPrefix + ".00000.0"
	lineLoc := "urn:epc:id:sgln:" + demoPrefix + ".00000." + demoLine
	now := time.Now().UTC().Truncate(time.Second)
	ev := func(typ epcis.EventType, t time.Time, action epcis.Action, step, disp string) *epcis.Event {
		return &epcis.Event{Type: typ, EventTime: t, EventTimeZoneOffset: "+00:00", Action: action,
			BizStep: "urn:epcglobal:cbv:bizstep:" + step, Disposition: "urn:epcglobal:cbv:disp:" + disp,
			ReadPoint: siteLoc, BizLocation: siteLoc}
	}
	mda := func(local, text string) epcis.Element {
		return epcis.Element{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: local}, Text: text}
	}
	com := ev(epcis.ObjectEvent, now.Add(-3*time.Minute), epcis.ActionAdd, "commissioning", "active")
	com.EPCList, com.ReadPoint = sh.packs, lineLoc
	com.ILMD = []epcis.Element{mda("lotNumber", lot), mda("itemExpirationDate", expiry)}
	box := ev(epcis.ObjectEvent, now.Add(-3*time.Minute), epcis.ActionAdd, "commissioning", "active")
	box.EPCList = []string{caseURI}
	pack := ev(epcis.AggregationEvent, now.Add(-2*time.Minute), epcis.ActionAdd, "packing", "in_progress")
	pack.ParentID, pack.EPCList = caseURI, sh.packs
	ship := ev(epcis.ObjectEvent, now.Add(-time.Minute), epcis.ActionObserve, "shipping", "in_transit")
	ship.EPCList = []string{caseURI}
	order := strings.ReplaceAll(ref, "0", "")
	ship.BizTransactions = []epcis.BizTransaction{
		{Type: "urn:epcglobal:cbv:btt:po", Value: "urn:epcglobal:cbv:bt:" + sh.to.gln + ":PO" + order},
		{Type: "urn:epcglobal:cbv:btt:desadv", Value: "urn:epcglobal:cbv:bt:" + demoSiteGLN + ":DA" + order},
	}
	ship.Sources = []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: siteLoc}, {Type: "urn:epcglobal:cbv:sdt:location", Value: siteLoc}}
	ship.Destinations = []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: sh.to.sgln}, {Type: "urn:epcglobal:cbv:sdt:location", Value: sh.to.sgln}}

	var doc bytes.Buffer
	enc := epcisxml.NewEncoder(&doc, epcis.Version12)
	if err := enc.WriteHeader(&epcis.Document{SchemaVersion: epcis.Version12, CreationDate: now,
		Namespaces: map[string]string{"cbvmda": epcis.NSCBVMDA}}); err != nil {
		return err
	}
	for _, e := range []*epcis.Event{com, box, pack, ship} {
		if err := enc.WriteEvent(e); err != nil {
			return err
		}
	}
	if err := enc.Close(); err != nil {
		return err
	}
	r, err := site.upload(ctx, demoSite, "application/xml", doc.Bytes())
	if err != nil {
		return fmt.Errorf("upload shipment: %w", err)
	}
	if r, err = site.waitReceipt(ctx, r.ID, time.Minute); err != nil {
		return err
	}
	if r.Status != domain.StatusProcessed {
		return fmt.Errorf("shipment to %s: document %s %s %v", sh.to.gln, r.ID, r.Status, r.Errors)
	}
	sh.receipt = r.ID
	return nil
}

// demoSubmission finds the submission that the shipment's document made (nil: not yet).
func demoSubmission(ctx context.Context, admin *apiClient, sh *demoShipment) (*gateways.Submission, error) {
	var list struct {
		Submissions []gateways.Submission `json:"submissions"`
	}
	q := url.Values{"partner": {sh.to.gln}, "gateway": {dscsa.Name}, "limit": {"200"}}
	if _, err := admin.do(ctx, http.MethodGet, "/v1/submissions?"+q.Encode(), "", nil, &list); err != nil {
		return nil, err
	}
	for _, s := range list.Submissions {
		if s.ReceiptID == sh.receipt {
			var full gateways.Submission
			if _, err := admin.do(ctx, http.MethodGet, "/v1/submissions/"+url.PathEscape(s.ID), "", nil, &full); err != nil {
				return nil, err
			}
			return &full, nil
		}
	}
	return nil, nil
}

// demoWaitDSCSA waits until the shipment's submission is accepted.
func demoWaitDSCSA(ctx context.Context, admin *apiClient, sh *demoShipment, timeout time.Duration) (gateways.Submission, error) {
	var last gateways.Submission
	for deadline := time.Now().Add(timeout); ; {
		s, err := demoSubmission(ctx, admin, sh)
		if err != nil {
			return last, err
		}
		if s != nil {
			last = *s
			if s.Status.Final() {
				if s.Status != gateways.StatusAccepted {
					return last, fmt.Errorf("submission %s to %s: %s %v %s", s.ID, sh.to.gln, s.Status, s.Reasons, s.LastError)
				}
				return last, nil
			}
		}
		if time.Now().After(deadline) {
			ex := "no exchange"
			if n := len(last.Exchanges); n > 0 {
				e := last.Exchanges[n-1]
				ex = fmt.Sprintf("%d exchanges, the last %s %s: HTTP %d %s %s", n, e.Step, e.URL, e.StatusCode, e.Outcome, e.Err)
			}
			return last, fmt.Errorf("shipment to %s (receipt %s): no accepted submission within %s (%s %s; %s)",
				sh.to.gln, sh.receipt, timeout, last.Status, last.LastError, ex)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// demoWaitAttempts waits until the shipment's submission has failed n delivery attempts and
// returns how many it failed.
func demoWaitAttempts(ctx context.Context, admin *apiClient, sh *demoShipment, n int, timeout time.Duration) (int, error) {
	for deadline := time.Now().Add(timeout); ; {
		s, err := demoSubmission(ctx, admin, sh)
		if err != nil {
			return 0, err
		}
		failed := 0
		if s != nil {
			sh.sub = *s
			for _, e := range s.Exchanges {
				if e.Step == "deliver" && e.Outcome != gateways.Accepted {
					failed++
				}
			}
			if s.Status.Final() {
				return failed, fmt.Errorf("submission %s ended %s while the partner was down", s.ID, s.Status)
			}
		}
		if failed >= n {
			return failed, nil
		}
		if time.Now().After(deadline) {
			return failed, fmt.Errorf("shipment to %s: %d failed attempts within %s, want %d", sh.to.gln, failed, timeout, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// demoVRS has the partner verify a pack it received with our VRS responder (its own partner
// key, the GS1 Lightweight Messaging request), then the same pack with a wrong lot.
func demoVRS(ctx context.Context, cfg Config, admin *apiClient, p demoPartner, gtin gs1.GTIN, lot, expiry, packURI string, out io.Writer) error {
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	token, err := vrs.NewStore(pg).CreatePartnerKey(ctx, p.gln, "demo partner "+p.gln)
	if err != nil {
		return err
	}
	partner := admin.withToken(token)
	s, err := gs1.ParseSGTINURI(packURI)
	if err != nil {
		return err
	}
	exp := strings.ReplaceAll(expiry, "-", "")[2:]
	ask := func(lot string) (vrs.Response, error) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		q := url.Values{"exp": {exp}, "linkType": {"verificationService"}, "context": {"dscsaSaleableReturn"},
			"reqGLN": {p.gln}, "corrUUID": {hex.EncodeToString(b)}}
		path := "/v1/vrs/01/" + string(gtin) + "/10/" + url.PathEscape(lot) + "/21/" + url.PathEscape(s.Serial) + "?" + q.Encode()
		var r vrs.Response
		_, err := partner.do(ctx, http.MethodGet, path, "", nil, &r)
		return r, err
	}
	ok, err := ask(lot)
	if err != nil {
		return fmt.Errorf("VRS: %w", err)
	}
	wrong, err := ask(lot + "X")
	if err != nil {
		return fmt.Errorf("VRS: %w", err)
	}
	fmt.Fprintf(out, "• VRS: partner %s (its own key) asks our responder about a pack it received, a saleable return:\n", p.gln)
	fmt.Fprintf(out, "    01 %s 21 %s 10 %s 17 %s  →  %s\n", gtin, s.Serial, lot, exp, describeVerification(ok))
	fmt.Fprintf(out, "    the same pack with lot %s  →  %s\n\n", lot+"X", describeVerification(wrong))
	if !ok.Data.Verified || wrong.Data.Verified || wrong.Data.VerificationFailureReason != "No_match_GTIN_Serial_Lot" {
		return fmt.Errorf("VRS answers: %+v, %+v", ok.Data, wrong.Data)
	}
	return nil
}

// partnerSim talks to the partner simulator's own API (/sim/...).
type partnerSim struct {
	base string
	hc   *http.Client
}

func newPartnerSim(cfg Config) (*partnerSim, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if cfg.PartnerCA != "" {
		b, err := os.ReadFile(cfg.PartnerCA)
		if err != nil {
			return nil, fmt.Errorf("partner CA: %w", err)
		}
		roots.AppendCertsFromPEM(b)
	}
	return &partnerSim{base: strings.TrimRight(cfg.PartnerSimURL, "/"),
		hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}}, nil
}

// call sends a request to the simulator; a 503 (the simulator still waits for the hub's
// certificate, which the worker makes on its first start) is tried again for a while.
func (p *partnerSim) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := p.hc.Do(req)
		if err != nil {
			return fmt.Errorf("partner simulator: %w", err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable && time.Now().Before(deadline):
			time.Sleep(500 * time.Millisecond)
			continue
		case resp.StatusCode != http.StatusOK:
			return fmt.Errorf("partner simulator %s %s: HTTP %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(b, out)
	}
}

func (p *partnerSim) setFaults(ctx context.Context, f dscsasim.Faults) error {
	return p.call(ctx, http.MethodPost, "/sim/faults", f, nil)
}

// received is what the partner holds, by idempotency key (the submission's id).
func (p *partnerSim) received(ctx context.Context) (map[string]dscsasim.Received, error) {
	var r struct {
		Received []dscsasim.Received `json:"received"`
	}
	if err := p.call(ctx, http.MethodGet, "/sim/received", nil, &r); err != nil {
		return nil, err
	}
	out := map[string]dscsasim.Received{}
	for _, x := range r.Received {
		out[x.Key] = x
	}
	return out, nil
}
