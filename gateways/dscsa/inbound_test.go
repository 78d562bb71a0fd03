package dscsa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/as2"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// TestInbound: partners send files to the hub by HTTPS and EPCIS capture with their key, and
// by AS2 signed with their certificate, into the intake; each sees only its own. (The files'
// processing is cmd/serialhub's TestPartnerFiles.)
func TestInbound(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewDB(t)
	keys := sites.NewStore(pool)
	const gln, other = "0614141000012", "0614141000029"
	partnerKey := func(gln string) string {
		tok := sites.NewToken()
		h := sha256.Sum256([]byte(tok))
		if _, err := pool.Exec(ctx, `INSERT INTO api_keys (key_hash, role, partner_id) VALUES ($1, 'partner', $2)`, h[:], gln); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	mine, theirs := partnerKey(gln), partnerKey(other)
	if _, err := pool.Exec(ctx, `INSERT INTO sites (id, name) VALUES ('s1', 'S1')`); err != nil {
		t.Fatal(err)
	}
	siteKey, err := keys.CreateKey(ctx, domain.RoleSite, "s1", "site")
	if err != nil {
		t.Fatal(err)
	}
	hubC, hubK, _ := gateways.SelfSigned("hub")
	hub, _ := as2.ParseIdentity(hubC, hubK)
	pC, pK, _ := gateways.SelfSigned("partner")
	partner, _ := as2.ParseIdentity(pC, pK)
	md := masterdata.NewStore(pool)
	if _, err := md.PutPartner(ctx, masterdata.Partner{GLN: gln, Name: "Partner", Delivery: masterdata.Delivery{
		AS2ID: "PARTNER", AS2OurID: "SERIALHUB", AS2Cert: string(pC)}}, masterdata.PutOptions{By: "test"}); err != nil {
		t.Fatal(err)
	}
	as2s := as2.Agreements{Partners: md}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	auth := func(h http.Handler) http.Handler { return api.RequireAuth(keys, log, h) }
	intake := &sites.Intake{Store: keys, Starter: noStart{}, Log: log}
	(&InboundHandler{Intake: intake, AS2: &as2.Receiver{Self: hub, Settings: as2s}, Log: log}).Routes(mux, auth)
	(&sites.Handler{Store: keys, Starter: noStart{}, Log: log, MaxBytes: 1 << 20}).Routes(mux, auth)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var file bytes.Buffer
	if err := SampleShipment(12).WriteFile(&file); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token, ct string, body []byte, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
		return resp.StatusCode
	}
	path := "/v1/partners/" + gln + "/documents"
	var first, again domain.Receipt
	if st := do("POST", path, mine, "application/xml", file.Bytes(), &first); st != 202 || first.Format != "1.2-xml" || first.Duplicate ||
		first.PartnerGLN != gln || first.SiteID != "" || first.Transport != "https" || first.Status != domain.StatusReceived {
		t.Fatalf("upload: %d %+v", st, first)
	}
	if st := do("POST", path, mine, "application/xml", file.Bytes(), &again); st != 200 || again.ID != first.ID || !again.Duplicate {
		t.Errorf("again: %d %+v", st, again)
	}
	for _, c := range []struct {
		name, path, token, ct string
		body                  []byte
		want                  int
	}{
		{"another partner's GLN", path, theirs, "application/xml", file.Bytes(), 404},
		{"capture for another partner", "/v1/partners/" + gln + "/capture", theirs, "application/xml", file.Bytes(), 404},
		{"a site key capturing", "/v1/partners/" + gln + "/capture", siteKey, "application/xml", file.Bytes(), 403},
		{"a partner key on a site's route", "/v1/sites/s1/documents", mine, "application/xml", file.Bytes(), 403},
		{"a site key", path, siteKey, "application/xml", file.Bytes(), 403},
		{"no key", path, "", "application/xml", file.Bytes(), 401},
		{"not EPCIS", path, mine, "application/pdf", []byte("%PDF-1.4"), 400},
		{"empty", path, mine, "application/xml", nil, 400},
	} {
		if st := do("POST", c.path, c.token, c.ct, c.body, nil); st != c.want {
			t.Errorf("%s: %d, want %d", c.name, st, c.want)
		}
	}
	if st := do("GET", path+"/"+first.ID, theirs, "", nil, nil); st != 404 {
		t.Errorf("another partner reads the receipt: %d", st)
	}
	if st := do("GET", "/v1/partners/"+other+"/documents/"+first.ID, theirs, "", nil, nil); st != 404 {
		t.Errorf("receipt under another GLN: %d", st)
	}
	if st := do("GET", "/v1/receipts/"+first.ID, siteKey, "", nil, nil); st != 404 {
		t.Errorf("a site reads a partner's receipt: %d", st)
	}

	// EPCIS 2.0 capture: 202 with the job's Location; the job runs until the file is processed.
	req, _ := http.NewRequest("POST", srv.URL+"/v1/partners/"+gln+"/capture",
		bytes.NewReader(bytes.ReplaceAll(file.Bytes(), []byte("dscsa-sample-12"), []byte("captured-1"))))
	req.Header.Set("Authorization", "Bearer "+mine)
	req.Header.Set("Content-Type", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	var job CaptureJob
	if st := do("GET", loc, mine, "", nil, &job); resp.StatusCode != 202 || st != 200 || !job.Running || job.CaptureID == "" {
		t.Errorf("capture: %d, job at %q: %d %+v", resp.StatusCode, loc, st, job)
	}
	if st := do("GET", loc, theirs, "", nil, nil); st != 404 {
		t.Errorf("another partner reads the capture job: %d", st)
	}

	// AS2: signed by the partner, encrypted to the hub; the MDN is signed by the hub.
	sendAS2 := func(signer as2.Identity, id string) as2.MDN {
		h, body, _, err := as2.Pack(as2.Message{MessageID: id, From: "PARTNER", To: "SERIALHUB", ContentType: "application/xml",
			Filename: "receipt.xml", Body: bytes.ReplaceAll(file.Bytes(), []byte("dscsa-sample-12"), []byte(id))}, signer, hub.Cert)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", srv.URL+"/v1/partners/"+gln+"/as2", bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m, err := as2.ParseMDN(resp.Header, b, hub.Cert)
		if err != nil {
			t.Fatalf("MDN: %v (%d %s)", err, resp.StatusCode, b)
		}
		return m
	}
	if m := sendAS2(partner, "m1@partner"); !m.Processed() || m.MIC == "" || m.OriginalMessageID != "m1@partner" {
		t.Errorf("AS2 MDN %+v", m)
	}
	_, intruder := func() ([]byte, as2.Identity) {
		c, k, _ := gateways.SelfSigned("intruder")
		id, _ := as2.ParseIdentity(c, k)
		return c, id
	}()
	if m := sendAS2(intruder, "m2@partner"); m.Processed() {
		t.Errorf("a message signed by another certificate was taken: %+v", m)
	}
	var list []domain.Receipt
	if st := do("GET", path, mine, "", nil, &list); st != 200 || len(list) != 3 || list[0].Transport != "as2" || list[1].Transport != "capture" {
		t.Errorf("list: %d %+v", st, list)
	}
	if st := do("GET", path, theirs, "", nil, nil); st != 404 {
		t.Errorf("another partner lists: %d", st)
	}
}

// noStart leaves stored files unprocessed: this test is about receiving them.
type noStart struct{}

func (noStart) StartIngest(context.Context, string) error { return nil }
