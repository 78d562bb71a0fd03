package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// serialRequestSize is how many serials a generated line asks the hub for at a time.
const serialRequestSize = 20_000

// SerialRequest is one generated request to the serial pools.
type SerialRequest struct {
	At    time.Time
	Count int
}

// SerialDay is what one line requested from the serial pools on one day and what it gave back
// unused at the end of the day.
type SerialDay struct {
	GTIN       string
	Requests   []SerialRequest
	Returned   int
	ReturnedAt time.Time
}

// GenSerials generates the serial requests of one line on one day from its line data (GenLine):
// at each 15-minute interval the line asks for serialRequestSize serials until its stock
// covers what the interval uses (at the interval's start), and it returns what is left at 23:59. So requested − returned
// equals the serials used that day, which the tests check through OEE.
func (c Config) GenSerials(site, line, day int) SerialDay {
	ld := c.GenLine(site, line, day)
	sd := SerialDay{GTIN: GTIN(line % max(c.Products, 1))}
	stock := 0
	for _, n := range ld.Counts {
		for stock < n.SerialsUsed {
			sd.Requests = append(sd.Requests, SerialRequest{At: n.Start, Count: serialRequestSize})
			stock += serialRequestSize
		}
		stock -= n.SerialsUsed
	}
	if stock > 0 {
		sd.Returned = stock
		sd.ReturnedAt = c.Start.Add(time.Duration(day)*24*time.Hour + 23*time.Hour + 59*time.Minute)
	}
	return sd
}

// loadSerials writes the lines, products and serial pools the requests need and every line's
// generated requests and returns (serial_allocations, serial_returns; no issued_serials: the
// KPIs read only counts). It returns how many requests it wrote.
func loadSerials(ctx context.Context, cfg Config, pg *pgxpool.Pool) (int64, error) {
	for p := range min(cfg.Products, cfg.LinesPerSite) {
		if _, err := pg.Exec(ctx, q.Get("InsertProduct"), GTIN(p), len(companyPrefix)); err != nil {
			return 0, fmt.Errorf("loadgen: product %s: %w", GTIN(p), err)
		}
		if _, err := pg.Exec(ctx, q.Get("InsertPool"), GTIN(p)); err != nil {
			return 0, fmt.Errorf("loadgen: serial pool %s: %w", GTIN(p), err)
		}
	}
	var id int64
	if err := pg.QueryRow(ctx, q.Get("NextAllocationID")).Scan(&id); err != nil {
		return 0, fmt.Errorf("loadgen: allocation id: %w", err)
	}
	var allocs, returns [][]any
	for si := range cfg.Sites {
		for li := range cfg.LinesPerSite {
			if _, err := pg.Exec(ctx, q.Get("InsertLine"), SiteID(si), LineID(li), float64(100+10*(li%5))); err != nil {
				return 0, fmt.Errorf("loadgen: line: %w", err)
			}
			for d := range cfg.Days {
				sd := cfg.GenSerials(si, li, d)
				for k, r := range sd.Requests {
					allocs = append(allocs, []any{id, SiteID(si), LineID(li), fmt.Sprintf("%s-d%d-%d", LineID(li), d, k),
						sd.GTIN, int32(r.Count), r.At})
					id++
				}
				if sd.Returned > 0 { // from the day's last request, as a line gives back its open roll
					returns = append(returns, []any{id - 1, SiteID(si), LineID(li), sd.GTIN, int32(sd.Returned), sd.ReturnedAt})
				}
			}
		}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"serial_allocations"}, []string{"id", "site_id", "line_id", "request_id",
		"gtin", "count", "created_at"}, pgx.CopyFromRows(allocs)); err != nil {
		return 0, fmt.Errorf("loadgen: copy serial_allocations: %w", err)
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{"serial_returns"}, []string{"allocation_id", "site_id", "line_id", "gtin",
		"count", "returned_at"}, pgx.CopyFromRows(returns)); err != nil {
		return 0, fmt.Errorf("loadgen: copy serial_returns: %w", err)
	}
	if _, err := pg.Exec(ctx, q.Get("SetAllocationSequence")); err != nil {
		return 0, fmt.Errorf("loadgen: allocation sequence: %w", err)
	}
	return int64(len(allocs)), nil
}
