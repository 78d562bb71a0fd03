package submission

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/gateways/dscsa/sim"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// env is one test's hub side: its own database, task queue and worker, and a partner
// simulator on loopback.
type env struct {
	t       *testing.T
	ctx     context.Context
	gw      *gateways.Store
	md      *masterdata.Store
	sites   *sites.Store
	tc      client.Client
	queue   string
	hook    *Hook
	starter Starter
	sim     *sim.Sim
	simURL  string
	acts    *Activities
	worker  *Worker
	log     *slog.Logger
}

func vectorsXSD(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "vectors", "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func newEnv(t *testing.T, transport string, simCfg sim.Config) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	pool, _ := pgtest.NewDB(t)
	e := &env{t: t, ctx: ctx, gw: gateways.NewStore(pool), md: masterdata.NewStore(pool), sites: sites.NewStore(pool),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	addr := localenv.Getenv()("SERIALHUB_TEMPORAL_ADDR")
	if addr == "" {
		t.Fatal("SERIALHUB_TEMPORAL_ADDR is not set: run `make up`")
	}
	tc, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		t.Fatalf("temporal: %v", err)
	}
	t.Cleanup(tc.Close)
	e.tc = tc
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	e.queue = "test-submission-" + hex.EncodeToString(b)

	certPEM, keyPEM, err := gateways.SelfSigned("hub signer")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := gateways.ParseSigner(certPEM, keyPEM)
	simCfg.Token = "sim-secret"
	simCfg.TrustedCertPEM = certPEM
	simCfg.XSD = vectorsXSD(t)
	e.sim = sim.New(simCfg)
	srv := httptest.NewTLSServer(e.sim.Handler())
	t.Cleanup(srv.Close)
	e.simURL = srv.URL
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: srvRoots(srv), WaitMin: 50 * time.Millisecond, WaitMax: 100 * time.Millisecond, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := dscsa.New(dscsa.Config{Source: dscsa.PGSource{Pool: pool}, Partners: e.md, Signer: signer, HTTP: hc,
		Secret: func(ref string) (string, error) {
			if ref == "env:SIM_TOKEN" {
				return "sim-secret", nil
			}
			return "", errors.New("unknown secret")
		}})
	e.acts = &Activities{Store: e.gw, Gateways: gateways.Registry{dscsa.Name: g}, Log: e.log}
	e.starter = Starter{Client: tc, Queue: e.queue, Defaults: Input{InitialInterval: 200 * time.Millisecond,
		PollInterval: 100 * time.Millisecond, HeartbeatTimeout: 3 * time.Second, Deadline: 2 * time.Minute}}
	e.hook = &Hook{Docs: e.sites, Store: e.gw, Partners: e.md, Starter: e.starter, Log: e.log}
	e.startWorker()

	endpoint := srv.URL + "/dscsa"
	if transport == dscsa.TransportCapture {
		endpoint = srv.URL
	}
	partner := partyGLN("urn:epc:id:sgln:0012345.00000.0")
	putPartner(t, e.md, partner, "Sim Distributor", masterdata.Delivery{Transport: transport, Endpoint: endpoint,
		CredentialsRef: "env:SIM_TOKEN"})
	return e
}

func (e *env) startWorker() {
	e.worker = NewWorker(e.tc, e.queue, e.acts, Limits{Concurrent: 4, PerSecond: 100})
	if err := e.worker.Start(); err != nil {
		e.t.Fatal(err)
	}
	w := e.worker
	e.t.Cleanup(w.Stop)
}

// ingest stores and applies a generated document of the given number of events, adds
// master data for its products, and returns the receipt id.
func (e *env) ingest(events int) string {
	t := e.t
	if _, err := e.sites.UpsertSite(e.ctx, domain.Site{ID: "plant", Name: "Plant", GLN: "0614141000005", Country: "US"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := epcisxml.GenerateDocument(&buf, epcis.Version12, events); err != nil {
		t.Fatal(err)
	}
	r, err := e.sites.SaveDocument(e.ctx, sites.Upload{SiteID: "plant", ContentType: "application/xml", Format: sites.FormatXML12, Body: buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	e.record(r.ID, buf.Bytes())
	rows, err := e.gw.Pool().Query(e.ctx, `SELECT DISTINCT gtin FROM serials WHERE gtin <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	var gtins []string
	for rows.Next() {
		var g string
		_ = rows.Scan(&g)
		gtins = append(gtins, g)
	}
	rows.Close()
	putProducts(t, e.md, gtins)
	return r.ID
}

// record writes the document's events, identifiers and serial states the way ingest does
// (the 0001 tables), without depending on the ingest package, which evolves on its own.
func (e *env) record(receiptID string, body []byte) {
	t := e.t
	dec := epcisxml.NewDecoder(bytes.NewReader(body), epcis.DefaultLimits)
	pool := e.gw.Pool()
	for i := 0; ; i++ {
		ev, err := dec.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		lot, expiry := ev.ILMDValue(epcis.NSCBVMDA, "lotNumber"), ev.ILMDValue(epcis.NSCBVMDA, "itemExpirationDate")
		var pk int64
		if err := pool.QueryRow(e.ctx, `INSERT INTO epcis_events (receipt_id, idx, event_id, event_type, action, biz_step,
			disposition, event_time, tz_offset, read_point, biz_location, parent_epc, lot, expiry)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			receiptID, i, fmt.Sprintf("urn:uuid:%s-%d", receiptID, i), string(ev.Type), string(ev.Action), ev.BizStep,
			ev.Disposition, ev.EventTime, ev.EventTimeZoneOffset, ev.ReadPoint, ev.BizLocation, ev.ParentID, lot, expiry).Scan(&pk); err != nil {
			t.Fatal(err)
		}
		role := "epc"
		if ev.Type == epcis.AggregationEvent {
			role = "child"
		}
		for _, epc := range ev.EPCList {
			if _, err := pool.Exec(e.ctx, `INSERT INTO event_epcs (event_pk, epc, role) VALUES ($1, $2, $3)`, pk, epc, role); err != nil {
				t.Fatal(err)
			}
			switch {
			case strings.HasSuffix(ev.BizStep, "commissioning"):
				gtin, serial := "", ""
				if sg, err := gs1.ParseSGTINURI(epc); err == nil {
					gtin, serial = sg.GTIN.String(), sg.Serial
				}
				if _, err := pool.Exec(e.ctx, `INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state,
					commissioned_at, last_event_time) VALUES ($1, $2, $3, $4, $5, 'plant', 'commissioned', $6, $6)`,
					epc, gtin, serial, lot, expiry, ev.EventTime); err != nil {
					t.Fatal(err)
				}
			case ev.Type == epcis.AggregationEvent:
				if _, err := pool.Exec(e.ctx, `UPDATE serials SET parent_epc = $2, state = 'packed' WHERE epc = $1`, epc, ev.ParentID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// waitAll waits for the submissions of ids to finish and returns their errors.
func (e *env) waitAll(ids []string) map[string]error {
	out := map[string]error{}
	for _, id := range ids {
		var res Result
		out[id] = e.tc.GetWorkflow(e.ctx, WorkflowID(id), "").Get(e.ctx, &res)
	}
	return out
}

// TestDeliveryThroughFaults: the partner is down (503 with Retry-After) for a stretch, then
// takes a file but drops its answer, then vanishes for a moment: every shipment ends up
// accepted exactly once on the partner's side, and deriving the obligations again sends
// nothing more.
func TestDeliveryThroughFaults(t *testing.T) {
	e := newEnv(t, dscsa.TransportHTTPS, sim.Config{})
	e.sim.SetFaults(sim.Faults{Fail: 4, RetryAfter: 1, DropAnswer: 1})
	receipt := e.ingest(39) // 12 cases, 3 shipments
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("obligations = %v, want 3", ids)
	}
	for id, err := range e.waitAll(ids) {
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	got := e.sim.Received()
	if len(got) != 3 {
		t.Fatalf("partner holds %d files, want 3", len(got))
	}
	for _, r := range got {
		if r.Accepted != 1 {
			t.Errorf("%s accepted %d times", r.Key, r.Accepted)
		}
	}
	retried := 0
	for _, id := range ids {
		sub, err := e.gw.Submission(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != gateways.StatusAccepted {
			t.Errorf("%s: status %s", id, sub.Status)
		}
		if len(sub.Exchanges) > 1 {
			retried++
		}
		for _, x := range sub.Exchanges {
			if a := x.RequestHeaders.Get("Authorization"); a != "" && a != "****" {
				t.Errorf("credentials recorded: %q", a)
			}
		}
		signed, err := e.gw.PayloadByStage(e.ctx, id, gateways.StageSigned)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(signed.Body, e.sim.Body(id)) {
			t.Errorf("%s: partner holds other bytes than the stored payload", id)
		}
	}
	if retried == 0 {
		t.Error("no submission recorded a retry")
	}
	for i, id := range ids {
		e.writeHistory(WorkflowID(id), fmt.Sprintf("history_faults_%d.json", i))
	}
	before := e.sim.Requests()
	again, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(again) != 3 {
		t.Fatalf("again: %v %v", again, err)
	}
	time.Sleep(500 * time.Millisecond)
	if e.sim.Requests() != before {
		t.Errorf("deriving again sent %d more requests", e.sim.Requests()-before)
	}
}

// TestCaptureTransport delivers by EPCIS capture and polls the job until it succeeds.
func TestCaptureTransport(t *testing.T) {
	e := newEnv(t, dscsa.TransportCapture, sim.Config{JobPolls: 2})
	receipt := e.ingest(13)
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(ids) != 1 {
		t.Fatalf("obligations: %v %v", ids, err)
	}
	if err := e.waitAll(ids)[ids[0]]; err != nil {
		t.Fatal(err)
	}
	sub, err := e.gw.Submission(e.ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	polls := 0
	for _, x := range sub.Exchanges {
		if x.Step == "poll" {
			polls++
		}
	}
	if sub.Status != gateways.StatusAccepted || !strings.Contains(sub.AckRef, "/capture/") || polls < 3 {
		t.Fatalf("status %s ack %q polls %d", sub.Status, sub.AckRef, polls)
	}
	e.writeHistory(WorkflowID(ids[0]), "history_capture.json")
}

// TestRejection: a partner's rejection is final, recorded with its reasons, and fails the
// workflow with a non-retryable error.
func TestRejection(t *testing.T) {
	e := newEnv(t, dscsa.TransportHTTPS, sim.Config{})
	e.sim.SetFaults(sim.Faults{Reject: []string{"unknown NDC"}})
	receipt := e.ingest(13)
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(ids) != 1 {
		t.Fatalf("obligations: %v %v", ids, err)
	}
	err = e.waitAll(ids)[ids[0]]
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != ErrTypeRejected {
		t.Fatalf("workflow error = %v, want %s", err, ErrTypeRejected)
	}
	sub, _ := e.gw.Submission(e.ctx, ids[0])
	if sub.Status != gateways.StatusRejected || len(sub.Reasons) != 1 || sub.Reasons[0] != "unknown NDC" {
		t.Fatalf("submission = %s %v", sub.Status, sub.Reasons)
	}
	if n := len(sub.Exchanges); n != 1 {
		t.Fatalf("%d exchanges; a rejection must not be retried", n)
	}
	e.writeHistory(WorkflowID(ids[0]), "history_rejected.json")
}

// TestWorkerKilledMidDelivery: the worker dies while the partner is slow to answer; another
// worker takes over after the heartbeat timeout and the partner still holds the file once.
func TestWorkerKilledMidDelivery(t *testing.T) {
	e := newEnv(t, dscsa.TransportHTTPS, sim.Config{})
	e.sim.SetFaults(sim.Faults{Slow: 2 * time.Second})
	receipt := e.ingest(13)
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(ids) != 1 {
		t.Fatalf("obligations: %v %v", ids, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.sim.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	e.worker.Stop() // killed mid-delivery: the request is in flight
	e.sim.SetFaults(sim.Faults{})
	e.startWorker()
	if err := e.waitAll(ids)[ids[0]]; err != nil {
		t.Fatal(err)
	}
	got := e.sim.Received()
	if len(got) != 1 || got[0].Accepted != 1 {
		t.Fatalf("partner holds %+v", got)
	}
}

func srvRoots(srv *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate())
	return p
}

// quietLogger keeps the Temporal SDK's logs out of test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
