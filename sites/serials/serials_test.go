package serials

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites/masterdata"
)

const (
	gtinA = "09501101530003" // numeric/12, sites A and B
	gtinS = "09501101530010" // numeric/6 (space 10^6: 100 may be issued), site A only
)

type fixture struct {
	s    *Store
	md   *masterdata.Store
	pool *pgxpool.Pool
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	md := masterdata.NewStore(pool)
	ctx := context.Background()
	by := masterdata.PutOptions{By: "test"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"A", "B"} {
		must(md.PutSite(ctx, masterdata.Site{ID: id, Name: "site " + id}, by))
		must(md.PutLine(ctx, masterdata.Line{SiteID: id, ID: "L1"}, by))
	}
	must(md.PutProduct(ctx, masterdata.Product{GTIN: gtinA, CompanyPrefixLength: 7, Name: "A", PackSize: 1,
		Markets: []masterdata.ProductMarket{{Market: "DE"}}}, by))
	must(md.PutProduct(ctx, masterdata.Product{GTIN: gtinS, CompanyPrefixLength: 7, Name: "S", PackSize: 1, Sites: []string{"A"},
		Markets: []masterdata.ProductMarket{{Market: "DE", SerialFormat: &masterdata.SerialFormat{Alphabet: "numeric", Length: 6}}}}, by))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return fixture{s: NewStore(pool, md, log), md: md, pool: pool}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	good := Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: 10}
	tests := []struct {
		name   string
		change func(*Request)
		code   domain.Code
		want   string
	}{
		{"count zero", func(r *Request) { r.Count = 0 }, domain.CodeInvalid, "count: 0"},
		{"count too big", func(r *Request) { r.Count = MaxCount + 1 }, domain.CodeInvalid, "count: 1000001"},
		{"gtin check digit", func(r *Request) { r.GTIN = "09501101530004" }, domain.CodeInvalid, "check digit"},
		{"unknown gtin", func(r *Request) { r.GTIN = "09501101530027" }, domain.CodeInvalid, "not in the master data"},
		{"gtin of another site", func(r *Request) { r.SiteID = "B"; r.GTIN = gtinS }, domain.CodeForbidden, "not allocated to site B"},
		{"unknown line", func(r *Request) { r.LineID = "L9" }, domain.CodeInvalid, "site A has no line L9"},
		{"line missing", func(r *Request) { r.LineID = "" }, domain.CodeInvalid, "line: required"},
		{"lot charset", func(r *Request) { r.Lot = "LOT 1" }, domain.CodeInvalid, "lot: \"LOT 1\""},
		{"request id", func(r *Request) { r.RequestID = "a b" }, domain.CodeInvalid, "request_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.change(&r)
			_, err := f.s.Request(ctx, r)
			if domain.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %s containing %q", err, tt.code, tt.want)
			}
		})
	}
}

func TestDrawFormats(t *testing.T) {
	t.Parallel()
	for _, preset := range []string{"numeric", "upper", "alphanumeric", "cset82-safe"} {
		for _, n := range []int{1, 12, 20} {
			f := masterdata.SerialFormat{Alphabet: preset, Length: n}
			f.Normalize()
			seen := map[string]struct{}{}
			got, err := draw(strings.NewReader(strings.Repeat("\xff\x00\x7f\x80\x13", 4000)+string(bytes.Repeat([]byte{1, 2, 3, 250, 9}, 2000))), f, 3, seen)
			if err != nil && n < 20 {
				t.Fatalf("%s/%d: %v", preset, n, err)
			}
			for _, s := range got {
				if len(s) != n || strings.Trim(s, f.Alphabet) != "" {
					t.Fatalf("%s/%d: serial %q out of format", preset, n, s)
				}
			}
		}
	}
	// Bytes at or above the rejection limit are skipped, never folded into the alphabet.
	f := masterdata.SerialFormat{Alphabet: "0123456789", Length: 3}
	got, err := draw(strings.NewReader("\xff\xfa\x01\x02\x03"), f, 1, map[string]struct{}{})
	if err != nil || got[0] != "123" {
		t.Fatalf("draw = %v, %v, want [123]", got, err)
	}
}

func TestIdempotentRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	req := Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: 500, Lot: "LOT1", RequestID: "wo-1/attempt"[:4]}
	first, err := f.s.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed || len(first.Serials) != 500 || first.Pool.Issued != 500 || first.Pool.GuessProbability != 500/1e12 {
		t.Fatalf("first: replayed %v, %d serials, pool %+v", first.Replayed, len(first.Serials), first.Pool)
	}
	// Concurrent retries of the same request all get the first answer.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again, err := f.s.Request(ctx, req)
			if err != nil || !again.Replayed || strings.Join(again.Serials, ",") != strings.Join(first.Serials, ",") {
				t.Errorf("retry: replayed %v, err %v", again.Replayed, err)
			}
		}()
	}
	wg.Wait()
	other := req
	other.Count = 501
	if _, err := f.s.Request(ctx, other); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("same id, other request: %v, want conflict", err)
	}
	// The same request id at another site is another request.
	b := req
	b.SiteID = "B"
	bres, err := f.s.Request(ctx, b)
	if err != nil || bres.Replayed || bres.ID == first.ID {
		t.Fatalf("site B with A's request id: %+v, %v", bres.ID, err)
	}
	var issued int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM issued_serials`).Scan(&issued); err != nil || issued != 1000 {
		t.Fatalf("issued rows = %d, %v, want 1000", issued, err)
	}
}

func TestConcurrentNoDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const clients, each = 16, 6250 // 100,000 serials
	results := make([][]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			site := []string{"A", "B"}[i%2]
			a, err := f.s.Request(ctx, Request{SiteID: site, LineID: "L1", GTIN: gtinA, Count: each, RequestID: fmt.Sprint("c", i)})
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			results[i] = a.Serials
		}()
	}
	wg.Wait()
	seen := make(map[string]int, clients*each)
	for i, ss := range results {
		if len(ss) != each {
			t.Fatalf("client %d got %d serials", i, len(ss))
		}
		for _, s := range ss {
			if j, dup := seen[s]; dup {
				t.Fatalf("serial %s issued to clients %d and %d", s, j, i)
			}
			seen[s] = i
		}
	}
	var rows, pooled int64
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM issued_serials), issued FROM serial_pools WHERE gtin = $1`, gtinA).
		Scan(&rows, &pooled); err != nil || rows != clients*each || pooled != clients*each {
		t.Fatalf("issued rows %d, pool counter %d, %v", rows, pooled, err)
	}
}

// TestUniqueConstraintIsTheGuard: a serial already in the table (however it got there) is
// never handed out again: the insert skips it and a replacement is drawn.
func TestUniqueConstraintIsTheGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// A random source that yields the same serial first twice, then others.
	f.s.rand = io.MultiReader(strings.NewReader(strings.Repeat("\x01", 12)), strings.NewReader(strings.Repeat("\x01", 12)+strings.Repeat("\x02\x03\x04\x05", 1<<16)))
	a, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: 1, RequestID: "r1"})
	if err != nil || a.Serials[0] != "111111111111" {
		t.Fatalf("first: %v, %v", a.Serials, err)
	}
	f.s.rand = io.MultiReader(strings.NewReader(strings.Repeat("\x01", 12)), strings.NewReader(strings.Repeat("\x02\x03\x04\x05", 1<<16)))
	b, err := f.s.Request(ctx, Request{SiteID: "B", LineID: "L1", GTIN: gtinA, Count: 1, RequestID: "r2"})
	if err != nil || b.Serials[0] == "111111111111" {
		t.Fatalf("second request got %v, %v: the taken serial again", b.Serials, err)
	}
}

func TestGuessProbabilityRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinS, Count: 95, RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Pool.Space != 1e6 || a.Pool.MaxIssued != 100 || a.Pool.Remaining != 5 || a.Pool.GuessProbability != 95e-6 {
		t.Fatalf("pool %+v", a.Pool)
	}
	_, err = f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinS, Count: 6, RequestID: "r2"})
	if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(err.Error(), "above the EU FMD limit of 1/10,000: at most 5 more") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinS, Count: 5, RequestID: "r3"}); err != nil {
		t.Fatalf("up to the limit: %v", err)
	}
	alerts, err := f.s.Alerts(ctx, gtinS, 10)
	if err != nil || len(alerts) != 2 || alerts[0].Kind != "refused" || alerts[1].Kind != "low" || alerts[1].Remaining != 5 {
		t.Fatalf("alerts %+v, %v", alerts, err)
	}
	ps, err := f.s.SetAlertBelow(ctx, gtinS, 50)
	if err != nil || ps.AlertBelow != 50 || ps.Issued != 100 || ps.Remaining != 0 {
		t.Fatalf("pool %+v, %v", ps, err)
	}
}

func TestReturnAndAllocated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: 10, Lot: "L-A", WorkOrder: "WO1", RequestID: "ra"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.s.Request(ctx, Request{SiteID: "B", LineID: "L1", GTIN: gtinA, Count: 10, RequestID: "rb"})
	if err != nil {
		t.Fatal(err)
	}
	// Site A cannot return B's serials; it can return its own, once.
	res, err := f.s.Return(ctx, "A", gtinA, []string{a.Serials[0], a.Serials[1], b.Serials[0], "999"})
	if err != nil || res.Returned != 2 || len(res.NotReturned) != 2 {
		t.Fatalf("return: %+v, %v", res, err)
	}
	res, err = f.s.Return(ctx, "A", gtinA, a.Serials[:1])
	if err != nil || res.Returned != 0 {
		t.Fatalf("second return: %+v, %v", res, err)
	}
	got, err := f.s.Allocated(ctx, gtinA, []string{a.Serials[0], a.Serials[5], b.Serials[3], "000000000000"})
	if err != nil || len(got) != 3 {
		t.Fatalf("allocated: %+v, %v", got, err)
	}
	if g := got[a.Serials[5]]; g.SiteID != "A" || g.LineID != "L1" || g.Lot != "L-A" || g.WorkOrder != "WO1" || g.Returned {
		t.Errorf("A's serial: %+v", g)
	}
	if g := got[a.Serials[0]]; !g.Returned {
		t.Errorf("returned serial: %+v", g)
	}
	if g := got[b.Serials[3]]; g.SiteID != "B" {
		t.Errorf("B's serial: %+v", g)
	}
	ps, err := f.s.Pool(ctx, gtinA)
	if err != nil || ps.Returned != 2 || ps.Issued != 20 {
		t.Fatalf("pool %+v, %v", ps, err)
	}
	// The returns counted per allocation, for line analytics: A's two, on A's line.
	var site, line string
	var n, rows int
	if err := f.pool.QueryRow(ctx, `SELECT min(site_id), min(line_id), sum(count), count(*) FROM serial_returns
		WHERE allocation_id = $1`, a.ID).Scan(&site, &line, &n, &rows); err != nil || site != "A" || line != "L1" || n != 2 || rows != 1 {
		t.Errorf("serial_returns of A's allocation: %s %s %d in %d rows, %v", site, line, n, rows, err)
	}
}

// BenchmarkAllocate requests 100,000 serials per operation and reports serials/s.
func BenchmarkAllocate(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	const n = 100_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: n, RequestID: fmt.Sprint("bench-", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "serials/s")
}

// BenchmarkAllocated looks up 100,000 issued serials, as intake does for a document.
func BenchmarkAllocated(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	a, err := f.s.Request(ctx, Request{SiteID: "A", LineID: "L1", GTIN: gtinA, Count: 100_000, RequestID: "x"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := f.s.Allocated(ctx, gtinA, a.Serials)
		if err != nil || len(got) != len(a.Serials) {
			b.Fatalf("%d found, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(len(a.Serials)*b.N)/b.Elapsed().Seconds(), "serials/s")
}
