package epcisjson_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// TestSchemaAcceptsExamples checks the schema set-up itself (format assertions, the
// lookahead patterns): the valid examples validate, except a few that only a schema checker
// without format assertions (the one SOURCES.md used) lets through.
func TestSchemaAcceptsExamples(t *testing.T) {
	known := map[string]string{
		"AggregationEvent_with_persistentDisposition.json": "persistentDisposition on an AggregationEvent (the schema allows it on Object and Transformation events only)",
		"TransactionEvent_with_userExtensions.json":        `measurement type "EffectiveDoseRate" is neither in the schema's list nor a URI`,
		"event_with_identical_hash_id_7.json":              "CBV values in URN form, which the schema forbids in JSON",
	}
	for _, f := range validJSONFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		err = validateSchema(t, raw)
		why, isKnown := known[filepath.Base(f)]
		switch {
		case err != nil && !isKnown:
			t.Errorf("%s: schema: %v", rel(t, f), err)
		case err == nil && isKnown:
			t.Errorf("%s: expected to fail the schema (%s)", rel(t, f), why)
		}
	}
}

// TestDecodeExamples decodes every valid JSON example.
func TestDecodeExamples(t *testing.T) {
	for _, f := range validJSONFiles(t) {
		t.Run(rel(t, f), func(t *testing.T) {
			doc, evs := decodeFile(t, f)
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			if doc.SchemaVersion != epcis.Version20 {
				t.Errorf("schemaVersion %q", doc.SchemaVersion)
			}
			for i, e := range evs {
				if e.Pos.Index != i {
					t.Errorf("event %d has index %d", i, e.Pos.Index)
				}
				if e.EventTime.IsZero() || e.EventTimeZoneOffset == "" {
					t.Errorf("event %d: no time", i)
				}
				if unresolved(e) {
					t.Errorf("event %d has an unresolved name", i)
				}
			}
		})
	}
}

func unresolved(e *epcis.Event) bool {
	var walk func([]epcis.Element) bool
	walk = func(els []epcis.Element) bool {
		for _, el := range els {
			if el.Name.Space == "" && el.Name.Prefix != "" || walk(el.Children) {
				return true
			}
		}
		return false
	}
	return walk(e.Extensions) || walk(e.ILMD) || walk(e.ReadPointExtensions) || walk(e.BizLocationExtensions)
}

// TestRoundTrip: decode → encode → decode gives the same events and document, and the encoded
// document validates against the EPCIS JSON schema.
func TestRoundTrip(t *testing.T) {
	for _, f := range validJSONFiles(t) {
		t.Run(rel(t, f), func(t *testing.T) {
			doc, evs := decodeFile(t, f)
			for _, indent := range []string{"", "  "} {
				var out []byte
				if indent == "" {
					out = encodeAll(t, doc, evs)
				} else {
					out = encodeAll(t, doc, evs, withIndent(indent))
				}
				if err := validateSchema(t, out); err != nil && !schemaGap(evs) {
					t.Fatalf("encoded document fails the schema: %#v\n%s", err, out)
				}
				doc2, evs2, err := decodeAll(bytes.NewReader(out), epcis.Limits{})
				if err != nil {
					t.Fatalf("re-decoding: %v\n%s", err, out)
				}
				if len(evs2) != len(evs) {
					t.Fatalf("%d events, re-decoded %d", len(evs), len(evs2))
				}
				for i := range evs {
					if a, b := canonical(evs[i]), canonical(evs2[i]); a != b {
						t.Fatalf("event %d differs after the round trip:\n%s\n---\n%s", i, a, b)
					}
				}
				if !doc2.CreationDate.Equal(doc.CreationDate) && !doc.CreationDate.IsZero() {
					t.Errorf("creationDate %v → %v", doc.CreationDate, doc2.CreationDate)
				}
				if len(doc2.MasterData) != len(doc.MasterData) {
					t.Errorf("master data lost")
				}
			}
		})
	}
}

// TestInvalidExamples: every file in an Invalid folder is rejected with a specific message.
func TestInvalidExamples(t *testing.T) {
	tests := []struct {
		file  []string
		event int
		want  string
	}{
		{[]string{"Capture", "Invalid", "Combination_of_events_with_missing_mandatory_fields.json"}, 0, "field action: missing"},
		{[]string{"Capture", "Invalid", "Combination_of_multiple_invalid_fields.json"}, 0, `field bizStep: "transforming" is not a standard bizStep value`},
		{[]string{"Capture", "Invalid", "Combination_of_non_standard_bizStep_and_disposition.json"}, 0, `field bizStep: "transforming" is not a standard bizStep value`},
		{[]string{"Capture", "Invalid", "EPCISDocument_without_context.json"}, -1, "field @context: missing"},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_ilmd_field_without_namespace.json"}, 0, "field ilmd.materialType: is not a namespaced name"},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_invalid_action.json"}, 0, `field action: "CREATE" is not an action`},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_invalid_certificationInfo.json"}, 0, "field certificationInfo[0]: must be a string, not an object"},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_invalid_eventTime_format.json"}, 0, `field eventTime: "22-07-2026" is not a date-time`},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_non_standard_bizStep.json"}, 0, `field bizStep: "transforming" is not a standard bizStep value`},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_non_standard_bizStep_in_second_event.json"}, 1, `field bizStep: "transforming" is not a standard bizStep value`},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_non_standard_disposition.json"}, 0, `field disposition: "in_transport" is not a standard disposition value`},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_quantity_as_text.json"}, 0, "field quantityList[0].quantity: must be a number, not a string"},
		{[]string{"Capture", "Invalid", "ObjectEvent_with_unknown_field_in_quantityList.json"}, 0, "field quantityList[0].weight: is not a field of a quantity element"},
		{[]string{"Capture", "Invalid", "ObjectEvent_without_action_and_eventTime.json"}, 0, "field eventTime: missing"},
		{[]string{"Capture", "Invalid", "ObjectEvent_without_identifier_list.json"}, 0, "field epcList: an ObjectEvent needs epcList"},
		{[]string{"Query", "Invalid", "QueryDocument_with_invalid_action.json"}, 0, `field action: "INVALIDACTION" is not an action`},
		{[]string{"Query", "Invalid", "QueryDocument_with_invalid_eventType.json"}, 0, `field type: "ObjectEventInvalid" is not an EPCIS event type`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		path := testvectors.Path(t, append([]string{"epcis-2.0", "examples-openepcis", "JSON"}, tt.file...)...)
		seen[path] = true
		t.Run(tt.file[len(tt.file)-1], func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, _, err = decodeAll(f, epcis.Limits{})
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *epcis.DecodeError", err)
			}
			if de.Event != tt.event || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q (event %d), want event %d and %q", err, de.Event, tt.event, tt.want)
			}
		})
	}
	// Every file of the Invalid folders is in the table.
	for _, dir := range [][]string{{"Capture", "Invalid"}, {"Query", "Invalid"}} {
		entries, err := os.ReadDir(testvectors.Path(t, append([]string{"epcis-2.0", "examples-openepcis", "JSON"}, dir...)...))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			p := testvectors.Path(t, append(append([]string{"epcis-2.0", "examples-openepcis", "JSON"}, dir...), e.Name())...)
			if !e.IsDir() && !seen[p] {
				t.Errorf("%s is not in the table", rel(t, p))
			}
		}
	}
}

// schemaGap reports events the JSON schema rejects although EPCIS 2.0 allows them: the
// schema permits persistentDisposition only on ObjectEvent and TransformationEvent, the
// standard (and its XSD) on every event type.
func schemaGap(evs []*epcis.Event) bool {
	for _, e := range evs {
		if e.PersistentDisposition != nil && e.Type != epcis.ObjectEvent && e.Type != epcis.TransformationEvent {
			return true
		}
	}
	return false
}
