package analytics

import (
	"context"
	"fmt"
	"sort"
	"time"

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
	switch {
	case oq.Site == "":
		return domain.Errorf(domain.CodeInvalid, "site is required")
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
	PlannedMin   float64 `json:"planned_min"` // planned production time
	RunMin       float64 `json:"run_min"`
	DownMin      float64 `json:"down_min"` // unplanned stops, changeovers and idle time
	Good         int64   `json:"good"`
	Rejected     int64   `json:"rejected"`
	IdealOutput  float64 `json:"ideal_output"` // packs the line would have made at its ideal rate while running
	Availability float64 `json:"availability"`
	Performance  float64 `json:"performance"`
	Quality      float64 `json:"quality"`
	OEE          float64 `json:"oee"`
}

func (f *OEEFigures) add(g OEEFigures) {
	f.PlannedMin += g.PlannedMin
	f.RunMin += g.RunMin
	f.DownMin += g.DownMin
	f.Good += g.Good
	f.Rejected += g.Rejected
	f.IdealOutput += g.IdealOutput
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

// SerializationKPIs compare what the lines used with what was commissioned.
type SerializationKPIs struct {
	SerialsUsed       int64 `json:"serials_used"`       // reported by the lines
	Good              int64 `json:"good"`               // good packs reported by the lines
	Commissioned      int64 `json:"commissioned"`       // distinct serials commissioned in EPCIS (approximate, ±1%)
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
	stateSec        map[string]float64
	good, rejected  int64
	used, aggErrors int64
	idealRate       float64
	hasCounts       bool
}

// stateLookback is how far before the window the state a line was in at From is looked for.
const stateLookback = 7 * 24 * time.Hour

// OEE computes the line analytics of the query.
func (s *Store) OEE(ctx context.Context, oq OEEQuery) (OEEResponse, error) {
	if err := oq.Validate(); err != nil {
		return OEEResponse{}, err
	}
	resp := OEEResponse{Query: oq}
	lineFilter := ""
	if oq.Line != "" {
		lineFilter = " AND line_id = " + lit(oq.Line)
	}
	site := lit(oq.Site)
	end := oq.To
	if now := time.Now().UTC().Truncate(time.Second); end.After(now) {
		end = now // the future has no state yet
	}
	buckets := map[string]map[int64]*hourBucket{} // line → hour (unix) → bucket
	bucket := func(line string, h int64) *hourBucket {
		m := buckets[line]
		if m == nil {
			m = map[int64]*hourBucket{}
			buckets[line] = m
		}
		b := m[h]
		if b == nil {
			b = &hourBucket{stateSec: map[string]float64{}}
			m[h] = b
		}
		return b
	}

	// States: the changes in the window and the last one before it, one per instant.
	type change struct {
		at            time.Time
		state, reason string
	}
	changes := map[string][]change{}
	// The four queries run at once; only the counts touch the buckets while they run.
	var kpi SerializationKPIs
	var rejTotal int64
	var commissioned uint64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		// FINAL: a record sent again replaces the first (the newest inserted_at wins).
		rows, err := s.conn.Query(gctx, `SELECT line_id, at, state, reason
			FROM line_states FINAL
			WHERE site_id = `+site+lineFilter+` AND at >= `+litTime(oq.From.Add(-stateLookback))+` AND at < `+litTime(oq.To)+`
			ORDER BY line_id, at`)
		if err != nil {
			return fmt.Errorf("oee: states: %w", err)
		}
		for rows.Next() {
			var line string
			var c change
			if err := rows.Scan(&line, &c.at, &c.state, &c.reason); err != nil {
				rows.Close()
				return fmt.Errorf("oee: states: %w", err)
			}
			cs := changes[line]
			if !c.at.After(oq.From) && len(cs) > 0 && !cs[len(cs)-1].at.After(oq.From) {
				cs[len(cs)-1] = c // only the last change before the window matters
			} else {
				cs = append(cs, c)
			}
			changes[line] = cs
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oee: states: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		// Counts per line and hour.
		rows, err := s.conn.Query(gctx, `SELECT line_id, toStartOfHour(start_at) AS h, sum(good), sum(rejected),
				sum(serials_used), sum(aggregation_errors), max(ideal_rate)
			FROM line_counts FINAL
			WHERE site_id = `+site+lineFilter+` AND start_at >= `+litTime(oq.From)+` AND start_at < `+litTime(oq.To)+`
			GROUP BY line_id, h`)
		if err != nil {
			return fmt.Errorf("oee: counts: %w", err)
		}
		for rows.Next() {
			var line string
			var h time.Time
			var good, r, u, a uint64
			var rate float64
			if err := rows.Scan(&line, &h, &good, &r, &u, &a, &rate); err != nil {
				rows.Close()
				return fmt.Errorf("oee: counts: %w", err)
			}
			b := bucket(line, h.Unix())
			b.good, b.rejected, b.used, b.aggErrors, b.idealRate, b.hasCounts = int64(good), int64(r), int64(u), int64(a), rate, true
			kpi.SerialsUsed += int64(u)
			kpi.Good += int64(good)
			kpi.AggregationErrors += int64(a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oee: counts: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		// Rejects by reason over the window.
		rows, err := s.conn.Query(gctx, `SELECT reason, sum(n)
			FROM line_counts FINAL ARRAY JOIN reject_reasons AS reason, reject_counts AS n
			WHERE site_id = `+site+lineFilter+` AND start_at >= `+litTime(oq.From)+` AND start_at < `+litTime(oq.To)+`
			GROUP BY reason ORDER BY sum(n) DESC, reason`)
		if err != nil {
			return fmt.Errorf("oee: rejects: %w", err)
		}
		for rows.Next() {
			var rc ReasonCount
			var n uint64
			if err := rows.Scan(&rc.Reason, &n); err != nil {
				rows.Close()
				return fmt.Errorf("oee: rejects: %w", err)
			}
			rc.Count = int64(n)
			rejTotal += rc.Count
			resp.Rejects = append(resp.Rejects, rc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oee: rejects: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		// Serials commissioned in the window (whole days).
		if err := s.conn.QueryRow(gctx, `SELECT uniqMerge(packs) FROM commissioned_daily
			WHERE site_id = `+site+lineFilter+` AND day >= toDate(`+litTime(oq.From)+`) AND day < toDate(`+litTime(oq.To)+`)`).Scan(&commissioned); err != nil {
			return fmt.Errorf("oee: commissioned: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return resp, err
	}
	downtime := map[[2]string]float64{}
	for line, cs := range changes {
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
				downtime[[2]string{c.state, c.reason}] += to.Sub(from).Minutes()
			}
			// Spread the interval over the hours it covers.
			for t := from; t.Before(to); {
				h := t.Truncate(time.Hour)
				next := h.Add(time.Hour)
				if next.After(to) {
					next = to
				}
				bucket(line, h.Unix()).stateSec[c.state] += next.Sub(t).Seconds()
				t = next
			}
		}
	}

	for i := range resp.Rejects {
		resp.Rejects[i].Share = float64(resp.Rejects[i].Count) / float64(rejTotal)
	}

	kpi.Commissioned = int64(commissioned)
	if kpi.Good > 0 {
		kpi.UsedPerGood = float64(kpi.SerialsUsed) / float64(kpi.Good)
	}
	resp.Serialization = kpi

	resp.fold(buckets)
	resp.Downtime = pareto(downtime)
	return resp, nil
}

// fold sums the hour buckets into lines, days, shifts and the site.
func (resp *OEEResponse) fold(buckets map[string]map[int64]*hourBucket) {
	lines := map[string]*OEEFigures{}
	siteDays := map[string]*OEEFigures{}
	lineDays := map[[2]string]*OEEFigures{}
	shifts := map[[3]string]*OEEFigures{}
	get := func(m map[string]*OEEFigures, k string) *OEEFigures {
		if m[k] == nil {
			m[k] = &OEEFigures{}
		}
		return m[k]
	}
	for line, hours := range buckets {
		// A line's ideal rate in an hour without counts is its highest known rate.
		maxRate := 0.0
		for _, b := range hours {
			maxRate = max(maxRate, b.idealRate)
		}
		for h, b := range hours {
			var f OEEFigures
			for st, sec := range b.stateSec {
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
			hour := time.Unix(h, 0).UTC()
			day, shift := shiftOf(hour)
			calDay := hour.Format(time.DateOnly)
			resp.Site.add(f)
			get(lines, line).add(f)
			get(siteDays, calDay).add(f)
			if lineDays[[2]string{line, calDay}] == nil {
				lineDays[[2]string{line, calDay}] = &OEEFigures{}
			}
			lineDays[[2]string{line, calDay}].add(f)
			if shifts[[3]string{line, day, shift}] == nil {
				shifts[[3]string{line, day, shift}] = &OEEFigures{}
			}
			shifts[[3]string{line, day, shift}].add(f)
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
