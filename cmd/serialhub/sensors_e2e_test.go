package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/schemas/domain"
)

// sensorKey groups readings the way the answer does: measurement type (its local name, so
// that "Temperature", "gs1:Temperature" and the web URI agree) and unit.
type sensorKey struct{ typ, uom string }

// sensorAgg is an independent summary of a file's readings.
type sensorAgg struct {
	n, withValue  int
	min, max, sum float64
}

func (a *sensorAgg) add(v *float64) {
	a.n++
	if v == nil {
		return
	}
	if a.withValue == 0 || *v < a.min {
		a.min = *v
	}
	if a.withValue == 0 || *v > a.max {
		a.max = *v
	}
	a.withValue++
	a.sum += *v
}

func localName(typ string) string {
	if i := strings.LastIndexAny(typ, ":/"); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

// readSensorsJSON reads every sensorReport of an EPCIS 2.0 JSON-LD document with
// encoding/json alone (not the hub's decoders).
func readSensorsJSON(t *testing.T, b []byte) map[sensorKey]*sensorAgg {
	t.Helper()
	var doc struct {
		EPCISBody struct {
			EventList []struct {
				SensorElementList []struct {
					SensorReport []struct {
						Type  string   `json:"type"`
						Value *float64 `json:"value"`
						UOM   string   `json:"uom"`
					} `json:"sensorReport"`
				} `json:"sensorElementList"`
			} `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[sensorKey]*sensorAgg{}
	for _, e := range doc.EPCISBody.EventList {
		for _, se := range e.SensorElementList {
			for _, r := range se.SensorReport {
				k := sensorKey{localName(r.Type), r.UOM}
				if out[k] == nil {
					out[k] = &sensorAgg{}
				}
				out[k].add(r.Value)
			}
		}
	}
	return out
}

// readSensorsXML reads every sensorReport element of an EPCIS 2.0 XML document with
// encoding/xml's token stream.
func readSensorsXML(t *testing.T, b []byte) map[sensorKey]*sensorAgg {
	t.Helper()
	out := map[sensorKey]*sensorAgg{}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sensorReport" {
			continue
		}
		var k sensorKey
		var v *float64
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "type":
				k.typ = localName(a.Value)
			case "uom":
				k.uom = a.Value
			case "value":
				f, err := strconv.ParseFloat(a.Value, 64)
				if err != nil {
					t.Fatal(err)
				}
				v = &f
			}
		}
		if out[k] == nil {
			out[k] = &sensorAgg{}
		}
		out[k].add(v)
	}
}

// TestSensorReadings: the official and openepcis EPCIS 2.0 examples with sensor data are
// uploaded (each to a site of its own), then sent again as a changed document (the same
// events), and `serialhub sensors` gives, per type and unit, the count, min, max and average
// an independent reading of the file gives — once, not twice. A rebuild adds nothing; a
// rebuild from scratch (the readings re-read from the stored documents) gives the same.
func TestSensorReadings(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "vectors", "epcis-2.0")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("vectors not found: %v", err)
	}
	var files []string
	for _, pattern := range []string{
		// XML first: most JSON examples repeat events of the XML ones, and the first file
		// sending an event is the one whose readings count.
		"examples-openepcis/XML/Capture/Documents/*_with_sensorData.xml",
		"examples-gs1-xml/WithSensorData/SensorDataExamples.xml",
		"examples-gs1-jsonld/WithSensorData/*.jsonld",
		"examples-openepcis/JSON/Capture/Documents/*_with_sensorData.json",
		"examples-openepcis/JSON/Capture/Documents/epcisDocWithSensorComponent.json",
	} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	getenv, cfg := testHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := newClient(cfg)

	expect := map[string]map[sensorKey]*sensorAgg{} // site → readings
	withReadings := 0
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		site := fmt.Sprintf("sensor-%02d", i)
		if err := admin.postJSON(ctx, "/v1/sites", domain.Site{ID: site, Name: filepath.Base(f)}, nil); err != nil {
			t.Fatal(err)
		}
		ct, want := "application/ld+json", map[sensorKey]*sensorAgg(nil)
		if strings.HasSuffix(f, ".xml") {
			ct, want = "application/xml", readSensorsXML(t, body)
		} else {
			want = readSensorsJSON(t, body)
		}
		// The second document is the first with a trailing newline: another upload, the same
		// events. The intake refuses it (duplicate_event), as it refuses a file whose events
		// another file sent first: that site has no readings.
		for n, b := range [][]byte{body, append(bytes.Clone(body), '\n')} {
			r, err := admin.upload(ctx, site, ct, b)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if r, err = admin.waitReceipt(ctx, r.ID, time.Minute); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if r.Status == domain.StatusProcessed && n == 0 {
				continue
			}
			if r.Status != domain.StatusRejected || !onlyDuplicates(r.Errors) {
				t.Fatalf("%s upload %d: %s %v", filepath.Base(f), n+1, r.Status, r.Errors)
			}
			if n == 0 {
				t.Logf("%s: its events were sent by an earlier file", filepath.Base(f))
				want = map[sensorKey]*sensorAgg{}
				break
			}
		}
		expect[site] = want
		if len(want) > 0 {
			withReadings++
		}
	}
	if withReadings < 10 {
		t.Fatalf("only %d of %d documents had readings of their own", withReadings, len(files))
	}
	check := func(stage string) {
		t.Helper()
		for site, want := range expect {
			var out bytes.Buffer
			if err := run(ctx, []string{"sensors", "--site", site, "--format", "json"}, getenv, &out, io.Discard); err != nil {
				t.Fatalf("%s: sensors --site %s: %v", stage, site, err)
			}
			var resp analytics.SensorResponse
			if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			got := map[sensorKey]analytics.SensorStats{}
			for _, x := range resp.Types {
				got[sensorKey{localName(x.Type), x.UOM}] = x
			}
			if len(got) != len(want) {
				t.Errorf("%s: %s: %d types, want %d: %+v", stage, site, len(got), len(want), resp.Types)
			}
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: %s: no %v", stage, site, k)
					continue
				}
				if int(g.Readings) != w.n || int(g.WithValue) != w.withValue {
					t.Errorf("%s: %s %v: %d readings (%d with value), want %d (%d)", stage, site, k, g.Readings, g.WithValue, w.n, w.withValue)
				}
				if w.withValue > 0 && (g.Min == nil || *g.Min != w.min || *g.Max != w.max ||
					math.Abs(*g.Avg-w.sum/float64(w.withValue)) > 1e-9*max(1, math.Abs(*g.Avg))) {
					t.Errorf("%s: %s %v: min/max/avg %v/%v/%v, want %v/%v/%v", stage, site, k, g.Min, g.Max, g.Avg,
						w.min, w.max, w.sum/float64(w.withValue))
				}
			}
		}
	}
	check("ingest")

	// A site key reads its own site only.
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/sensor-00/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	var resp analytics.SensorResponse
	if _, err := admin.withToken(key.Token).do(ctx, "GET", "/v1/sensors?site=sensor-01", "", nil, &resp); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("site key reading another site: err = %v, want forbidden", err)
	}

	for _, args := range [][]string{{"analytics", "rebuild"}, {"analytics", "rebuild", "--truncate"}} {
		var out bytes.Buffer
		if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		t.Log(strings.TrimSpace(out.String()))
		check(strings.Join(args, " "))
	}
}

// onlyDuplicates reports whether a rejection has duplicate_event errors only.
func onlyDuplicates(errs []string) bool {
	for _, e := range errs {
		if !strings.Contains(e, "[duplicate_event]") {
			return false
		}
	}
	return len(errs) > 0
}
