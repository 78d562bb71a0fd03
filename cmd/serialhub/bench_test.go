package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/postgres"
)

// BenchmarkIntake is the end-to-end intake of one large document — HTTP upload, ingest
// workflow, every rule (master data and serial pools), PostgreSQL and ClickHouse committed —
// next to a raw pgx CopyFrom of the same serial rows into the same PostgreSQL, in the same
// run. SERIALHUB_BENCH_SERIALS sets the size (default 1,000,000 packs, in cases of 100).
func BenchmarkIntake(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SERIALHUB_BENCH_SERIALS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	_, cfg := testHubEnv(b, nil)
	ctx := context.Background()
	admin := newClient(cfg)
	if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: demoSite, Name: "Bench", GLN: demoSiteGLN}, nil); err != nil {
		b.Fatal(err)
	}
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+demoSite+"/keys", nil, &key); err != nil {
		b.Fatal(err)
	}
	site := admin.withToken(key.Token)
	gtin, err := demoGTIN()
	if err != nil {
		b.Fatal(err)
	}
	pool, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()

	var e2e, raw, pgAlone, chAlone, both float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		lot := fmt.Sprintf("BENCH-%d", i)
		serials, err := demoMasterData(ctx, admin, site, gtin, lot, n)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := benchDocument(gtin, lot, serials, i)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		start := time.Now()
		r, err := site.upload(ctx, demoSite, "application/xml", doc)
		if err != nil {
			b.Fatal(err)
		}
		stored := time.Since(start)
		r, err = site.waitReceipt(ctx, r.ID, time.Hour)
		if err != nil || r.Status != domain.StatusProcessed || r.Serials < n {
			b.Fatalf("receipt %+v: %v", r, err)
		}
		took := time.Since(start)
		e2e = float64(n) / took.Seconds()

		b.StopTimer()
		rawTook, err := rawCopy(ctx, pool, gtin, lot, serials, i)
		if err != nil {
			b.Fatal(err)
		}
		raw = float64(n) / rawTook.Seconds()
		b.Logf("%d serials (%.0f MB): stored in %s, processed in %s → %.0f serials/s; raw COPY %s → %.0f serials/s (%.0f%%)",
			n, float64(len(doc))/1e6, stored.Round(time.Millisecond), took.Round(time.Millisecond), e2e,
			rawTook.Round(time.Millisecond), raw, 100*e2e/raw)
		fl, err := storesAlone(ctx, b, pool, gtin, lot, serials, i, cfg.CHDatabase)
		if err != nil {
			b.Fatal(err)
		}
		pgAlone = float64(n) / fl.pg.Seconds()
		chAlone = float64(n) / fl.ch.Seconds()
		both = float64(n) / fl.both.Seconds()
		b.Logf("the stores alone (nothing else of the benchmark running): PostgreSQL COPY of the serial rows and the %d identifier rows %s → %.0f serials/s (%.0f%% of raw); "+
			"ClickHouse INSERT … SELECT of the %d fact rows into every table and view %s → %.0f serials/s (%.0f%% of raw); both at once %s → %.0f serials/s (%.0f%% of raw)",
			2*n, fl.pg.Round(time.Millisecond), pgAlone, 100*pgAlone/raw, fl.facts, fl.ch.Round(time.Millisecond), chAlone, 100*chAlone/raw,
			fl.both.Round(time.Millisecond), both, 100*both/raw)
		b.StartTimer()
	}
	b.ReportMetric(e2e, "serials/s")
	b.ReportMetric(raw, "raw-serials/s")
	b.ReportMetric(100*e2e/raw, "%-of-raw")
	b.ReportMetric(100*pgAlone/raw, "pg-alone-%-of-raw")
	b.ReportMetric(100*chAlone/raw, "ch-alone-%-of-raw")
	b.ReportMetric(100*both/raw, "stores-alone-%-of-raw")
}

// rawCopy copies the serial rows the intake writes for the document — each pack in its case,
// with the time it was packed — into a table shaped like serials, with its indexes, and returns
// how long the COPY took.
func rawCopy(ctx context.Context, pool *pgxpool.Pool, gtin gs1.GTIN, lot string, serials []string, run int) (time.Duration, error) {
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (LIKE serials INCLUDING ALL)`); err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	expiry := now.AddDate(2, 0, 0).Format(time.DateOnly)
	uris, err := demoSGTINs(gtin, serials)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"bench_raw"},
		[]string{"epc", "gtin", "serial", "lot", "expiry", "site_id", "state", "parent_epc", "commissioned_at", "last_event_time",
			"line_id", "packed_at"},
		pgx.CopyFromSlice(len(serials), func(i int) ([]any, error) {
			return []any{uris[i], string(gtin), serials[i], lot, expiry, demoSite, "packed", benchCase(run, i/benchCaseSize), now, now,
				demoLine, now}, nil
		}))
	return time.Since(start), err
}

// benchCaseSize is how many packs the benchmark document puts into a case.
const benchCaseSize = 100

// benchCase is the SSCC URI of case c of run: extension digit and serial reference, 9 digits.
func benchCase(run, c int) string {
	return fmt.Sprintf("urn:epc:id:sscc:%s.0%d%08d", demoPrefix, run%10, c)
}

// benchDocument writes an EPCIS 1.2 document: the packs commissioned in events of 10,000,
// then packed into cases of 100 (SSCCs registered by their packing).
func benchDocument(gtin gs1.GTIN, lot string, serials []string, run int) ([]byte, error) {
	var buf bytes.Buffer
	enc := epcisxml.NewEncoder(&buf, epcis.Version12)
	if err := enc.WriteHeader(&epcis.Document{SchemaVersion: epcis.Version12, CreationDate: time.Now().UTC()}); err != nil {
		return nil, err
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	site := "urn:epc:id:sgln:" + demoPrefix + ".00000.0"
	line := "urn:epc:id:sgln:" + demoPrefix + ".00000." + demoLine
	uris, err := demoSGTINs(gtin, serials)
	if err != nil {
		return nil, err
	}
	ilmd := []epcis.Element{
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: lot},
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: t0.AddDate(2, 0, 0).Format(time.DateOnly)},
	}
	for i := 0; i < len(uris); i += 10_000 {
		e := &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, EventTime: t0, EventTimeZoneOffset: "+00:00",
			EPCList: uris[i:min(i+10_000, len(uris))], BizStep: "urn:epcglobal:cbv:bizstep:commissioning",
			Disposition: "urn:epcglobal:cbv:disp:active", ReadPoint: line, BizLocation: site, ILMD: ilmd}
		if err := enc.WriteEvent(e); err != nil {
			return nil, err
		}
	}
	for i, c := 0, 0; i < len(uris); i, c = i+benchCaseSize, c+1 {
		e := &epcis.Event{Type: epcis.AggregationEvent, Action: epcis.ActionAdd, EventTime: t0.Add(time.Minute),
			EventTimeZoneOffset: "+00:00", ParentID: benchCase(run, c),
			EPCList: uris[i:min(i+benchCaseSize, len(uris))], BizStep: "urn:epcglobal:cbv:bizstep:packing",
			Disposition: "urn:epcglobal:cbv:disp:in_progress", ReadPoint: line}
		if err := enc.WriteEvent(e); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rawIdentifiers copies the identifier rows the intake writes for the document — each pack
// once for its commissioning and once for its packing — into a table shaped like
// event_epcs, with its indexes, and returns how long the COPY took. With rawCopy, it is the
// least PostgreSQL work the document can take.
func rawIdentifiers(ctx context.Context, pool *pgxpool.Pool, gtin gs1.GTIN, serials []string) (time.Duration, error) {
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_epcs; CREATE TABLE bench_raw_epcs (LIKE event_epcs INCLUDING ALL)`); err != nil {
		return 0, err
	}
	uris, err := demoSGTINs(gtin, serials)
	if err != nil {
		return 0, err
	}
	n := len(uris)
	start := time.Now()
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"bench_raw_epcs"}, []string{"event_pk", "epc", "role"},
		pgx.CopyFromSlice(2*n, func(i int) ([]any, error) {
			if i < n { // commissioned in events of 10,000
				return []any{int64(i / 10_000), uris[i], "epc"}, nil
			}
			i -= n // packed in cases
			return []any{int64(n/10_000 + 1 + i/benchCaseSize), uris[i], "child"}, nil
		}))
	return time.Since(start), err
}

// floor is how long the stores take to write the document's rows without the hub.
type floor struct {
	pg, ch, both time.Duration
	facts        uint64
}

// storesAlone measures the least work the document can take in the stores: in PostgreSQL the
// serial rows (rawCopy) and the identifier rows (rawIdentifiers), in ClickHouse the fact rows
// the intake wrote, copied into fresh tables with every view (clickhouseAlone); each alone,
// then both at once, as the intake must do them on the same cores. The end-to-end intake
// cannot be faster than both at once.
func storesAlone(ctx context.Context, b *testing.B, pool *pgxpool.Pool, gtin gs1.GTIN, lot string, serials []string,
	run int, chDB string) (floor, error) {
	var f floor
	pgWork := func() (time.Duration, error) {
		s, err := rawCopy(ctx, pool, gtin, lot, serials, run)
		if err != nil {
			return 0, err
		}
		ids, err := rawIdentifiers(ctx, pool, gtin, serials)
		return s + ids, err
	}
	var err error
	if f.pg, err = pgWork(); err != nil {
		return f, err
	}
	if f.ch, f.facts, err = clickhouseAlone(ctx, b, chDB); err != nil {
		return f, err
	}
	start := time.Now()
	var g errgroup.Group
	g.Go(func() error { _, err := pgWork(); return err })
	g.Go(func() error { _, _, err := clickhouseAlone(ctx, b, chDB); return err })
	err = g.Wait()
	f.both = time.Since(start)
	return f, err
}

// clickhouseAlone copies the fact rows the intake wrote to database from into a fresh
// database with every table and view, in two concurrent INSERT … SELECTs (the hub writes
// with two writers) that insert blocks of 50,000 rows (the hub's batches), and returns how
// long that took and how many rows it copied: the ClickHouse server's own work on the
// document, without the hub, the client or PostgreSQL.
func clickhouseAlone(ctx context.Context, b *testing.B, from string) (time.Duration, uint64, error) {
	conn, cc := chtest.NewDB(b)
	ctx = ch.Context(ctx, ch.WithSettings(ch.Settings{"max_block_size": 50_000, "min_insert_block_size_rows": 50_000}))
	var cols []string
	// The same list on both sides: the order does not matter.
	rows, err := conn.Query(ctx, `SELECT name FROM system.columns WHERE database = ? AND table = 'epc_facts'`, cc.Database)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return 0, 0, err
		}
		cols = append(cols, "`"+c+"`")
	}
	if err := rows.Close(); err != nil {
		return 0, 0, err
	}
	var facts uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM `"+from+"`.epc_facts").Scan(&facts); err != nil {
		return 0, 0, err
	}
	list := strings.Join(cols, ", ")
	start := time.Now()
	var g errgroup.Group
	for k := range 2 {
		g.Go(func() error {
			return conn.Exec(ctx, fmt.Sprintf("INSERT INTO epc_facts (%s) SELECT %s FROM `%s`.epc_facts WHERE cityHash64(epc) %% 2 = %d",
				list, list, from, k))
		})
	}
	err = g.Wait()
	return time.Since(start), facts, err
}
