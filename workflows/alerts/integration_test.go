package alerts_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/gateways/euhub/sim"
	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/workflows/alerts"
)

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomGTIN(t *testing.T) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	d := []byte("0")
	for _, x := range b {
		d = append(d, '0'+x%10)
	}
	c, err := gs1.CheckDigit(string(d))
	if err != nil {
		t.Fatal(err)
	}
	return string(append(d, c))
}

// TestInvestigations: alerts sent by the simulator reach the intake (authenticated), are
// stored once, investigated from our data, listed, exported and closed.
func TestInvestigations(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, _ := pgtest.NewDB(t)
	tc, err := client.Dial(client.Options{HostPort: localenv.Getenv()("SERIALHUB_TEMPORAL_ADDR"), Logger: quiet{}})
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	defer tc.Close()
	queue := "test-alerts-" + randHex(6)
	store := alerts.NewStore(pool)
	w := alerts.NewWorker(tc, queue, &alerts.Activities{Store: store})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	starter := alerts.Starter{Client: tc, Queue: queue, Defaults: alerts.Input{Recheck: 50 * time.Millisecond, MaxRechecks: 1}}
	keys := sites.NewStore(pool)
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	(&alerts.Handler{Store: store, Starter: starter, Log: lg}).Routes(mux, func(h http.Handler) http.Handler { return api.RequireAuth(keys, lg, h) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	hubToken, admin := "hub-"+randHex(8), "admin-"+randHex(8)
	if err := store.EnsureHubKey(ctx, hubToken, euhub.HubGLN); err != nil {
		t.Fatal(err)
	}
	if err := keys.EnsureKey(ctx, admin, "admin", "", "test admin"); err != nil {
		t.Fatal(err)
	}

	// Our data: packs A1..A3 of lot L1 commissioned; A1, A2 uploaded (chunk accepted), A3 in a
	// chunk still in flight (lot L2); A4 commissioned, never uploaded.
	gtin := randomGTIN(t)
	mustExec(t, pool, `INSERT INTO sites (id, name) VALUES ('S1', 'Site 1')`)
	for _, p := range [][3]string{{"A1", "L1", "281130"}, {"A2", "L1", "281130"}, {"A3", "L2", "281130"}, {"A4", "L3", "281130"}} {
		mustExec(t, pool, `INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state, last_event_time)
			VALUES ($1, $2, $3, $4, $5, 'S1', 'commissioned', now())`, "urn:x:"+gtin+"."+p[0], gtin, p[0], p[1], p[2])
	}
	es := euhub.NewStore(pool)
	ids, _, err := es.RecordRelease(ctx, euhub.Release{GTIN: gtin, Lot: "L1", Expiry: "281130", Serials: []string{"A1", "A2"}})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `UPDATE obligations SET status = 'accepted' WHERE id = $1`, ids[0])
	if _, _, err := es.RecordRelease(ctx, euhub.Release{GTIN: gtin, Lot: "L2", Expiry: "281130", Serials: []string{"A3"}}); err != nil {
		t.Fatal(err)
	}

	s, err := sim.Start("127.0.0.1:0", sim.Config{Callback: srv.URL, CallbackToken: hubToken})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Second)
	send := func(id, code, lot, expiry, serial string) {
		t.Helper()
		a := &euhub.AlertNotification{AlertID: id, Code: code, Raised: now, Market: "DE", Product: euhub.ProductCode{Scheme: "GTIN", Code: gtin},
			Batch: lot, Expiry: expiry, Serial: serial, Text: "pharmacy scan"}
		if err := s.Send(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	prefix := randHex(4)
	cases := []struct{ id, code, lot, expiry, serial, cause string }{
		{"gs", "A3", "L1", "281130", "A117281130", alerts.CauseScanError},
		{"flight", "A3", "L2", "281130", "A3", alerts.CauseInFlight},
		{"notup", "A3", "L3", "281130", "A4", alerts.CauseNotUploaded},
		{"fake", "A3", "L1", "281130", "ZZZ999", alerts.CauseNeverCommissioned},
		{"exp", "A52", "L1", "291231", "A1", alerts.CausePackDiffers},
		{"lot", "A2", "L9", "281130", "Q1", alerts.CauseBatchUnknown},
	}
	for _, c := range cases {
		send(prefix+"-"+c.id, c.code, c.lot, c.expiry, c.serial)
	}
	send(prefix+"-gs", "A3", "L1", "281130", "A117281130") // the same alert again: one alert
	// A pharmacy scan the simulator checks itself: a batch it never received (A2).
	sc, err := s.ScanPack(ctx, sim.Scan{GTIN: gtin, Lot: "L3", Expiry: "281130", Serial: "A4", Market: "FR"})
	if err != nil || sc == nil || sc.Code != "A2" {
		t.Fatalf("scan: %+v %v", sc, err)
	}
	cases = append(cases, struct{ id, code, lot, expiry, serial, cause string }{sc.AlertID, "A2", "L3", "", "A4", alerts.CauseBatchNotUploaded})
	for i := range cases[:len(cases)-1] {
		cases[i].id = prefix + "-" + cases[i].id
	}
	for _, c := range cases {
		var f alerts.Finding
		if err := tc.GetWorkflow(ctx, alerts.WorkflowID(c.id), "").Get(ctx, &f); err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		rec, err := store.Get(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		switch c.cause {
		case alerts.CauseScanError:
			writeHistory(t, ctx, tc, alerts.WorkflowID(c.id), "history_scan_error.json")
		case alerts.CauseInFlight:
			writeHistory(t, ctx, tc, alerts.WorkflowID(c.id), "history_in_flight.json")
		}
		if rec.Cause != c.cause || rec.Status != "investigated" || rec.Action == "" {
			t.Errorf("%s (%s %s): cause %q status %s, want %s; facts %+v", c.id, c.code, c.serial, rec.Cause, rec.Status, c.cause, rec.Facts)
		}
	}

	// Auth: without a key, or with a key that is not the hub's, the intake refuses.
	for _, tok := range []string{"", admin + "x"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/euhub/alerts", strings.NewReader("<x/>"))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("intake with %q: %d", tok, resp.StatusCode)
		}
	}

	// List, filter, export, close.
	get := func(path, tok string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/v1/alerts", hubToken); code != http.StatusForbidden {
		t.Fatalf("the hub's key listed alerts: %d", code)
	}
	recs, err := store.List(ctx, alerts.Filter{Code: "A3"})
	if err != nil || len(recs) != 4 {
		t.Fatalf("A3 alerts: %d %v", len(recs), err)
	}
	code, body := get("/v1/alerts?format=csv&cause="+alerts.CauseScanError, admin)
	if code != 200 || strings.Count(body, "\n") != 2 || !strings.Contains(body, "A117281130") {
		t.Fatalf("export: %d %q", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/alerts/"+prefix+"-gs/close", strings.NewReader(`{"reason":"scanner misread the GS separator; pharmacy informed"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("close: %d", resp.StatusCode)
	}
	if rec, _ := store.Get(ctx, prefix+"-gs"); rec.Status != "closed" || rec.ClosedReason == "" {
		t.Fatalf("closed alert: %+v", rec)
	}
	if err := store.Close(ctx, prefix+"-gs", "again", "x"); err == nil {
		t.Fatal("closed twice")
	}
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}
