package euhub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/euhub"
	"github.com/serialhub/serialhub/gateways/euhub/sim"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/workflows/submission"
)

var bigPacks = flag.Int("euhub.packs", 50000, "packs of the outage test (1000000 for the full-size run)")

type env struct {
	gtin string // random per test: workflow IDs are business keys on a shared Temporal
	t    testing.TB
	ctx  context.Context
	pool *pgxpool.Pool
	// alerts the hub raised on our operations, by id
	alerts *alertSink
	gw     *gateways.Store
	svc    *euhub.Service
	sim    *sim.Sim
	tc     client.Client
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

var _ log.Logger = quiet{}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	pool, _ := pgtest.NewDB(t)
	addr := localenv.Getenv()("SERIALHUB_TEMPORAL_ADDR")
	if addr == "" {
		t.Fatal("SERIALHUB_TEMPORAL_ADDR is not set: run `make up`")
	}
	tc, err := client.Dial(client.Options{HostPort: addr, Logger: quiet{}})
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	t.Cleanup(tc.Close)
	s, err := sim.Start("127.0.0.1:0", sim.Config{Token: "hub-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	gw := gateways.NewStore(pool)
	store := euhub.NewStore(pool)
	if err := store.SetConnection(ctx, s.URL(), "env:EUHUB_TOKEN", true); err != nil {
		t.Fatal(err)
	}
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{WaitMin: 20 * time.Millisecond, WaitMax: 50 * time.Millisecond, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sink := &alertSink{}
	g := euhub.New(euhub.Config{Requests: store, Sender: "MAH-0001", Alerts: sink, Transport: &euhub.SOAPTransport{Partners: store, HTTP: hc,
		Secret: func(ref string) (string, error) {
			if ref == "env:EUHUB_TOKEN" {
				return "hub-secret", nil
			}
			return "", errors.New("unknown secret")
		}}})
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "test-euhub-" + hex.EncodeToString(b)
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	acts := &submission.Activities{Store: gw, Gateways: gateways.Registry{euhub.Name: g}, Log: lg}
	w := submission.NewWorker(tc, queue, acts, submission.Limits{Concurrent: 8, PerSecond: 1000})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	starter := submission.Starter{Client: tc, Queue: queue, Defaults: submission.Input{InitialInterval: 100 * time.Millisecond,
		HeartbeatTimeout: 5 * time.Second, Deadline: 5 * time.Minute}}
	return &env{gtin: randomGTIN(t), t: t, ctx: ctx, pool: pool, alerts: sink, gw: gw, svc: &euhub.Service{Store: store, Starter: starter, Log: lg}, sim: s, tc: tc}
}

// wait waits for the submissions and returns their final statuses with reasons.
func (e *env) wait(ids ...string) []gateways.Submission {
	e.t.Helper()
	var out []gateways.Submission
	for _, id := range ids {
		_ = e.tc.GetWorkflow(e.ctx, submission.WorkflowID(id), "").Get(e.ctx, nil)
		sub, err := e.gw.Submission(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, sub)
	}
	return out
}

func (e *env) expect(id string, st gateways.Status, reason string) {
	e.t.Helper()
	sub := e.wait(id)[0]
	if sub.Status != st || !strings.Contains(strings.Join(sub.Reasons, "; "), reason) {
		e.t.Fatalf("%s: %s %v (last error %q), want %s with %q", id, sub.Status, sub.Reasons, sub.LastError, st, reason)
	}
}

type alertSink struct {
	mu   sync.Mutex
	seen map[string]euhub.AlertNotification
}

func (s *alertSink) Raised(_ context.Context, list []euhub.AlertNotification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]euhub.AlertNotification{}
	}
	for _, a := range list {
		s.seen[a.AlertID] = a
	}
	return nil
}

func (s *alertSink) get(id string) (euhub.AlertNotification, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.seen[id]
	return a, ok
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatal(err)
	}
}

func randomGTIN(t testing.TB) string {
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

func serials(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%08d", prefix, i)
	}
	return out
}

func masterData(gtin string) euhub.ProductMasterData {
	addr := euhub.Address{Name: "Pharma AG", Street: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
	return euhub.ProductMasterData{Product: euhub.ProductCode{Scheme: "GTIN", Code: gtin}, Name: "Examplin 10 mg",
		CommonName: "examplinum", Form: "tablet", Strength: "10 mg", PackType: "blister", PackSize: 30,
		Markets: []euhub.Market{{Country: "DE", NationalCode: "12345678"}}, MAH: addr}
}

func (e *env) product() {
	e.t.Helper()
	id, err := e.svc.Product(e.ctx, masterData(e.gtin))
	if err != nil {
		e.t.Fatal(err)
	}
	e.expect(id, gateways.StatusAccepted, "")
}

func TestOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, gtin := e.ctx, e.gtin

	// Master data: refused locally when incomplete (nothing sent), accepted when complete.
	bad := masterData(e.gtin)
	bad.Strength = ""
	if _, err := e.svc.Product(ctx, bad); domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "A16") {
		t.Fatalf("incomplete master data: %v", err)
	}
	if st := e.sim.Stats(); st.Requests != 0 {
		t.Fatalf("sent %d requests for refused master data", st.Requests)
	}
	e.product()

	// Release: 25 packs in chunks of 10; again: the same chunks, nothing doubled.
	rel := euhub.Release{GTIN: gtin, Lot: "L1", Expiry: "281130", Serials: serials("A", 25), ChunkSize: 10}
	res, err := e.svc.Release(ctx, rel)
	if err != nil || len(res.Obligations) != 3 || !res.Created {
		t.Fatalf("release: %+v %v", res, err)
	}
	for _, s := range e.wait(res.Obligations...) {
		if s.Status != gateways.StatusAccepted {
			t.Fatalf("chunk %s: %s %v", s.ID, s.Status, s.Reasons)
		}
	}
	if res2, err := e.svc.Release(ctx, rel); err != nil || res2.Created || len(res2.Obligations) != 3 {
		t.Fatalf("second release: %+v %v", res2, err)
	}
	e.wait(res.Obligations...)
	if n := e.sim.BatchPacks(gtin, "L1"); n != 25 {
		t.Fatalf("simulator holds %d packs, want 25", n)
	}
	st, err := e.svc.Store.ReleaseStatus(ctx, gtin, "L1")
	if err != nil || !st.Complete || st.Accepted != 25 {
		t.Fatalf("release status: %+v %v", st, err)
	}

	// Refused locally: serials against the EU rules, a pack already uploaded with another batch.
	for name, r := range map[string]euhub.Release{
		"21 chars":  {GTIN: gtin, Lot: "L9", Expiry: "281130", Serials: []string{strings.Repeat("1", 21)}},
		"GS":        {GTIN: gtin, Lot: "L9", Expiry: "281130", Serials: []string{"A1\x1d17281130"}},
		"expiry":    {GTIN: gtin, Lot: "L9", Expiry: "2028-11-30", Serials: []string{"Z1"}},
		"duplicate": {GTIN: gtin, Lot: "L9", Expiry: "281130", Serials: []string{"A00000001"}},
	} {
		if _, err := e.svc.Release(ctx, r); err == nil {
			t.Errorf("release %s: accepted", name)
		}
	}

	// Batch and expiry exactly as on the pack: the serial store's packs decide (EPCIS date or
	// AI 17 form); without serials, the lot's packs in the store are released.
	e.exec(`INSERT INTO sites (id, name) VALUES ('S1', 'Site 1')`)
	for _, sn := range []string{"M1", "M2"} {
		e.exec(`INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state, last_event_time)
			VALUES ($1, $2, $3, 'L5', '2028-11-30', 'S1', 'commissioned', now())`, "urn:x:"+sn, gtin, sn)
	}
	for name, c := range map[string]struct {
		rel  euhub.Release
		want string
	}{
		"wrong expiry": {euhub.Release{GTIN: gtin, Lot: "L5", Expiry: "281231", Serials: []string{"M1"}}, "A52"},
		"wrong batch":  {euhub.Release{GTIN: gtin, Lot: "L6", Expiry: "281130", Serials: []string{"M2", "M9"}}, "A68"},
	} {
		if _, err := e.svc.Release(ctx, c.rel); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("release %s: %v, want %s", name, err, c.want)
		}
	}
	res5, err := e.svc.Release(ctx, euhub.Release{GTIN: gtin, Lot: "L5", Expiry: "281130"})
	if err != nil || res5.Packs != 2 {
		t.Fatalf("release of the lot's packs: %+v %v", res5, err)
	}
	e.expect(res5.Obligations[0], gateways.StatusAccepted, "")

	// The hub refuses: a batch whose expiry differs from the uploaded one (A52, by sending the
	// other chunk of L1 under a different release is impossible locally; use a new batch of an
	// unknown product instead: A16 from the hub).
	other := randomGTIN(t)
	res3, err := e.svc.Release(ctx, euhub.Release{GTIN: other, Lot: "X1", Expiry: "281130", Serials: []string{"Q1"}})
	if err != nil {
		t.Fatal(err)
	}
	e.expect(res3.Obligations[0], gateways.StatusRejected, "A16")

	// Recall: unknown batch (A2) rejected; known batch accepted and held by the hub.
	id, err := e.svc.Recall(ctx, gtin, "NOPE", "quality defect")
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusRejected, "A2")
	id, err = e.svc.Recall(ctx, gtin, "L1", "quality defect")
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusAccepted, "")
	if !e.sim.Recalled(gtin, "L1") {
		t.Fatal("recall did not reach the hub")
	}

	// Decommissioning: happy, unknown pack (A3), wrong expiry (A52), undo, undo of destroyed.
	dc := euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "281130", Status: "sample", Serials: []string{"A00000001", "A00000002"}}
	id, err = e.svc.Decommission(ctx, dc, false)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusAccepted, "")
	if s := e.sim.PackStatus(gtin, "A00000001"); s != "sample" {
		t.Fatalf("pack status %q", s)
	}
	// Pharmacy scans raise the hub's alerts.
	for _, c := range []struct {
		sc   sim.Scan
		want string
	}{
		{sim.Scan{GTIN: gtin, Lot: "L1", Expiry: "281130", Serial: "A00000010"}, ""},
		{sim.Scan{GTIN: gtin, Lot: "L1", Expiry: "281130", Serial: "NEVERUPLOADED"}, "A3"},
		{sim.Scan{GTIN: gtin, Lot: "L1", Expiry: "291130", Serial: "A00000010"}, "A52"},
		{sim.Scan{GTIN: gtin, Lot: "L7", Expiry: "281130", Serial: "A00000010"}, "A68"},
		{sim.Scan{GTIN: gtin, Lot: "L1", Expiry: "281130", Serial: "A00000001"}, "A24"},
		{sim.Scan{GTIN: gtin, Lot: "L7", Expiry: "281130", Serial: "NEVER"}, "A2"},
	} {
		a := e.sim.Check(c.sc)
		if (a == nil && c.want != "") || (a != nil && a.Code != c.want) {
			t.Errorf("scan %+v: %+v, want %q", c.sc, a, c.want)
		}
	}
	id, err = e.svc.Decommission(ctx, euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "281130", Status: "stolen", Serials: []string{"NOTUPLOADED"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusRejected, "A3")
	if a, ok := e.alerts.get(id + "-A3-NOTUPLOADED"); !ok || a.Product.Code != gtin || a.Batch != "L1" || a.Expiry != "281130" {
		t.Fatalf("the hub's A3 on our decommissioning was not raised as an alert: %+v %v", a, ok)
	}
	id, err = e.svc.Decommission(ctx, euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "291130", Status: "destroyed", Serials: []string{"A00000003"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusRejected, "A52")
	id, err = e.svc.Decommission(ctx, euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "281130", Status: "exported", Serials: []string{"A00000001"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusRejected, "A24")
	id, err = e.svc.Decommission(ctx, dc, true)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusAccepted, "")
	if s := e.sim.PackStatus(gtin, "A00000001"); s != "active" {
		t.Fatalf("pack status after undo %q", s)
	}
	if _, err := e.svc.Decommission(ctx, euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "281130", Status: "destroyed", Serials: []string{"A00000001"}}, true); err == nil {
		t.Fatal("undo of destroyed accepted")
	}
	id, err = e.svc.Decommission(ctx, euhub.StatusChange{GTIN: gtin, Lot: "L1", Expiry: "281130", Status: "locked", Serials: []string{"A00000005"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusRejected, "A24") // not locked: nothing to undo

	// Withdrawal: needs the confirmation; irreversible at the hub.
	if _, err := e.svc.Withdraw(ctx, gtin, "discontinued", "yes"); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("unconfirmed withdrawal: %v", err)
	}
	id, err = e.svc.Withdraw(ctx, gtin, "discontinued", euhub.ConfirmWithdrawal(gtin))
	if err != nil {
		t.Fatal(err)
	}
	e.expect(id, gateways.StatusAccepted, "")
	res4, err := e.svc.Release(ctx, euhub.Release{GTIN: gtin, Lot: "L2", Expiry: "281130", Serials: []string{"B1"}})
	if err != nil {
		t.Fatal(err)
	}
	e.expect(res4.Obligations[0], gateways.StatusRejected, "A24")
	if !e.sim.Withdrawn(gtin) {
		t.Fatal("withdrawal did not reach the hub")
	}
}

// TestUploadThroughOutage: the hub loses an answer, then goes down in the middle of a large
// batch; after it is back, the batch completes once: no pack missing or doubled, counted
// on the hub's side.
func TestUploadThroughOutage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gtin := e.gtin
	e.product()
	n := *bigPacks
	chunk := max(n/20, 1000)
	e.sim.SetFaults(sim.Faults{DropAnswers: 1, DownAfter: 3, FailNext: 0})
	res, err := e.svc.Release(e.ctx, euhub.Release{GTIN: gtin, Lot: "BIG", Expiry: "281130", Serials: serials("P", n), ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the hub has been down for a while (answers refused), then bring it back.
	for e.sim.Stats().Faults < 6 {
		if e.ctx.Err() != nil {
			t.Fatal("the hub never went down")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.sim.SetFaults(sim.Faults{FailNext: 2})
	for _, s := range e.wait(res.Obligations...) {
		if s.Status != gateways.StatusAccepted {
			t.Fatalf("chunk %s: %s %v", s.ID, s.Status, s.Reasons)
		}
	}
	st := e.sim.Stats()
	if got := e.sim.BatchPacks(gtin, "BIG"); got != n || st.PacksApplied != n {
		t.Fatalf("hub holds %d packs (applied %d), want %d", got, st.PacksApplied, n)
	}
	if st.Replays < 1 || st.Faults < 6 {
		t.Fatalf("stats %+v: the lost answer was not replayed or the outage did not happen", st)
	}
	t.Logf("%d packs in %d chunks; hub stats %+v", n, len(res.Obligations), st)
}

// BenchmarkPackUpload measures pack upload end to end: recorded in PostgreSQL, carried by
// Temporal submissions in chunks of 10,000 (-euhub.chunk), applied by the simulator: a batch
// of 1M packs by default (-euhub.bench=N for another size).
func BenchmarkPackUpload(b *testing.B) {
	e := newEnv(b)
	gtin := e.gtin
	e.product()
	n := *benchPacks
	b.ResetTimer()
	start := time.Now()
	var recorded time.Duration
	for i := 0; i < b.N; i++ {
		lot := fmt.Sprintf("B%d", i)
		list := serials(lot+"-", n)
		t0 := time.Now()
		res, err := e.svc.Release(e.ctx, euhub.Release{GTIN: gtin, Lot: lot, Expiry: "281130", Serials: list, ChunkSize: *benchChunk})
		if err != nil {
			b.Fatal(err)
		}
		recorded += time.Since(t0)
		for _, s := range e.wait(res.Obligations...) {
			if s.Status != gateways.StatusAccepted {
				b.Fatalf("chunk %s: %s %v", s.ID, s.Status, s.Reasons)
			}
		}
		if got := e.sim.BatchPacks(gtin, lot); got != n {
			b.Fatalf("hub holds %d packs, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "packs/s")
	b.ReportMetric(recorded.Seconds()/float64(b.N), "s-to-record/op")
}

var (
	benchPacks = flag.Int("euhub.bench", 1000000, "packs per batch in BenchmarkPackUpload")
	benchChunk = flag.Int("euhub.chunk", 0, "packs per chunk in BenchmarkPackUpload (default 10000)")
)
