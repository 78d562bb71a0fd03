package analytics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
	"github.com/serialhub/serialhub/sites/masterdata"
	"github.com/serialhub/serialhub/sites/serials"
)

// TestOEESerialsRequested requests and returns serials through the serial pools (PostgreSQL),
// dates the requests and returns to fixed times, sends line data (ClickHouse), and checks the
// serials requested, returned and used of the OEE answer for the site, each line and day and
// each shift against sums the test computes from what it did.
func TestOEESerialsRequested(t *testing.T) {
	ctx := context.Background()
	conn, _ := chtest.NewDB(t)
	pg, _ := pgtest.NewDB(t)
	s := NewStore(conn).WithPostgres(pg)
	md := masterdata.NewStore(pg)
	by := masterdata.PutOptions{By: "test"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const gtin = "09501101530003"
	must(md.PutSite(ctx, masterdata.Site{ID: "s1", Name: "one"}, by))
	must(md.PutSite(ctx, masterdata.Site{ID: "s2", Name: "two"}, by))
	for _, l := range []masterdata.Line{{SiteID: "s1", ID: "L1"}, {SiteID: "s1", ID: "L2"}, {SiteID: "s2", ID: "L1"}} {
		must(md.PutLine(ctx, l, by))
	}
	must(md.PutProduct(ctx, masterdata.Product{GTIN: gtin, CompanyPrefixLength: 7, Name: "A", PackSize: 1,
		Markets: []masterdata.ProductMarket{{Market: "DE"}}}, by))
	sn := serials.NewStore(pg, md, slog.New(slog.NewTextHandler(io.Discard, nil)))

	d1 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	d2 := d1.Add(24 * time.Hour)
	type event struct {
		site, line string
		at         time.Time
		requested  int
		returned   int
	}
	requests := []event{
		{site: "s1", line: "L1", at: d1.Add(6*time.Hour + 10*time.Minute), requested: 1000},
		{site: "s1", line: "L1", at: d1.Add(13*time.Hour + 50*time.Minute), requested: 500},
		{site: "s1", line: "L2", at: d2.Add(7 * time.Hour), requested: 300},
		{site: "s2", line: "L1", at: d1.Add(8 * time.Hour), requested: 200},
	}
	allocs := make([]serials.Allocation, len(requests))
	for i, r := range requests {
		a, err := sn.Request(ctx, serials.Request{SiteID: r.site, LineID: r.line, GTIN: gtin, Count: r.requested})
		if err != nil {
			t.Fatal(err)
		}
		allocs[i] = a
		if _, err := pg.Exec(ctx, `UPDATE serial_allocations SET created_at = $2 WHERE id = $1`, a.ID, r.at); err != nil {
			t.Fatal(err)
		}
	}
	// One return of line s1/L1 takes serials of both its allocations (counted per
	// allocation); another returns some of s1/L2's the next night, in the night shift of d2.
	returns := []struct {
		site   string
		serial []string
		at     time.Time
		ev     []event
	}{
		{site: "s1", serial: append(append([]string{}, allocs[0].Serials[:40]...), allocs[1].Serials[:10]...),
			at: d1.Add(21*time.Hour + 30*time.Minute), ev: []event{{site: "s1", line: "L1", returned: 50}}},
		{site: "s1", serial: allocs[2].Serials[:7], at: d2.Add(23 * time.Hour), ev: []event{{site: "s1", line: "L2", returned: 7}}},
	}
	var events []event
	events = append(events, requests...)
	for _, r := range returns {
		var last int64
		if err := pg.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM serial_returns`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		res, err := sn.Return(ctx, r.site, gtin, r.serial)
		if err != nil || res.Returned != len(r.serial) {
			t.Fatalf("return: %+v, %v", res, err)
		}
		if _, err := pg.Exec(ctx, `UPDATE serial_returns SET returned_at = $2 WHERE id > $1`, last, r.at); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.ev {
			e.at = r.at
			events = append(events, e)
		}
	}
	// Serials used, as the lines report them (sent twice: count once).
	used := []struct {
		site, line string
		start      time.Time
		n          int
	}{
		{"s1", "L1", d1.Add(7 * time.Hour), 600},
		{"s1", "L1", d1.Add(15 * time.Hour), 800},
		{"s1", "L2", d2.Add(8 * time.Hour), 280},
		{"s2", "L1", d1.Add(9 * time.Hour), 190},
	}
	for range 2 {
		for _, u := range used {
			ld := LineData{Line: u.line, States: []LineState{{At: u.start, State: StateRunning}},
				Counts: []LineCount{{Start: u.start, End: u.start.Add(15 * time.Minute), Good: u.n, IdealRate: 100, SerialsUsed: u.n}}}
			if err := s.SaveLineData(ctx, u.site, ld); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, u := range used {
		events = append(events, event{site: u.site, line: u.line, at: u.start, requested: -u.n}) // negative: used
	}

	// The expected figures, from the events alone.
	type sums struct{ requested, returned, used int64 }
	add := func(m map[string]sums, k string, e event) {
		x := m[k]
		switch {
		case e.requested > 0:
			x.requested += int64(e.requested)
		case e.requested < 0:
			x.used += int64(-e.requested)
		default:
			x.returned += int64(e.returned)
		}
		m[k] = x
	}
	shift := func(t time.Time) string {
		switch h := t.Hour(); {
		case h < 6:
			return t.Add(-24*time.Hour).Format(time.DateOnly) + " night"
		case h < 14:
			return t.Format(time.DateOnly) + " early"
		case h < 22:
			return t.Format(time.DateOnly) + " late"
		}
		return t.Format(time.DateOnly) + " night"
	}
	expect := func(q OEEQuery) (site sums, lineDays, shifts map[string]sums) {
		total := map[string]sums{}
		lineDays, shifts = map[string]sums{}, map[string]sums{}
		for _, e := range events {
			if e.site != q.Site || (q.Line != "" && e.line != q.Line) || e.at.Before(q.From) || !e.at.Before(q.To) {
				continue
			}
			add(total, "", e)
			add(lineDays, e.line+" "+e.at.Format(time.DateOnly), e)
			add(shifts, e.line+" "+shift(e.at), e)
		}
		return total[""], lineDays, shifts
	}

	tests := []struct {
		name string
		q    OEEQuery
	}{
		{"site s1, two days", OEEQuery{Site: "s1", From: d1, To: d2.Add(24 * time.Hour)}},
		{"site s1, line L1", OEEQuery{Site: "s1", Line: "L1", From: d1, To: d2.Add(24 * time.Hour)}},
		{"site s1, first day until 21:00", OEEQuery{Site: "s1", From: d1, To: d1.Add(21 * time.Hour)}},
		{"site s1, second day", OEEQuery{Site: "s1", From: d2, To: d2.Add(24 * time.Hour)}},
		{"site s2", OEEQuery{Site: "s2", From: d1, To: d2}},
		{"no data", OEEQuery{Site: "s1", From: d2.Add(48 * time.Hour), To: d2.Add(72 * time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.OEE(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			site, lineDays, shifts := expect(tt.q)
			k := r.Serialization
			if got := (sums{k.SerialsRequested, k.SerialsReturned, k.SerialsUsed}); got != site {
				t.Errorf("site requested, returned, used = %+v, want %+v", got, site)
			}
			if got := (sums{r.Site.SerialsRequested, r.Site.SerialsReturned, r.Site.SerialsUsed}); got != site {
				t.Errorf("site figures requested, returned, used = %+v, want %+v", got, site)
			}
			check := func(what string, rows []OEERow, key func(OEERow) string, want map[string]sums) {
				t.Helper()
				got := map[string]sums{}
				for _, x := range rows {
					if v := (sums{x.SerialsRequested, x.SerialsReturned, x.SerialsUsed}); v != (sums{}) {
						got[key(x)] = v
					}
				}
				if len(got) != len(want) {
					t.Errorf("%s: %+v, want %+v", what, got, want)
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s %s: %+v, want %+v", what, k, got[k], v)
					}
				}
			}
			var svg strings.Builder
			if err := WriteOEEChart(&svg, r); err != nil || !strings.Contains(svg.String(), fmt.Sprintf("serials: %d requested, %d returned, %d used",
				site.requested, site.returned, site.used)) {
				t.Errorf("chart without the serials (%v):\n%s", err, svg.String())
			}
			check("line days", r.LineDays, func(x OEERow) string { return x.Line + " " + x.Day }, lineDays)
			check("shifts", r.Shifts, func(x OEERow) string { return x.Line + " " + x.Day + " " + x.Shift }, shifts)
		})
	}
}
