package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/domain"
)

// OEEQuery selects the line data of one site over [From, To), optionally one line.
type OEEQuery struct {
	Site string    `json:"site"`
	Line string    `json:"line,omitempty"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// maxOEESpan bounds one OEE query.
const maxOEESpan = 366 * 24 * time.Hour

// Validate checks the query; the error is CodeInvalid.
func (oq *OEEQuery) Validate() error {
	if oq.Site == "" {
		return domain.Errorf(domain.CodeInvalid, "site is required")
	}
	return oq.validateSpan()
}

// validateSpan checks From and To and truncates them to the second.
func (oq *OEEQuery) validateSpan() error {
	switch {
	case oq.From.IsZero() || oq.To.IsZero() || !oq.To.After(oq.From):
		return domain.Errorf(domain.CodeInvalid, "from and to are required, from before to")
	case oq.To.Sub(oq.From) > maxOEESpan:
		return domain.Errorf(domain.CodeInvalid, "at most %d days per query", int(maxOEESpan.Hours()/24))
	}
	oq.From, oq.To = oq.From.UTC().Truncate(time.Second), oq.To.UTC().Truncate(time.Second)
	return nil
}

// OEEFigures are the OEE measures of one slice of time (docs/analytics.md has the formulas).
type OEEFigures struct {
	PlannedMin  float64 `json:"planned_min"` // planned production time
	RunMin      float64 `json:"run_min"`
	DownMin     float64 `json:"down_min"` // unplanned stops, changeovers and idle time
	Good        int64   `json:"good"`
	Rejected    int64   `json:"rejected"`
	IdealOutput float64 `json:"ideal_output"` // packs the line would have made at its ideal rate while running
	// Serials requested from the hub's pools and returned unused (by the hour of the request or
	// return; PostgreSQL), and used and aggregation errors as the lines reported them.
	SerialsRequested  int64   `json:"serials_requested"`
	SerialsReturned   int64   `json:"serials_returned"`
	SerialsUsed       int64   `json:"serials_used"`
	AggregationErrors int64   `json:"aggregation_errors"`
	Availability      float64 `json:"availability"`
	Performance       float64 `json:"performance"`
	Quality           float64 `json:"quality"`
	OEE               float64 `json:"oee"`
}

func (f *OEEFigures) add(g OEEFigures) {
	f.PlannedMin += g.PlannedMin
	f.RunMin += g.RunMin
	f.DownMin += g.DownMin
	f.Good += g.Good
	f.Rejected += g.Rejected
	f.IdealOutput += g.IdealOutput
	f.SerialsRequested += g.SerialsRequested
	f.SerialsReturned += g.SerialsReturned
	f.SerialsUsed += g.SerialsUsed
	f.AggregationErrors += g.AggregationErrors
}

// finish computes the ratios from the sums.
func (f *OEEFigures) finish() {
	f.Availability, f.Performance, f.Quality, f.OEE = 0, 0, 0, 0
	if f.PlannedMin > 0 {
		f.Availability = f.RunMin / f.PlannedMin
	}
	total := float64(f.Good + f.Rejected)
	if f.IdealOutput > 0 {
		f.Performance = total / f.IdealOutput
	}
	if total > 0 {
		f.Quality = float64(f.Good) / total
	}
	f.OEE = f.Availability * f.Performance * f.Quality
}

// OEERow is the figures of one line (or the whole site when Line is empty) over a day, a
// shift of a day, or the whole query (Day empty).
type OEERow struct {
	Line  string `json:"line,omitempty"`
	Day   string `json:"day,omitempty"`
	Shift string `json:"shift,omitempty"`
	OEEFigures
}

// ReasonMinutes is one bar of the downtime Pareto.
type ReasonMinutes struct {
	Reason     string  `json:"reason"`
	State      string  `json:"state"`
	Minutes    float64 `json:"minutes"`
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative"`
}

// ReasonCount is one bar of the rejects by reason.
type ReasonCount struct {
	Reason string  `json:"reason"`
	Count  int64   `json:"count"`
	Share  float64 `json:"share"`
}

// SerializationKPIs compare the serials requested from the hub with what the lines used and
// what was commissioned.
type SerializationKPIs struct {
	SerialsRequested  int64 `json:"serials_requested"`  // requested from the serial pools (exact)
	SerialsReturned   int64 `json:"serials_returned"`   // given back unused (exact)
	SerialsUsed       int64 `json:"serials_used"`       // reported by the lines
	Good              int64 `json:"good"`               // good packs reported by the lines
	Commissioned      int64 `json:"commissioned"`       // distinct serials commissioned in EPCIS (approximate, ±2%)
	AggregationErrors int64 `json:"aggregation_errors"` // reported by the lines
	// UsedPerGood is serials used per good pack (1.0 when no serial is wasted on rejects).
	UsedPerGood float64 `json:"used_per_good"`
}

// OEEResponse is the answer of the OEE API.
type OEEResponse struct {
	Query         OEEQuery          `json:"query"`
	Site          OEEFigures        `json:"site"`
	Lines         []OEERow          `json:"lines"`
	SiteDays      []OEERow          `json:"site_days"`
	LineDays      []OEERow          `json:"line_days"`
	Shifts        []OEERow          `json:"shifts"`
	Downtime      []ReasonMinutes   `json:"downtime"`
	Rejects       []ReasonCount     `json:"rejects"`
	Serialization SerializationKPIs `json:"serialization"`
}

// shiftOf names the shift of an hour (UTC): early 06–14, late 14–22, night 22–06. Night hours
// after midnight belong to the day the shift started.
func shiftOf(h time.Time) (day, shift string) {
	switch hr := h.Hour(); {
	case hr >= 6 && hr < 14:
		return h.Format(time.DateOnly), "early"
	case hr >= 14 && hr < 22:
		return h.Format(time.DateOnly), "late"
	case hr >= 22:
		return h.Format(time.DateOnly), "night"
	default:
		return h.Add(-24 * time.Hour).Format(time.DateOnly), "night"
	}
}

// hourBucket is what one line did in one hour.
type hourBucket struct {
	states          []stateSeconds // seconds per state, a few states an hour
	good, rejected  int64
	used, aggErrors int64
	requested       int64 // serials requested in the hour
	returned        int64 // serials returned in the hour
	idealRate       float64
	hasCounts       bool
	// starts holds the start (seconds into the hour) of each count record read, to tell a
	// record stored twice; startsBuf holds the first few.
	starts    []uint16
	startsBuf [4]uint16
}

// firstRead records a count record starting off seconds into the hour and reports whether it
// is the first with that start.
func (b *hourBucket) firstRead(off uint16) bool {
	if b.starts == nil {
		b.starts = b.startsBuf[:0]
	}
	if slices.Contains(b.starts, off) {
		return false
	}
	b.starts = append(b.starts, off)
	return true
}

// stateSeconds is the seconds a line spent in a state.
type stateSeconds struct {
	state string
	sec   float64
}

// addState adds sec seconds in state st.
func (b *hourBucket) addState(st string, sec float64) {
	for i := range b.states {
		if b.states[i].state == st {
			b.states[i].sec += sec
			return
		}
	}
	b.states = append(b.states, stateSeconds{st, sec})
}

// stateLookback is how far before the window the state a line was in at From is looked for.
const stateLookback = 7 * 24 * time.Hour

// OEE computes the line analytics of the query.
func (s *Store) OEE(ctx context.Context, oq OEEQuery) (OEEResponse, error) {
	if err := oq.Validate(); err != nil {
		return OEEResponse{}, err
	}
	all, err := s.oee(ctx, oq)
	if err != nil {
		return OEEResponse{}, err
	}
	if r, ok := all[oq.Site]; ok {
		return *r, nil
	}
	return OEEResponse{Query: oq}, nil
}

// OEEAllSites computes the line analytics of every site over [from, to) with the same
// queries one site takes (the figures of 60 lines over 30 days at once), keyed by site.
func (s *Store) OEEAllSites(ctx context.Context, from, to time.Time) (map[string]OEEResponse, error) {
	oq := OEEQuery{From: from, To: to}
	if err := oq.validateSpan(); err != nil {
		return nil, err
	}
	all, err := s.oee(ctx, oq)
	if err != nil {
		return nil, err
	}
	out := make(map[string]OEEResponse, len(all))
	for site, r := range all {
		out[site] = *r
	}
	return out, nil
}

// siteLine is the key of a line.
type siteLine struct{ site, line string }

// oee computes the line analytics of oq's site, or of every site when oq.Site is empty.
func (s *Store) oee(ctx context.Context, oq OEEQuery) (map[string]*OEEResponse, error) {
	filter := ""
	if oq.Site != "" {
		filter += " AND site_id = " + lit(oq.Site)
	}
	if oq.Line != "" {
		filter += " AND line_id = " + lit(oq.Line)
	}
	end := oq.To
	if now := time.Now().UTC().Truncate(time.Second); end.After(now) {
		end = now // the future has no state yet
	}
	resps := map[string]*OEEResponse{}
	resp := func(site string) *OEEResponse {
		r := resps[site]
		if r == nil {
			q := oq
			q.Site = site
			r = &OEEResponse{Query: q}
			resps[site] = r
		}
		return r
	}
	var buckets map[siteLine]map[int64]*hourBucket // line → hour (unix) → bucket, from the counts
	bucket := func(sl siteLine, h int64) *hourBucket {
		m := buckets[sl]
		if m == nil {
			m = map[int64]*hourBucket{}
			buckets[sl] = m
		}
		b := m[h]
		if b == nil {
			b = &hourBucket{}
			m[h] = b
		}
		return b
	}

	// States: the changes in the window and the last one before it, one per instant.
	type change struct {
		at            time.Time
		state, reason string
	}
	changes := map[siteLine][]change{}
	// The three ClickHouse queries (and the PostgreSQL one of serials requested) run at once;
	// each fills only its own maps while they run.
	commissioned := map[string]uint64{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// FINAL: a record sent again replaces the first (the newest inserted_at wins).
		rows, err := s.conn.Query(gctx, `SELECT site_id, line_id, at, state, reason
			FROM line_states FINAL
			WHERE at >= `+litTime(oq.From.Add(-stateLookback))+` AND at < `+litTime(oq.To)+filter+`
			ORDER BY site_id, line_id, at`)
		if err != nil {
			return fmt.Errorf("oee: states: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var sl siteLine
			var c change
			if err := rows.Scan(&sl.site, &sl.line, &c.at, &c.state, &c.reason); err != nil {
				return fmt.Errorf("oee: states: %w", err)
			}
			cs := changes[sl]
			if !c.at.After(oq.From) && len(cs) > 0 && !cs[len(cs)-1].at.After(oq.From) {
				cs[len(cs)-1] = c // only the last change before the window matters
			} else {
				cs = append(cs, c)
			}
			changes[sl] = cs
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oee: states: %w", err)
		}
		return nil
	})
	var counts *lineCounts
	g.Go(func() (err error) {
		counts, err = s.readLineCounts(gctx, oq, filter, false)
		if errors.Is(err, errResent) {
			counts, err = s.readLineCounts(gctx, oq, filter, true)
		}
		return err
	})
	g.Go(func() error {
		// Serials commissioned in the window (whole days).
		rows, err := s.conn.Query(gctx, `SELECT site_id, uniqHLL12Merge(packs) FROM commissioned_hll
			WHERE day >= toDate(`+litTime(oq.From)+`) AND day < toDate(`+litTime(oq.To)+`)`+filter+`
			GROUP BY site_id`)
		if err != nil {
			return fmt.Errorf("oee: commissioned: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var site string
			var n uint64
			if err := rows.Scan(&site, &n); err != nil {
				return fmt.Errorf("oee: commissioned: %w", err)
			}
			commissioned[site] = n
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oee: commissioned: %w", err)
		}
		return nil
	})
	var serialHours []serialHour
	if s.pg != nil {
		g.Go(func() error {
			var err error
			serialHours, err = s.serialsRequested(gctx, oq)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	buckets = counts.hours // the states and serials requested add to the counts' hours
	for _, x := range serialHours {
		b := bucket(x.line, x.hour)
		b.requested += x.requested
		b.returned += x.returned
	}
	downtime := map[string]map[[2]string]float64{}
	for sl, cs := range changes {
		for i, c := range cs {
			from, to := c.at, end
			if i+1 < len(cs) {
				to = cs[i+1].at
			}
			if from.Before(oq.From) {
				from = oq.From
			}
			if !to.After(from) {
				continue
			}
			if c.state != StateRunning && c.state != StatePlanned {
				if downtime[sl.site] == nil {
					downtime[sl.site] = map[[2]string]float64{}
				}
				downtime[sl.site][[2]string{c.state, c.reason}] += to.Sub(from).Minutes()
			}
			// Spread the interval over the hours it covers.
			for t := from; t.Before(to); {
				h := t.Truncate(time.Hour)
				next := h.Add(time.Hour)
				if next.After(to) {
					next = to
				}
				bucket(sl, h.Unix()).addState(c.state, next.Sub(t).Seconds())
				t = next
			}
		}
	}

	for site, reasons := range counts.rejects {
		resp(site).Rejects = rejectShares(reasons)
	}
	for site, k := range counts.kpis {
		resp(site).Serialization = *k
	}
	for site, n := range commissioned {
		resp(site).Serialization.Commissioned = int64(n)
	}
	bySite := map[string]map[string]map[int64]*hourBucket{}
	for sl, hours := range buckets {
		if bySite[sl.site] == nil {
			bySite[sl.site] = map[string]map[int64]*hourBucket{}
		}
		bySite[sl.site][sl.line] = hours
	}
	for site, lines := range bySite {
		resp(site).fold(lines)
	}
	for site, r := range resps {
		r.Serialization.SerialsRequested, r.Serialization.SerialsReturned = r.Site.SerialsRequested, r.Site.SerialsReturned
		if k := &r.Serialization; k.Good > 0 {
			k.UsedPerGood = float64(k.SerialsUsed) / float64(k.Good)
		}
		r.Downtime = pareto(downtime[site])
	}
	return resps, nil
}

// lineCounts is what the line counts of a window add up to.
type lineCounts struct {
	hours   map[siteLine]map[int64]*hourBucket // line → hour (unix) → bucket
	kpis    map[string]*SerializationKPIs      // by site
	rejects map[string]map[string]int64        // site → reason → rejected packs
}

// errResent: a record of the window is stored more than once (sent again and not yet merged).
var errResent = errors.New("a line count record is stored more than once")

// readLineCounts reads the line counts of oq's window (filter: the site and line conditions)
// and sums them per line and UTC hour, and the rejects per site and reason. Summing in
// ClickHouse (GROUP BY site_id, line_id, hour: 43,200 groups of two strings for 60 lines × 30
// days) cost twice the server time of reading the rows.
//
// A record sent again replaces the first (the newest inserted_at wins), which FINAL does; but
// on 18.16 FINAL merges the reject arrays row by row, 110-230 ms for 172,800 records against
// 45 ms without. So the first read (final false) is without FINAL and returns errResent at the
// first record it meets twice; the caller then reads again with FINAL. PREWHERE on start_at is
// safe with FINAL: it is part of the key, so every version of a record passes or none does.
func (s *Store) readLineCounts(ctx context.Context, oq OEEQuery, filter string, final bool) (*lineCounts, error) {
	from := "line_counts"
	if final {
		from += " FINAL"
	}
	// The rejects of a record come as one text, "count:length:reason" for each reason (the
	// driver scans an array column by reflection, which cost more than the rest of the read).
	rows, err := s.conn.Query(ctx, `SELECT site_id, line_id, start_at, good, rejected,
			serials_used, aggregation_errors, ideal_rate,
			arrayStringConcat(arrayMap((r, n) -> concat(toString(n), ':', toString(length(r)), ':', r),
				reject_reasons, reject_counts))
		FROM `+from+`
		PREWHERE start_at >= `+litTime(oq.From)+` AND start_at < `+litTime(oq.To)+filter)
	if err != nil {
		return nil, fmt.Errorf("oee: counts: %w", err)
	}
	defer rows.Close()
	out := &lineCounts{hours: map[siteLine]map[int64]*hourBucket{}, kpis: map[string]*SerializationKPIs{},
		rejects: map[string]map[string]int64{}}
	var sl siteLine
	var hours map[int64]*hourBucket // out.hours[sl]
	var k *SerializationKPIs        // out.kpis[sl.site]
	var rej map[string]int64        // out.rejects[sl.site]
	var site, line string
	var at time.Time
	var good, r, u, a uint32
	var rate float64
	var rejects string
	for rows.Next() {
		if err := rows.Scan(&site, &line, &at, &good, &r, &u, &a, &rate, &rejects); err != nil {
			return nil, fmt.Errorf("oee: counts: %w", err)
		}
		if hours == nil || site != sl.site || line != sl.line {
			sl = siteLine{site, line}
			if hours = out.hours[sl]; hours == nil {
				hours = map[int64]*hourBucket{}
				out.hours[sl] = hours
			}
			if k = out.kpis[site]; k == nil {
				k = &SerializationKPIs{}
				out.kpis[site] = k
			}
			if rej = out.rejects[site]; rej == nil {
				rej = map[string]int64{}
				out.rejects[site] = rej
			}
		}
		t := at.Unix()
		h := t - t%3600
		b := hours[h]
		if b == nil {
			b = &hourBucket{}
			hours[h] = b
		}
		if !final && !b.firstRead(uint16(t-h)) {
			return nil, errResent
		}
		b.good += int64(good)
		b.rejected += int64(r)
		b.used += int64(u)
		b.aggErrors += int64(a)
		b.idealRate = max(b.idealRate, rate)
		b.hasCounts = true
		k.SerialsUsed += int64(u)
		k.Good += int64(good)
		k.AggregationErrors += int64(a)
		if err := eachReject(rejects, func(reason string, n int64) { rej[reason] += n }); err != nil {
			return nil, fmt.Errorf("oee: counts: %s %s at %s: %w", site, line, at.UTC().Format(time.RFC3339), err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("oee: counts: %w", err)
	}
	return out, nil
}

// eachReject calls f with each reason and count of a text "count:length:reason..." (the
// length in bytes, so that a reason may hold any character).
func eachReject(s string, f func(reason string, n int64)) error {
	for s != "" {
		count, rest, ok1 := strings.Cut(s, ":")
		length, rest, ok2 := strings.Cut(rest, ":")
		n, err1 := strconv.ParseInt(count, 10, 64)
		l, err2 := strconv.Atoi(length)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || l < 0 || l > len(rest) {
			return fmt.Errorf("bad rejects text at %q", s[:min(len(s), 40)])
		}
		f(rest[:l], n)
		s = rest[l:]
	}
	return nil
}

// rejectShares is the rejects by reason, most first (then by reason), with their shares.
func rejectShares(reasons map[string]int64) []ReasonCount {
	var out []ReasonCount
	total := int64(0)
	for reason, n := range reasons {
		out = append(out, ReasonCount{Reason: reason, Count: n})
		total += n
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	for i := range out {
		if total > 0 {
			out[i].Share = float64(out[i].Count) / float64(total)
		}
	}
	return out
}

// serialHour is what a line requested and returned in one hour (unix seconds).
type serialHour struct {
	line                      siteLine
	hour, requested, returned int64
}

// serialsRequested reads the serials requested and returned per line and hour in oq's window
// from PostgreSQL, where the serial pools live: a few rows per line and day, by time index.
func (s *Store) serialsRequested(ctx context.Context, oq OEEQuery) ([]serialHour, error) {
	rows, err := s.pg.Query(ctx, q.Get("SerialsRequestedReturned"), oq.From, oq.To, oq.Site, oq.Line)
	if err != nil {
		return nil, fmt.Errorf("oee: serials requested: %w", err)
	}
	var out []serialHour
	var kind string
	var x serialHour
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&kind, &x.line.site, &x.line.line, &x.hour, &n}, func() error {
		x.requested, x.returned = 0, 0
		if kind == "requested" {
			x.requested = n
		} else {
			x.returned = n
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("oee: serials requested: %w", err)
	}
	return out, nil
}

// fold sums the hour buckets into lines, days, shifts and the site.
func (resp *OEEResponse) fold(buckets map[string]map[int64]*hourBucket) {
	lines := map[string]*OEEFigures{}
	siteDays := map[string]*OEEFigures{}
	lineDays := map[[2]string]*OEEFigures{}
	shifts := map[[3]string]*OEEFigures{}
	days := map[int64][3]string{} // hour → its calendar day, its shift's day, its shift
	for line, hours := range buckets {
		// A line's ideal rate in an hour without counts is its highest known rate.
		maxRate := 0.0
		for _, b := range hours {
			maxRate = max(maxRate, b.idealRate)
		}
		for h, b := range hours {
			var f OEEFigures
			for _, ss := range b.states {
				st, sec := ss.state, ss.sec
				if st == StatePlanned {
					continue
				}
				f.PlannedMin += sec / 60
				if st == StateRunning {
					f.RunMin += sec / 60
				} else {
					f.DownMin += sec / 60
				}
			}
			rate := b.idealRate
			if rate == 0 {
				rate = maxRate
			}
			f.Good, f.Rejected, f.IdealOutput = b.good, b.rejected, f.RunMin*rate
			f.SerialsRequested, f.SerialsReturned, f.SerialsUsed, f.AggregationErrors = b.requested, b.returned, b.used, b.aggErrors
			d, ok := days[h] // the same hours for every line: worked out once
			if !ok {
				hour := time.Unix(h, 0).UTC()
				day, shift := shiftOf(hour)
				d = [3]string{hour.Format(time.DateOnly), day, shift}
				days[h] = d
			}
			calDay, day, shift := d[0], d[1], d[2]
			resp.Site.add(f)
			figuresOf(lines, line).add(f)
			figuresOf(siteDays, calDay).add(f)
			figuresOf(lineDays, [2]string{line, calDay}).add(f)
			figuresOf(shifts, [3]string{line, day, shift}).add(f)
		}
	}
	resp.Site.finish()
	for l, f := range lines {
		f.finish()
		resp.Lines = append(resp.Lines, OEERow{Line: l, OEEFigures: *f})
	}
	for d, f := range siteDays {
		f.finish()
		resp.SiteDays = append(resp.SiteDays, OEERow{Day: d, OEEFigures: *f})
	}
	for k, f := range lineDays {
		f.finish()
		resp.LineDays = append(resp.LineDays, OEERow{Line: k[0], Day: k[1], OEEFigures: *f})
	}
	for k, f := range shifts {
		f.finish()
		resp.Shifts = append(resp.Shifts, OEERow{Line: k[0], Day: k[1], Shift: k[2], OEEFigures: *f})
	}
	less := func(rows []OEERow) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := rows[i], rows[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			if a.Day != b.Day {
				return a.Day < b.Day
			}
			return shiftOrder[a.Shift] < shiftOrder[b.Shift]
		}
	}
	for _, rs := range [][]OEERow{resp.Lines, resp.SiteDays, resp.LineDays, resp.Shifts} {
		sort.Slice(rs, less(rs))
	}
}

// figuresOf is m[k], added if missing.
func figuresOf[K comparable](m map[K]*OEEFigures, k K) *OEEFigures {
	f := m[k]
	if f == nil {
		f = &OEEFigures{}
		m[k] = f
	}
	return f
}

var shiftOrder = map[string]int{"early": 0, "late": 1, "night": 2}

// pareto orders downtime by minutes, largest first, with shares and the running share.
func pareto(m map[[2]string]float64) []ReasonMinutes {
	var out []ReasonMinutes
	total := 0.0
	for k, v := range m {
		out = append(out, ReasonMinutes{State: k[0], Reason: k[1], Minutes: v})
		total += v
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Minutes != out[j].Minutes {
			return out[i].Minutes > out[j].Minutes
		}
		return out[i].State+out[i].Reason < out[j].State+out[j].Reason
	})
	cum := 0.0
	for i := range out {
		out[i].Share = out[i].Minutes / total
		cum += out[i].Share
		out[i].Cumulative = cum
	}
	return out
}
