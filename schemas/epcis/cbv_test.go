package epcis_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

func TestVocabNormalize(t *testing.T) {
	tests := []struct {
		vocab epcis.Vocab
		in    string
		form  epcis.Form
		want  string
	}{
		{epcis.VocabBizStep, "commissioning", epcis.FormURN, "urn:epcglobal:cbv:bizstep:commissioning"},
		{epcis.VocabBizStep, "commissioning", epcis.FormWebURI, "https://ref.gs1.org/cbv/BizStep-commissioning"},
		{epcis.VocabBizStep, "urn:epcglobal:cbv:bizstep:shipping", epcis.FormBare, "shipping"},
		{epcis.VocabBizStep, "URN:EPCglobal:cbv:bizstep:shipping", epcis.FormBare, "shipping"},
		{epcis.VocabBizStep, "https://ref.gs1.org/cbv/BizStep-shipping", epcis.FormURN, "urn:epcglobal:cbv:bizstep:shipping"},
		{epcis.VocabBizStep, "http://ns.gs1.org/cbv/BizStep-shipping", epcis.FormWebURI, "https://ref.gs1.org/cbv/BizStep-shipping"},
		{epcis.VocabBizStep, "cbv:BizStep-shipping", epcis.FormBare, "shipping"},
		{epcis.VocabBizStep, "shipping", epcis.FormCURIE, "cbv:BizStep-shipping"},
		// Custom values pass through, CBV-shaped non-standard ones change form but have no bare form.
		{epcis.VocabBizStep, "http://epcis.example.com/user/vocab/bizstep/exampling", epcis.FormWebURI, "http://epcis.example.com/user/vocab/bizstep/exampling"},
		{epcis.VocabBizStep, "exampling", epcis.FormURN, "exampling"},
		{epcis.VocabBizStep, "urn:epcglobal:cbv:bizstep:exampling", epcis.FormBare, "urn:epcglobal:cbv:bizstep:exampling"},
		{epcis.VocabBizStep, "urn:epcglobal:cbv:bizstep:exampling", epcis.FormWebURI, "https://ref.gs1.org/cbv/BizStep-exampling"},
		{epcis.VocabBizStep, "urn:epcglobal:cbv:bizstep:", epcis.FormBare, "urn:epcglobal:cbv:bizstep:"},
		// A value of another vocabulary is not this one's.
		{epcis.VocabBizStep, "urn:epcglobal:cbv:disp:in_transit", epcis.FormBare, "urn:epcglobal:cbv:disp:in_transit"},
		{epcis.VocabBizStep, "https://ref.gs1.org/cbv/Disp-in_transit", epcis.FormBare, "https://ref.gs1.org/cbv/Disp-in_transit"},
		{epcis.VocabDisposition, "in_transit", epcis.FormURN, "urn:epcglobal:cbv:disp:in_transit"},
		{epcis.VocabBizTransactionType, "urn:epcglobal:cbv:btt:po", epcis.FormBare, "po"},
		{epcis.VocabSourceDestType, "owning_party", epcis.FormWebURI, "https://ref.gs1.org/cbv/SDT-owning_party"},
		{epcis.VocabErrorReason, "urn:epcglobal:cbv:er:incorrect_data", epcis.FormWebURI, "https://ref.gs1.org/cbv/ER-incorrect_data"},
		{epcis.VocabComponent, "latitude", epcis.FormURN, "urn:epcglobal:cbv:comp:latitude"},
		{epcis.VocabMeasurementType, "gs1:Temperature", epcis.FormBare, "Temperature"},
		{epcis.VocabMeasurementType, "Temperature", epcis.FormWebURI, "https://gs1.org/voc/Temperature"},
		{epcis.VocabMeasurementType, "Temperature", epcis.FormURN, "Temperature"},
		{epcis.VocabMeasurementType, "gs1:MT-Temperature", epcis.FormWebURI, "https://gs1.org/voc/MT-Temperature"},
		{epcis.VocabMeasurementType, "https://gs1.org/voc/MT-Temperature", epcis.FormBare, "https://gs1.org/voc/MT-Temperature"},
		{epcis.VocabMeasurementType, "example:someSensorProperty", epcis.FormWebURI, "example:someSensorProperty"},
		{epcis.VocabSensorAlertType, "https://gs1.org/voc/ALARM_CONDITION", epcis.FormCURIE, "gs1:ALARM_CONDITION"},
		{0, "commissioning", epcis.FormURN, "commissioning"},
		{epcis.VocabBizStep, "", epcis.FormURN, ""},
	}
	for _, tt := range tests {
		if got := tt.vocab.Normalize(tt.in, tt.form); got != tt.want {
			t.Errorf("%v.Normalize(%q, %d) = %q, want %q", tt.vocab, tt.in, tt.form, got, tt.want)
		}
	}
}

func TestVocabEqual(t *testing.T) {
	if !epcis.VocabBizStep.Equal("shipping", "urn:epcglobal:cbv:bizstep:shipping") {
		t.Error("bare and URN bizStep differ")
	}
	if epcis.VocabBizStep.Equal("shipping", "receiving") {
		t.Error("different bizSteps equal")
	}
	if !epcis.VocabDisposition.IsStandard("https://ref.gs1.org/cbv/Disp-recalled") {
		t.Error("recalled not standard")
	}
	if epcis.VocabDisposition.IsStandard("urn:epcglobal:cbv:disp:made_up") {
		t.Error("made_up is standard")
	}
}

// TestVocabOntology checks every value of the CBV ontology (owl:sameAs URN of each term) is a
// standard value of our tables and round-trips through every form.
func TestVocabOntology(t *testing.T) {
	ttl, err := os.ReadFile(testvectors.Path(t, "cbv-ontology", "CBV.ttl"))
	if err != nil {
		t.Fatal(err)
	}
	byURN := map[string]epcis.Vocab{
		"bizstep": epcis.VocabBizStep, "disp": epcis.VocabDisposition, "btt": epcis.VocabBizTransactionType,
		"sdt": epcis.VocabSourceDestType, "er": epcis.VocabErrorReason, "comp": epcis.VocabComponent,
	}
	// cbv:BizStep-accepting ... owl:sameAs <urn:epcglobal:cbv:bizstep:accepting>
	re := regexp.MustCompile(`(?s)cbv:([A-Za-z]+)-([a-z_]+)\s+a\s+cbv:[A-Za-z]+\s*;.*?owl:sameAs\s+<urn:epcglobal:cbv:([a-z]+):([a-z_]+)>`)
	found := map[epcis.Vocab][]string{}
	for _, m := range re.FindAllStringSubmatch(string(ttl), -1) {
		termKind, local, urnKind, urnLocal := m[1], m[2], m[3], m[4]
		if local != urnLocal {
			t.Errorf("ontology term %s-%s has URN local %s", termKind, local, urnLocal)
			continue
		}
		v, ok := byURN[urnKind]
		if !ok {
			t.Errorf("unknown CBV URN kind %q", urnKind)
			continue
		}
		found[v] = append(found[v], local)
		roundTrip(t, v, local, "urn:epcglobal:cbv:"+urnKind+":"+local, "https://ref.gs1.org/cbv/"+termKind+"-"+local)
	}
	for _, v := range byURN {
		if len(found[v]) != len(v.Values()) {
			t.Errorf("%v: ontology has %d values, table has %d", v, len(found[v]), len(v.Values()))
		}
	}
}

// TestVocabGS1Contexts checks the GS1 Web Vocabulary lists against the JSON-LD contexts.
func TestVocabGS1Contexts(t *testing.T) {
	for _, tt := range []struct {
		file  string
		vocab epcis.Vocab
	}{
		{"gs1-context-measurement-type.jsonld", epcis.VocabMeasurementType},
		{"gs1-context-sensor-alert-type.jsonld", epcis.VocabSensorAlertType},
		{"cbv-context-bizstep.jsonld", epcis.VocabBizStep},
		{"cbv-context-disposition.jsonld", epcis.VocabDisposition},
		{"cbv-context-biztransaction-type.jsonld", epcis.VocabBizTransactionType},
		{"cbv-context-sourcedest-type.jsonld", epcis.VocabSourceDestType},
		{"cbv-context-error-reason.jsonld", epcis.VocabErrorReason},
		{"cbv-context-component.jsonld", epcis.VocabComponent},
	} {
		raw, err := os.ReadFile(testvectors.Path(t, "epcis-2.0", "jsonld-context", "cbv-contexts", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		var n int
		for term, iri := range doc.Context {
			s, ok := iri.(string)
			if !ok || term[0] == '@' || term == "gs1" || term == "cbv" {
				continue
			}
			n++
			if !tt.vocab.IsStandard(term) {
				t.Errorf("%s: %q is not a standard %v", tt.file, term, tt.vocab)
			}
			if got := tt.vocab.CURIE(term); got != s {
				t.Errorf("%s: CURIE(%q) = %q, context says %q", tt.file, term, got, s)
			}
			urn := tt.vocab.URN(term)
			if tt.vocab == epcis.VocabMeasurementType || tt.vocab == epcis.VocabSensorAlertType {
				urn = "" // the GS1 Web Vocabulary has no URN form
			}
			roundTrip(t, tt.vocab, term, urn, tt.vocab.WebURI(term))
		}
		if n != len(tt.vocab.Values()) {
			t.Errorf("%s: context has %d terms, table %d", tt.file, n, len(tt.vocab.Values()))
		}
	}
}

// roundTrip checks every form of a standard value converts to every other; urn is "" for
// vocabularies without a URN form.
func roundTrip(t *testing.T, v epcis.Vocab, bare, urn, web string) {
	t.Helper()
	if !slices.Contains(v.Values(), bare) {
		t.Errorf("%v: %q missing from Values", v, bare)
	}
	for _, in := range []string{bare, urn, web, v.CURIE(bare)} {
		if in == "" {
			continue
		}
		if !v.IsStandard(in) {
			t.Errorf("%v: %q not standard", v, in)
		}
		if got := v.Bare(in); got != bare {
			t.Errorf("%v.Bare(%q) = %q, want %q", v, in, got, bare)
		}
		if got := v.URN(in); urn != "" && got != urn {
			t.Errorf("%v.URN(%q) = %q, want %q", v, in, got, urn)
		}
		if got := v.WebURI(in); got != web {
			t.Errorf("%v.WebURI(%q) = %q, want %q", v, in, got, web)
		}
	}
}
