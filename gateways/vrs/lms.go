package vrs

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// Failure reasons of an unverified identifier (LMS verificationFailureReason).
const (
	NoMatchGTINSerial          = "No_match_GTIN_Serial"
	NoMatchGTINSerialLot       = "No_match_GTIN_Serial_Lot"
	NoMatchGTINSerialExpiry    = "No_match_GTIN_Serial_Expiry"
	NoMatchGTINSerialLotExpiry = "No_match_GTIN_Serial_Lot_Expiry"
)

// Additional information on a pack that was found (LMS additionalInfo): the requester must
// not put such a pack back into saleable stock, although its identifier is ours.
const (
	InfoRecalled       = "Recalled"
	InfoDecommissioned = "Decommissioned"
	InfoExpired        = "Expired"
)

// ContextSaleableReturn is the DSCSA saleable-returns context, the default.
const ContextSaleableReturn = "dscsaSaleableReturn"

// LinkType is the Digital Link link type of verification requests (LMS 1.0 and 1.1 spellings).
const LinkType = "verificationService"

// Request is one verification question: the four elements of the DSCSA product identifier
// and who asks.
type Request struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
	Lot    string `json:"lot"`
	// Expiry is AI (17): YYMMDD, DD 00 meaning the end of the month. YYYY-MM-DD is accepted.
	Expiry       string `json:"expiry"`
	Context      string `json:"context,omitempty"`
	RequestorGLN string `json:"reqGLN,omitempty"`
	CorrUUID     string `json:"corrUUID,omitempty"`
}

// Response is the LMS answer.
type Response struct {
	VerificationTimestamp time.Time `json:"verificationTimestamp"`
	ResponderGLN          string    `json:"responderGLN,omitempty"`
	CorrUUID              string    `json:"corrUUID,omitempty"`
	Data                  Data      `json:"data"`
}

// Data is the verification result.
type Data struct {
	Verified                  bool   `json:"verified"`
	VerificationFailureReason string `json:"verificationFailureReason,omitempty"`
	AdditionalInfo            string `json:"additionalInfo,omitempty"`
}

// Pack is what the hub knows of a serialised pack.
type Pack struct {
	GTIN, Serial, Lot string
	Expiry            string // as recorded (YYYY-MM-DD from EPCIS ILMD, or YYMMDD)
	State             domain.SerialState
	LotRecalled       bool // the pack's lot is under a recall decision
}

// Normalize validates r and brings the GTIN to 14 digits and the expiry to YYMMDD. A request
// missing any element of the product identifier is invalid: DSCSA verifies all four.
func (r Request) Normalize() (Request, error) {
	g, err := gs1.ParseGTIN(strings.TrimSpace(r.GTIN))
	if err != nil {
		return r, domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	r.GTIN = g.String()
	if r.Serial == "" || len(r.Serial) > 20 {
		return r, domain.Errorf(domain.CodeInvalid, "serial must have 1 to 20 characters")
	}
	if r.Lot == "" || len(r.Lot) > 20 {
		return r, domain.Errorf(domain.CodeInvalid, "lot must have 1 to 20 characters")
	}
	exp, ok := yymmdd(r.Expiry)
	if !ok {
		return r, domain.Errorf(domain.CodeInvalid, "expiry %q: want YYMMDD (AI 17)", r.Expiry)
	}
	r.Expiry = exp
	if r.Context == "" {
		r.Context = ContextSaleableReturn
	}
	if r.RequestorGLN != "" {
		if _, err := gs1.ParseGLN(r.RequestorGLN); err != nil {
			return r, domain.Errorf(domain.CodeInvalid, "reqGLN: %v", err)
		}
	}
	if len(r.CorrUUID) > 64 {
		return r, domain.Errorf(domain.CodeInvalid, "corrUUID is too long")
	}
	return r, nil
}

// yymmdd returns s (YYMMDD or YYYY-MM-DD) as YYMMDD.
func yymmdd(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		s = s[2:4] + s[5:7] + s[8:10]
	}
	if len(s) != 6 {
		return "", false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	if m := s[2:4]; m < "01" || m > "12" || s[4:6] > "31" {
		return "", false
	}
	return s, true
}

// sameExpiry compares two YYMMDD dates; a day of 00 (end of month) matches the whole month.
func sameExpiry(a, b string) bool {
	if a[4:] == "00" || b[4:] == "00" {
		return a[:4] == b[:4]
	}
	return a == b
}

// expired reports whether YYMMDD e lies before today (Go reads years 69..99 as 19YY, which no
// pack on the market carries).
func expired(e string, today time.Time) bool {
	t, err := time.Parse("060102", e)
	if e[4:] == "00" {
		t, err = time.Parse("0601", e[:4])
		t = t.AddDate(0, 1, -1) // the last day of the month
	}
	if err != nil {
		return false
	}
	y, m, d := today.Date()
	return t.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// Decide answers r (normalised) from the pack found by GTIN and serial (nil: none).
func Decide(p *Pack, r Request, today time.Time) Data {
	if p == nil {
		return Data{VerificationFailureReason: NoMatchGTINSerial}
	}
	packExp, ok := yymmdd(p.Expiry)
	lotBad := r.Lot != p.Lot
	expBad := !ok || !sameExpiry(r.Expiry, packExp)
	var d Data
	switch {
	case lotBad && expBad:
		d.VerificationFailureReason = NoMatchGTINSerialLotExpiry
	case lotBad:
		d.VerificationFailureReason = NoMatchGTINSerialLot
	case expBad:
		d.VerificationFailureReason = NoMatchGTINSerialExpiry
	default:
		d.Verified = true
	}
	switch {
	case p.State == domain.StateRecalled || p.LotRecalled:
		d.AdditionalInfo = InfoRecalled
	case slices.Contains([]domain.SerialState{domain.StateDecommissioned, domain.StateDestroyed, domain.StateDispensed, domain.StateSampled}, p.State):
		d.AdditionalInfo = InfoDecommissioned
	default:
		if ok && expired(packExp, today) {
			d.AdditionalInfo = InfoExpired
		}
	}
	return d
}

// Path returns the Digital Link path and query of r below a responder's base URL:
// /01/{gtin}/10/{lot}/21/{serial}?exp=YYMMDD&linkType=verificationService&context=...
func (r Request) Path() string {
	q := url.Values{}
	q.Set("exp", r.Expiry)
	q.Set("linkType", LinkType)
	q.Set("context", r.Context)
	if r.RequestorGLN != "" {
		q.Set("reqGLN", r.RequestorGLN)
	}
	if r.CorrUUID != "" {
		q.Set("corrUUID", r.CorrUUID)
	}
	return fmt.Sprintf("/01/%s/10/%s/21/%s?%s", r.GTIN, url.PathEscape(r.Lot), url.PathEscape(r.Serial), q.Encode())
}

// fromQuery fills the query-string parts of a Digital Link request (exp or AI 17, context,
// reqGLN, corrUUID) and refuses another link type.
func fromQuery(r Request, q url.Values) (Request, error) {
	if lt := q.Get("linkType"); lt != "" && strings.TrimPrefix(lt, "gs1:") != LinkType {
		return r, domain.Errorf(domain.CodeInvalid, "linkType %q: this endpoint answers %s", lt, LinkType)
	}
	r.Expiry = q.Get("exp")
	if r.Expiry == "" {
		r.Expiry = q.Get("17")
	}
	r.Context = q.Get("context")
	r.RequestorGLN = q.Get("reqGLN")
	r.CorrUUID = q.Get("corrUUID")
	return r, nil
}
