package sites

import (
	"context"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	s := NewStore(pool)
	if _, err := s.UpsertSite(context.Background(), domain.Site{ID: "s1", Name: "Site 1"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSaveDocumentRecognisesRepeats(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	up := Upload{SiteID: "s1", ContentType: "application/xml", Format: FormatXML12, Body: []byte("<doc/>")}
	first, err := s.SaveDocument(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.SaveDocument(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !second.Duplicate || first.ID != second.ID {
		t.Fatalf("first %+v, second %+v: want the second to repeat the first", first, second)
	}
	if _, err := s.SaveDocument(ctx, Upload{SiteID: "nope", Format: FormatXML12, Body: []byte("x")}); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown site: err = %v, want not found", err)
	}
	if _, err := s.Receipt(ctx, "not-a-uuid"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("bad receipt id: err = %v, want not found", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	token, err := s.CreateKey(ctx, domain.RoleSite, "s1", "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(ctx, token)
	if err != nil || p.Role != domain.RoleSite || p.SiteID != "s1" {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, err := s.Authenticate(ctx, token+"x"); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("wrong token: err = %v", err)
	}
	if _, err := s.CreateKey(ctx, domain.RoleSite, "missing", "x"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("key for unknown site: err = %v", err)
	}
}

// TestApplyIsIdempotent: applying the same document twice (a retried activity) records each
// event and serial once.
func TestApplyIsIdempotent(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	rec, err := s.SaveDocument(ctx, Upload{SiteID: "s1", Format: FormatXML12, Body: []byte("<doc/>")})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	packs := []string{"urn:epc:id:sgtin:4012345.000001.A1", "urn:epc:id:sgtin:4012345.000001.A2"}
	caseURI := "urn:epc:id:sscc:4012345.0000000001"
	events := []IdentifiedEvent{
		{ID: "e1", Event: &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, EventTime: at,
			BizStep: "urn:epcglobal:cbv:bizstep:commissioning", EPCList: packs,
			ILMD: []epcis.Element{{Name: epcis.Name{Space: epcis.NSCBVMDA, Local: "lotNumber"}, Text: "L1"}}}},
		{ID: "e2", Event: &epcis.Event{Type: epcis.ObjectEvent, Action: epcis.ActionAdd, EventTime: at,
			BizStep: "commissioning", EPCList: []string{caseURI}}},
		{ID: "e3", Event: &epcis.Event{Type: epcis.AggregationEvent, Action: epcis.ActionAdd, EventTime: at.Add(time.Minute),
			BizStep: "https://ref.gs1.org/cbv/BizStep-packing", ParentID: caseURI, EPCList: packs}},
	}
	for i := range 2 {
		res, err := s.Apply(ctx, rec.ID, "s1", events)
		if err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
		if res.Events != 3 || res.Serials != 3 {
			t.Fatalf("apply %d: %+v, want 3 events, 3 serials", i, res)
		}
	}
	rows, err := s.FlatEvents(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("flat rows = %d, want 5 (2 packs + 1 case + 2 children)", len(rows))
	}
	for _, r := range rows {
		if r.Role == "child" && (r.ParentEPC != caseURI || r.Lot != "L1" || r.GTIN != "04012345000016") {
			t.Errorf("child row %+v: want parent %s, lot L1, GTIN 04012345000016", r, caseURI)
		}
	}
	if err := s.MarkProcessed(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Receipt(ctx, rec.ID)
	if err != nil || got.Status != domain.StatusProcessed || got.Events != 3 {
		t.Fatalf("receipt = %+v, %v", got, err)
	}
}

func TestBizStepName(t *testing.T) {
	tests := map[string]string{
		"commissioning":                           "commissioning",
		"urn:epcglobal:cbv:bizstep:shipping":      "shipping",
		"https://ref.gs1.org/cbv/BizStep-packing": "packing",
		"": "",
	}
	for in, want := range tests {
		if got := bizStepName(in); got != want {
			t.Errorf("bizStepName(%q) = %q, want %q", in, got, want)
		}
	}
}
