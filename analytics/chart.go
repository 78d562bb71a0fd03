package analytics

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteOEEChart draws resp as an SVG bar chart: OEE per line for a site, or per day when the
// query named one line; each bar is split into availability, performance and quality ticks
// beside it, so the eye finds the weak factor. Only the standard library: the chart is text.
func WriteOEEChart(w io.Writer, resp OEEResponse) error {
	rows := resp.Lines
	label := func(r OEERow) string { return r.Line }
	title := fmt.Sprintf("OEE per line — site %s, %s to %s", resp.Query.Site,
		resp.Query.From.Format("2006-01-02"), resp.Query.To.Format("2006-01-02"))
	if resp.Query.Line != "" {
		rows = resp.LineDays
		label = func(r OEERow) string { return r.Day[5:] }
		title = fmt.Sprintf("OEE per day — site %s line %s", resp.Query.Site, resp.Query.Line)
	}
	const (
		barW, gap, left, top, plotH = 28, 10, 50, 40, 240
	)
	width := max(left+max(len(rows), 1)*(barW+gap)+20, 560) // room for the two lines of text
	height := top + plotH + 86
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="34" fill="#555">site OEE %.1f%% (A %.1f%% × P %.1f%% × Q %.1f%%)</text>`+"\n", left,
		100*resp.Site.OEE, 100*resp.Site.Availability, 100*resp.Site.Performance, 100*resp.Site.Quality)
	for _, pct := range []int{0, 25, 50, 75, 100} {
		y := top + plotH - pct*plotH/100
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" text-anchor="end">%d%%</text>`+"\n",
			left, y, width-10, y, left-5, y+4, pct)
	}
	for i, r := range rows {
		x := left + gap/2 + i*(barW+gap)
		h := int(min(r.OEE, 1) * plotH)
		color := "#c0392b"
		switch {
		case r.OEE >= 0.85:
			color = "#27ae60"
		case r.OEE >= 0.6:
			color = "#f39c12"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s: OEE %.1f%%, A %.1f%%, P %.1f%%, Q %.1f%%; serials requested %d, returned %d, used %d</title></rect>`+"\n",
			x, top+plotH-h, barW, h, color, html.EscapeString(label(r)), 100*r.OEE, 100*r.Availability, 100*r.Performance, 100*r.Quality,
			r.SerialsRequested, r.SerialsReturned, r.SerialsUsed)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" transform="rotate(-60 %d %d)">%s</text>`+"\n",
			x+barW/2, top+plotH+12, x+barW/2, top+plotH+12, html.EscapeString(label(r)))
	}
	k := resp.Serialization
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">serials: %d requested, %d returned, %d used, %d commissioned; %d aggregation errors</text>`+"\n",
		left, height-8, k.SerialsRequested, k.SerialsReturned, k.SerialsUsed, k.Commissioned, k.AggregationErrors)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
