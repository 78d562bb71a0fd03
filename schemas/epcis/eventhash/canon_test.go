package eventhash

import (
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

func TestCanonTime(t *testing.T) {
	tests := []struct{ in, want string }{
		// expected_equal/timestampPrecision.xml and timestampTimeZone*.xml
		{"2019-10-21T14:58:56.000000+02:00", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T14:58:56.0+02:00", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T14:58:56+02:00", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T12:58:56.000Z", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T15:58:56.000+03:00", "2019-10-21T12:58:56.000Z"},
		{"2019-10-21T01:58:56+02:00", "2019-10-20T23:58:56.000Z"},
		// TimeStampRoundOff: half up at the fourth decimal
		{"2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"},
		{"2023-02-02T11:04:03.1414Z", "2023-02-02T11:04:03.141Z"},
		{"2023-02-12T11:04:03.1007Z", "2023-02-12T11:04:03.101Z"},
		{"2023-02-12T23:59:59.9999Z", "2023-02-13T00:00:00.000Z"},
	}
	for _, tt := range tests {
		tm, err := time.Parse(time.RFC3339Nano, tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonTime(tm); got != tt.want {
			t.Errorf("canonTime(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCanonValueNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		// expected_equal/numberPrecision.xml
		{"26.0", "26"}, {"0.100", "0.1"}, {"12.10000", "12.1"}, {"0.180000000000", "0.18"},
		{"+5", "5"}, {"5.", "5"}, {".5", "0.5"}, {"-0", "0"}, {"1e3", "1000"}, {"0.00001", "1e-05"},
		{"0614141", "614141"},
		// beyond double precision, as the reference implementation renders it
		{"111100001111000011110000", "111100001111000003641344"},
		{"2019-10-21", "2019-10-21"}, {"1.2.3", "1.2.3"}, {"e5", "e5"}, {"inf", "inf"}, {"NaN", "NaN"},
		{"  AB-12  ", "AB-12"},
	}
	for _, tt := range tests {
		if got := canonValue(tt.in); got != tt.want {
			t.Errorf("canonValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalDL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"},
		{"urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654"},
		{"urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29"},
		{"urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"},
		{"urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"},
		{"urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"},
		{"urn:epc:id:grai:4012345.00022.334455", "https://id.gs1.org/8003/04012345000221334455"},
		{"urn:epc:id:giai:4012345.ABC345", "https://id.gs1.org/8004/4012345ABC345"},
		{"urn:epc:id:gsrn:4012345.0000006765", "https://id.gs1.org/8018/401234500000067657"},
		{"urn:epc:id:gsrnp:4012345.0000000007", "https://id.gs1.org/8017/401234500000000074"},
		{"urn:epc:id:gdti:4012345.00009.PO-4711", "https://id.gs1.org/253/4012345000092PO-4711"},
		{"urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"},
		{"urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234", "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234"},
		{"urn:epc:id:sgcn:4012345.99999.44", "https://id.gs1.org/255/401234599999044"},
		{"urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"},
		{"urn:epc:id:gsin:4012345.222333444", "https://id.gs1.org/402/40123452223334442"},
		{"urn:epc:id:itip:4012345.011111.01.02.987", "https://id.gs1.org/8006/040123451111180102/21/987"},
		{"urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"},
		{"urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"},
		{"urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"},
		{"urn:epc:idpat:sgtin:4012345.044444.*", "https://id.gs1.org/01/04012345444445"},
		{"urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102"},
		{"urn:epc:idpat:grai:4012345.66666.*", "https://id.gs1.org/8003/04012345666663"},
		{"https://id.gs1.org/gtin/09780345418913", "https://id.gs1.org/01/09780345418913"},
		{"https://example.com/gtin/09780345418913/21/765tz?abc=211121", "https://id.gs1.org/01/09780345418913/21/765tz"},
		{"https://id.gs1.de/01/04012345999990/21/XYZ-1234", "https://id.gs1.org/01/04012345999990/21/XYZ-1234"},
		{"https://example.com/some/prefix/01/9506000134352/10/L1/21/S1", "https://id.gs1.org/01/09506000134352/21/S1"},
		{"https://id.gs1.org/01/09506000134352/22/2A/10/L1", "https://id.gs1.org/01/09506000134352/10/L1"},
		// not GS1 keys: unchanged
		{"https://example.com/ErrorCode-A827", ""},
		{"http://www.opengis.net/def/crs/EPSG/0/27700", ""},
		{"urn:epc:id:sgtin:4012345.01111.9876", ""},          // digits do not add up to 13
		{"urn:epc:id:sgtin:4012345.011111.a/b", ""},          // '/' is not allowed unescaped
		{"urn:epc:idpat:sscc:4012345.*", ""},                 // no class-level DL
		{"https://id.gs1.org/01/09506000134352/17/2501", ""}, // not an identification level
	}
	for _, tt := range tests {
		got, ok := canonicalDL(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("canonicalDL(%q) = %q, want no conversion", tt.in, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("canonicalDL(%q) = %q, %v, want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestPreHashErrors(t *testing.T) {
	if _, err := PreHash(nil); err == nil {
		t.Error("nil event hashed")
	}
	if _, err := PreHash(&epcis.Event{Type: "Foo", EventTime: time.Now()}); err == nil {
		t.Error("unknown type hashed")
	}
	if _, err := PreHash(&epcis.Event{Type: epcis.ObjectEvent}); err == nil {
		t.Error("event without time hashed")
	}
}

// TestPreHashInvariance: what must not change the hash does not.
func TestPreHashInvariance(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("", 7200))
	q := 5.0
	base := epcis.Event{
		Type: epcis.ObjectEvent, EventTime: t0, EventTimeZoneOffset: "+02:00", Action: epcis.ActionObserve,
		EPCList:      []string{"urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"},
		QuantityList: []epcis.Quantity{{EPCClass: "urn:epc:class:lgtin:4012345.012345.998877", Quantity: &q, UOM: "KGM"}},
		BizStep:      "shipping", Disposition: "urn:epcglobal:cbv:disp:in_transit",
		ReadPoint: "urn:epc:id:sgln:0614141.07346.1234",
		BizTransactions: []epcis.BizTransaction{
			{Type: "po", Value: "urn:epcglobal:cbv:bt:0614141073467:1"},
			{Type: "urn:epcglobal:cbv:btt:desadv", Value: "urn:epcglobal:cbv:bt:0614141073467:2"},
		},
		Extensions: []epcis.Element{
			{Name: epcis.Name{Space: "https://ex/", Prefix: "a", Local: "x"}, Text: "1"},
			{Name: epcis.Name{Space: "https://ex/", Prefix: "a", Local: "y"}, Text: "2"},
		},
	}
	want, err := PreHash(&base)
	if err != nil {
		t.Fatal(err)
	}
	q2 := 5.000
	variants := map[string]func(e *epcis.Event){
		"utc time":  func(e *epcis.Event) { e.EventTime = t0.UTC() },
		"epc order": func(e *epcis.Event) { e.EPCList = []string{e.EPCList[1], e.EPCList[0]} },
		"digital link epcs": func(e *epcis.Event) {
			e.EPCList = []string{"https://id.gs1.org/01/10614141073464/21/2017", "https://example.com/01/10614141073464/21/2018"}
		},
		"bizStep urn":     func(e *epcis.Event) { e.BizStep = "urn:epcglobal:cbv:bizstep:shipping" },
		"disposition web": func(e *epcis.Event) { e.Disposition = "https://ref.gs1.org/cbv/Disp-in_transit" },
		"tx order": func(e *epcis.Event) {
			e.BizTransactions = []epcis.BizTransaction{e.BizTransactions[1], e.BizTransactions[0]}
		},
		"ext order, prefix": func(e *epcis.Event) {
			e.Extensions = []epcis.Element{
				{Name: epcis.Name{Space: "https://ex/", Prefix: "b", Local: "y"}, Text: "2"},
				{Name: epcis.Name{Space: "https://ex/", Prefix: "b", Local: "x"}, Text: "1.0", Kind: epcis.KindNumber},
			}
		},
		"quantity": func(e *epcis.Event) {
			e.QuantityList = []epcis.Quantity{{EPCClass: "https://id.gs1.org/01/04012345123456/10/998877", Quantity: &q2, UOM: "KGM"}}
		},
		"eventID":    func(e *epcis.Event) { e.EventID = "urn:uuid:1" },
		"recordTime": func(e *epcis.Event) { r := t0.Add(time.Hour); e.RecordTime = &r },
		"error declaration": func(e *epcis.Event) {
			e.ErrorDeclaration = &epcis.ErrorDeclaration{DeclarationTime: t0, Reason: "incorrect_data"}
		},
		"comment": func(e *epcis.Event) {
			e.Extensions = append(append([]epcis.Element(nil), e.Extensions...), epcis.Element{Name: epcis.Name{Space: "http://www.w3.org/2000/01/rdf-schema#", Local: "comment"}, Text: "hi"})
		},
	}
	for name, change := range variants {
		e := base
		change(&e)
		got, err := PreHash(&e)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s changed the pre-hash:\n%s\n%s", name, got, want)
		}
	}
	changes := map[string]func(e *epcis.Event){
		"time":      func(e *epcis.Event) { e.EventTime = t0.Add(time.Millisecond) },
		"epc":       func(e *epcis.Event) { e.EPCList = e.EPCList[:1] },
		"extension": func(e *epcis.Event) { e.Extensions = e.Extensions[:1] },
		"action":    func(e *epcis.Event) { e.Action = epcis.ActionAdd },
	}
	for name, change := range changes {
		e := base
		change(&e)
		if got, _ := PreHash(&e); got == want {
			t.Errorf("%s did not change the pre-hash", name)
		}
	}
}
