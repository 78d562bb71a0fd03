package submission

import (
	"context"
	"testing"

	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// putPartner records a US trading partner with DSCSA delivery settings in master data.
func putPartner(tb testing.TB, md *masterdata.Store, gln, name string, d masterdata.Delivery) {
	tb.Helper()
	d.Gateway = dscsa.Name
	if _, err := md.PutPartner(context.Background(), masterdata.Partner{GLN: gln, Name: name, Country: "US", Delivery: d},
		masterdata.PutOptions{By: "test"}); err != nil {
		tb.Fatal(err)
	}
}

// putProducts records the DSCSA master data of the generated documents' GTINs.
func putProducts(tb testing.TB, md *masterdata.Store, gtins []string) {
	tb.Helper()
	for _, g := range gtins {
		if _, err := md.PutProduct(context.Background(), masterdata.Product{GTIN: g, CompanyPrefixLength: 7, Name: "Generazepam",
			DosageForm: "TABLET", Strength: "10mg", NetContent: "30 tablets", Manufacturer: "Generic Pharma", PackSize: 30,
			NationalCodes: []masterdata.NationalCode{{Scheme: "NDC", Code: "0614-1410-73"}},
			Markets:       []masterdata.ProductMarket{{Market: "US"}}}, masterdata.PutOptions{By: "test"}); err != nil {
			tb.Fatal(err)
		}
	}
}
