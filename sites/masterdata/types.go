// Package masterdata holds the hub's master data — markets, products, sites, packaging lines
// and trading partners — in PostgreSQL, with every change kept as a numbered version (who,
// when, what). It offers a REST API (create, read, update, list, history), a CSV import with
// row-level errors, and the small lookups intake rules need: Product, Site, Line and Partner.
//
// Validation lives on the types (Validate returns field errors named like the JSON fields and
// CSV columns), so that the API and the import say the same thing about the same mistake.
package masterdata

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Meta is what the hub records about each version of a record.
type Meta struct {
	Version   int       `json:"version"` // on update: the version the change is based on (0: any)
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// SerialFormat is how serials are drawn: fixed length, characters from Alphabet. In JSON and
// CSV the alphabet may be given as a preset name (see Presets).
type SerialFormat struct {
	Alphabet string `json:"alphabet"`
	Length   int    `json:"length"`
}

// Presets are the named alphabets. "cset82-safe" is GS1 CSET 82 without the characters an
// EPC URI must escape and without characters easily misread on a printed pack.
var Presets = map[string]string{
	"numeric":      "0123456789",
	"upper":        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"alphanumeric": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	"cset82-safe":  "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz",
}

// DefaultSerialFormat is the format of a market that names none: 12 digits.
var DefaultSerialFormat = SerialFormat{Alphabet: Presets["numeric"], Length: 12}

// cset82 is GS1 AI encodable character set 82, the characters an AI (21) serial may use.
const cset82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// Normalize expands a preset name and sorts the alphabet, so that equal formats compare equal.
func (f *SerialFormat) Normalize() {
	if p, ok := Presets[f.Alphabet]; ok {
		f.Alphabet = p
	}
	b := []byte(f.Alphabet)
	slices.Sort(b)
	f.Alphabet = string(b)
}

// Validate checks a normalised format: 2+ distinct CSET 82 characters, length 1..20.
func (f SerialFormat) Validate() error {
	if len(f.Alphabet) < 2 {
		return fmt.Errorf("alphabet needs at least 2 characters (or a preset: numeric, upper, alphanumeric, cset82-safe)")
	}
	for i := 0; i < len(f.Alphabet); i++ {
		if !strings.ContainsRune(cset82, rune(f.Alphabet[i])) {
			return fmt.Errorf("alphabet character %q is not in GS1 character set 82", f.Alphabet[i])
		}
		if i > 0 && f.Alphabet[i] == f.Alphabet[i-1] {
			return fmt.Errorf("alphabet repeats %q", f.Alphabet[i])
		}
	}
	if f.Length < 1 || f.Length > 20 {
		return fmt.Errorf("length %d, want 1 to 20 (AI 21 holds at most 20 characters)", f.Length)
	}
	return nil
}

// String is the compact form used in CSV files: ALPHABET/LENGTH with preset names.
func (f SerialFormat) String() string {
	for name, p := range Presets {
		if p == f.Alphabet {
			return fmt.Sprintf("%s/%d", name, f.Length)
		}
	}
	return fmt.Sprintf("%s/%d", f.Alphabet, f.Length)
}

// Strictest returns the format a serial must have to be valid in every one of formats: the
// characters they all allow, and the shortest length. A pack of a GTIN may end up in any of the
// product's markets, so its serial must suit all of them.
func Strictest(formats []SerialFormat) (SerialFormat, error) {
	if len(formats) == 0 {
		return DefaultSerialFormat, nil
	}
	out := formats[0]
	for _, f := range formats[1:] {
		var common []byte
		for i := 0; i < len(out.Alphabet); i++ {
			if strings.IndexByte(f.Alphabet, out.Alphabet[i]) >= 0 {
				common = append(common, out.Alphabet[i])
			}
		}
		out.Alphabet = string(common)
		out.Length = min(out.Length, f.Length)
	}
	if len(out.Alphabet) < 2 {
		return out, fmt.Errorf("the markets' serial formats share fewer than 2 characters")
	}
	return out, nil
}

// Market is a country or region with its rules for serials.
type Market struct {
	Code         string       `json:"code"` // ISO 3166-1 alpha-2, or a region code such as "EU"
	Name         string       `json:"name"`
	Regulation   string       `json:"regulation,omitempty"` // e.g. EU-FMD, DSCSA
	SerialFormat SerialFormat `json:"serial_format"`
	Meta
}

// NationalCode is a national healthcare reimbursement number (NHRN) or similar: NDC in the
// US, PZN in Germany, CIP in France...
type NationalCode struct {
	Scheme string `json:"scheme"`
	Code   string `json:"code"`
}

// ProductMarket is a market a product is sold in, with the serial format there when it
// differs from the market's default.
type ProductMarket struct {
	Market       string        `json:"market"`
	SerialFormat *SerialFormat `json:"serial_format,omitempty"`
}

// Product is a trade item by GTIN (or NTIN).
type Product struct {
	GTIN                string          `json:"gtin"` // 14 digits
	Kind                string          `json:"kind"` // gtin or ntin
	CompanyPrefixLength int             `json:"company_prefix_length"`
	Name                string          `json:"name"`
	CommonName          string          `json:"common_name,omitempty"`
	DosageForm          string          `json:"dosage_form,omitempty"`
	Strength            string          `json:"strength,omitempty"`
	NetContent          string          `json:"net_content,omitempty"`  // e.g. "20 TABLET" (DSCSA netContentDescription)
	Manufacturer        string          `json:"manufacturer,omitempty"` // manufacturer's name (DSCSA)
	PackSize            int             `json:"pack_size"`
	NationalCodes       []NationalCode  `json:"national_codes"`
	Markets             []ProductMarket `json:"markets"`
	Sites               []string        `json:"sites"` // sites allowed to pack it; empty: every site
	Meta
}

// MadeAt reports whether site may pack (and request serials for) the product.
func (p Product) MadeAt(site string) bool {
	return len(p.Sites) == 0 || slices.Contains(p.Sites, site)
}

// SoldIn reports whether the product is sold in market.
func (p Product) SoldIn(market string) bool {
	return slices.ContainsFunc(p.Markets, func(m ProductMarket) bool { return m.Market == market })
}

// Site is a packaging site. The record is the `sites` table the intake already uses.
type Site struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	GLN       string    `json:"gln,omitempty"`
	SGLN      string    `json:"sgln,omitempty"` // urn:epc:id:sgln:... of the site's read point, if any
	Country   string    `json:"country,omitempty"`
	Address   Address   `json:"address,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Meta
}

// Line is a packaging line of a site.
type Line struct {
	SiteID    string  `json:"site"`
	ID        string  `json:"id"`
	Name      string  `json:"name,omitempty"`
	Vendor    string  `json:"vendor,omitempty"`
	Model     string  `json:"model,omitempty"`
	IdealRate float64 `json:"ideal_rate"` // packs per minute
	Meta
}

// Date is a calendar day, YYYY-MM-DD in JSON and CSV.
type Date string

// Time parses the date (UTC midnight).
func (d Date) Time() (time.Time, error) { return time.Parse(time.DateOnly, string(d)) }

// Licence is a licence or authorisation of a trading partner (wholesale, pharmacy, DSCSA
// authorised trading partner ...), valid from ValidFrom to ValidTo inclusive.
type Licence struct {
	Number    string `json:"number"`
	Type      string `json:"type,omitempty"`
	Authority string `json:"authority,omitempty"`
	ValidFrom Date   `json:"valid_from"`
	ValidTo   Date   `json:"valid_to,omitempty"` // empty: open-ended
}

// ValidOn reports whether the licence is valid on t's calendar day (in t's location).
func (l Licence) ValidOn(t time.Time) bool {
	day := t.Format(time.DateOnly)
	return string(l.ValidFrom) <= day && (l.ValidTo == "" || day <= string(l.ValidTo))
}

// Partner is a trading partner: who goods are shipped to and reports are delivered to.
type Partner struct {
	GLN      string    `json:"gln"`
	Name     string    `json:"name"`
	Country  string    `json:"country,omitempty"`
	SGLNs    []string  `json:"sglns"` // further locations: SGLN URIs or GLNs
	Licences []Licence `json:"licences"`
	Address  Address   `json:"address,omitzero"`
	Delivery
	// TransportSettings are further protocol settings that are not secret.
	TransportSettings map[string]string `json:"transport_settings"`
	// TransportSecrets are write-only: accepted on create and update (nil keeps the stored
	// ones), never returned or logged. SecretKeys names the ones that are set.
	TransportSecrets map[string]string `json:"transport_secrets,omitempty"`
	SecretKeys       []string          `json:"transport_secret_keys"`
	Meta
}

// Delivery is how reports reach the partner: the gateway, its transport and endpoint, the
// credentials to present (a reference resolved by the binary, never the secret), the AS2
// agreement and the partner's verification (VRS) responder. The JSON field names are also the
// CSV columns.
type Delivery struct {
	Gateway        string `json:"gateway,omitempty"`   // dscsa, euhub...; empty: nothing is reported to the partner
	Transport      string `json:"transport,omitempty"` // https, capture or as2
	Endpoint       string `json:"endpoint,omitempty"`  // where deliveries go (URL)
	CredentialsRef string `json:"credentials_ref,omitempty"`
	// Disabled pauses every outbound exchange with the partner (deliveries wait and retry,
	// verification requests are refused) without forgetting the settings.
	Disabled          bool   `json:"disabled,omitempty"`
	AS2ID             string `json:"as2_id,omitempty"`     // the partner's AS2 identifier
	AS2OurID          string `json:"as2_our_id,omitempty"` // ours, as the partner knows us
	AS2Cert           string `json:"as2_cert,omitempty"`   // the partner's certificate, PEM (public)
	VRSEndpoint       string `json:"vrs_endpoint,omitempty"`
	VRSCredentialsRef string `json:"vrs_credentials_ref,omitempty"`
}

// Address is a postal address of a site or partner, for the location master data of
// regulatory files.
type Address struct {
	Street1    string `json:"street1,omitempty"`
	Street2    string `json:"street2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

// DeliveryOf is the partner's delivery settings as the gateways read them.
func (p Partner) DeliveryOf() domain.Delivery {
	return domain.Delivery{GLN: p.GLN, Name: p.Name, Country: p.Country, Gateway: p.Gateway, Transport: p.Transport,
		Endpoint: p.Endpoint, CredentialsRef: p.CredentialsRef, Enabled: !p.Disabled, AS2ID: p.AS2ID,
		AS2OurID: p.AS2OurID, AS2Cert: p.AS2Cert, VRSEndpoint: p.VRSEndpoint, VRSCredentialsRef: p.VRSCredentialsRef}
}

// LicensedOn reports whether the partner holds at least one licence valid on t.
func (p Partner) LicensedOn(t time.Time) bool {
	return slices.ContainsFunc(p.Licences, func(l Licence) bool { return l.ValidOn(t) })
}

// secretKeys lists the names of m, sorted.
func secretKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
