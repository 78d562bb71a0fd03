package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

// TestSerialKPIsEqualGenerator loads the generated line data and serial requests and checks
// that OEE's serials requested, returned and used per line and day equal the generator's own
// sums, and that requested − returned = used for each of them.
func TestSerialKPIsEqualGenerator(t *testing.T) {
	ctx := context.Background()
	conn, _ := chtest.NewDB(t)
	pg, _ := pgtest.NewDB(t)
	cfg := smallConfig()
	store := analytics.NewStore(conn).WithPostgres(pg)
	for i := range cfg.Sites {
		if _, err := pg.Exec(ctx, q.Get("InsertSite"), SiteID(i)); err != nil {
			t.Fatal(err)
		}
	}
	var st Stats
	if err := loadLineData(ctx, cfg, store, pg, &st); err != nil {
		t.Fatal(err)
	}
	n, err := loadSerials(ctx, cfg, pg)
	if err != nil || n == 0 {
		t.Fatalf("%d serial requests, %v", n, err)
	}
	sites, err := store.OEEAllSites(ctx, cfg.Start, cfg.Start.Add(time.Duration(cfg.Days)*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type sums struct{ requested, returned, used int64 }
	for si := range cfg.Sites {
		r := sites[SiteID(si)]
		got := map[string]sums{}
		for _, x := range r.LineDays {
			got[x.Line+" "+x.Day] = sums{x.SerialsRequested, x.SerialsReturned, x.SerialsUsed}
		}
		var site sums
		for li := range cfg.LinesPerSite {
			for d := range cfg.Days {
				var want sums
				sd := cfg.GenSerials(si, li, d)
				for _, rq := range sd.Requests {
					want.requested += int64(rq.Count)
				}
				want.returned = int64(sd.Returned)
				for _, c := range cfg.GenLine(si, li, d).Counts {
					want.used += int64(c.SerialsUsed)
				}
				if want.requested-want.returned != want.used || want.used == 0 {
					t.Errorf("generator: %+v", want)
				}
				k := LineID(li) + " " + cfg.Start.Add(time.Duration(d)*24*time.Hour).Format(time.DateOnly)
				if got[k] != want {
					t.Errorf("%s %s: requested, returned, used = %+v, want %+v", SiteID(si), k, got[k], want)
				}
				site.requested, site.returned, site.used = site.requested+want.requested, site.returned+want.returned, site.used+want.used
			}
		}
		if k := r.Serialization; (sums{k.SerialsRequested, k.SerialsReturned, k.SerialsUsed}) != site {
			t.Errorf("%s: serialization %+v, want %+v", SiteID(si), k, site)
		}
	}
}
