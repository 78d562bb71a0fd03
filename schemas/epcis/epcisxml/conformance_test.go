package epcisxml

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// validVectors lists, relative to the vectors folder, every XML example SOURCES.md says is
// valid against the EPCIS 1.2 or 2.0 XSDs (capture, query and master-data schemas), plus
// the bare-event files.
func validVectors(t *testing.T) []string {
	t.Helper()
	dir := testvectors.Dir(t)
	var out []string
	glob := func(pattern string, except ...string) {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(m) == 0 {
			t.Fatalf("no vectors match %s (%v)", pattern, err)
		}
	next:
		for _, p := range m {
			for _, x := range except {
				if filepath.Base(p) == x {
					continue next
				}
			}
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
	}
	glob("epcis-1.2/examples-gs1/*.xml")
	for _, f := range []string{"GS1_US_Pharma_Example_2_2_1_1.xml", "EPCISDocument_with_comment.xml", "AggregationEvent.xml",
		"AssociationEvent.xml", "All_eventTypes_in_single_document.xml", "ObjectEvent.xml",
		"ObjectEvent_with_baseExtension_errorDeclaration.xml", "ObjectEvent_with_sensorData.xml", "TransactionEvent.xml",
		"TransformationEvent.xml"} {
		glob("epcis-1.2/examples-openepcis/XML/Capture/Documents/" + f)
	}
	glob("epcis-2.0/examples-gs1-xml/*.xml")
	glob("epcis-2.0/examples-gs1-xml/*/*.xml")
	glob("epcis-2.0/examples-openepcis/XML/Capture/Documents/*.xml", "JumbledFieldsOrder.xml", "Namespace_document.xml")
	glob("epcis-2.0/examples-openepcis/XML/Capture/Events/*.xml")
	for _, f := range []string{"queryDocument.xml", "QueryDocumentWithMultipleEvents.xml", "Documents/QueryResultsDocument.xml",
		"Documents/TransactionEvent_with_userExtensions.xml", "Queries/SimpleEventQuery.xml"} {
		glob("epcis-2.0/examples-openepcis/XML/Query/" + f)
	}
	glob("dscsa-partner-samples/epcis_1.2.cardinal_health.xml")
	glob("dscsa-partner-samples/cardinal_health_2.0.xml")
	return out
}

var (
	reDoctype = regexp.MustCompile(`<!DOCTYPE[^>]*>`)
	reComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	reEvent   = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?(?:Object|Aggregation|Transaction|Transformation|Association)Event[\s>/]`)
)

// prepare returns a vector's bytes ready to decode. GS1's 2.0 examples start with an inert
// `<!DOCTYPE project>` (an editor artefact); the decoder refuses every DOCTYPE, which is
// checked here, and the declaration is removed so that the rest of the example is tested.
func prepare(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if reDoctype.Match(b) {
		_, _, err := decodeAll(t, bytes.NewReader(b))
		if err == nil || !strings.Contains(err.Error(), "DTD") {
			t.Errorf("document with DOCTYPE: err = %v, want refusal naming the DTD", err)
		}
		b = reDoctype.ReplaceAll(b, nil)
	}
	return b
}

// xmllint returns the path of xmllint, skipping the test when it is missing (failing in CI).
func xmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint not on PATH (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not on PATH (apt-get install libxml2-utils); XSD validation skipped")
	}
	return p
}

// TestConformance decodes every valid example, re-encodes it as EPCIS 1.2 and 2.0,
// decodes that again and compares, and validates the encoder's output against the XSDs.
func TestConformance(t *testing.T) {
	dir := testvectors.Dir(t)
	out := t.TempDir()
	written := map[epcis.Version][]string{}
	source := map[string]string{}
	for _, rel := range validVectors(t) {
		t.Run(rel, func(t *testing.T) {
			b := prepare(t, filepath.Join(dir, rel))
			doc, evs, err := decodeAll(t, bytes.NewReader(b))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := len(reEvent.FindAll(reComment.ReplaceAll(b, nil), -1))
			if len(evs) != want {
				t.Errorf("decoded %d events, the file holds %d", len(evs), want)
			}
			for _, v := range []epcis.Version{epcis.Version12, epcis.Version20} {
				var buf bytes.Buffer
				enc := NewEncoder(&buf, v)
				if err := encodeAll(enc, doc, evs); err != nil {
					t.Fatalf("encode %s: %v", v, err)
				}
				name := fmt.Sprintf("%s-%s.xml", strings.NewReplacer("/", "_", ".xml", "").Replace(rel), v)
				p := filepath.Join(out, name)
				if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				written[v] = append(written[v], p)
				source[p] = rel
				doc2, evs2, err := decodeAll(t, bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatalf("decode of %s output: %v\n%s", v, err, excerpt(buf.Bytes(), err))
				}
				if doc2.SchemaVersion != v {
					t.Errorf("%s output read as version %s", v, doc2.SchemaVersion)
				}
				if len(evs2) != len(evs) {
					t.Fatalf("%s round trip: %d events, want %d", v, len(evs2), len(evs))
				}
				for i := range evs {
					if d := diff(evs[i], evs2[i]); d != "" {
						t.Errorf("%s round trip, event %d differs: %s", v, i, d)
					}
				}
				if d := diff(doc.MasterData, doc2.MasterData); d != "" {
					t.Errorf("%s round trip, master data differs: %s", v, d)
				}
				if d := diff(doc.Header, doc2.Header); d != "" {
					t.Errorf("%s round trip, SBDH differs: %s", v, d)
				}
			}
		})
	}
	t.Run("xsd", func(t *testing.T) { lintAll(t, written, source) })
}

// lintAll validates the files written per version against the official XSDs; source names
// what each file was made from, for the error message.
func lintAll(t *testing.T, written map[epcis.Version][]string, source map[string]string) {
	t.Helper()
	lint := xmllint(t)
	xsd := map[epcis.Version]string{
		epcis.Version12: testvectors.Path(t, "epcis-1.2", "xsd", "EPCglobal-epcis-1_2.xsd"),
		epcis.Version20: testvectors.Path(t, "epcis-2.0", "xsd", "EPCglobal-epcis-2_0.xsd"),
	}
	for _, v := range []epcis.Version{epcis.Version12, epcis.Version20} {
		files := written[v]
		if len(files) == 0 {
			t.Fatalf("nothing was encoded as %s", v)
		}
		// One xmllint run per version: loading the schema dominates the cost.
		cmd := exec.Command(lint, append([]string{"--noout", "--schema", xsd[v]}, files...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		_ = cmd.Run() // the exit status only repeats what stderr says per file
		failed := map[string][]string{}
		for _, line := range strings.Split(stderr.String(), "\n") {
			for _, f := range files {
				if strings.HasPrefix(line, f+":") {
					failed[f] = append(failed[f], strings.TrimPrefix(line, f))
				}
			}
			if strings.HasSuffix(line, " fails to validate") || strings.Contains(line, "failed to compile") {
				f := strings.TrimSuffix(line, " fails to validate")
				if _, ok := failed[f]; !ok {
					failed[f] = append(failed[f], line)
				}
			}
		}
		ok := strings.Count(stderr.String(), " validates")
		if ok != len(files) {
			keys := make([]string, 0, len(failed))
			for f := range failed {
				keys = append(keys, f)
			}
			sort.Strings(keys)
			for _, f := range keys {
				t.Errorf("EPCIS %s output of %s is not valid against %s:\n%s", v, source[f], filepath.Base(xsd[v]), strings.Join(failed[f], "\n"))
			}
			t.Errorf("%d of %d %s outputs validate", ok, len(files), v)
		}
	}
}

func encodeAll(enc *Encoder, doc *epcis.Document, evs []*epcis.Event) error {
	if err := enc.WriteHeader(doc); err != nil {
		return err
	}
	for _, ev := range evs {
		if err := enc.WriteEvent(ev); err != nil {
			return err
		}
	}
	return enc.Close()
}

// excerpt shows the lines of b around the line a DecodeError names.
func excerpt(b []byte, err error) string {
	var de *epcis.DecodeError
	if !errors.As(err, &de) || de.Line == 0 {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	lo, hi := max(de.Line-6, 0), min(de.Line+3, len(lines))
	return strings.Join(lines[lo:hi], "\n")
}

// diff describes the first difference between a and b, ignoring event positions, or
// returns "".
func diff(a, b any) string {
	return diffValue("", reflect.ValueOf(a), reflect.ValueOf(b))
}

func diffValue(path string, a, b reflect.Value) string {
	if a.IsValid() != b.IsValid() {
		return fmt.Sprintf("%s: %v vs %v", path, a, b)
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() == reflect.TypeOf(epcis.Position{}) {
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil vs non-nil", path)
			}
			return ""
		}
		return diffValue(path, a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type().PkgPath() == "time" {
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
			}
			return ""
		}
		for i := 0; i < a.NumField(); i++ {
			if d := diffValue(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d vs %d (%v vs %v)", path, a.Len(), b.Len(), a.Interface(), b.Interface())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %#v vs %#v", path, a.Interface(), b.Interface())
	}
	return ""
}
