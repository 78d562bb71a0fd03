package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/serialhub/serialhub/gateways"
	dsim "github.com/serialhub/serialhub/gateways/dscsa/sim"
	"github.com/serialhub/serialhub/gateways/euhub"
	esim "github.com/serialhub/serialhub/gateways/euhub/sim"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/sites/sim"
	"github.com/serialhub/serialhub/workflows/recall"
)

// TestRecallWorkflow is a recall end to end on an in-process hub against the real servers:
// the site simulator makes 3 lots shipped on pallets to partners; one lot is released to the
// EU Hub simulator; partners are reached over HTTPS and EPCIS capture by the DSCSA partner
// simulator (which checks the EPCIS 1.2 XSD and the hub's signature). A recall of the three
// lots sends every partner its notice and the EU Hub its batch recall, and ends acknowledged;
// each notice holds exactly the packs of the lots shipped to that partner (from the
// simulator's own record, not the hub's queries). A second recall whose partner is disabled
// waits until the compliance team closes it.
func TestRecallWorkflow(t *testing.T) {
	t.Setenv("SERIALHUB_TEST_SIM_TOKEN", "recall-secret")
	getenv, cfg := testHubEnv(t, map[string]string{"SERIALHUB_INTAKE_RULES": "all"})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	admin := newClient(cfg)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, getenv, &out, io.Discard)
		return out.String(), err
	}

	// Three lots of one product, each shipped to a partner of the simulator's choice.
	res, err := sim.Run(ctx, sim.Config{URL: cfg.URL, Token: cfg.Token, Sites: 1, Lines: 3, Batches: 1, Partners: 3,
		Period: time.Minute, IdealRate: 60, PacksPerCase: 10, CasesPerPallet: 2, Seed: 11, Wait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	gtin := res.Lots[0].GTIN
	lotsOf := map[string][]string{} // the simulator's record: partner → lots shipped to it
	packsOf := map[string]int{}
	var lots []string
	for _, l := range res.Lots {
		lotsOf[l.Partner] = append(lotsOf[l.Partner], l.Lot)
		packsOf[l.Partner] += l.Packs
		lots = append(lots, l.Lot)
	}
	partners := make([]string, 0, len(lotsOf))
	for p := range lotsOf {
		partners = append(partners, p)
	}
	sort.Strings(partners)
	t.Logf("lots %v to partners %v", lots, lotsOf)

	// The partners' delivery settings: HTTPS and capture, alternately, to the partner
	// simulator, which checks the schema and the hub's signature.
	signingCert := waitFile(t, filepath.Join(cfg.DataDir, "gateway-signing.crt"))
	xsd := filepath.Join("..", "..", "..", "shared", "vectors", "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("EPCIS XSD not found: %v", err)
	}
	psim := dsim.New(dsim.Config{Token: "recall-secret", XSD: xsd, TrustedCertPEM: signingCert})
	srv := httptest.NewServer(psim.Handler())
	defer srv.Close()
	for i, p := range partners {
		transport, endpoint := "https", srv.URL+"/dscsa"
		if i%2 == 1 {
			transport, endpoint = "capture", srv.URL
		}
		setDelivery(t, ctx, admin, p, map[string]any{"transport": transport, "endpoint": endpoint,
			"credentials_ref": "env:SERIALHUB_TEST_SIM_TOKEN", "disabled": false})
	}

	// The first lot released to the EU Hub simulator.
	hub := startEUHubSim(t, ctx, cfg, admin, gtin, res.Lots[0].Lot, res.Lots[0].Expiry)

	// Workflow IDs are per Temporal namespace, which every test hub shares: ids of this run.
	id1, id2 := "RC-E2E-1-"+randomHex(4), "RC-E2E-2-"+randomHex(4)
	// The decision, by the CLI; repeated, it starts nothing; changed, it is refused.
	args := []string{"recalls", "start", "--id", id1, "--gtin", gtin, "--lot", strings.Join(lots, ","), "--class", "II",
		"--reason", "dissolution out of specification", "--decided-by", "Dr. Q. A. Lead", "--wait", "30s"}
	out, err := cli(args...)
	if err != nil || !strings.Contains(out, "recall "+id1+" recorded: workflow recall-"+id1) {
		t.Fatalf("recalls start: %v\n%s", err, out)
	}
	if out, err = cli(args...); err != nil || !strings.Contains(out, "already recorded") {
		t.Fatalf("recalls start again: %v\n%s", err, out)
	}
	args[9] = "I"
	if _, err = cli(args...); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("another decision under the same id: %v", err)
	}

	r := waitRecall(t, ctx, admin, id1, func(r recall.Recall) bool { return r.Status.Final() })
	if r.Status != recall.StatusAcknowledged || r.Acknowledged != len(partners)+1 || len(r.Targets) != len(partners)+1 {
		t.Fatalf("recall: %+v", r)
	}
	total := 0
	for _, l := range res.Lots {
		total += l.Packs
	}
	if r.Packs != total || r.Shipped != total || r.Source != "clickhouse+postgres" || len(r.Discrepancies) != 0 {
		t.Errorf("figures: packs %d shipped %d (want %d), source %s, discrepancies %v", r.Packs, r.Shipped, total, r.Source, r.Discrepancies)
	}
	if !hub.Recalled(gtin, res.Lots[0].Lot) || hub.Recalled(gtin, res.Lots[1].Lot) {
		t.Errorf("EU Hub: lot %s recalled %v, lot %s recalled %v", res.Lots[0].Lot, hub.Recalled(gtin, res.Lots[0].Lot),
			res.Lots[1].Lot, hub.Recalled(gtin, res.Lots[1].Lot))
	}

	// Every notice against the simulator's record: the packs of exactly the lots shipped to
	// the partner, the same in CSV and EPCIS, and what the partner received is that notice.
	for _, p := range partners {
		dir := t.TempDir()
		csvFile, xmlFile := filepath.Join(dir, "n.csv"), filepath.Join(dir, "n.xml")
		if _, err := cli("recalls", "notice", id1, "--partner", p, "--out", csvFile); err != nil {
			t.Fatal(err)
		}
		if _, err := cli("recalls", "notice", id1, "--partner", p, "--format", "epcis", "--out", xmlFile); err != nil {
			t.Fatal(err)
		}
		csvEPCs, csvLots := readCSVNotice(t, csvFile)
		xmlEPCs := readEPCISNotice(t, xmlFile)
		if len(csvEPCs) != packsOf[p] || !slices.Equal(csvEPCs, xmlEPCs) {
			t.Errorf("partner %s: %d packs in CSV, %d in EPCIS; want %d", p, len(csvEPCs), len(xmlEPCs), packsOf[p])
		}
		for l := range csvLots {
			if !slices.Contains(lotsOf[p], l) {
				t.Errorf("partner %s got packs of lot %s, shipped to another partner", p, l)
			}
		}
		obID := recall.NoticeObligationID(id1, p)
		got := psim.Body(obID)
		if !bytes.Contains(got, []byte("<ds:Signature")) || !bytes.Contains(got, []byte("urn:epcglobal:cbv:disp:recalled")) ||
			len(readEPCISBytes(t, got)) != packsOf[p] {
			t.Errorf("partner %s received %d bytes under %s", p, len(got), obID)
		}
	}
	if out, err = cli("recalls", "show", id1); err != nil || !strings.Contains(out, fmt.Sprintf("acknowledged: %d of %d", len(partners)+1, len(partners)+1)) {
		t.Errorf("recalls show: %v\n%s", err, out)
	}
	t.Logf("recalls show:\n%s", out)
	writeRecallHistory(t, ctx, cfg, id1, "history_acknowledged.json")

	// A second recall of one lot whose partner is paused: its notice waits, the recall stays
	// open until the compliance team closes it with a reason.
	paused := res.Lots[1].Partner
	setDelivery(t, ctx, admin, paused, map[string]any{"disabled": true})
	var sr recall.StartResponse
	if err := admin.postJSON(ctx, "/v1/recalls", recall.Decision{ID: id2, GTIN: gtin, Lots: []string{res.Lots[1].Lot},
		Reason: "label mix-up", Class: recall.ClassIII, DecidedBy: "QA"}, &sr); err != nil || !sr.Created {
		t.Fatalf("start: %+v %v", sr, err)
	}
	r = waitRecall(t, ctx, admin, id2, func(r recall.Recall) bool {
		return len(r.Targets) > 0 && r.Targets[0].Attempts > 0 && r.Targets[0].LastError != ""
	})
	if r.Status != recall.StatusNotifying || !strings.Contains(r.Targets[0].LastError, "disabled") {
		t.Fatalf("paused partner: %+v", r)
	}
	if out, err = cli("recalls", "list", "--status", "notifying"); err != nil || !strings.Contains(out, id2) || strings.Contains(out, id1) {
		t.Errorf("recalls list: %v\n%s", err, out)
	}
	if _, err = cli("recalls", "close", id2); err == nil {
		t.Error("close without a reason accepted")
	}
	if out, err = cli("recalls", "close", id2, "--reason", "partner informed by phone; stock quarantined", "--by", "QA"); err != nil ||
		!strings.Contains(out, "closed: partner informed") {
		t.Fatalf("recalls close: %v\n%s", err, out)
	}
	r = waitRecall(t, ctx, admin, id2, func(r recall.Recall) bool { return r.Status.Final() })
	if r.Status != recall.StatusClosed || r.ClosedBy != "QA" {
		t.Errorf("closed recall: %+v", r)
	}
	if _, err = cli("recalls", "close", id2, "--reason", "again"); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("second close: %v", err)
	}
	writeRecallHistory(t, ctx, cfg, id2, "history_closed.json")

	// Only admin keys decide and close recalls.
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+res.Lots[0].Site+"/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	if err := admin.withToken(key.Token).postJSON(ctx, "/v1/recalls", recall.Decision{ID: "RC-X"}, nil); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site key starting a recall: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// setDelivery changes a master-data partner's delivery settings.
func setDelivery(t *testing.T, ctx context.Context, admin *apiClient, gln string, fields map[string]any) {
	t.Helper()
	var p map[string]any
	if _, err := admin.do(ctx, http.MethodGet, "/v1/partners/"+gln, "", nil, &p); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		p[k] = v
	}
	b, _ := json.Marshal(p)
	if _, err := admin.do(ctx, http.MethodPut, "/v1/partners/"+gln, "application/json", bytes.NewReader(b), nil); err != nil {
		t.Fatalf("partner %s: %v", gln, err)
	}
}

func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}

// startEUHubSim points the hub at a simulated EU Hub and releases a lot there.
func startEUHubSim(t *testing.T, ctx context.Context, cfg Config, admin *apiClient, gtin, lot, expiry string) *esim.Sim {
	t.Helper()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tokFile := filepath.Join(cfg.DataDir, "euhub-sim.token")
	if err := os.WriteFile(tokFile, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := esim.Start("127.0.0.1:0", esim.Config{Token: hex.EncodeToString(b)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := euhubConnect(ctx, cfg, s.URL(), "file:"+tokFile, io.Discard); err != nil {
		t.Fatal(err)
	}
	md := euhub.ProductMasterData{Product: euhub.ProductCode{Scheme: "GTIN", Code: gtin}, Name: "Simulol", CommonName: "simulol",
		Form: "tablet", Strength: "10 mg", PackType: "blister", PackSize: 30, Markets: []euhub.Market{{Country: "DE", NationalCode: lot}},
		MAH: euhub.Address{Name: "Sim Pharma GmbH", Street: "Simstr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}}
	var res map[string]string
	if err := admin.postJSON(ctx, "/v1/euhub/products", md, &res); err != nil {
		t.Fatal(err)
	}
	if err := demoWaitSubmission(ctx, admin, res["obligation"], gateways.StatusAccepted); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.DateOnly, expiry)
	if err != nil {
		t.Fatal(err)
	}
	var rel euhub.ReleaseResult
	if err := admin.postJSON(ctx, "/v1/euhub/releases", euhub.Release{GTIN: gtin, Lot: lot, Expiry: exp.Format("060102")}, &rel); err != nil {
		t.Fatalf("release: %v", err)
	}
	for _, id := range rel.Obligations {
		if err := demoWaitSubmission(ctx, admin, id, gateways.StatusAccepted); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func waitRecall(t *testing.T, ctx context.Context, admin *apiClient, id string, done func(recall.Recall) bool) recall.Recall {
	t.Helper()
	for {
		var r recall.Recall
		if _, err := admin.do(ctx, http.MethodGet, "/v1/recalls/"+id, "", nil, &r); err != nil {
			t.Fatal(err)
		}
		if done(r) {
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("recall %s: %+v", id, r)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readCSVNotice returns the EPCs of a CSV notice, sorted, and its lots.
func readCSVNotice(t *testing.T, path string) ([]string, map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv notice: %v\n%s", err, b)
	}
	ei, li := slices.Index(recs[0], "epc"), slices.Index(recs[0], "lot")
	var epcs []string
	lots := map[string]bool{}
	for _, rec := range recs[1:] {
		epcs = append(epcs, rec[ei])
		lots[rec[li]] = true
	}
	sort.Strings(epcs)
	return epcs, lots
}

func readEPCISNotice(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readEPCISBytes(t, b)
}

// readEPCISBytes returns the EPCs of the recalled-disposition events of a notice, sorted.
func readEPCISBytes(t *testing.T, b []byte) []string {
	t.Helper()
	dec := epcisxml.NewDecoder(bytes.NewReader(b), epcis.DefaultLimits)
	var epcs []string
	for {
		ev, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("epcis notice: %v", err)
		}
		if ev.Disposition == recall.DispRecalled {
			epcs = append(epcs, ev.EPCList...)
		}
	}
	sort.Strings(epcs)
	return epcs
}

// writeRecallHistory saves a finished recall's history as a replay fixture of
// workflows/recall when SERIALHUB_WRITE_HISTORIES=1.
func writeRecallHistory(t *testing.T, ctx context.Context, cfg Config, id, name string) {
	if os.Getenv("SERIALHUB_WRITE_HISTORIES") != "1" {
		return
	}
	tc, err := client.Dial(client.Options{HostPort: cfg.TemporalAddr, Namespace: cfg.TemporalNamespace})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.GetWorkflow(ctx, recall.WorkflowID(id), "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	it := tc.GetWorkflowHistory(ctx, recall.WorkflowID(id), "", false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "workflows", "recall", "testdata", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
