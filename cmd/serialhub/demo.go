package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"text/template"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// The demo's master data: one site, one product of company prefix 4012345.
const (
	demoSite      = "site-demo-1"
	demoSiteGLN   = "4012345000009"
	demoPrefix    = "4012345"
	demoItemRef   = "00001"
	demoPacks     = 12
	demoExtension = "0"
)

// runDemo plays the walking-skeleton scenario against a running hub: a site uploads an EPCIS
// 1.2 document commissioning packs and aggregating them into a case; the hub stores it,
// processes it in a workflow, and a recall lists the packs with their case.
func runDemo(ctx context.Context, cfg Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	wait := fs.Bool("wait", false, "keep running (and the hub with it) until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return err
	}
	admin := newClient(cfg)
	step := func(format string, a ...any) { fmt.Fprintf(out, "• "+format+"\n", a...) }

	fmt.Fprintf(out, "serialhub demo — API %s\n\n", cfg.URL)
	site := domain.Site{ID: demoSite, Name: "Demo Packaging Site 1", GLN: demoSiteGLN, Country: "DE"}
	if err := admin.postJSON(ctx, "/v1/sites", site, &site); err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	step("site %s (%s, GLN %s) registered", site.ID, site.Name, site.GLN)
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/"+demoSite+"/keys", nil, &key); err != nil {
		return fmt.Errorf("create site key: %w", err)
	}
	siteClient := admin.withToken(key.Token)
	step("site API key issued (stored hashed)")

	gtin, err := demoGTIN()
	if err != nil {
		return err
	}
	lot := "L" + time.Now().UTC().Format("060102150405")
	issued, err := demoMasterData(ctx, admin, siteClient, gtin, lot, demoPacks)
	if err != nil {
		return err
	}
	step("master data: product %s, line %s; %d serials issued to the line by the hub", gtin, demoLine, len(issued))
	doc, serials, err := demoDocumentWith(gtin, lot, issued)
	if err != nil {
		return err
	}
	step("line 1 packed %d packs of GTIN %s lot %s into case %s", demoPacks, gtin, lot, serials.caseSSCC)

	start := time.Now()
	r, err := siteClient.upload(ctx, demoSite, "application/xml", doc)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	step("uploaded EPCIS 1.2 document (%d bytes): HTTP 202, receipt %s, status %s", len(doc), r.ID, r.Status)
	r, err = siteClient.waitReceipt(ctx, r.ID, 2*time.Minute)
	if err != nil {
		return err
	}
	if r.Status != domain.StatusProcessed {
		return fmt.Errorf("document %s: status %s, errors %v", r.ID, r.Status, r.Errors)
	}
	step("ingest workflow ingest-%s: %s %d events, %d identifiers commissioned in %s",
		r.ID, r.Status, r.Events, r.Serials, time.Since(start).Round(time.Millisecond))

	dup, err := siteClient.upload(ctx, demoSite, "application/xml", doc)
	if err != nil {
		return fmt.Errorf("second upload: %w", err)
	}
	if !dup.Duplicate || dup.ID != r.ID {
		return fmt.Errorf("second upload of the same document not recognised as a duplicate: %+v", dup)
	}
	step("same document uploaded again: recognised as duplicate of receipt %s, not processed twice", dup.ID)

	rec, err := admin.recall(ctx, string(gtin), lot)
	if err != nil {
		return fmt.Errorf("recall: %w", err)
	}
	step("recall of GTIN %s lot %s:", gtin, lot)
	fmt.Fprintln(out)
	printRecall(out, rec)
	fmt.Fprintln(out)
	if rec.Count != demoPacks {
		return fmt.Errorf("recall found %d packs, want %d", rec.Count, demoPacks)
	}
	for _, it := range rec.Items {
		if it.Parent != serials.caseURI {
			return fmt.Errorf("recall: pack %s has case %q, want %q", it.Serial, it.Parent, serials.caseURI)
		}
	}
	if err := demoEUHub(ctx, cfg, admin, string(gtin), lot, issued, out); err != nil {
		return fmt.Errorf("EU Hub: %w", err)
	}
	if err := demoDSCSA(ctx, cfg, admin, siteClient, out); err != nil {
		return fmt.Errorf("DSCSA: %w", err)
	}
	if err := demoSites(ctx, cfg, admin, out); err != nil {
		return fmt.Errorf("site simulation: %w", err)
	}
	fmt.Fprintln(out, "demo: every step succeeded")
	if !*wait {
		return nil
	}
	fmt.Fprintf(out, "\nThe hub keeps running:\n  API          %s\n  Temporal UI  %s\n  try          bin/serialhub recall --gtin %s --lot %s\nPress Ctrl-C to stop.\n",
		cfg.URL, cfg.TemporalUI, gtin, lot)
	<-ctx.Done()
	return nil
}

func demoGTIN() (gs1.GTIN, error) {
	digits := demoExtension + demoPrefix + demoItemRef
	cd, err := gs1.CheckDigit(digits)
	if err != nil {
		return "", err
	}
	return gs1.ParseGTIN(digits + string(cd))
}

type demoIDs struct {
	packs    []string
	caseSSCC string
	caseURI  string
}

// demoLine is the demo site's packaging line.
const demoLine = "L1"

// demoMasterData registers the demo product and line and has the hub issue n serials for the
// lot to the line.
func demoMasterData(ctx context.Context, admin, site *apiClient, gtin gs1.GTIN, lot string, n int) ([]string, error) {
	product := map[string]any{"gtin": string(gtin), "company_prefix_length": len(demoPrefix), "name": "Demo pills 10 mg",
		"pack_size": 30, "markets": []map[string]string{{"market": "DE"}}}
	if _, err := admin.do(ctx, http.MethodPut, "/v1/products/"+string(gtin), "application/json", demoJSON(product), nil); err != nil {
		return nil, fmt.Errorf("register product: %w", err)
	}
	line := map[string]any{"site": demoSite, "id": demoLine, "name": "Line 1", "ideal_rate": 120}
	if _, err := admin.do(ctx, http.MethodPut, "/v1/sites/"+demoSite+"/lines/"+demoLine, "application/json", demoJSON(line), nil); err != nil {
		return nil, fmt.Errorf("register line: %w", err)
	}
	var alloc struct {
		Serials []string `json:"serials"`
	}
	req := map[string]any{"line": demoLine, "gtin": string(gtin), "count": n, "lot": lot, "request_id": "demo-" + lot}
	if err := site.postJSON(ctx, "/v1/sites/"+demoSite+"/serials", req, &alloc); err != nil {
		return nil, fmt.Errorf("request serials: %w", err)
	}
	return alloc.Serials, nil
}

func demoJSON(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// demoDocument writes an EPCIS 1.2 document of n packs with random serials (see
// demoDocumentWith).
func demoDocument(gtin gs1.GTIN, lot string, n int) ([]byte, demoIDs, error) {
	serials := make([]string, n)
	for i := range serials {
		s, err := randomSerial(12)
		if err != nil {
			return nil, demoIDs{}, err
		}
		serials[i] = s
	}
	return demoDocumentWith(gtin, lot, serials)
}

// demoDocumentWith writes an EPCIS 1.2 document: commissioning of the packs (with lot and
// expiry) on line 1 and of their case, and the aggregation of the packs into the case.
func demoDocumentWith(gtin gs1.GTIN, lot string, serials []string) ([]byte, demoIDs, error) {
	var ids demoIDs
	for _, s := range serials {
		uri, err := gs1.SGTIN{GTIN: gtin, Serial: s, PrefixLen: len(demoPrefix)}.URI()
		if err != nil {
			return nil, ids, err
		}
		ids.packs = append(ids.packs, uri)
	}
	ref, err := randomSerial(9)
	if err != nil {
		return nil, ids, err
	}
	body := "0" + demoPrefix + ref
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		return nil, ids, err
	}
	ids.caseSSCC = body + string(cd)
	if ids.caseURI, err = (gs1.SSCC{Value: ids.caseSSCC, PrefixLen: len(demoPrefix)}).URI(); err != nil {
		return nil, ids, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	var b bytes.Buffer
	err = demoTemplate.Execute(&b, map[string]any{
		"Created": now.Format(time.RFC3339), "T1": now.Add(-2 * time.Minute).Format(time.RFC3339),
		"T2": now.Add(-time.Minute).Format(time.RFC3339), "Packs": ids.packs, "Case": ids.caseURI,
		"Lot": lot, "Expiry": now.AddDate(2, 0, 0).Format("2006-01-02"),
		"Site": "urn:epc:id:sgln:" + demoPrefix + ".00000.0", "Line": "urn:epc:id:sgln:" + demoPrefix + ".00000." + demoLine,
	})
	return b.Bytes(), ids, err
}

// randomSerial returns n random digits from a cryptographic source.
func randomSerial(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b), nil
}

var demoTemplate = template.Must(template.New("epcis").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:cbvmda="urn:epcglobal:cbv:mda" schemaVersion="1.2" creationDate="{{.Created}}">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>{{.T1}}</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcList>{{range .Packs}}
          <epc>{{.}}</epc>{{end}}
        </epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
        <readPoint><id>{{.Line}}</id></readPoint>
        <bizLocation><id>{{.Site}}</id></bizLocation>
        <extension>
          <ilmd>
            <cbvmda:lotNumber>{{.Lot}}</cbvmda:lotNumber>
            <cbvmda:itemExpirationDate>{{.Expiry}}</cbvmda:itemExpirationDate>
          </ilmd>
        </extension>
      </ObjectEvent>
      <ObjectEvent>
        <eventTime>{{.T1}}</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcList>
          <epc>{{.Case}}</epc>
        </epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
        <readPoint><id>{{.Site}}</id></readPoint>
      </ObjectEvent>
      <AggregationEvent>
        <eventTime>{{.T2}}</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <parentID>{{.Case}}</parentID>
        <childEPCs>{{range .Packs}}
          <epc>{{.}}</epc>{{end}}
        </childEPCs>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
        <disposition>urn:epcglobal:cbv:disp:in_progress</disposition>
        <readPoint><id>{{.Site}}</id></readPoint>
      </AggregationEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>
`))
