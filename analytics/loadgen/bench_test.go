package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/schemas/clickhouse"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

// benchRows is the size of the benchmark's data: SERIALHUB_BENCH_ROWS event rows (default
// 1M, which loads in about a minute here; the goal is 100M).
func benchRows(b *testing.B) int64 {
	if v := os.Getenv("SERIALHUB_BENCH_ROWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("SERIALHUB_BENCH_ROWS=%q: want a positive number", v)
		}
		return n
	}
	return 1_000_000
}

// benchConfig is the benchmark's shape: DefaultConfig for benchRows, with
// SERIALHUB_BENCH_LOTS lots instead of 1,000 when set. Fewer lots make each lot as big as
// a bigger load makes it (10M rows in 100 lots: the 45,454 packs a lot of 100M rows in
// 1,000 lots) without loading 100M rows.
func benchConfig(b *testing.B) Config {
	cfg := DefaultConfig(benchRows(b))
	if v := os.Getenv("SERIALHUB_BENCH_LOTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SERIALHUB_BENCH_LOTS=%q: want a positive number", v)
		}
		cfg.Lots = n
	}
	return cfg
}

// benchDatabases returns the benchmark's ClickHouse and PostgreSQL databases: fresh ones,
// dropped at the end; or, with SERIALHUB_BENCH_DB=name, databases of that name that outlive
// the run, so that a big size is loaded once and measured by later runs (the run that loads
// reports the load; drop them with SERIALHUB_BENCH_DB=name SERIALHUB_BENCH_DROP=1).
// loaded says whether they already hold the data of cfg.
func benchDatabases(b *testing.B, cfg Config) (conn driver.Conn, pg *pgxpool.Pool, loaded bool) {
	name := os.Getenv("SERIALHUB_BENCH_DB")
	if name == "" {
		conn, _ = chtest.NewDB(b)
		pg, _ = pgtest.NewDB(b)
		return conn, pg, false
	}
	ctx := context.Background()
	env := localenv.Getenv()
	cc := clickhouse.Config{Addr: env("SERIALHUB_CH_ADDR"), User: env("SERIALHUB_CH_USER"),
		Password: env("SERIALHUB_CH_PASSWORD"), Database: name}
	if cc.User == "" {
		cc.User = "default"
	}
	admin, err := pgx.Connect(ctx, pgtest.AdminDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	marker := fmt.Sprintf("loaded %d rows, seed %d", cfg.Rows, cfg.Seed)
	if cfg.Lots != DefaultConfig(cfg.Rows).Lots {
		marker += fmt.Sprintf(", %d lots", cfg.Lots)
	}
	pgDSN := withDatabase(pgtest.AdminDSN(b), name)
	if pool, err := postgres.Open(ctx, pgDSN); err == nil {
		var got string
		_ = pool.QueryRow(ctx, `SELECT note FROM bench_loaded`).Scan(&got)
		pool.Close()
		loaded = got == marker
	}
	drop := os.Getenv("SERIALHUB_BENCH_DROP") != ""
	if !loaded || drop { // start again: a partial or other load is of no use
		if c, err := clickhouse.Open(ctx, cc, true); err == nil {
			_ = c.Exec(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
			c.Close()
		}
		if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			b.Fatal(err)
		}
		if drop {
			b.Skipf("dropped the databases %s", name)
		}
		if _, err := admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	if conn, err = clickhouse.Open(ctx, cc, true); err != nil {
		b.Fatal(err)
	}
	if pg, err = postgres.Open(ctx, pgDSN); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(); pg.Close() })
	for _, err := range []error{first(clickhouse.Migrate(ctx, conn)), first(postgres.Migrate(ctx, pg))} {
		if err != nil {
			b.Fatal(err)
		}
	}
	if !loaded {
		b.Cleanup(func() {
			if !b.Failed() {
				_, _ = pg.Exec(ctx, `CREATE TABLE bench_loaded AS SELECT $1::text AS note`, marker)
			}
		})
	}
	return conn, pg, loaded
}

func first[T any](_ T, err error) error { return err }

// withDatabase is a postgres:// URL DSN with its database name replaced.
func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + db
	return u.String()
}

// BenchmarkAnalytics loads ~1k lots (3 sites × 20 lines, pack → case → pallet, 200 partners)
// into ClickHouse and PostgreSQL, then measures lot recall on both (p50/p95 over the same
// random lots), the trace of one pack, and OEE for 60 lines over 30 days.
func BenchmarkAnalytics(b *testing.B) {
	ctx := context.Background()
	cfg := benchConfig(b)
	conn, pg, loaded := benchDatabases(b, cfg)
	store := analytics.NewStore(conn).WithPostgres(pg)
	if !loaded {
		start := time.Now()
		st, err := Load(ctx, cfg, Targets{CH: conn, Store: store, PG: pg})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d event rows (%d events, %d identifiers, %d line states, %d line counts) in %s: ClickHouse %s (%.0f rows/s), PostgreSQL %s (%.0f rows/s; indexes and keys after the COPY %s)",
			st.EventRows, st.Events, st.Serials, st.LineStates, st.LineCounts, time.Since(start).Round(time.Second),
			st.CH.Round(time.Second), float64(st.EventRows)/st.CH.Seconds(), st.PG.Round(time.Second),
			float64(st.EventRows)/st.PG.Seconds(), st.PGIndexes.Round(time.Second))
	}
	b.Logf("%d lots of %d packs; load average before measuring: %s", cfg.Lots, cfg.PacksPerLot(), loadAverage())

	rng := rand.New(rand.NewPCG(1, 2))
	const samples = 25
	lots := make([]LotRef, samples)
	for i := range lots {
		lots[i] = cfg.Ref(rng.IntN(cfg.Lots))
	}
	var chP50 float64
	b.Run("recall_clickhouse", func(b *testing.B) {
		for range b.N {
			d := measure(b, lots, func(r LotRef) int {
				resp, err := store.Recall(ctx, analytics.RecallQuery{GTIN: r.GTIN, Lots: []string{r.Lot}})
				if err != nil {
					b.Fatal(err)
				}
				return resp.Count
			})
			chP50 = d.report(b)
		}
	})
	b.Run("recall_postgres", func(b *testing.B) {
		for range b.N {
			d := measure(b, lots, func(r LotRef) int {
				items, err := PGRecall(ctx, pg, r.GTIN, r.Lot)
				if err != nil {
					b.Fatal(err)
				}
				return len(items)
			})
			p50 := d.report(b)
			if chP50 > 0 {
				b.ReportMetric(p50/chP50, "x_slower_than_ch")
			}
		}
	})
	packs := make([]string, samples)
	for i := range packs {
		l := cfg.GenLot(rng.IntN(cfg.Lots))
		packs[i] = l.Serials[rng.IntN(cfg.PacksPerLot())].EPC
	}
	b.Run("trace_one_pack", func(b *testing.B) {
		for range b.N {
			d := measure(b, packs, func(epc string) int {
				tr, err := store.Trace(ctx, epc, "")
				if err != nil {
					b.Fatal(err)
				}
				return len(tr.History)
			})
			d.report(b)
		}
	})
	b.Run("oee_60_lines_30_days", func(b *testing.B) {
		to := cfg.Start.Add(time.Duration(cfg.Days) * 24 * time.Hour)
		for range b.N {
			d := measure(b, make([]int, 5), func(int) int {
				// One call: the 3 sites × 20 lines in the queries of one site.
				sites, err := store.OEEAllSites(ctx, cfg.Start, to)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for _, r := range sites {
					n += len(r.Lines)
				}
				if n != cfg.Sites*cfg.LinesPerSite {
					b.Fatalf("OEE covered %d lines, want %d", n, cfg.Sites*cfg.LinesPerSite)
				}
				return n
			})
			d.report(b)
		}
	})
}

// loadAverage is the 1, 5 and 15 minute load averages of the machine, for the figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

type durations []time.Duration

func measure[T any](b *testing.B, inputs []T, f func(T) int) durations {
	b.Helper()
	var d durations
	for _, in := range inputs {
		t := time.Now()
		if f(in) == 0 {
			b.Fatalf("empty answer for %v", in)
		}
		d = append(d, time.Since(t))
	}
	return d
}

// report adds p50 and p95 in milliseconds and returns p50.
func (d durations) report(b *testing.B) float64 {
	slices.Sort(d)
	ms := func(q float64) float64 {
		return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.5), "p50_ms")
	b.ReportMetric(ms(0.95), "p95_ms")
	b.ReportMetric(0, "ns/op")
	return ms(0.5)
}
