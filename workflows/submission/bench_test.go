package submission

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

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

// benchLimits are the worker settings of both benchmarks. The production default (20
// deliveries/s per gateway) would measure the rate limiter, not the hub.
var benchLimits = Limits{Concurrent: 8, PerSecond: 10000}

// eventsPerShipment is how many generated events make one shipment (GenerateDocument: 3
// shipments in 39 events).
const eventsPerShipment = 13

func benchTemporal(b *testing.B) (client.Client, string) {
	addr := localenv.Getenv()("SERIALHUB_TEMPORAL_ADDR")
	if addr == "" {
		b.Fatal("SERIALHUB_TEMPORAL_ADDR is not set: run `make up`")
	}
	tc, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		b.Fatalf("temporal: %v", err)
	}
	b.Cleanup(tc.Close)
	r := make([]byte, 6)
	_, _ = rand.Read(r)
	return tc, "bench-submission-" + hex.EncodeToString(r)
}

// BenchmarkSubmissions: b.N DSCSA shipments, each built, signed, delivered over loopback
// HTTPS to the partner simulator and recorded, through the real Temporal dev server and
// PostgreSQL. The clock runs from the obligation hook (records and starts all) to the last
// acceptance. Run with -benchtime=Nx (e.g. 200x): each round seeds its own database.
func BenchmarkSubmissions(b *testing.B) {
	ctx := context.Background()
	pool, _ := pgtest.NewDB(b)
	gw, st, md := gateways.NewStore(pool), sites.NewStore(pool), masterdata.NewStore(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tc, queue := benchTemporal(b)
	certPEM, keyPEM, err := gateways.SelfSigned("hub signer")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := gateways.ParseSigner(certPEM, keyPEM)
	// The partner checks well-formedness only: xmllint/xmlsec1 per file would measure the
	// partner's validation, not the hub.
	sm := sim.New(sim.Config{Token: "sim-secret"})
	srv := httptest.NewTLSServer(sm.Handler())
	b.Cleanup(srv.Close)
	hc, err := gateways.NewHTTPClient(gateways.HTTPConfig{RootCAs: srvRoots(srv), Timeout: 20 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	g := dscsa.New(dscsa.Config{Source: dscsa.PGSource{Pool: pool}, Partners: md, Signer: signer, HTTP: hc,
		Secret: func(string) (string, error) { return "sim-secret", nil }})
	acts := &Activities{Store: gw, Gateways: gateways.Registry{dscsa.Name: g}, Log: log}
	starter := Starter{Client: tc, Queue: queue, Defaults: Input{InitialInterval: 200 * time.Millisecond,
		PollInterval: 100 * time.Millisecond, HeartbeatTimeout: 10 * time.Second, Deadline: 10 * time.Minute}}
	hook := &Hook{Docs: st, Store: gw, Partners: md, Starter: starter, Log: log}
	w := NewWorker(tc, queue, acts, benchLimits)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	putPartner(b, md, partyGLN("urn:epc:id:sgln:0012345.00000.0"), "Sim", masterdata.Delivery{
		Transport: dscsa.TransportHTTPS, Endpoint: srv.URL + "/dscsa", CredentialsRef: "env:SIM"})
	receipt := seedShipments(b, st, gw, md, b.N)

	b.ResetTimer()
	start := time.Now()
	ids, err := hook.CreateObligations(ctx, receipt)
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		var res Result
		if err := tc.GetWorkflow(ctx, WorkflowID(id), "").Get(ctx, &res); err != nil {
			b.Fatalf("%s: %v", id, err)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	if len(ids) < b.N || len(sm.Received()) != len(ids) {
		b.Fatalf("%d obligations, partner holds %d files; want %d", len(ids), len(sm.Received()), b.N)
	}
	b.ReportMetric(float64(len(ids))/el.Seconds(), "submissions/s")
}

// BenchmarkTrivialWorkflow is the baseline on the same server and worker settings: b.N
// workflows started the same way (one by one, then awaited), each running one no-op activity
// ("one-activity") or four ("four-activities", the shape of a submission without its work);
// and four activities with 16 concurrent starts, to show what bounds the sequential start.
func BenchmarkTrivialWorkflow(b *testing.B) {
	for _, c := range []struct {
		name       string
		activities int
		starters   int // concurrent StartWorkflow calls
	}{{"one-activity", 1, 1}, {"four-activities", 4, 1}, {"four-activities-16-starters", 4, 16}} {
		n := c.activities
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			tc, queue := benchTemporal(b)
			w := worker.New(tc, queue, worker.Options{
				MaxConcurrentActivityExecutionSize: benchLimits.Concurrent,
				TaskQueueActivitiesPerSecond:       benchLimits.PerSecond,
			})
			w.RegisterWorkflowWithOptions(trivialWorkflow, workflow.RegisterOptions{Name: "BenchTrivial"})
			w.RegisterActivity(trivialActivity)
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(w.Stop)
			b.ResetTimer()
			start := time.Now()
			runs := make([]client.WorkflowRun, b.N)
			var g errgroup.Group
			g.SetLimit(c.starters)
			for i := range runs {
				g.Go(func() error {
					var err error
					runs[i], err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-%d", queue, i), TaskQueue: queue},
						"BenchTrivial", n)
					return err
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			for _, r := range runs {
				if err := r.Get(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "workflows/s")
		})
	}
}

func trivialWorkflow(ctx workflow.Context, activities int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := range activities {
		if err := workflow.ExecuteActivity(ctx, trivialActivity, i).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func trivialActivity(context.Context, int) error { return nil }

// seedShipments stores a generated document with at least n shipments, records its events
// and serials the way ingest does (as env.record) and the product master data, and returns
// the receipt id.
func seedShipments(tb testing.TB, st *sites.Store, gw *gateways.Store, md *masterdata.Store, n int) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := st.UpsertSite(ctx, domain.Site{ID: "plant", Name: "Plant", GLN: "0614141000005", Country: "US"}); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := epcisxml.GenerateDocument(&buf, epcis.Version12, n*eventsPerShipment); err != nil {
		tb.Fatal(err)
	}
	r, err := st.SaveDocument(ctx, sites.Upload{SiteID: "plant", ContentType: "application/xml", Format: sites.FormatXML12, Body: buf.Bytes()})
	if err != nil {
		tb.Fatal(err)
	}
	pool := gw.Pool()
	dec := epcisxml.NewDecoder(bytes.NewReader(buf.Bytes()), epcis.DefaultLimits)
	gtins := map[string]bool{}
	for i := 0; ; i++ {
		ev, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		lot, expiry := ev.ILMDValue(epcis.NSCBVMDA, "lotNumber"), ev.ILMDValue(epcis.NSCBVMDA, "itemExpirationDate")
		var pk int64
		if err := pool.QueryRow(ctx, `INSERT INTO epcis_events (receipt_id, idx, event_id, event_type, action, biz_step,
			disposition, event_time, tz_offset, read_point, biz_location, parent_epc, lot, expiry)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			r.ID, i, fmt.Sprintf("urn:uuid:%s-%d", r.ID, i), string(ev.Type), string(ev.Action), ev.BizStep,
			ev.Disposition, ev.EventTime, ev.EventTimeZoneOffset, ev.ReadPoint, ev.BizLocation, ev.ParentID, lot, expiry).Scan(&pk); err != nil {
			tb.Fatal(err)
		}
		role := "epc"
		if ev.Type == epcis.AggregationEvent {
			role = "child"
		}
		for _, epc := range ev.EPCList {
			if _, err := pool.Exec(ctx, `INSERT INTO event_epcs (event_pk, epc, role) VALUES ($1, $2, $3)`, pk, epc, role); err != nil {
				tb.Fatal(err)
			}
			switch {
			case strings.HasSuffix(ev.BizStep, "commissioning"):
				gtin, serial := "", ""
				if sg, err := gs1.ParseSGTINURI(epc); err == nil {
					gtin, serial = sg.GTIN.String(), sg.Serial
					gtins[gtin] = true
				}
				if _, err := pool.Exec(ctx, `INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state,
					commissioned_at, last_event_time) VALUES ($1, $2, $3, $4, $5, 'plant', 'commissioned', $6, $6)`,
					epc, gtin, serial, lot, expiry, ev.EventTime); err != nil {
					tb.Fatal(err)
				}
			case ev.Type == epcis.AggregationEvent:
				if _, err := pool.Exec(ctx, `UPDATE serials SET parent_epc = $2, state = 'packed' WHERE epc = $1`, epc, ev.ParentID); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	putProducts(tb, md, slices.Collect(maps.Keys(gtins)))
	return r.ID
}
