package euhub

import (
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
)

func validMasterData() ProductMasterData {
	addr := Address{Name: "Pharma AG", Street: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
	return ProductMasterData{Product: ProductCode{Scheme: "GTIN", Code: "05012345678900"}, Name: "Examplin 10 mg",
		CommonName: "examplinum", Form: "film-coated tablet", Strength: "10 mg", PackType: "blister", PackSize: 30,
		Markets: []Market{{Country: "DE", NationalCode: "12345678"}, {Country: "FR"}}, MAH: addr, Wholesalers: []Address{addr}}
}

func TestMasterDataA16(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*ProductMasterData)
		field string // "" = valid
	}{
		{"complete", func(*ProductMasterData) {}, ""},
		{"PPN", func(m *ProductMasterData) { m.Product = ProductCode{Scheme: "PPN", Code: "111234567842"} }, ""},
		{"no product code", func(m *ProductMasterData) { m.Product.Code = "" }, "product code"},
		{"bad check digit", func(m *ProductMasterData) { m.Product.Code = "05012345678901" }, "05012345678901"},
		{"13 digits", func(m *ProductMasterData) { m.Product.Code = "5012345678900" }, "14 digits"},
		{"unknown scheme", func(m *ProductMasterData) { m.Product.Scheme = "NDC" }, "coding scheme"},
		{"no name", func(m *ProductMasterData) { m.Name = " " }, "name"},
		{"no common name", func(m *ProductMasterData) { m.CommonName = "" }, "common name"},
		{"no form", func(m *ProductMasterData) { m.Form = "" }, "pharmaceutical form"},
		{"no strength", func(m *ProductMasterData) { m.Strength = "" }, "strength"},
		{"no pack type", func(m *ProductMasterData) { m.PackType = "" }, "pack type"},
		{"no pack size", func(m *ProductMasterData) { m.PackSize = 0 }, "pack size"},
		{"no markets", func(m *ProductMasterData) { m.Markets = nil }, "markets"},
		{"bad market", func(m *ProductMasterData) { m.Markets[1].Country = "fra" }, "market 2"},
		{"MAH without city", func(m *ProductMasterData) { m.MAH.City = "" }, "MAH city"},
		{"wholesaler without address", func(m *ProductMasterData) { m.Wholesalers[0].Street = "" }, "wholesaler 1 street"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := validMasterData()
			c.edit(&m)
			err := m.Check()
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "A16") || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("got %v, want an A16 refusal naming %q", err, c.field)
			}
		})
	}
}

func TestEURules(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) error
		in   string
		ok   bool
	}{
		{"serial", CheckSerial, "AB12cd34-./_", true},
		{"serial 20 chars", CheckSerial, strings.Repeat("9", 20), true},
		{"serial 21 chars", CheckSerial, strings.Repeat("9", 21), false},
		{"serial empty", CheckSerial, "", false},
		{"serial with GS", CheckSerial, "AB12\x1d17281130", false},
		{"serial with space", CheckSerial, "AB 12", false},
		{"serial non-ASCII", CheckSerial, "ABé", false},
		{"batch", CheckBatch, "L2026-A", true},
		{"batch 21", CheckBatch, strings.Repeat("L", 21), false},
		{"expiry", CheckExpiry, "281130", true},
		{"expiry day 00", CheckExpiry, "281100", true},
		{"expiry month 13", CheckExpiry, "281330", false},
		{"expiry ISO", CheckExpiry, "2028-11-30", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(c.in); (err == nil) != c.ok {
				t.Fatalf("%q: err %v, want ok=%v", c.in, err, c.ok)
			}
		})
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	r := Request{Kind: KindPacks, GTIN: "05012345678900", Lot: "L1", Expiry: "281130", Chunk: 2, Chunks: 3, Serials: []string{"A<&1", "B2"}}
	body, err := Body(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(&Header{MessageID: "m-1", Sender: "MAH"}, body)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Body.Packs
	if e.Header.MessageHeader.MessageID != "m-1" || p == nil || p.Batch != "L1" || p.Chunk.Index != 2 || len(p.Serials) != 2 || p.Serials[0] != "A<&1" {
		t.Fatalf("round trip: %+v %+v\n%s", e.Header, p, b)
	}
	for _, k := range []string{KindRecall, KindWithdrawal, KindDecommission, KindUndo} {
		body, _ := Body(Request{Kind: k, GTIN: "05012345678900", Lot: "L1", Status: "sample", Serials: []string{"X"}})
		b, _ := Marshal(&Header{MessageID: k}, body)
		e, err := Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		got := e.Body.Recall != nil || e.Body.Withdrawal != nil || e.Body.Decommission != nil || e.Body.Undo != nil
		if !got || (k == KindUndo && e.Body.Undo == nil) || (k == KindDecommission && e.Body.Decommission == nil) {
			t.Fatalf("%s: not parsed back:\n%s", k, b)
		}
	}
}
