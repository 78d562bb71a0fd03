package sites

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// The test master data: company prefix 4012345, products 00001 (every site) and 00003 (site
// s2 only), site s1 with lines L1 and L2, partner P (licensed) and X (licence expired).
const (
	prefix = "4012345"
	gtin1  = "04012345000016"
	gtin2  = "04012345000023" // not in the master data
	gtin3  = "04012345000030" // packed at s2 only
)

func gln(body string) string {
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		panic(err)
	}
	return body + string(cd)
}

var (
	siteGLN     = gln("401234500000")
	partnerGLN  = gln("409876500001")
	expiredGLN  = gln("409876500002")
	unknownGLN  = gln("409876500003")
	foreignSGLN = "urn:epc:id:sgln:4098765.00009.0"
)

func sgln(ext string) string { return "urn:epc:id:sgln:" + prefix + ".00000." + ext }

func partySGLN(g string) string { return "urn:epc:id:sgln:4098765." + g[7:12] + ".0" }

func sgtin(itemRef, serial string) string {
	return "urn:epc:id:sgtin:" + prefix + "." + itemRef + "." + serial
}

func pack1(serial string) string { return sgtin("000001", serial) }

func sscc(ref string) string { return "urn:epc:id:sscc:" + prefix + "." + ref }

// pools is the serial pools as the rules see them: gtin → serial → issued.
type pools struct {
	mu sync.Mutex
	m  map[string]map[string]Issued
}

func (p *pools) issue(gtin, site, line, lot string, serials ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[string]Issued{}
	}
	if p.m[gtin] == nil {
		p.m[gtin] = map[string]Issued{}
	}
	for _, s := range serials {
		p.m[gtin][s] = Issued{SiteID: site, LineID: line, Lot: lot}
	}
}

func (p *pools) Allocated(_ context.Context, gtin string, serials []string) (map[string]Issued, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]Issued{}
	for _, s := range serials {
		if is, ok := p.m[gtin][s]; ok {
			out[s] = is
		}
	}
	return out, nil
}

type fixture struct {
	t     *testing.T
	s     *Store
	rules Rules
	pools *pools
	sink  *memSink
	t0    time.Time
	docs  int
}

// memSink keeps the analytics rows it receives.
type memSink struct {
	mu   sync.Mutex
	rows []domain.EPCEvent
	fail func(n int) error // called with the number of the call; an error fails it
	n    int
}

func (m *memSink) WriteFacts(_ context.Context, f *domain.EPCFacts) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	if m.fail != nil {
		if err := m.fail(m.n); err != nil {
			return err
		}
	}
	m.rows = append(m.rows, f.Expand()...)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	ctx := context.Background()
	s := NewStore(pool)
	md := masterdata.NewStore(pool)
	for _, id := range []string{"s1", "s2"} {
		g := ""
		if id == "s1" {
			g = siteGLN
		}
		if _, err := s.UpsertSite(ctx, domain.Site{ID: id, Name: "Site " + id, GLN: g}); err != nil {
			t.Fatal(err)
		}
	}
	by := masterdata.PutOptions{By: "test"}
	for _, l := range []string{"L1", "L2"} {
		if _, err := md.PutLine(ctx, masterdata.Line{SiteID: "s1", ID: l, IdealRate: 100}, by); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []masterdata.Product{
		{GTIN: gtin1, CompanyPrefixLength: 7, Name: "Pills 10 mg", PackSize: 30},
		{GTIN: gtin3, CompanyPrefixLength: 7, Name: "Drops", PackSize: 1, Sites: []string{"s2"}},
	} {
		if _, err := md.PutProduct(ctx, p, by); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []masterdata.Partner{
		{GLN: partnerGLN, Name: "Wholesaler P", Country: "DE", Licences: []masterdata.Licence{{Number: "WDA-1", ValidFrom: "2020-01-01"}}},
		{GLN: expiredGLN, Name: "Wholesaler X", Country: "FR", Licences: []masterdata.Licence{{Number: "WDA-2", ValidFrom: "2020-01-01", ValidTo: "2021-12-31"}}},
	} {
		if _, err := md.PutPartner(ctx, p, by); err != nil {
			t.Fatal(err)
		}
	}
	pl := &pools{}
	return &fixture{t: t, s: s, pools: pl, sink: &memSink{}, rules: Rules{Catalog: md, Allocations: pl},
		t0: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
}

// at is a time of the scenario: t0 plus minutes.
func (f *fixture) at(min int) time.Time { return f.t0.Add(time.Duration(min) * time.Minute) }

func ilmd(lot, expiry string) []epcis.Element {
	var out []epcis.Element
	if lot != "" {
		out = append(out, epcis.Element{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: lot})
	}
	if expiry != "" {
		out = append(out, epcis.Element{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: expiry})
	}
	return out
}

func commission(t time.Time, line, lot, expiry string, epcs ...string) *epcis.Event {
	return &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, EventTime: t, EventTimeZoneOffset: "+00:00",
		EPCList: epcs, BizStep: "urn:epcglobal:cbv:bizstep:commissioning", Disposition: "urn:epcglobal:cbv:disp:active",
		ReadPoint: sgln(line), BizLocation: sgln("0"), ILMD: ilmd(lot, expiry)}
}

func packInto(t time.Time, parent string, children ...string) *epcis.Event {
	return &epcis.Event{Type: epcis.AggregationEvent, Action: epcis.ActionAdd, EventTime: t, EventTimeZoneOffset: "+00:00",
		ParentID: parent, EPCList: children, BizStep: "urn:epcglobal:cbv:bizstep:packing",
		Disposition: "urn:epcglobal:cbv:disp:in_progress", ReadPoint: sgln("L1")}
}

func unpack(t time.Time, parent string, children ...string) *epcis.Event {
	e := packInto(t, parent, children...)
	e.Action, e.BizStep = epcis.ActionDelete, "urn:epcglobal:cbv:bizstep:unpacking"
	return e
}

func ship(t time.Time, dest string, epcs ...string) *epcis.Event {
	e := &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionObserve, EventTime: t, EventTimeZoneOffset: "+00:00",
		EPCList: epcs, BizStep: "urn:epcglobal:cbv:bizstep:shipping", Disposition: "urn:epcglobal:cbv:disp:in_transit",
		ReadPoint: sgln("0"), Sources: []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: sgln("0")}}}
	if dest != "" {
		e.Destinations = []epcis.SourceDest{{Type: "urn:epcglobal:cbv:sdt:owning_party", Value: dest}}
	}
	return e
}

func observe(t time.Time, bizStep, disp string, action epcis.Action, epcs ...string) *epcis.Event {
	return &epcis.Event{Type: epcis.ObjectEvent, Action: action, EventTime: t, EventTimeZoneOffset: "+00:00",
		EPCList: epcs, BizStep: bizStep, Disposition: disp, ReadPoint: sgln("0")}
}

// document encodes events as an EPCIS 2.0 XML document.
func document(t testing.TB, n int, events ...*epcis.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := epcisxml.NewEncoder(&b, epcis.Version20)
	doc := &epcis.Document{SchemaVersion: epcis.Version20, CreationDate: time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC)}
	if err := enc.WriteHeader(doc); err != nil {
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

// upload stores a document for site.
func (f *fixture) upload(site, mode string, events ...*epcis.Event) domain.Receipt {
	f.t.Helper()
	f.docs++
	body := document(f.t, f.docs, events...)
	r, err := f.s.SaveUpload(context.Background(), UploadMeta{SiteID: site, ContentType: "application/xml",
		Format: "2.0-xml", ErrorMode: mode}, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// run uploads and processes a document for site s1 and returns its receipt.
func (f *fixture) run(mode string, events ...*epcis.Event) domain.Receipt {
	f.t.Helper()
	return f.runAs("s1", mode, events...)
}

func (f *fixture) runAs(site, mode string, events ...*epcis.Event) domain.Receipt {
	f.t.Helper()
	r := f.upload(site, mode, events...)
	return f.process(r.ID, 0)
}

func (f *fixture) process(id string, chunk int) domain.Receipt {
	f.t.Helper()
	ctx := context.Background()
	if _, err := f.s.Process(ctx, id, ProcessOptions{Rules: f.rules, Sink: f.sink, ChunkEPCs: chunk}); err != nil {
		f.t.Fatalf("process %s: %v", id, err)
	}
	r, err := f.s.Receipt(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// mustProcess runs a document that must be accepted whole.
func (f *fixture) mustProcess(events ...*epcis.Event) domain.Receipt {
	f.t.Helper()
	r := f.run("", events...)
	if r.Status != domain.StatusProcessed || r.RejectedEvents != 0 {
		f.t.Fatalf("setup document: %s, errors %v", r.Status, r.Errors)
	}
	return r
}

// state reads a serial's state and parent.
func (f *fixture) state(epc string) (domain.SerialState, string) {
	f.t.Helper()
	var st, parent string
	err := f.s.pool.QueryRow(context.Background(), `SELECT state, parent_epc FROM serials WHERE epc = $1`, epc).Scan(&st, &parent)
	if err != nil {
		f.t.Fatalf("serial %s: %v", epc, err)
	}
	return domain.SerialState(st), parent
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func serialsN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%06d", prefix, i)
	}
	return out
}
