package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

// testHub runs `serialhub hub` in-process on its own databases, task queue and port, against
// the real servers of the local stack, and returns its configuration lookup. Only the
// lifecycle rules of intake run (tests upload documents of products without master data);
// testHubEnv with SERIALHUB_INTAKE_RULES=all runs them all.
func testHub(t testing.TB) (getenv func(string) string, cfg Config) {
	t.Helper()
	return testHubEnv(t, map[string]string{"SERIALHUB_INTAKE_RULES": "lifecycle"})
}

// testHubEnv is testHub with settings of its own.
func testHubEnv(t testing.TB, extra map[string]string) (getenv func(string) string, cfg Config) {
	t.Helper()
	_, pgDSN := pgtest.NewDB(t)
	_, chCfg := chtest.NewDB(t)
	local := localenv.Getenv()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	env := map[string]string{
		"SERIALHUB_HTTP_ADDR":          addr,
		"SERIALHUB_PG_DSN":             pgDSN,
		"SERIALHUB_CH_ADDR":            chCfg.Addr,
		"SERIALHUB_CH_DATABASE":        chCfg.Database,
		"SERIALHUB_CH_USER":            chCfg.User,
		"SERIALHUB_CH_PASSWORD":        chCfg.Password,
		"SERIALHUB_TEMPORAL_ADDR":      local("SERIALHUB_TEMPORAL_ADDR"),
		"SERIALHUB_TEMPORAL_NAMESPACE": local("SERIALHUB_TEMPORAL_NAMESPACE"),
		"SERIALHUB_TASK_QUEUE":         "test-ingest-" + hex.EncodeToString(b),
		"SERIALHUB_DATA":               t.TempDir(),
		"SERIALHUB_LOG_LEVEL":          "warn",
	}
	for k, v := range extra {
		env[k] = v
	}
	getenv = func(k string) string { return env[k] }

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var logs safeBuffer
	go func() {
		defer wg.Done()
		if err := run(ctx, []string{"hub"}, getenv, io.Discard, &logs); err != nil {
			t.Errorf("hub: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if t.Failed() {
			t.Logf("hub log:\n%s", logs.String())
		}
	})
	waitReady(t, "http://"+addr)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bootstrap"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	cfg, err = loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	return getenv, cfg
}

func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = errors.New(string(body))
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemoScenario is the walking skeleton end to end: upload → 202 → workflow → PostgreSQL
// and ClickHouse → recall lists the packs with their case; a repeated upload is recognised.
// The DSCSA part delivers to a partner simulator, as deploy/local/stack.sh runs cmd/partnersim.
func TestDemoScenario(t *testing.T) {
	partner := newTestPartnerSim(t)
	env := map[string]string{"SERIALHUB_INTAKE_RULES": "all"} // as `make demo`
	for k, v := range partner.env {
		env[k] = v
	}
	getenv, cfg := testHubEnv(t, env)
	partner.start(t, cfg.DataDir)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"every step succeeded", "DSCSA: 3 US trading partners", "then caught up: delivered once",
		"VERIFIED", "No_match_GTIN_Serial_Lot"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// Every shipment went over its transport and is held exactly once by the partner.
	transports := map[string]int{}
	for _, r := range partner.sim.Received() {
		transports[r.Transport]++
		if r.Accepted != 1 {
			t.Errorf("partner holds %s %d times", r.Key, r.Accepted)
		}
	}
	if transports["https"] != 2 || transports["capture"] != 1 || transports["as2"] != 1 {
		t.Errorf("files by transport: %v, want https 2, capture 1, as2 1", transports)
	}
}

// TestSiteIsolation: a site key may upload only for its own site and read only its own
// receipts; an unknown key is refused.
func TestSiteIsolation(t *testing.T) {
	_, cfg := testHub(t)
	ctx := context.Background()
	admin := newClient(cfg)
	tokens := map[string]string{}
	for _, id := range []string{"site-a", "site-b"} {
		if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: id, Name: id}, nil); err != nil {
			t.Fatal(err)
		}
		var key struct{ Token string }
		if err := admin.postJSON(ctx, "/v1/sites/"+id+"/keys", nil, &key); err != nil {
			t.Fatal(err)
		}
		tokens[id] = key.Token
	}
	gtin, err := demoGTIN()
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := demoDocument(gtin, "LOT-ISO", 2)
	if err != nil {
		t.Fatal(err)
	}
	a, b := admin.withToken(tokens["site-a"]), admin.withToken(tokens["site-b"])

	if _, err := a.upload(ctx, "site-b", "application/xml", doc); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site A uploading for site B: err = %v, want forbidden", err)
	}
	rb, err := b.upload(ctx, "site-b", "application/xml", doc)
	if err != nil {
		t.Fatalf("site B uploading for itself: %v", err)
	}
	if _, err := a.receipt(ctx, rb.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("site A reading site B's receipt: err = %v, want not found", err)
	}
	if _, err := b.receipt(ctx, rb.ID); err != nil {
		t.Errorf("site B reading its own receipt: %v", err)
	}
	if _, err := a.recall(ctx, string(gtin), "LOT-ISO"); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site key asking for a recall: err = %v, want forbidden", err)
	}
	if _, err := admin.withToken("shk_not-a-key").receipt(ctx, rb.ID); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Errorf("unknown key: err = %v, want unauthorized", err)
	}
}

// TestRejectedDocumentIsKept: a broken document is acknowledged (it was stored), then
// rejected with an error that says where, and stays readable.
func TestRejectedDocumentIsKept(t *testing.T) {
	_, cfg := testHub(t)
	ctx := context.Background()
	admin := newClient(cfg)
	if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: "site-r", Name: "r"}, nil); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2024-01-01T00:00:00Z">
<EPCISBody><EventList><ObjectEvent><eventTime>not a time</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
<epcList/><action>ADD</action></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`)
	r, err := admin.upload(ctx, "site-r", "application/xml", bad)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	r, err = admin.waitReceipt(ctx, r.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != domain.StatusRejected || len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "eventTime") {
		t.Fatalf("receipt = %+v, want rejected with an error naming eventTime", r)
	}
}

// TestExceptionsCLI: a document breaking the rules is uploaded from the command line,
// rejected with its reasons, listed and shown in the exception queue, hidden from another
// site, and dismissed with a reason.
func TestExceptionsCLI(t *testing.T) {
	getenv, cfg := testHubEnv(t, nil)
	ctx := context.Background()
	admin := newClient(cfg)
	site := domain.Site{ID: demoSite, Name: "Demo", GLN: demoSiteGLN}
	if err := admin.postJSON(ctx, "/v1/sites", site, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: "site-other", Name: "Other"}, nil); err != nil {
		t.Fatal(err)
	}
	var key, other struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+demoSite+"/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	if err := admin.postJSON(ctx, "/v1/sites/site-other/keys", nil, &other); err != nil {
		t.Fatal(err)
	}
	gtin, err := demoGTIN()
	if err != nil {
		t.Fatal(err)
	}
	issued, err := demoMasterData(ctx, admin, admin.withToken(key.Token), gtin, "LOT-X", 2)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := demoDocumentWith(gtin, "LOT-X", append(issued, "999999999999")) // one serial never issued
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/bad.xml"
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(ctx, []string{"upload", "--site", demoSite, file}, getenv, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "rejected") || !strings.Contains(out.String(), "[serial_not_allocated] event 0") ||
		!strings.Contains(out.String(), "100%") {
		t.Fatalf("upload: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"exceptions", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "serial_not_allocated") {
		t.Fatalf("exceptions list:\n%s", out.String())
	}
	id := strings.Fields(lines[1])[0]
	if _, err := admin.withToken(other.Token).do(ctx, http.MethodGet, "/v1/exceptions/"+id, "", nil, nil); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("another site reading the exceptions: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"exceptions", "show", id}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "child_not_commissioned") {
		t.Fatalf("show: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"exceptions", "dismiss", id, "--reason", "test upload"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("dismiss: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"exceptions", "show", id}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "dismissed (test upload") {
		t.Fatalf("show after dismiss: %v\n%s", err, out.String())
	}
}
