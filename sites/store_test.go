package sites

import (
	"context"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
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

func TestVocabName(t *testing.T) {
	tests := map[string]string{
		"commissioning":                           "commissioning",
		"urn:epcglobal:cbv:bizstep:shipping":      "shipping",
		"https://ref.gs1.org/cbv/BizStep-packing": "packing",
		"cbv:Disp-in_transit":                     "in_transit",
		"":                                        "",
	}
	for in, want := range tests {
		if got := vocabName(in); got != want {
			t.Errorf("vocabName(%q) = %q, want %q", in, got, want)
		}
	}
}
