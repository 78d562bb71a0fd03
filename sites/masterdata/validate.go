package masterdata

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// FieldError is one thing wrong with one field. Field is the JSON field and CSV column name.
type FieldError struct {
	Field   string `json:"column"`
	Message string `json:"message"`
}

// FieldErrors is every problem found in a record.
type FieldErrors []FieldError

func (fe *FieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil or a domain invalid error listing every field's problem; the fields stay
// reachable with errors.As(err, *FieldErrors) for callers that report them one by one.
func (fe FieldErrors) Err(what string) error {
	if len(fe) == 0 {
		return nil
	}
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return &fieldsError{fields: fe, err: domain.Errorf(domain.CodeInvalid, "%s: %s", what, strings.Join(parts, "; "))}
}

type fieldsError struct {
	fields FieldErrors
	err    error
}

func (e *fieldsError) Error() string { return e.err.Error() }
func (e *fieldsError) Unwrap() error { return e.err }

// Fields returns the field errors carried by err, if any.
func Fields(err error) FieldErrors {
	var fe *fieldsError
	if errors.As(err, &fe) {
		return fe.fields
	}
	return nil
}

var (
	idRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	marketRE  = regexp.MustCompile(`^[A-Z]{2,8}$`)
	schemeRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

// gs1Reason strips the "gs1: GTIN "x": " prefix of gs1 errors: the field is named already.
func gs1Reason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	return strings.TrimPrefix(msg, "gs1: ")
}

func requireText(fe *FieldErrors, field, v string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		fe.add(field, "required")
	case len(v) > max:
		fe.add(field, "%d characters, at most %d", len(v), max)
	}
}

func optionalText(fe *FieldErrors, field, v string, max int) {
	if len(v) > max {
		fe.add(field, "%d characters, at most %d", len(v), max)
	}
}

func checkCountry(fe *FieldErrors, field, v string, required bool) {
	if v == "" && !required {
		return
	}
	if !countryRE.MatchString(v) {
		fe.add(field, "%q is not an ISO 3166-1 alpha-2 code (two capital letters)", v)
	}
}

// Validate normalises the market (preset alphabets expanded) and checks it.
func (m *Market) Validate() FieldErrors {
	var fe FieldErrors
	m.Code = strings.ToUpper(strings.TrimSpace(m.Code))
	if !marketRE.MatchString(m.Code) {
		fe.add("code", "%q: want 2 to 8 capital letters (ISO 3166-1 alpha-2 or a region such as EU)", m.Code)
	}
	requireText(&fe, "name", m.Name, 200)
	optionalText(&fe, "regulation", m.Regulation, 64)
	if m.SerialFormat == (SerialFormat{}) {
		m.SerialFormat = DefaultSerialFormat
	}
	m.SerialFormat.Normalize()
	if err := m.SerialFormat.Validate(); err != nil {
		fe.add("serial_format", "%v", err)
	}
	return fe
}

// Validate normalises the product (GTIN to 14 digits, formats expanded) and checks it.
// Whether its markets and sites exist is checked by the store.
func (p *Product) Validate() FieldErrors {
	var fe FieldErrors
	if g, err := gs1.ParseGTIN(strings.TrimSpace(p.GTIN)); err != nil {
		fe.add("gtin", "%s", gs1Reason(err))
	} else {
		p.GTIN = string(g)
	}
	if p.Kind == "" {
		p.Kind = "gtin"
	}
	if p.Kind != "gtin" && p.Kind != "ntin" {
		fe.add("kind", "%q: want gtin or ntin", p.Kind)
	}
	if p.CompanyPrefixLength < 6 || p.CompanyPrefixLength > 12 {
		fe.add("company_prefix_length", "%d: want 6 to 12", p.CompanyPrefixLength)
	}
	requireText(&fe, "name", p.Name, 200)
	optionalText(&fe, "common_name", p.CommonName, 200)
	optionalText(&fe, "dosage_form", p.DosageForm, 100)
	optionalText(&fe, "strength", p.Strength, 100)
	optionalText(&fe, "net_content", p.NetContent, 100)
	optionalText(&fe, "manufacturer", p.Manufacturer, 200)
	if p.PackSize < 1 {
		fe.add("pack_size", "%d: want a positive number of units", p.PackSize)
	}
	if p.NationalCodes == nil {
		p.NationalCodes = []NationalCode{}
	}
	seen := map[string]bool{}
	for _, nc := range p.NationalCodes {
		switch {
		case !schemeRE.MatchString(nc.Scheme):
			fe.add("national_codes", "scheme %q: want 1 to 32 letters, digits, _ or -", nc.Scheme)
		case nc.Code == "" || len(nc.Code) > 64:
			fe.add("national_codes", "%s code %q: want 1 to 64 characters", nc.Scheme, nc.Code)
		case strings.EqualFold(nc.Scheme, "NDC") && !validNDC(nc.Code):
			fe.add("national_codes", "NDC %q: want 10 digits as 4-4-2, 5-3-2 or 5-4-1 (or 11 digits)", nc.Code)
		case seen[nc.Scheme]:
			fe.add("national_codes", "scheme %s given twice", nc.Scheme)
		}
		seen[nc.Scheme] = true
	}
	if p.Markets == nil {
		p.Markets = []ProductMarket{}
	}
	seenM := map[string]bool{}
	for i := range p.Markets {
		m := &p.Markets[i]
		m.Market = strings.ToUpper(strings.TrimSpace(m.Market))
		if !marketRE.MatchString(m.Market) {
			fe.add("markets", "%q is not a market code", m.Market)
		}
		if seenM[m.Market] {
			fe.add("markets", "%s given twice", m.Market)
		}
		seenM[m.Market] = true
		if m.SerialFormat != nil {
			m.SerialFormat.Normalize()
			if err := m.SerialFormat.Validate(); err != nil {
				fe.add("serial_formats", "%s: %v", m.Market, err)
			}
		}
	}
	if p.Sites == nil {
		p.Sites = []string{}
	}
	for _, s := range p.Sites {
		if !idRE.MatchString(s) {
			fe.add("sites", "%q is not a site id", s)
		}
	}
	return fe
}

// validNDC accepts the 10-digit NDC in its three hyphenated layouts, or the 11-digit form.
func validNDC(s string) bool {
	parts := strings.Split(s, "-")
	lens := make([]int, len(parts))
	for i, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
		lens[i] = len(p)
	}
	switch fmt.Sprint(lens) {
	case "[4 4 2]", "[5 3 2]", "[5 4 1]", "[10]", "[11]", "[5 4 2]":
		return true
	}
	return false
}

// Validate checks a site record.
func (s *Site) Validate() FieldErrors {
	var fe FieldErrors
	if !idRE.MatchString(s.ID) {
		fe.add("id", "%q: want 1 to 64 letters, digits, '.', '_' or '-'", s.ID)
	}
	requireText(&fe, "name", s.Name, 200)
	if s.GLN != "" {
		if _, err := gs1.ParseGLN(s.GLN); err != nil {
			fe.add("gln", "%s", gs1Reason(err))
		}
	}
	if s.SGLN != "" {
		if _, _, _, err := gs1.ParseSGLNURI(s.SGLN); err != nil {
			fe.add("sgln", "%s", uriReason(err))
		}
	}
	checkCountry(&fe, "country", s.Country, false)
	s.Address.validate(&fe)
	return fe
}

func uriReason(err error) string {
	var ue *gs1.URIError
	if errors.As(err, &ue) {
		if ue.Component != "" {
			return ue.Component + ": " + ue.Msg
		}
		return ue.Msg
	}
	return err.Error()
}

// Validate checks a line record.
func (l *Line) Validate() FieldErrors {
	var fe FieldErrors
	if !idRE.MatchString(l.SiteID) {
		fe.add("site", "%q is not a site id", l.SiteID)
	}
	if !idRE.MatchString(l.ID) {
		fe.add("line", "%q: want 1 to 64 letters, digits, '.', '_' or '-'", l.ID)
	}
	optionalText(&fe, "name", l.Name, 200)
	optionalText(&fe, "vendor", l.Vendor, 100)
	optionalText(&fe, "model", l.Model, 100)
	if l.IdealRate < 0 || l.IdealRate > 100000 {
		fe.add("ideal_rate", "%g packs/min: want 0 to 100000", l.IdealRate)
	}
	return fe
}

// locationGLN returns the GLN of an SGLN URI or of a plain GLN.
func locationGLN(s string) (string, error) {
	if strings.HasPrefix(s, "urn:") {
		g, _, _, err := gs1.ParseSGLNURI(s)
		if err != nil {
			return "", errors.New(uriReason(err))
		}
		return string(g), nil
	}
	g, err := gs1.ParseGLN(s)
	if err != nil {
		return "", errors.New(gs1Reason(err))
	}
	return string(g), nil
}

// Validate checks a partner record.
func (p *Partner) Validate() FieldErrors {
	var fe FieldErrors
	if _, err := gs1.ParseGLN(p.GLN); err != nil {
		fe.add("gln", "%s", gs1Reason(err))
	}
	requireText(&fe, "name", p.Name, 200)
	checkCountry(&fe, "country", p.Country, false)
	if p.SGLNs == nil {
		p.SGLNs = []string{}
	}
	for _, s := range p.SGLNs {
		if _, err := locationGLN(s); err != nil {
			fe.add("sglns", "%s: %v", s, err)
		}
	}
	if p.Licences == nil {
		p.Licences = []Licence{}
	}
	for _, l := range p.Licences {
		if l.Number == "" || len(l.Number) > 64 {
			fe.add("licences", "licence number %q: want 1 to 64 characters", l.Number)
			continue
		}
		from, err := l.ValidFrom.Time()
		if err != nil {
			fe.add("licences", "licence %s: valid_from %q is not a date (YYYY-MM-DD)", l.Number, l.ValidFrom)
			continue
		}
		if l.ValidTo != "" {
			to, err := l.ValidTo.Time()
			if err != nil {
				fe.add("licences", "licence %s: valid_to %q is not a date (YYYY-MM-DD)", l.Number, l.ValidTo)
			} else if to.Before(from) {
				fe.add("licences", "licence %s: valid_to %s is before valid_from %s", l.Number, l.ValidTo, l.ValidFrom)
			}
		}
	}
	p.Address.validate(&fe)
	p.Delivery.validate(&fe)
	if p.TransportSettings == nil {
		p.TransportSettings = map[string]string{}
	}
	for k := range p.TransportSettings {
		if !schemeRE.MatchString(k) {
			fe.add("transport_settings", "setting name %q: want 1 to 32 letters, digits, _ or -", k)
		}
		if looksSecret(k) {
			fe.add("transport_settings", "setting %q looks like a secret: put it in transport_secrets", k)
		}
	}
	for k := range p.TransportSecrets {
		if !schemeRE.MatchString(k) {
			fe.add("transport_secrets", "secret name %q: want 1 to 32 letters, digits, _ or -", k)
		}
	}
	return fe
}

// looksSecret catches secrets put among the plain settings, which the API returns.
func looksSecret(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "secret", "token", "apikey", "api_key", "private"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func (a *Address) validate(fe *FieldErrors) {
	for _, f := range []*string{&a.Street1, &a.Street2, &a.City, &a.State, &a.PostalCode} {
		*f = strings.TrimSpace(*f)
		if len(*f) > 200 || strings.ContainsAny(*f, "|;\r\n") {
			fe.add("address", "%.40q: at most 200 characters, no '|', ';' or line breaks", *f)
		}
	}
}

var gatewayRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// checkURL accepts an absolute URL of one of schemes, without credentials (the API returns
// it; credentials belong in a reference or the secrets).
func checkURL(fe *FieldErrors, field, v string, schemes ...string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "":
		fe.add(field, "want an %s URL with a host", strings.Join(schemes, ", "))
	case u.User != nil:
		fe.add(field, "must not carry credentials: name them in credentials_ref")
	}
}

// checkRef accepts a reference to a secret (env:NAME or file:PATH), never a secret itself.
func checkRef(fe *FieldErrors, field, v string) {
	if v == "" {
		return
	}
	kind, name, ok := strings.Cut(v, ":")
	if !ok || (kind != "env" && kind != "file") || name == "" || len(v) > 500 {
		fe.add(field, "want a reference to the secret, env:NAME or file:PATH (the secret itself is never stored)")
	}
}

func (d *Delivery) validate(fe *FieldErrors) {
	checkURL(fe, "endpoint", d.Endpoint, "https", "http", "sftp", "as2")
	checkURL(fe, "vrs_endpoint", d.VRSEndpoint, "https", "http")
	checkRef(fe, "credentials_ref", d.CredentialsRef)
	checkRef(fe, "vrs_credentials_ref", d.VRSCredentialsRef)
	if d.Gateway != "" && !gatewayRE.MatchString(d.Gateway) {
		fe.add("gateway", "%q: want a gateway name such as dscsa", d.Gateway)
	}
	switch d.Transport {
	case "", "https", "capture", "as2":
	default:
		fe.add("transport", "%q: want https, capture or as2", d.Transport)
	}
	if d.Gateway != "" && (d.Transport == "" || d.Endpoint == "") {
		fe.add("transport", "gateway %s needs a transport and an endpoint", d.Gateway)
	}
	as2 := d.AS2ID != "" || d.AS2OurID != "" || d.AS2Cert != ""
	if as2 && (d.AS2ID == "" || d.AS2OurID == "" || d.AS2Cert == "") {
		fe.add("as2_id", "an AS2 agreement needs as2_id, as2_our_id and as2_cert")
	}
	if d.Transport == "as2" && !as2 {
		fe.add("as2_id", "transport as2 needs the AS2 agreement: as2_id, as2_our_id and as2_cert")
	}
	for _, f := range []struct{ name, v string }{{"as2_id", d.AS2ID}, {"as2_our_id", d.AS2OurID}} {
		if len(f.v) > 128 || strings.ContainsAny(f.v, "\"\r\n") {
			fe.add(f.name, "at most 128 characters, no quotes or line breaks")
		}
	}
	if d.AS2Cert != "" {
		d.AS2Cert = strings.TrimSpace(d.AS2Cert) + "\n"
		b, _ := pem.Decode([]byte(d.AS2Cert))
		if b == nil || b.Type != "CERTIFICATE" {
			fe.add("as2_cert", "want a PEM certificate")
		} else if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			fe.add("as2_cert", "%v", err)
		}
	}
}
