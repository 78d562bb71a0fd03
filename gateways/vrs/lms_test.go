package vrs

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

func TestDecide(t *testing.T) {
	today := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	pack := func(state domain.SerialState, exp string) *Pack {
		return &Pack{GTIN: "00312345678906", Serial: "S1", Lot: "L1", Expiry: exp, State: state}
	}
	lotRecalled := func(p *Pack) *Pack { p.LotRecalled = true; return p }
	req := Request{GTIN: "00312345678906", Serial: "S1", Lot: "L1", Expiry: "280531"}
	tests := []struct {
		name   string
		pack   *Pack
		lot    string
		expiry string
		want   Data
	}{
		{"verified", pack(domain.StateShipped, "2028-05-31"), "", "", Data{Verified: true}},
		{"verified, YYMMDD on record", pack(domain.StateShipped, "280531"), "", "", Data{Verified: true}},
		{"day 00 matches the month", pack(domain.StateShipped, "2028-05-31"), "", "280500", Data{Verified: true}},
		{"unknown serial", nil, "", "", Data{VerificationFailureReason: NoMatchGTINSerial}},
		{"wrong lot", pack(domain.StateShipped, "2028-05-31"), "L2", "", Data{VerificationFailureReason: NoMatchGTINSerialLot}},
		{"wrong expiry", pack(domain.StateShipped, "2028-05-31"), "", "280601", Data{VerificationFailureReason: NoMatchGTINSerialExpiry}},
		{"wrong month with day 00", pack(domain.StateShipped, "2028-05-31"), "", "280600", Data{VerificationFailureReason: NoMatchGTINSerialExpiry}},
		{"wrong lot and expiry", pack(domain.StateShipped, "2028-05-31"), "L2", "280601",
			Data{VerificationFailureReason: NoMatchGTINSerialLotExpiry}},
		{"recalled", pack(domain.StateRecalled, "2028-05-31"), "", "", Data{Verified: true, AdditionalInfo: InfoRecalled}},
		{"recalled, wrong lot", pack(domain.StateRecalled, "2028-05-31"), "L9", "",
			Data{VerificationFailureReason: NoMatchGTINSerialLot, AdditionalInfo: InfoRecalled}},
		{"lot under a recall decision", lotRecalled(pack(domain.StateShipped, "2028-05-31")), "", "",
			Data{Verified: true, AdditionalInfo: InfoRecalled}},
		{"lot recalled outranks dispensed", lotRecalled(pack(domain.StateDispensed, "2028-05-31")), "", "",
			Data{Verified: true, AdditionalInfo: InfoRecalled}},
		{"decommissioned", pack(domain.StateDecommissioned, "2028-05-31"), "", "", Data{Verified: true, AdditionalInfo: InfoDecommissioned}},
		{"destroyed", pack(domain.StateDestroyed, "2028-05-31"), "", "", Data{Verified: true, AdditionalInfo: InfoDecommissioned}},
		{"dispensed", pack(domain.StateDispensed, "2028-05-31"), "", "", Data{Verified: true, AdditionalInfo: InfoDecommissioned}},
		{"expired", pack(domain.StateShipped, "2026-10-31"), "", "261031", Data{Verified: true, AdditionalInfo: InfoExpired}},
		{"expires today: not yet expired", pack(domain.StateShipped, "2026-11-24"), "", "261124", Data{Verified: true}},
		{"expired end of last month", pack(domain.StateShipped, "261000"), "", "261000", Data{Verified: true, AdditionalInfo: InfoExpired}},
		{"expires end of this month", pack(domain.StateShipped, "261100"), "", "261100", Data{Verified: true}},
		{"no expiry on record", pack(domain.StateShipped, ""), "", "", Data{VerificationFailureReason: NoMatchGTINSerialExpiry}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req
			if tc.lot != "" {
				r.Lot = tc.lot
			}
			if tc.expiry != "" {
				r.Expiry = tc.expiry
			}
			if got := Decide(tc.pack, r, today); got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	ok := Request{GTIN: "312345678906", Serial: "S1", Lot: "L1", Expiry: "2028-05-31"}
	n, err := ok.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.GTIN != "00312345678906" || n.Expiry != "280531" || n.Context != ContextSaleableReturn {
		t.Errorf("normalised = %+v", n)
	}
	bad := []Request{
		{GTIN: "00312345678907", Serial: "S1", Lot: "L1", Expiry: "280531"}, // check digit
		{GTIN: "00312345678906", Lot: "L1", Expiry: "280531"},
		{GTIN: "00312345678906", Serial: "S1", Expiry: "280531"},
		{GTIN: "00312345678906", Serial: "S1", Lot: "L1"},
		{GTIN: "00312345678906", Serial: "S1", Lot: "L1", Expiry: "281331"},
		{GTIN: "00312345678906", Serial: "S1", Lot: "L1", Expiry: "28053"},
		{GTIN: "00312345678906", Serial: strings.Repeat("9", 21), Lot: "L1", Expiry: "280531"},
		{GTIN: "00312345678906", Serial: "S1", Lot: "L1", Expiry: "280531", RequestorGLN: "123"},
	}
	for _, r := range bad {
		if _, err := r.Normalize(); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("Normalize(%+v) = %v, want invalid", r, err)
		}
	}
}

func TestPathRoundTrip(t *testing.T) {
	r := Request{GTIN: "00312345678906", Serial: "A/1 b", Lot: "L 1", Expiry: "280531", Context: ContextSaleableReturn,
		RequestorGLN: "0614141000005", CorrUUID: "u-1"}
	u, err := url.Parse("https://x" + r.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.EscapedPath(), "/01/00312345678906/10/L%201/21/A%2F1%20b") {
		t.Errorf("path = %s", u.EscapedPath())
	}
	got, err := fromQuery(Request{GTIN: r.GTIN, Serial: r.Serial, Lot: r.Lot}, u.Query())
	if err != nil || got != r {
		t.Errorf("fromQuery = %+v, %v; want %+v", got, err, r)
	}
	if _, err := fromQuery(Request{}, url.Values{"linkType": {"gs1:pip"}}); err == nil {
		t.Error("another linkType was accepted")
	}
}
