package masterdata

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// columns lists each kind's CSV columns; the required ones come first, up to required[kind].
var columns = map[string][]string{
	KindMarket:  {"code", "name", "regulation", "serial_format"},
	KindProduct: {"gtin", "company_prefix_length", "name", "pack_size", "kind", "common_name", "dosage_form", "strength", "net_content", "manufacturer", "national_codes", "markets", "serial_formats", "sites"},
	KindSite:    {"id", "name", "gln", "sgln", "country", "address"},
	KindLine:    {"site", "line", "name", "vendor", "model", "ideal_rate"},
	KindPartner: {"gln", "name", "country", "sglns", "licences", "address", "gateway", "transport", "endpoint", "credentials_ref",
		"disabled", "as2_id", "as2_our_id", "as2_cert", "vrs_endpoint", "vrs_credentials_ref", "transport_settings", "transport_secrets"},
}

var required = map[string]int{KindMarket: 2, KindProduct: 4, KindSite: 2, KindLine: 2, KindPartner: 2}

// Kinds lists the kinds the import knows, in the order references need them loaded.
var Kinds = []string{KindMarket, KindSite, KindLine, KindProduct, KindPartner}

// DetectKind names the kind of a CSV file from its header: the column that only that kind
// has (gtin, line, code, id, gln, checked in that order).
func DetectKind(header []string) (string, error) {
	has := func(c string) bool { return slices.Contains(header, c) }
	switch {
	case has("gtin"):
		return KindProduct, nil
	case has("line"):
		return KindLine, nil
	case has("code"):
		return KindMarket, nil
	case has("id"):
		return KindSite, nil
	case has("gln"):
		return KindPartner, nil
	}
	return "", fmt.Errorf("cannot tell the kind from the header %q: want a gtin (products), line (lines), code (markets), id (sites) or gln (partners) column, or give the kind", strings.Join(header, ","))
}

// RowError is one problem of one row. Row is the line number in the file (the header is row
// 1), as a spreadsheet shows it.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Message)
}

// ImportOptions says what to import and how.
type ImportOptions struct {
	Kind string // "" detects it from the header
	// AllOrNothing (the default of the CLI and API) imports nothing if any row is wrong;
	// otherwise the valid rows are imported and the wrong ones reported.
	AllOrNothing bool
	By           string
}

// ImportResult says what an import did.
type ImportResult struct {
	Kind         string     `json:"kind"`
	AllOrNothing bool       `json:"all_or_nothing"`
	Rows         int        `json:"rows"`
	Created      int        `json:"created"`
	Updated      int        `json:"updated"`
	Unchanged    int        `json:"unchanged"`
	Rejected     int        `json:"rejected"`  // rows with errors
	Committed    bool       `json:"committed"` // false: nothing was imported
	Errors       []RowError `json:"errors"`
}

// Import reads a CSV file of one kind and creates or updates its records in one transaction,
// each row in its own savepoint so that a row that fails in the database does not stop the
// others from being checked. With AllOrNothing, any error rolls everything back.
func (s *Store) Import(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{AllOrNothing: opt.AllOrNothing, Errors: []RowError{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // reported per row below, with its row number
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return res, domain.Errorf(domain.CodeInvalid, "CSV header: %v", err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	kind := opt.Kind
	if kind == "" {
		if kind, err = DetectKind(header); err != nil {
			return res, domain.Errorf(domain.CodeInvalid, "%v", err)
		}
	}
	cols, ok := columns[kind]
	if !ok {
		return res, domain.Errorf(domain.CodeInvalid, "unknown kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
	}
	res.Kind = kind
	for _, h := range header {
		if !slices.Contains(cols, h) {
			return res, domain.Errorf(domain.CodeInvalid, "row 1, column %s: not a %s column (columns: %s)", h, kind, strings.Join(cols, ","))
		}
	}
	for _, c := range cols[:required[kind]] {
		if !slices.Contains(header, c) {
			return res, domain.Errorf(domain.CodeInvalid, "row 1: the %s column is missing (required for %ss: %s)", c, kind,
				strings.Join(cols[:required[kind]], ","))
		}
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("import: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	seen := map[string]int{}
	for rowNo := 2; ; rowNo++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			res.Errors = append(res.Errors, RowError{Row: pe.StartLine, Message: pe.Err.Error()})
			res.Rows++
			res.Rejected++
			if !errors.Is(pe.Err, csv.ErrFieldCount) {
				break // the reader cannot resynchronise after a quoting error
			}
			continue
		}
		if err != nil {
			return res, domain.Errorf(domain.CodeInvalid, "row %d: %v", rowNo, err)
		}
		line, _ := cr.FieldPos(0)
		rowNo = line
		res.Rows++
		if len(rec) != len(header) {
			res.Errors = append(res.Errors, RowError{Row: rowNo, Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			res.Rejected++
			continue
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = strings.TrimSpace(rec[i])
		}
		errs, changed, created := s.importRow(ctx, tx, kind, row, rowNo, seen, opt.By)
		switch {
		case len(errs) > 0:
			res.Errors = append(res.Errors, errs...)
			res.Rejected++
		case created:
			res.Created++
		case changed:
			res.Updated++
		default:
			res.Unchanged++
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	if len(res.Errors) > 0 && opt.AllOrNothing {
		res.Created, res.Updated, res.Unchanged = 0, 0, 0
		return res, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("import: commit: %w", err)
	}
	res.Committed = true
	return res, nil
}

// importRow parses and stores one row inside a savepoint.
func (s *Store) importRow(ctx context.Context, tx pgx.Tx, kind string, row map[string]string, rowNo int,
	seen map[string]int, by string) (errs []RowError, changed, created bool) {
	var p rowParser
	var key string
	var do func(pgx.Tx) (bool, bool, error)
	var validate func() FieldErrors // on a copy: for the other columns of a row that did not parse
	opt := PutOptions{By: by}
	switch kind {
	case KindMarket:
		m := Market{Code: row["code"], Name: row["name"], Regulation: row["regulation"]}
		if v := row["serial_format"]; v != "" {
			m.SerialFormat = p.format("serial_format", v)
		}
		key = strings.ToUpper(m.Code)
		validate = func() FieldErrors { c := m; return c.Validate() }
		do = func(tx pgx.Tx) (bool, bool, error) {
			r, err := put(ctx, tx, marketKind, m, (*Market).Validate, opt)
			return r.Changed, r.Created, err
		}
	case KindProduct:
		pr := Product{GTIN: row["gtin"], Kind: row["kind"], Name: row["name"], CommonName: row["common_name"],
			DosageForm: row["dosage_form"], Strength: row["strength"], NetContent: row["net_content"],
			Manufacturer:        row["manufacturer"],
			CompanyPrefixLength: p.int("company_prefix_length", row["company_prefix_length"]),
			PackSize:            p.int("pack_size", row["pack_size"]),
			Sites:               splitList(row["sites"]),
		}
		for _, kv := range p.pairs("national_codes", row["national_codes"]) {
			pr.NationalCodes = append(pr.NationalCodes, NationalCode{Scheme: kv[0], Code: kv[1]})
		}
		formats := map[string]SerialFormat{}
		for _, kv := range p.pairs("serial_formats", row["serial_formats"]) {
			formats[strings.ToUpper(kv[0])] = p.format("serial_formats", kv[1])
		}
		for _, m := range splitList(row["markets"]) {
			pm := ProductMarket{Market: strings.ToUpper(m)}
			if f, ok := formats[pm.Market]; ok {
				pm.SerialFormat = &f
				delete(formats, pm.Market)
			}
			pr.Markets = append(pr.Markets, pm)
		}
		for m := range formats {
			p.fail("serial_formats", "market %s is not in the markets column", m)
		}
		key = pr.GTIN
		if g, err := gs1.ParseGTIN(pr.GTIN); err == nil {
			key = string(g)
		}
		validate = func() FieldErrors { c := pr; return c.Validate() }
		do = func(tx pgx.Tx) (bool, bool, error) {
			r, err := put(ctx, tx, productKind, pr, (*Product).Validate, opt)
			return r.Changed, r.Created, err
		}
	case KindSite:
		st := Site{ID: row["id"], Name: row["name"], GLN: row["gln"], SGLN: row["sgln"], Country: row["country"],
			Address: p.address(row["address"])}
		key = st.ID
		validate = func() FieldErrors { c := st; return c.Validate() }
		do = func(tx pgx.Tx) (bool, bool, error) {
			r, err := put(ctx, tx, siteKind, st, (*Site).Validate, opt)
			return r.Changed, r.Created, err
		}
	case KindLine:
		l := Line{SiteID: row["site"], ID: row["line"], Name: row["name"], Vendor: row["vendor"], Model: row["model"]}
		if v := row["ideal_rate"]; v != "" {
			l.IdealRate = p.float("ideal_rate", v)
		}
		key = LineKey(l.SiteID, l.ID)
		validate = func() FieldErrors { c := l; return c.Validate() }
		do = func(tx pgx.Tx) (bool, bool, error) {
			r, err := put(ctx, tx, lineKind, l, (*Line).Validate, opt)
			return r.Changed, r.Created, err
		}
	case KindPartner:
		pa := Partner{GLN: row["gln"], Name: row["name"], Country: row["country"], SGLNs: splitList(row["sglns"]),
			Address: p.address(row["address"]), TransportSettings: map[string]string{},
			Delivery: Delivery{Gateway: row["gateway"], Transport: row["transport"], Endpoint: row["endpoint"],
				CredentialsRef: row["credentials_ref"], Disabled: p.bool("disabled", row["disabled"]), AS2ID: row["as2_id"],
				AS2OurID: row["as2_our_id"], AS2Cert: row["as2_cert"], VRSEndpoint: row["vrs_endpoint"],
				VRSCredentialsRef: row["vrs_credentials_ref"]}}
		for _, l := range splitList(row["licences"]) {
			f := strings.Split(l, "|")
			if len(f) < 3 || len(f) > 4 {
				p.fail("licences", "%q: want number|type|valid_from[|valid_to]", l)
				continue
			}
			lic := Licence{Number: f[0], Type: f[1], ValidFrom: Date(f[2])}
			if len(f) == 4 {
				lic.ValidTo = Date(f[3])
			}
			pa.Licences = append(pa.Licences, lic)
		}
		for _, kv := range p.pairs("transport_settings", row["transport_settings"]) {
			pa.TransportSettings[kv[0]] = kv[1]
		}
		if v, ok := row["transport_secrets"]; ok && v != "" {
			pa.TransportSecrets = map[string]string{}
			for _, kv := range p.pairs("transport_secrets", v) {
				pa.TransportSecrets[kv[0]] = kv[1]
			}
			pa.SecretKeys = secretKeys(pa.TransportSecrets)
		}
		key = pa.GLN
		validate = func() FieldErrors { c := pa; return c.Validate() }
		do = func(tx pgx.Tx) (bool, bool, error) {
			r, err := put(ctx, tx, partnerKind, pa, (*Partner).Validate, opt)
			return r.Changed, r.Created, err
		}
	}
	if len(p.errs) > 0 {
		failed := map[string]bool{}
		for _, e := range p.errs {
			failed[e.Field] = true
		}
		for _, e := range validate() {
			if !failed[e.Field] {
				p.errs = append(p.errs, e)
			}
		}
		for _, e := range p.errs {
			errs = append(errs, RowError{Row: rowNo, Column: e.Field, Message: e.Message})
		}
		return errs, false, false
	}
	if first, dup := seen[key]; dup {
		return []RowError{{Row: rowNo, Message: fmt.Sprintf("%s %s is also on row %d", kind, key, first)}}, false, false
	}
	seen[key] = rowNo
	sp, err := tx.Begin(ctx) // a savepoint
	if err == nil {
		changed, created, err = do(sp)
		if err == nil {
			err = sp.Commit(ctx)
		} else {
			_ = sp.Rollback(ctx)
		}
	}
	if err != nil {
		if fe := Fields(err); len(fe) > 0 {
			for _, e := range fe {
				errs = append(errs, RowError{Row: rowNo, Column: e.Field, Message: e.Message})
			}
		} else {
			errs = append(errs, RowError{Row: rowNo, Message: domain.ErrorMessage(err)})
		}
		return errs, false, false
	}
	return nil, changed, created
}

// rowParser collects the errors of turning CSV cells into values.
type rowParser struct{ errs FieldErrors }

func (p *rowParser) fail(col, format string, args ...any) { p.errs.add(col, format, args...) }

func (p *rowParser) int(col, v string) int {
	if v == "" {
		return 0 // Validate names the missing value
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(col, "%q is not a whole number", v)
	}
	return n
}

// bool reads true/false (also yes/no, 1/0); empty is false.
func (p *rowParser) bool(col, v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "no", "0":
		return false
	case "true", "yes", "1":
		return true
	}
	p.fail(col, "%q: want true or false", v)
	return false
}

// address reads street1|street2|city|state|postal_code (trailing parts may be left out).
func (p *rowParser) address(v string) Address {
	if strings.TrimSpace(v) == "" {
		return Address{}
	}
	f := strings.Split(v, "|")
	if len(f) > 5 {
		p.fail("address", "%q: want street1|street2|city|state|postal_code", v)
		return Address{}
	}
	f = append(f, make([]string, 5-len(f))...)
	return Address{Street1: f[0], Street2: f[1], City: f[2], State: f[3], PostalCode: f[4]}
}

func (p *rowParser) float(col, v string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.fail(col, "%q is not a number", v)
	}
	return f
}

// format parses ALPHABET/LENGTH, the alphabet being a preset name or the characters.
func (p *rowParser) format(col, v string) SerialFormat {
	i := strings.LastIndexByte(v, '/')
	if i < 0 {
		p.fail(col, "%q: want ALPHABET/LENGTH, e.g. numeric/12 or alphanumeric/20", v)
		return SerialFormat{}
	}
	n, err := strconv.Atoi(v[i+1:])
	if err != nil {
		p.fail(col, "%q: length %q is not a whole number", v, v[i+1:])
	}
	return SerialFormat{Alphabet: v[:i], Length: n}
}

// pairs parses "k=v;k=v".
func (p *rowParser) pairs(col, v string) [][2]string {
	var out [][2]string
	for _, item := range splitList(v) {
		k, val, ok := strings.Cut(item, "=")
		if !ok || k == "" {
			p.fail(col, "%q: want NAME=VALUE items separated by ';'", item)
			continue
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(val)})
	}
	return out
}

// splitList splits a ';'-separated cell, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
