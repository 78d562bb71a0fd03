package masterdata

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

func fieldsOf(fe FieldErrors) string {
	var s []string
	for _, e := range fe {
		s = append(s, e.Field+": "+e.Message)
	}
	return strings.Join(s, "; ")
}

func goodProduct() Product {
	return Product{GTIN: "9501101530003", CompanyPrefixLength: 7, Name: "X 500 mg", PackSize: 20,
		Markets: []ProductMarket{{Market: "de"}}}
}

func TestProductValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Product)
		want   string // substring of the errors; "" = valid
	}{
		{"valid", func(*Product) {}, ""},
		{"check digit", func(p *Product) { p.GTIN = "09501101530004" }, "gtin: check digit 4 should be 3"},
		{"gtin length", func(p *Product) { p.GTIN = "123" }, "gtin: length 3"},
		{"ntin", func(p *Product) { p.Kind = "ntin" }, ""},
		{"kind", func(p *Product) { p.Kind = "sku" }, "kind: \"sku\""},
		{"prefix length", func(p *Product) { p.CompanyPrefixLength = 13 }, "company_prefix_length: 13"},
		{"name", func(p *Product) { p.Name = " " }, "name: required"},
		{"pack size", func(p *Product) { p.PackSize = 0 }, "pack_size: 0"},
		{"ndc ok", func(p *Product) { p.NationalCodes = []NationalCode{{"NDC", "50090-123-45"}} }, ""},
		{"ndc bad", func(p *Product) { p.NationalCodes = []NationalCode{{"NDC", "5009-12345"}} }, "national_codes: NDC"},
		{"scheme twice", func(p *Product) { p.NationalCodes = []NationalCode{{"PZN", "1"}, {"PZN", "2"}} }, "scheme PZN given twice"},
		{"market code", func(p *Product) { p.Markets = []ProductMarket{{Market: "d"}} }, "markets: \"D\""},
		{"market twice", func(p *Product) { p.Markets = []ProductMarket{{Market: "DE"}, {Market: "de"}} }, "DE given twice"},
		{"format length", func(p *Product) {
			p.Markets[0].SerialFormat = &SerialFormat{Alphabet: "numeric", Length: 21}
		}, "serial_formats: DE: length 21"},
		{"format charset", func(p *Product) {
			p.Markets[0].SerialFormat = &SerialFormat{Alphabet: "01#", Length: 10}
		}, "not in GS1 character set 82"},
		{"site id", func(p *Product) { p.Sites = []string{"bad site"} }, "sites: \"bad site\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := goodProduct()
			tt.change(&p)
			got := fieldsOf(p.Validate())
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("errors %q, want %q", got, tt.want)
			}
		})
	}
	p := goodProduct()
	p.Validate()
	if p.GTIN != "09501101530003" || p.Markets[0].Market != "DE" || p.Kind != "gtin" {
		t.Fatalf("not normalised: %+v", p)
	}
}

func TestSitePartnerLineValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fe   FieldErrors
		want string
	}{
		{"site ok", (&Site{ID: "s1", Name: "S", GLN: "4001234000008", SGLN: "urn:epc:id:sgln:4001234.00000.0", Country: "DE"}).Validate(), ""},
		{"site gln", (&Site{ID: "s1", Name: "S", GLN: "4001234000009"}).Validate(), "gln: check digit 9 should be 8"},
		{"site sgln", (&Site{ID: "s1", Name: "S", SGLN: "urn:epc:id:sgln:4001234.0000.0"}).Validate(), "sgln: location reference"},
		{"site country", (&Site{ID: "s1", Name: "S", Country: "Germany"}).Validate(), "country: \"Germany\""},
		{"site id", (&Site{ID: "a/b", Name: "S"}).Validate(), "id: \"a/b\""},
		{"line ok", (&Line{SiteID: "s1", ID: "L1", IdealRate: 300}).Validate(), ""},
		{"line rate", (&Line{SiteID: "s1", ID: "L1", IdealRate: -1}).Validate(), "ideal_rate: -1"},
		{"line id", (&Line{SiteID: "s1", ID: ""}).Validate(), "line: \"\""},
		{"partner ok", (&Partner{GLN: "4098765432101", Name: "W", Licences: []Licence{{Number: "A", ValidFrom: "2024-01-01"}}}).Validate(), ""},
		{"partner dates", (&Partner{GLN: "4098765432101", Name: "W", Licences: []Licence{{Number: "A", ValidFrom: "2024-02-01", ValidTo: "2024-01-01"}}}).Validate(), "before valid_from"},
		{"partner date format", (&Partner{GLN: "4098765432101", Name: "W", Licences: []Licence{{Number: "A", ValidFrom: "1.1.2024"}}}).Validate(), "is not a date"},
		{"partner sgln", (&Partner{GLN: "4098765432101", Name: "W", SGLNs: []string{"4098765432102"}}).Validate(), "sglns: 4098765432102: check digit"},
		{"partner endpoint creds", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{Endpoint: "https://u:p@x.example"}}).Validate(), "must not carry credentials"},
		{"partner secret in settings", (&Partner{GLN: "4098765432101", Name: "W", TransportSettings: map[string]string{"password": "x"}}).Validate(), "looks like a secret"},
		{"partner delivery ok", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{Gateway: "dscsa", Transport: "https", Endpoint: "https://x.example/dscsa", CredentialsRef: "env:X", VRSEndpoint: "https://x.example/vrs"}}).Validate(), ""},
		{"partner gateway without endpoint", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{Gateway: "dscsa", Transport: "https"}}).Validate(), "transport: gateway dscsa needs a transport and an endpoint"},
		{"partner transport", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{Transport: "ftp"}}).Validate(), "transport: \"ftp\": want https, capture or as2"},
		{"partner credentials literal", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{CredentialsRef: "hunter2"}}).Validate(), "credentials_ref: want a reference"},
		{"partner as2 without agreement", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{Gateway: "dscsa", Transport: "as2", Endpoint: "https://x.example/as2"}}).Validate(), "as2_id: transport as2 needs the AS2 agreement"},
		{"partner as2 cert", (&Partner{GLN: "4098765432101", Name: "W", Delivery: Delivery{AS2ID: "P", AS2OurID: "H", AS2Cert: "not a cert"}}).Validate(), "as2_cert: want a PEM certificate"},
		{"partner address", (&Partner{GLN: "4098765432101", Name: "W", Address: Address{City: "a|b"}}).Validate(), "address:"},
		{"market format", (&Market{Code: "XK", Name: "X", SerialFormat: SerialFormat{Alphabet: "upper", Length: 0}}).Validate(), "serial_format: length 0"},
		{"market code", (&Market{Code: "X", Name: "X"}).Validate(), "code: \"X\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fieldsOf(tt.fe)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("errors %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStrictest(t *testing.T) {
	t.Parallel()
	num, up := SerialFormat{Alphabet: "numeric", Length: 12}, SerialFormat{Alphabet: "upper", Length: 20}
	num.Normalize()
	up.Normalize()
	got, err := Strictest([]SerialFormat{up, num})
	if err != nil || got.Alphabet != "0123456789" || got.Length != 12 {
		t.Fatalf("Strictest = %+v, %v", got, err)
	}
	letters := SerialFormat{Alphabet: "ABC", Length: 5}
	if _, err := Strictest([]SerialFormat{num, letters}); err == nil {
		t.Fatal("disjoint alphabets accepted")
	}
}

func TestLicenceValidOn(t *testing.T) {
	t.Parallel()
	l := Licence{Number: "A", ValidFrom: "2024-01-01", ValidTo: "2024-12-31"}
	for day, want := range map[string]bool{"2023-12-31": false, "2024-01-01": true, "2024-12-31": true, "2025-01-01": false} {
		d, _ := time.Parse(time.DateOnly, day)
		if got := l.ValidOn(d.Add(12 * time.Hour)); got != want {
			t.Errorf("ValidOn(%s) = %v", day, got)
		}
	}
	if !(Licence{ValidFrom: "2024-01-01"}).ValidOn(time.Now()) {
		t.Error("open-ended licence not valid today")
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	return NewStore(pool)
}

func TestProductVersions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	by := PutOptions{By: "admin key 1"}
	res, err := s.PutProduct(ctx, goodProduct(), by)
	if err != nil || !res.Created || res.Record.Version != 1 {
		t.Fatalf("create: %+v, %v", res, err)
	}
	if _, err := s.PutProduct(ctx, goodProduct(), PutOptions{By: "x", CreateOnly: true}); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("create twice: %v, want conflict", err)
	}
	same, err := s.PutProduct(ctx, goodProduct(), by)
	if err != nil || same.Changed || same.Record.Version != 1 {
		t.Fatalf("unchanged put: %+v, %v", same, err)
	}
	p := goodProduct()
	p.Name = "X 500 mg film-coated"
	p.Version = 1
	upd, err := s.PutProduct(ctx, p, PutOptions{By: "admin key 2"})
	if err != nil || !upd.Changed || upd.Record.Version != 2 {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	p.Name = "stale"
	if _, err := s.PutProduct(ctx, p, by); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("stale version: %v, want conflict", err)
	}
	vs, err := s.Versions(ctx, KindProduct, "09501101530003")
	if err != nil || len(vs) != 2 || vs[1].ChangedBy != "admin key 2" || !strings.Contains(string(vs[0].Data), `"X 500 mg"`) {
		t.Fatalf("versions: %+v, %v", vs, err)
	}
	got, err := s.Product(ctx, "9501101530003")
	if err != nil || got.Name != "X 500 mg film-coated" || got.Version != 2 {
		t.Fatalf("read: %+v, %v", got, err)
	}
	bad := goodProduct()
	bad.Markets = []ProductMarket{{Market: "ZZ"}}
	if _, err := s.PutProduct(ctx, bad, by); domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), "market ZZ is not in the master data") {
		t.Fatalf("unknown market: %v", err)
	}
	bad = goodProduct()
	bad.Sites = []string{"nowhere"}
	if _, err := s.PutProduct(ctx, bad, by); !strings.Contains(err.Error(), "site nowhere is not in the master data") {
		t.Fatalf("unknown site: %v", err)
	}
	if _, err := s.Product(ctx, "09501101530010"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown GTIN: %v", err)
	}
	f, err := s.ProductSerialFormat(ctx, got)
	if err != nil || f != DefaultSerialFormat {
		t.Fatalf("serial format: %+v, %v", f, err)
	}
}

func TestPartnerSecretsNeverReturned(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	p := Partner{GLN: "4098765432101", Name: "W", SGLNs: []string{"urn:epc:id:sgln:4098765.43210.DOCK1", "4098765432118"},
		Licences:          []Licence{{Number: "WDA-1", ValidFrom: "2024-01-01", ValidTo: "2024-12-31"}},
		TransportSettings: map[string]string{"format": "epcis-1.2-xml"},
		TransportSecrets:  map[string]string{"password": "hunter2"}}
	res, err := s.PutPartner(ctx, p, PutOptions{By: "t"})
	if err != nil || res.Record.TransportSecrets != nil || strings.Join(res.Record.SecretKeys, ",") != "password" {
		t.Fatalf("create: %+v, %v", res, err)
	}
	// An update without secrets keeps them and is no change.
	p.TransportSecrets = nil
	res, err = s.PutPartner(ctx, p, PutOptions{By: "t"})
	if err != nil || res.Changed {
		t.Fatalf("update without secrets: %+v, %v", res, err)
	}
	sec, err := s.TransportSecrets(ctx, p.GLN)
	if err != nil || sec["password"] != "hunter2" {
		t.Fatalf("secrets: %v, %v", sec, err)
	}
	vs, _ := s.Versions(ctx, KindPartner, p.GLN)
	for _, v := range vs {
		if strings.Contains(string(v.Data), "hunter2") {
			t.Fatalf("secret in history: %s", v.Data)
		}
	}
	for _, loc := range []string{"4098765432101", "4098765432118", "urn:epc:id:sgln:4098765.43210.DOCK1"} {
		got, err := s.Partner(ctx, loc)
		if err != nil || got.GLN != p.GLN || got.TransportSecrets != nil {
			t.Fatalf("Partner(%s) = %+v, %v", loc, got, err)
		}
		if !got.LicensedOn(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) || got.LicensedOn(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("licence validity wrong for %+v", got.Licences)
		}
	}
	if _, err := s.Partner(ctx, "4001234000008"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown partner: %v", err)
	}
}

func importFile(t *testing.T, s *Store, name string, opt ImportOptions) ImportResult {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opt.By = "test"
	res, err := s.Import(context.Background(), f, opt)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return res
}

func TestImportExamples(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	want := map[string]int{"markets.csv": 2, "sites.csv": 2, "lines.csv": 3, "products.csv": 3, "partners.csv": 1}
	for _, name := range []string{"markets.csv", "sites.csv", "lines.csv", "products.csv", "partners.csv"} {
		res := importFile(t, s, name, ImportOptions{AllOrNothing: true})
		if !res.Committed || res.Created != want[name] || len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", name, res)
		}
	}
	again := importFile(t, s, "products.csv", ImportOptions{AllOrNothing: true})
	if again.Unchanged != 3 || again.Updated != 0 {
		t.Fatalf("re-import: %+v, want 3 unchanged", again)
	}
	p, err := s.Product(context.Background(), "09501101530010")
	if err != nil || p.NationalCodes[0].Code != "50090-123-45" || p.Markets[0].SerialFormat.Length != 20 || !p.MadeAt("plant-de") || p.MadeAt("plant-fr") {
		t.Fatalf("imported product: %+v, %v", p, err)
	}
	pa, err := s.Partner(context.Background(), "4098765432118")
	if err != nil || pa.TransportSettings["format"] != "epcis-2.0-xml" || pa.Transport != "https" || pa.Gateway != "dscsa" ||
		pa.CredentialsRef != "env:GREAT_WHOLESALE_TOKEN" || pa.Address.City != "Hamburg" || len(pa.Licences) != 1 {
		t.Fatalf("imported partner: %+v, %v", pa, err)
	}
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	wantErrs := []string{
		"row 3, column gtin: check digit 4 should be 3",
		"row 4, column pack_size: \"x\" is not a whole number",
		"row 4, column company_prefix_length: 13: want 6 to 12",
		"row 5, column markets: market ZZ is not in the master data",
	}
	check := func(res ImportResult) {
		t.Helper()
		var got []string
		for _, e := range res.Errors {
			got = append(got, e.String())
		}
		for _, w := range wantErrs {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("errors %q lack %q", got, w)
			}
		}
	}
	res := importFile(t, s, "products-bad.csv", ImportOptions{AllOrNothing: true})
	check(res)
	if res.Committed || res.Rejected != 3 || res.Rows != 4 {
		t.Fatalf("all or nothing: %+v", res)
	}
	if _, err := s.Product(context.Background(), "09501101530003"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("good row imported despite all-or-nothing: %v", err)
	}
	res = importFile(t, s, "products-bad.csv", ImportOptions{AllOrNothing: false})
	check(res)
	if !res.Committed || res.Created != 1 || res.Rejected != 3 {
		t.Fatalf("valid rows: %+v", res)
	}

	tests := []struct{ name, csv, want string }{
		{"unknown kind", "foo,bar\n1,2\n", "cannot tell the kind"},
		{"unknown column", "gtin,colour\n", "row 1, column colour: not a product column"},
		{"missing column", "gtin,name\n", "the company_prefix_length column is missing"},
	}
	for _, tt := range tests {
		_, err := s.Import(context.Background(), strings.NewReader(tt.csv), ImportOptions{AllOrNothing: true})
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	res, err := s.Import(context.Background(), strings.NewReader("code,name\nAA,A\nAA,again\nBB\n"), ImportOptions{AllOrNothing: true})
	if err != nil || len(res.Errors) != 2 || res.Errors[0].String() != "row 3: market AA is also on row 2" || res.Errors[1].Row != 4 {
		t.Fatalf("duplicates and short rows: %+v, %v", res, err)
	}
}
