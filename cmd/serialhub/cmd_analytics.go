package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/clickhouse"
	"github.com/serialhub/serialhub/schemas/postgres"
)

// runTrace prints the history and genealogy of one pack, case or pallet.
func runTrace(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	gtin := fs.String("gtin", "", "GTIN, when the argument is a bare serial")
	format := fs.String("format", "table", "table or json")
	// Flags may come after the identifier.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	}
	if id == "" {
		return fmt.Errorf("usage: serialhub trace EPC|ELEMENT-STRING|DIGITAL-LINK|SERIAL [--gtin G] [--format table|json]")
	}
	var tr analytics.TraceResponse
	path := "/v1/trace?id=" + url.QueryEscape(id)
	if *gtin != "" {
		path += "&gtin=" + url.QueryEscape(*gtin)
	}
	if _, err := newClient(cfg).do(ctx, http.MethodGet, path, "", nil, &tr); err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(tr)
	}
	printTrace(out, tr)
	return nil
}

func printTrace(out io.Writer, tr analytics.TraceResponse) {
	fmt.Fprintf(out, "%s\n", tr.EPC)
	if tr.GTIN != "" {
		fmt.Fprintf(out, "  GTIN %s serial %s lot %s expiry %s\n", tr.GTIN, tr.Serial, tr.Lot, tr.Expiry)
	}
	fmt.Fprintf(out, "  state %s; in %s\n", tr.State, orNone(strings.Join(tr.ContainersNow, " in ")))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nWHEN\tWHAT\tEVENT\tSTEP\tDISPOSITION\tPARENT\tPARTNER\tSITE")
	row := func(f analytics.Fact, who string) {
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", f.Time.UTC().Format(time.RFC3339), who, f.Type, f.Action,
			analytics.BizStepName(f.BizStep), analytics.BizStepName(f.Disposition), f.Parent, f.Partner, f.Site)
	}
	for _, f := range tr.History {
		row(f, "itself")
	}
	for _, n := range tr.Up {
		for _, f := range n.History {
			row(f, fmt.Sprintf("level %d %s", n.Level, n.EPC))
		}
	}
	tw.Flush()
	if tr.DownCount > 0 {
		fmt.Fprintf(out, "\nholds %d identifiers now:\n", tr.DownCount)
		for i, c := range tr.Down {
			if i == 50 {
				fmt.Fprintf(out, "  ... (%d more; --format json lists all)\n", tr.DownCount-50)
				break
			}
			fmt.Fprintf(out, "  %s%s (in %s)\n", strings.Repeat("  ", c.Level-1), c.EPC, c.Parent)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "no container"
	}
	return s
}

// runOEE prints line analytics of a site, or writes its SVG chart.
func runOEE(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("oee", flag.ContinueOnError)
	site := fs.String("site", "", "site id (required)")
	line := fs.String("line", "", "one line only")
	from := fs.String("from", "", "first day (YYYY-MM-DD) or RFC 3339 time (required)")
	to := fs.String("to", "", "last day (YYYY-MM-DD, inclusive) or RFC 3339 time (required)")
	format := fs.String("format", "table", "table, json or csv")
	svg := fs.String("svg", "", "also write the chart to this SVG file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *site == "" || *from == "" || *to == "" {
		return fmt.Errorf("usage: serialhub oee --site S --from DAY --to DAY [--line L] [--format table|json|csv] [--svg FILE]")
	}
	q := url.Values{"site": {*site}, "from": {*from}, "to": {*to}}
	if *line != "" {
		q.Set("line", *line)
	}
	c := newClient(cfg)
	var r analytics.OEEResponse
	if _, err := c.do(ctx, http.MethodGet, "/v1/oee?"+q.Encode(), "", nil, &r); err != nil {
		return err
	}
	if *svg != "" {
		f, err := os.Create(*svg)
		if err != nil {
			return err
		}
		werr := analytics.WriteOEEChart(f, r)
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("write %s: %w", *svg, werr)
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		w := csv.NewWriter(out)
		_ = w.Write([]string{"line", "day", "shift", "planned_min", "run_min", "down_min", "good", "rejected",
			"availability", "performance", "quality", "oee",
			"serials_requested", "serials_returned", "serials_used", "aggregation_errors"})
		for _, rows := range [][]analytics.OEERow{r.Lines, r.LineDays, r.Shifts} {
			for _, x := range rows {
				_ = w.Write([]string{x.Line, x.Day, x.Shift, ff(x.PlannedMin), ff(x.RunMin), ff(x.DownMin),
					strconv.FormatInt(x.Good, 10), strconv.FormatInt(x.Rejected, 10),
					ff(x.Availability), ff(x.Performance), ff(x.Quality), ff(x.OEE),
					strconv.FormatInt(x.SerialsRequested, 10), strconv.FormatInt(x.SerialsReturned, 10),
					strconv.FormatInt(x.SerialsUsed, 10), strconv.FormatInt(x.AggregationErrors, 10)})
			}
		}
		w.Flush()
		return w.Error()
	case "table":
		printOEE(out, r)
		return nil
	}
	return fmt.Errorf("--format %q: want table, json or csv", *format)
}

func ff(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func printOEE(out io.Writer, r analytics.OEEResponse) {
	s := r.Site
	fmt.Fprintf(out, "site %s, %s to %s: OEE %s (availability %s × performance %s × quality %s)\n",
		r.Query.Site, r.Query.From.Format(time.RFC3339), r.Query.To.Format(time.RFC3339),
		pct(s.OEE), pct(s.Availability), pct(s.Performance), pct(s.Quality))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "LINE\tOEE\tAVAIL\tPERF\tQUAL\tRUN h\tDOWN h\tGOOD\tREJECTED\tREQUESTED\tRETURNED\tUSED\tAGG ERR\t")
	for _, x := range r.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t\n", x.Line, pct(x.OEE), pct(x.Availability),
			pct(x.Performance), pct(x.Quality), x.RunMin/60, x.DownMin/60, x.Good, x.Rejected,
			x.SerialsRequested, x.SerialsReturned, x.SerialsUsed, x.AggregationErrors)
	}
	tw.Flush()
	fmt.Fprintln(out, "\ndowntime by reason (Pareto):")
	for i, d := range r.Downtime {
		if i == 10 {
			break
		}
		fmt.Fprintf(out, "  %-22s %-10s %8.0f min  %5s  (cumulative %s)\n", d.Reason, d.State, d.Minutes, pct(d.Share), pct(d.Cumulative))
	}
	fmt.Fprintln(out, "\nrejects by reason:")
	for _, x := range r.Rejects {
		fmt.Fprintf(out, "  %-22s %8d  %5s\n", x.Reason, x.Count, pct(x.Share))
	}
	k := r.Serialization
	fmt.Fprintf(out, "\nserialization: %d serials requested, %d returned, %d used, %d good packs (%.3f used per good), %d commissioned, %d aggregation errors\n",
		k.SerialsRequested, k.SerialsReturned, k.SerialsUsed, k.Good, k.UsedPerGood, k.Commissioned, k.AggregationErrors)
}

// runAnalytics runs the analytics admin commands (rebuild), directly against the stores.
func runAnalytics(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return fmt.Errorf("usage: serialhub analytics rebuild [--truncate]")
	}
	fs := flag.NewFlagSet("analytics rebuild", flag.ContinueOnError)
	truncate := fs.Bool("truncate", false, "empty the ClickHouse fact tables first")
	batch := fs.Int64("batch", 20_000, "events read from PostgreSQL per step")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pg, err := postgres.Open(ctx, cfg.PGDSN)
	if err != nil {
		return err
	}
	defer pg.Close()
	ch, err := clickhouse.Open(ctx, cfg.clickhouse(), false)
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := clickhouse.CheckCurrent(ctx, ch); err != nil {
		return err
	}
	last := time.Now()
	st, err := analytics.NewStore(ch).WithPostgres(pg).Rebuild(ctx, analytics.RebuildOptions{
		Truncate: *truncate, EventsPerBatch: *batch, OpenDocument: openStoredDocument(pg),
		Progress: func(s analytics.RebuildStats) {
			if time.Since(last) > 5*time.Second {
				last = time.Now()
				fmt.Fprintf(out, "  %d event rows so far (%s)\n", s.EventRows, s.Took.Round(time.Second))
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rebuilt ClickHouse from PostgreSQL: %d event rows, %d sensor readings, %d line states, %d line counts in %s\n",
		st.EventRows, st.SensorReadings, st.LineStates, st.LineCounts, st.Took.Round(time.Millisecond))
	return nil
}
