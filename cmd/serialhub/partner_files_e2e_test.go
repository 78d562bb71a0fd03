package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/sites"
)

// TestPartnerFiles: trading partners' files go through the same intake as site uploads, on
// the real servers with every rule on. The demo site ships a case of 5 packs to partner A;
// A confirms the receipt over HTTPS (the case and its packs are received in PostgreSQL and
// ClickHouse), sends the same file again (recognised), ships 2 packs back over AS2 (returned),
// and sends a receipt at partner B's location (rejected: location_not_partner naming the event
// and field, in the exception queue). B cannot read A's receipts; a site key cannot use the
// partner routes nor a partner key the site's.
func TestPartnerFiles(t *testing.T) {
	getenv, cfg := testHubEnv(t, map[string]string{"SERIALHUB_INTAKE_RULES": "all"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := newClient(cfg)
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}

	// Our site, its product, line and serials; partners A (with an AS2 agreement) and B.
	if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: demoSite, Name: "Demo", GLN: demoSiteGLN}, nil); err != nil {
		t.Fatal(err)
	}
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+demoSite+"/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	site := admin.withToken(key.Token)
	gtin, err := demoGTIN()
	if err != nil {
		t.Fatal(err)
	}
	issued, err := demoMasterData(ctx, admin, site, gtin, "LOT-P", 5)
	if err != nil {
		t.Fatal(err)
	}
	packs, err := demoSGTINs(gtin, issued)
	if err != nil {
		t.Fatal(err)
	}
	pc, pk, err := gateways.SelfSigned("partner A")
	if err != nil {
		t.Fatal(err)
	}
	aAS2, err := as2.ParseIdentity(pc, pk)
	if err != nil {
		t.Fatal(err)
	}
	a := testPartner(t, ctx, admin, "00021", map[string]any{"as2_id": "PARTNER-A", "as2_our_id": "SERIALHUB", "as2_cert": string(pc)})
	b := testPartner(t, ctx, admin, "00022", nil)
	token := func(gln string) string {
		out := cli("vrs", "key", "--partner", gln)
		return strings.TrimSpace(out[strings.LastIndex(out, ":")+1:])
	}
	ca, cb := admin.withToken(token(a.gln)), admin.withToken(token(b.gln))
	ourSite := "urn:epc:id:sgln:" + demoPrefix + ".00000.0"

	sh := &demoShipment{to: a, packs: packs}
	if err := demoShip(ctx, site, sh, "LOT-P", time.Now().AddDate(2, 0, 0).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	pool, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var caseURI string
	if err := pool.QueryRow(ctx, `SELECT parent_epc FROM serials WHERE epc = $1`, packs[0]).Scan(&caseURI); err != nil || caseURI == "" {
		t.Fatalf("case of %s: %q %v", packs[0], caseURI, err)
	}
	states := func() map[string]string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT epc, state FROM serials WHERE epc = ANY($1)`, append([]string{caseURI}, packs...))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var epc, st string
		for rows.Next() {
			if err := rows.Scan(&epc, &st); err != nil {
				t.Fatal(err)
			}
			out[epc] = st
		}
		return out
	}
	send := func(c *apiClient, gln string, doc []byte) (domain.Receipt, int) {
		t.Helper()
		var r domain.Receipt
		st, err := c.do(ctx, http.MethodPost, "/v1/partners/"+gln+"/documents", "application/xml", bytes.NewReader(doc), &r)
		if err != nil {
			t.Fatalf("partner %s sends a file: %d %v", gln, st, err)
		}
		return r, st
	}
	processed := func(id string, want domain.ReceiptStatus) domain.Receipt {
		t.Helper()
		r, err := admin.waitReceipt(ctx, id, time.Minute)
		if err != nil || r.Status != want {
			t.Fatalf("receipt %s: %+v %v, want %s", id, r, err, want)
		}
		return r
	}

	// A confirms the receipt of the case: the case and its packs are received.
	at := time.Now().UTC().Truncate(time.Second)
	recv := testEvent(at, "receiving", "in_progress", a.sgln, []string{caseURI},
		[]epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: ourSite}},
		[]epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: a.sgln}})
	doc := testDocument(t, recv)
	first, st := send(ca, a.gln, doc)
	if st != http.StatusAccepted || first.PartnerGLN != a.gln || first.SiteID != "" || first.Transport != "https" {
		t.Fatalf("receipt: %d %+v", st, first)
	}
	processed(first.ID, domain.StatusProcessed)
	for epc, s := range states() {
		if s != string(domain.StateReceived) {
			t.Errorf("%s is %s after the partner's receipt, want received", epc, s)
		}
	}
	// The same file again is the same receipt.
	if again, st := send(ca, a.gln, doc); st != http.StatusOK || !again.Duplicate || again.ID != first.ID {
		t.Errorf("the same file again: %d %+v", st, again)
	}

	// Who may read and send what.
	if _, err := cb.do(ctx, http.MethodGet, "/v1/partners/"+a.gln+"/documents/"+first.ID, "", nil, nil); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("B reads A's receipt: %v, want not found", err)
	}
	if _, err := cb.do(ctx, http.MethodGet, "/v1/partners/"+b.gln+"/documents/"+first.ID, "", nil, nil); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("B reads A's receipt under its own GLN: %v, want not found", err)
	}
	if _, err := cb.receipt(ctx, first.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("B reads A's receipt as a site receipt: %v, want not found", err)
	}
	var mine domain.Receipt
	if _, err := ca.do(ctx, http.MethodGet, "/v1/partners/"+a.gln+"/documents/"+first.ID, "", nil, &mine); err != nil || mine.Status != domain.StatusProcessed {
		t.Errorf("A reads its receipt: %+v %v", mine, err)
	}
	if _, err := site.do(ctx, http.MethodPost, "/v1/partners/"+a.gln+"/documents", "application/xml", bytes.NewReader(doc), nil); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a site key on a partner route: %v, want forbidden", err)
	}
	if _, err := ca.upload(ctx, demoSite, "application/xml", doc); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a partner key on a site route: %v, want forbidden", err)
	}

	// A ships 2 packs back to our site over AS2: they are returned, the others stay received.
	ret := testEvent(at.Add(time.Second), "shipping", "returned", a.sgln, packs[:2],
		[]epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: a.sgln}},
		[]epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: ourSite}})
	hubCert, err := os.ReadFile(filepath.Join(cfg.DataDir, "gateway-signing.crt"))
	if err != nil {
		t.Fatal(err)
	}
	hc, err := as2.ParseCert(hubCert)
	if err != nil {
		t.Fatal(err)
	}
	h, body, _, err := as2.Pack(as2.Message{MessageID: "return-1@partner-a", From: "PARTNER-A", To: "SERIALHUB",
		ContentType: "application/xml", Filename: "return.xml", Body: testDocument(t, ret)}, aAS2, hc)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL+"/v1/partners/"+a.gln+"/as2", bytes.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mdnBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m, err := as2.ParseMDN(resp.Header, mdnBody, hc); err != nil || !m.Processed() {
		t.Fatalf("AS2 MDN: %+v %v (%d %s)", m, err, resp.StatusCode, mdnBody)
	}
	var list []domain.Receipt
	if _, err := ca.do(ctx, http.MethodGet, "/v1/partners/"+a.gln+"/documents", "", nil, &list); err != nil || len(list) != 2 || list[0].Transport != "as2" {
		t.Fatalf("A's receipts: %+v %v", list, err)
	}
	processed(list[0].ID, domain.StatusProcessed)
	now := states()
	for i, p := range packs {
		want := domain.StateReceived
		if i < 2 {
			want = domain.StateReturned
		}
		if now[p] != string(want) {
			t.Errorf("pack %d is %s, want %s", i, now[p], want)
		}
	}
	if _, err := cb.do(ctx, http.MethodGet, "/v1/partners/"+b.gln+"/documents", "", nil, &list); err != nil || len(list) != 0 {
		t.Errorf("B's receipts: %+v %v", list, err)
	}

	// The facts are in ClickHouse: the case received at A, a pack returned from A.
	trace := func(epc string) analytics.TraceResponse {
		t.Helper()
		var tr analytics.TraceResponse
		if err := json.Unmarshal([]byte(cli("trace", epc, "--format", "json")), &tr); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	hasFact := func(tr analytics.TraceResponse, step, disp string) bool {
		for _, f := range tr.History {
			if strings.HasSuffix(f.BizStep, step) && strings.HasSuffix(f.Disposition, disp) && f.ReadPoint == a.sgln {
				return true
			}
		}
		return false
	}
	if tr := trace(caseURI); !hasFact(tr, "receiving", "in_progress") {
		t.Errorf("no receiving fact of the case at A in ClickHouse: %+v", tr.History)
	}
	if tr := trace(packs[0]); !hasFact(tr, "shipping", "returned") {
		t.Errorf("no return fact of pack 0 from A in ClickHouse: %+v", tr.History)
	}

	// A receipt at B's location: rejected with the rule, the event and the field; in the
	// exception queue; nothing changed.
	bad := testEvent(at.Add(2*time.Second), "receiving", "in_progress", b.sgln, packs[2:3], nil, nil)
	r, _ := send(ca, a.gln, testDocument(t, bad))
	r = processed(r.ID, domain.StatusRejected)
	if len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0], "[location_not_partner] event 0") || !strings.Contains(r.Errors[0], "field readPoint") {
		t.Errorf("errors of a receipt at B's location: %q", r.Errors)
	}
	var ex sites.ExceptionDetail
	if _, err := admin.do(ctx, http.MethodGet, "/v1/exceptions/"+r.ID, "", nil, &ex); err != nil || len(ex.Exceptions) != 1 ||
		ex.Exceptions[0].Errors[0].Code != sites.RuleLocationNotPartner || ex.Exceptions[0].Errors[0].Field != "readPoint" ||
		ex.Exceptions[0].Status != "open" || ex.Receipt.PartnerGLN != a.gln {
		t.Errorf("exception queue: %+v %v", ex, err)
	}
	if out := cli("exceptions", "list"); !strings.Contains(out, "partner "+a.gln) || !strings.Contains(out, "location_not_partner") {
		t.Errorf("exceptions list:\n%s", out)
	}
	if now := states(); now[packs[2]] != string(domain.StateReceived) {
		t.Errorf("pack 2 after a rejected file: %s", now[packs[2]])
	}
	// B, at its own location, cannot receive packs we shipped to A, nor commission any.
	steal := testEvent(at.Add(3*time.Second), "receiving", "in_progress", b.sgln, packs[3:4], nil, nil)
	mint := testEvent(at.Add(3*time.Second), "commissioning", "active", b.sgln, packs[4:5], nil, nil)
	mint.Action = epcis.ActionAdd
	r, _ = send(cb, b.gln, testDocument(t, steal, mint))
	r = processed(r.ID, domain.StatusRejected)
	if len(r.Errors) != 2 || !strings.HasPrefix(r.Errors[0], "[epc_not_shipped_to_partner] event 0") || strings.Contains(r.Errors[0], a.gln) ||
		!strings.HasPrefix(r.Errors[1], "[event_not_for_partner] event 1") {
		t.Errorf("errors of B's file on A's packs: %q", r.Errors)
	}
}

// testPartner registers a US trading partner of the demo prefix with a location and a
// licence, and the further fields given.
func testPartner(t *testing.T, ctx context.Context, admin *apiClient, ref string, more map[string]any) demoPartner {
	t.Helper()
	gln, err := demoGLN(demoUSPrefix, ref)
	if err != nil {
		t.Fatal(err)
	}
	sgln := "urn:epc:id:sgln:" + demoUSPrefix + "." + ref + ".0"
	body := map[string]any{"gln": string(gln), "name": "Partner " + ref, "country": "US", "sglns": []string{sgln},
		"licences": []map[string]string{{"number": "US-WD-" + ref, "type": "wholesale", "valid_from": "2020-01-01", "valid_to": "2099-12-31"}}}
	for k, v := range more {
		body[k] = v
	}
	if _, err := admin.do(ctx, http.MethodPut, "/v1/partners/"+string(gln), "application/json", demoJSON(body), nil); err != nil {
		t.Fatalf("partner %s: %v", gln, err)
	}
	return demoPartner{gln: string(gln), sgln: sgln, name: "Partner " + ref}
}

// testEvent is an ObjectEvent OBSERVE at loc (read point and business location).
func testEvent(at time.Time, step, disp, loc string, epcs []string, src, dst []epcis.SourceDest) *epcis.Event {
	return &epcis.Event{Type: epcis.ObjectEvent, EventTime: at, EventTimeZoneOffset: "+00:00", Action: epcis.ActionObserve,
		BizStep: "urn:epcglobal:cbv:bizstep:" + step, Disposition: "urn:epcglobal:cbv:disp:" + disp,
		ReadPoint: loc, BizLocation: loc, EPCList: epcs, Sources: src, Destinations: dst}
}

// testDocument writes events as an EPCIS 1.2 XML document.
func testDocument(t *testing.T, events ...*epcis.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := epcisxml.NewEncoder(&b, epcis.Version12)
	if err := enc.WriteHeader(&epcis.Document{SchemaVersion: epcis.Version12, CreationDate: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := enc.WriteEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
