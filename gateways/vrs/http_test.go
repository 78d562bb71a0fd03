package vrs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
)

const (
	hubGLN     = "0614141000005"
	partnerGLN = "0614141000012"
	gtin       = "00312345678906"
)

// fixture is a hub's verification API on its own database, behind TLS on loopback.
type fixture struct {
	store        *Store
	md           *masterdata.Store
	srv          *httptest.Server
	partnerToken string
	adminToken   string
	siteToken    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO sites (id, name) VALUES ('s1', 'Site 1')`,
		`INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state, last_event_time) VALUES
		 ('urn:epc:id:sgtin:0312345.067890.S1', '00312345678906', 'S1', 'L1', '2028-05-31', 's1', 'shipped', now()),
		 ('urn:epc:id:sgtin:0312345.067890.S2', '00312345678906', 'S2', 'L1', '2028-05-31', 's1', 'recalled', now()),
		 ('urn:epc:id:sgtin:0312345.067890.S3', '00312345678906', 'S3', 'L0', '2025-01-31', 's1', 'shipped', now()),
		 ('urn:epc:id:sgtin:0312345.067890.S%2F4', '00312345678906', 'S/4 %', 'L/1', '2028-05-31', 's1', 'shipped', now()),
		 ('urn:epc:id:sgtin:0312345.067890.S5', '00312345678906', 'S5', 'L5', '2028-05-31', 's1', 'shipped', now())`,
		// A recall decision on lot L5 (workflows/recall records them): S5 answers Recalled
		// although no recalling event for the pack itself has come in.
		`INSERT INTO recalls (id, gtin, lots, reason, class, decided_by) VALUES
		 ('RC-1', '00312345678906', '{L4,L5}', 'test', 'II', 'test')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: NewStore(pool), md: masterdata.NewStore(pool)}
	var err error
	if f.partnerToken, err = f.store.CreatePartnerKey(ctx, partnerGLN, "test partner"); err != nil {
		t.Fatal(err)
	}
	keys := sites.NewStore(pool)
	if f.adminToken, err = keys.CreateKey(ctx, domain.RoleAdmin, "", "test admin"); err != nil {
		t.Fatal(err)
	}
	if f.siteToken, err = keys.CreateKey(ctx, domain.RoleSite, "s1", "test site"); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	pool2 := f.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: pool2, WaitMin: time.Millisecond, WaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	token := f.partnerToken
	h := &Handler{Store: f.store, ResponderGLN: hubGLN, Log: log,
		Requester: &Requester{HTTP: hc, RequestorGLN: hubGLN, Secret: func(string) (string, error) { return token, nil }}}
	h.Routes(mux, func(next http.Handler) http.Handler { return api.RequireAuth(keys, log, next) })
	return f
}

// TestRequesterAgainstResponder asks our own responder over HTTPS through the requester, as a
// partner's hub would, and checks the answers and that both sides logged every request.
func TestRequesterAgainstResponder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The "partner" asked is this very hub, reached through its partner key.
	if _, err := f.md.PutPartner(ctx, masterdata.Partner{GLN: partnerGLN, Name: "Partner", Delivery: masterdata.Delivery{
		VRSEndpoint: f.srv.URL + "/v1/vrs", VRSCredentialsRef: "env:X"}}, masterdata.PutOptions{By: "test"}); err != nil {
		t.Fatal(err)
	}
	q := f.requester(t)
	tests := []struct {
		serial, lot, exp string
		want             Data
	}{
		{"S1", "L1", "280531", Data{Verified: true}},
		{"S1", "L2", "280531", Data{VerificationFailureReason: NoMatchGTINSerialLot}},
		{"S2", "L1", "280500", Data{Verified: true, AdditionalInfo: InfoRecalled}},
		{"S3", "L0", "250131", Data{Verified: true, AdditionalInfo: InfoExpired}},
		{"S9", "L1", "280531", Data{VerificationFailureReason: NoMatchGTINSerial}},
		{"S/4 %", "L/1", "280531", Data{Verified: true}}, // GS1 AI 21 and 10 allow '/', '%' and more
		{"S5", "L5", "280531", Data{Verified: true, AdditionalInfo: InfoRecalled}},
	}
	for _, tc := range tests {
		resp, err := q.AskPartner(ctx, f.store, partnerGLN, Request{GTIN: gtin, Serial: tc.serial, Lot: tc.lot, Expiry: tc.exp})
		if err != nil {
			t.Fatalf("%s: %v", tc.serial, err)
		}
		if resp.Data != tc.want || resp.ResponderGLN != hubGLN || resp.CorrUUID == "" || resp.VerificationTimestamp.IsZero() {
			t.Errorf("%s/%s: answer %+v, want data %+v", tc.serial, tc.lot, resp, tc.want)
		}
	}
	log, err := f.store.Requests(ctx, partnerGLN, 100)
	if err != nil {
		t.Fatal(err)
	}
	var in, out int
	for _, e := range log {
		switch e.Direction {
		case Inbound:
			in++
			if e.KeyID == 0 || e.Request.RequestorGLN != hubGLN || e.Verified == nil || e.HTTPStatus != 200 {
				t.Errorf("inbound log entry %+v", e)
			}
		case Outbound:
			out++
			if e.Responder != hubGLN || e.Verified == nil {
				t.Errorf("outbound log entry %+v", e)
			}
		}
	}
	if in != len(tests) || out != len(tests) {
		t.Errorf("logged %d in, %d out; want %d each", in, out, len(tests))
	}
	// A disabled or unknown partner is refused before anything is sent.
	if _, err := q.AskPartner(ctx, f.store, "0614141000029", Request{GTIN: gtin, Serial: "S1", Lot: "L1", Expiry: "280531"}); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("unknown partner: %v", err)
	}
}

func (f *fixture) requester(t *testing.T) *Requester {
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: f.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		t.Fatal(err)
	}
	tok := f.partnerToken
	return &Requester{HTTP: hc, RequestorGLN: hubGLN, Secret: func(string) (string, error) { return tok, nil }}
}

func TestResponderAuthAndLog(t *testing.T) {
	f := newFixture(t)
	c := f.srv.Client()
	link := f.srv.URL + "/v1/vrs/01/00312345678906/10/L1/21/S1?exp=280531&linkType=gs1:verificationService&context=dscsaSaleableReturn&corrUUID=c-1"
	do := func(method, url, token string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, _ := do("GET", link, "", nil); st != 401 {
		t.Errorf("no key: %d", st)
	}
	if st, _ := do("GET", link, "shk_nope", nil); st != 401 {
		t.Errorf("unknown key: %d", st)
	}
	if st, _ := do("GET", link, f.siteToken, nil); st != 403 {
		t.Errorf("site key: %d", st)
	}
	st, b := do("GET", link, f.partnerToken, nil)
	var resp Response
	if st != 200 || json.Unmarshal(b, &resp) != nil || !resp.Data.Verified || resp.CorrUUID != "c-1" {
		t.Errorf("partner: %d %s", st, b)
	}
	body, _ := json.Marshal(Request{GTIN: "0312345678906", Serial: "S1", Lot: "L1", Expiry: "2028-05-31"})
	if st, b := do("POST", f.srv.URL+"/v1/vrs/verify", f.partnerToken, body); st != 200 || !bytes.Contains(b, []byte(`"verified": true`)) {
		t.Errorf("POST verify: %d %s", st, b)
	}
	if st, _ := do("POST", f.srv.URL+"/v1/vrs/verify", f.partnerToken, []byte(`{"gtin":"1"}`)); st != 400 {
		t.Errorf("bad request: %d", st)
	}
	// The partner sees its own requests (three, the refused one included), the site nothing.
	st, b = do("GET", f.srv.URL+"/v1/vrs/requests?partner=0000000000000", f.partnerToken, nil)
	var log []LogEntry
	if st != 200 || json.Unmarshal(b, &log) != nil || len(log) != 3 {
		t.Fatalf("partner's log: %d %s", st, b)
	}
	for _, e := range log {
		if e.PartnerGLN != partnerGLN {
			t.Errorf("partner sees %+v", e)
		}
	}
	if log[0].Err == "" || log[0].HTTPStatus != 400 {
		t.Errorf("refused request logged as %+v", log[0])
	}
	if st, _ := do("GET", f.srv.URL+"/v1/vrs/requests", f.siteToken, nil); st != 403 {
		t.Errorf("site reads the log: %d", st)
	}
	// The site key was refused, and logged with its key too.
	st, b = do("GET", f.srv.URL+"/v1/vrs/requests", f.adminToken, nil)
	if st != 200 || json.Unmarshal(b, &log) != nil || len(log) != 4 {
		t.Errorf("admin's log: %d %s", st, b)
	}
	// Only admins ask partners.
	if st, _ := do("POST", f.srv.URL+"/v1/vrs/ask", f.partnerToken, []byte(`{}`)); st != 403 {
		t.Errorf("partner asks: %d", st)
	}
}
