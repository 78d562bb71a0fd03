package ingest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/schemas/clickhouse"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/workflows/ingest"
)

// The worker process of TestKilledWorker: run when the test binary is re-executed with
// SERIALHUB_KILL_WORKER set, until it is killed.
const workerEnv = "SERIALHUB_KILL_WORKER"

func TestKilledWorkerProcess(t *testing.T) {
	if os.Getenv(workerEnv) == "" {
		t.Skip("the worker process of TestKilledWorker")
	}
	if err := runWorker(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func runWorker() error {
	ctx := context.Background()
	env := os.Getenv
	pool, err := pgxpool.New(ctx, env("KILL_PG_DSN"))
	if err != nil {
		return err
	}
	ch, err := clickhouse.Open(ctx, clickhouse.Config{Addr: env("KILL_CH_ADDR"), Database: env("KILL_CH_DATABASE"),
		User: env("KILL_CH_USER"), Password: env("KILL_CH_PASSWORD")}, false)
	if err != nil {
		return err
	}
	tc, err := client.Dial(client.Options{HostPort: env("KILL_TEMPORAL_ADDR"), Namespace: env("KILL_TEMPORAL_NAMESPACE"),
		Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return err
	}
	chunk, _ := strconv.Atoi(env("KILL_CHUNK"))
	w := worker.New(tc, env("KILL_TASK_QUEUE"), worker.Options{})
	w.RegisterWorkflow(ingest.Workflow)
	w.RegisterActivity(&ingest.Activities{Store: sites.NewStore(pool),
		Sink: analytics.NewWriter(analytics.NewStore(ch), 0, 0), ChunkEPCs: chunk})
	return w.Run(worker.InterruptCh())
}

// TestKilledWorker: a worker process killed (SIGKILL) in the middle of a large document,
// after some of its chunks committed; another worker picks the activity up and the document
// completes once, with every serial, event and analytics row recorded exactly once.
func TestKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes against the local stack")
	}
	const (
		packs = 150_000
		chunk = 10_000
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pool, pgDSN := pgtest.NewDB(t)
	ch, chCfg := chtest.NewDB(t)
	local := localenv.Getenv()
	tc, err := client.Dial(client.Options{HostPort: local("SERIALHUB_TEMPORAL_ADDR"),
		Namespace: local("SERIALHUB_TEMPORAL_NAMESPACE"), Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "test-kill-" + hex.EncodeToString(b)

	// The site and the document: packs commissioned in events of 10,000, then packed into
	// cases of 100.
	cd, _ := gs1.CheckDigit("401234500000")
	if _, err := pool.Exec(ctx, `INSERT INTO sites (id, name, gln) VALUES ('k1', 'Kill', $1)`, "401234500000"+string(cd)); err != nil {
		t.Fatal(err)
	}
	store := sites.NewStore(pool)
	r, err := store.SaveUpload(ctx, sites.UploadMeta{SiteID: "k1", ContentType: "application/xml", Format: "2.0-xml"},
		bytes.NewReader(killDocument(t, packs)))
	if err != nil {
		t.Fatal(err)
	}

	workerCmd := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWorkerProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), workerEnv+"=1", "KILL_PG_DSN="+pgDSN, "KILL_CH_ADDR="+chCfg.Addr,
			"KILL_CH_DATABASE="+chCfg.Database, "KILL_CH_USER="+chCfg.User, "KILL_CH_PASSWORD="+chCfg.Password,
			"KILL_TEMPORAL_ADDR="+local("SERIALHUB_TEMPORAL_ADDR"), "KILL_TEMPORAL_NAMESPACE="+local("SERIALHUB_TEMPORAL_NAMESPACE"),
			"KILL_TASK_QUEUE="+queue, "KILL_CHUNK="+strconv.Itoa(chunk))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	first := workerCmd()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ingest.WorkflowID(r.ID, 1), TaskQueue: queue},
		ingest.Workflow, ingest.Input{ReceiptID: r.ID, HeartbeatTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// Kill the worker once a few chunks are committed, well before the end.
	var done int
	for {
		if err := pool.QueryRow(ctx, `SELECT chunks_done FROM documents WHERE receipt_id = $1`, r.ID).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done >= 3 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no chunk committed in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	var status string
	if err := pool.QueryRow(ctx, `SELECT chunks_done, status FROM documents WHERE receipt_id = $1`, r.ID).Scan(&done, &status); err != nil {
		t.Fatal(err)
	}
	if status == string(domain.StatusProcessed) {
		t.Fatalf("the document was processed before the worker was killed (chunks done %d): make it larger", done)
	}
	t.Logf("worker killed after %d chunks", done)

	workerCmd()
	var res ingest.Result
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	const events, cases = packs/10_000 + packs/100, packs / 100
	if res.Status != domain.StatusProcessed || res.Events != events || res.Serials != packs {
		t.Fatalf("result = %+v, want processed, %d events, %d serials", res, events, packs)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		what  string
		query string
		args  []any
		want  int
	}{
		{"documents.events", `SELECT events FROM documents WHERE receipt_id = $1`, []any{r.ID}, events},
		{"documents.serials", `SELECT serials FROM documents WHERE receipt_id = $1`, []any{r.ID}, packs},
		{"events", `SELECT count(*) FROM epcis_events WHERE receipt_id = $1`, []any{r.ID}, events},
		{"distinct events", `SELECT count(DISTINCT idx) FROM epcis_events WHERE receipt_id = $1`, []any{r.ID}, events},
		{"identifiers", `SELECT count(*) FROM event_epcs x JOIN epcis_events e ON e.id = x.event_pk WHERE e.receipt_id = $1`, []any{r.ID}, 2 * packs},
		{"packs packed", `SELECT count(*) FROM serials WHERE gtin <> '' AND state = 'packed' AND parent_epc <> '' AND packed_at IS NOT NULL AND lot = 'LOT-K'`, nil, packs},
		{"cases", `SELECT count(*) FROM serials WHERE gtin = '' AND state = 'commissioned'`, nil, cases},
		{"serials", `SELECT count(*) FROM serials`, nil, packs + cases},
	} {
		if got := count(c.query, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.what, got, c.want)
		}
	}
	// Analytics: every identifier of every event, once (a chunk re-sent by the second worker
	// collapses on (epc, event_id)), with the lot of its pack.
	var rows, withLot uint64
	if err := ch.QueryRow(ctx, `SELECT count(), countIf(lot = 'LOT-K') FROM (SELECT epc, event_id, any(lot) AS lot
		FROM epc_facts WHERE receipt_id = ? GROUP BY epc, event_id)`, r.ID).Scan(&rows, &withLot); err != nil {
		t.Fatal(err)
	}
	if rows != 2*packs || withLot != 2*packs {
		var all uint64
		var some string
		_ = ch.QueryRow(ctx, `SELECT count(), any(receipt_id) FROM epc_facts`).Scan(&all, &some)
		t.Logf("epc_events: %d rows, receipt %q", all, some)
		t.Errorf("analytics rows = %d (%d with the lot), want %d", rows, withLot, 2*packs)
	}
}

func killDocument(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := epcisxml.NewEncoder(&buf, epcis.Version20)
	if err := enc.WriteHeader(&epcis.Document{SchemaVersion: epcis.Version20, CreationDate: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	site := "urn:epc:id:sgln:4012345.00000.0"
	uris := make([]string, n)
	for i := range uris {
		u, err := gs1.SGTIN{GTIN: "04012345000016", Serial: fmt.Sprintf("K%09d", i), PrefixLen: 7}.URI()
		if err != nil {
			t.Fatal(err)
		}
		uris[i] = u
	}
	ilmd := []epcis.Element{
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: "LOT-K"},
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: t0.AddDate(2, 0, 0).Format(time.DateOnly)},
	}
	for i := 0; i < n; i += 10_000 {
		e := &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, EventTime: t0, EventTimeZoneOffset: "+00:00",
			EPCList: uris[i:min(i+10_000, n)], BizStep: "urn:epcglobal:cbv:bizstep:commissioning",
			Disposition: "urn:epcglobal:cbv:disp:active", ReadPoint: site, BizLocation: site, ILMD: ilmd}
		if err := enc.WriteEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := 0, 0; i < n; i, c = i+100, c+1 {
		e := &epcis.Event{Type: epcis.AggregationEvent, Action: epcis.ActionAdd, EventTime: t0.Add(time.Minute),
			EventTimeZoneOffset: "+00:00", ParentID: fmt.Sprintf("urn:epc:id:sscc:4012345.0%09d", c),
			EPCList: uris[i:min(i+100, n)], BizStep: "urn:epcglobal:cbv:bizstep:packing",
			Disposition: "urn:epcglobal:cbv:disp:in_progress", ReadPoint: site}
		if err := enc.WriteEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
