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
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/sites"
)

// openStoredDocument lets `analytics rebuild` read documents where intake stored them.
func openStoredDocument(pg *pgxpool.Pool) analytics.OpenDocumentFunc {
	st := sites.NewStore(pg)
	return func(ctx context.Context, receiptID string) (string, io.Reader, error) {
		d, body, err := st.OpenDocument(ctx, receiptID)
		return d.Format, body, err
	}
}

// runSensors prints the EPCIS 2.0 sensor readings of a site per measurement type.
func runSensors(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sensors", flag.ContinueOnError)
	site := fs.String("site", "", "site id (a site key: its own site by default; an admin key: every site)")
	typ := fs.String("type", "", "measurement type: Temperature, gs1:Temperature or the web URI")
	from := fs.String("from", "", "first day (YYYY-MM-DD) or RFC 3339 time of the readings")
	to := fs.String("to", "", "last day (YYYY-MM-DD, inclusive) or RFC 3339 time")
	byEPC := fs.Bool("by-epc", false, "also per identifier of the readings' events")
	format := fs.String("format", "table", "table, json or csv")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: serialhub sensors [--site S] [--type T] [--from D --to D] [--by-epc] [--format table|json|csv]")
	}
	q := url.Values{}
	for k, v := range map[string]string{"site": *site, "type": *typ, "from": *from, "to": *to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *byEPC {
		q.Set("by", "epc")
	}
	var r analytics.SensorResponse
	if _, err := newClient(cfg).do(ctx, http.MethodGet, "/v1/sensors?"+q.Encode(), "", nil, &r); err != nil {
		return err
	}
	rows := append(append([]analytics.SensorStats{}, r.Types...), r.ByEPC...)
	opt := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		w := csv.NewWriter(out)
		_ = w.Write([]string{"type", "uom", "epc", "readings", "with_value", "min", "max", "avg", "exceptions", "events", "first", "last"})
		for _, x := range rows {
			_ = w.Write([]string{x.Type, x.UOM, x.EPC, strconv.FormatUint(x.Readings, 10), strconv.FormatUint(x.WithValue, 10),
				opt(x.Min), opt(x.Max), opt(x.Avg), strconv.FormatUint(x.Exceptions, 10), strconv.FormatUint(x.Events, 10),
				x.First.Format(time.RFC3339), x.Last.Format(time.RFC3339)})
		}
		w.Flush()
		return w.Error()
	case "table":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tUOM\tEPC\tREADINGS\tMIN\tMAX\tAVG\tEXCEPTIONS\tEVENTS\tFIRST\tLAST")
		for _, x := range rows {
			avg := ""
			if x.Avg != nil {
				avg = strconv.FormatFloat(*x.Avg, 'f', 3, 64)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", x.Type, x.UOM, x.EPC, x.Readings, opt(x.Min), opt(x.Max),
				avg, x.Exceptions, x.Events, x.First.Format(time.RFC3339), x.Last.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return fmt.Errorf("--format %q: want table, json or csv", *format)
}
