package masterdata

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// Store is the PostgreSQL side of master data. It alone turns driver errors into domain
// errors. Every write goes through put, which keeps the history.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// The record kinds, as named in the history, the API and the CSV import.
const (
	KindMarket  = "market"
	KindProduct = "product"
	KindSite    = "site"
	KindLine    = "line"
	KindPartner = "partner"
)

// PutOptions says how a write is made.
type PutOptions struct {
	By         string // who: recorded with the version
	CreateOnly bool   // refuse if the record exists
}

// Put results.
type Result[T any] struct {
	Record  T    `json:"record"`
	Changed bool `json:"changed"` // false: the record already had this content
	Created bool `json:"created"`
}

// kind is what put needs to know about one record type.
type kind[T any] struct {
	name  string
	key   func(*T) string
	meta  func(*T) *Meta
	lock  func(ctx context.Context, tx pgx.Tx, key string) (T, error) // NotFound if absent
	check func(ctx context.Context, tx pgx.Tx, v *T) FieldErrors      // references to other records
	write func(ctx context.Context, tx pgx.Tx, v *T) error            // v.Meta is set; fills what the database decides
}

// put creates or updates a record in tx and records the new version. The caller's
// Meta.Version, when not 0, must be the current version (optimistic locking).
func put[T any](ctx context.Context, tx pgx.Tx, k kind[T], v T, validate func(*T) FieldErrors, opt PutOptions) (Result[T], error) {
	var res Result[T]
	if fe := validate(&v); len(fe) > 0 {
		return res, fe.Err(k.name)
	}
	key := k.key(&v)
	if k.check != nil {
		if fe := k.check(ctx, tx, &v); len(fe) > 0 {
			return res, fe.Err(k.name + " " + key)
		}
	}
	expect := k.meta(&v).Version
	cur, err := k.lock(ctx, tx, key)
	exists := err == nil
	if err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
		return res, err
	}
	switch {
	case exists && opt.CreateOnly:
		return res, domain.Errorf(domain.CodeConflict, "%s %s exists already (version %d): update it instead", k.name, key, k.meta(&cur).Version)
	case !exists && expect > 0:
		return res, domain.Errorf(domain.CodeNotFound, "%s %s does not exist", k.name, key)
	case exists && expect > 0 && expect != k.meta(&cur).Version:
		return res, domain.Errorf(domain.CodeConflict, "%s %s is at version %d, the change was based on version %d: read it again",
			k.name, key, k.meta(&cur).Version, expect)
	}
	if exists && sameContent(k, cur, v) {
		return Result[T]{Record: cur}, nil
	}
	m := k.meta(&v)
	m.Version, m.UpdatedBy = 1, opt.By
	if exists {
		m.Version = k.meta(&cur).Version + 1
	}
	if err := k.write(ctx, tx, &v); err != nil {
		return res, storeErr(err, k.name, key)
	}
	data, err := json.Marshal(publicView(v))
	if err != nil {
		return res, fmt.Errorf("%s %s: encode version: %w", k.name, key, err)
	}
	if _, err := tx.Exec(ctx, q.Get("InsertVersion"), k.name, key, m.Version, data, opt.By); err != nil {
		return res, storeErr(err, k.name, key)
	}
	return Result[T]{Record: v, Changed: true, Created: !exists}, nil
}

// sameContent compares two records without their metadata. A partner write that carries
// secrets always counts as a change: stored secrets are never read back to compare.
func sameContent[T any](k kind[T], a, b T) bool {
	switch bv := any(b).(type) {
	case Partner:
		if bv.TransportSecrets != nil {
			return false
		}
		bv.SecretKeys = any(a).(Partner).SecretKeys
		b = any(bv).(T)
	case Site:
		bv.CreatedAt = any(a).(Site).CreatedAt
		b = any(bv).(T)
	}
	*k.meta(&a), *k.meta(&b) = Meta{}, Meta{}
	ja, errA := json.Marshal(publicView(a))
	jb, errB := json.Marshal(publicView(b))
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// publicView strips what must never be stored in the history or returned.
func publicView[T any](v T) T {
	if p, ok := any(v).(Partner); ok {
		p.TransportSecrets = nil
		return any(p).(T)
	}
	return v
}

// storeErr turns driver errors into domain errors.
func storeErr(err error, what, key string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "40001", "40P01":
			return domain.Errorf(domain.CodeConflict, "%s %s was changed concurrently: try again", what, key)
		case "23503":
			return domain.Errorf(domain.CodeInvalid, "%s %s refers to a record that does not exist (%s)", what, key, pgErr.ConstraintName)
		case "23514":
			return domain.Errorf(domain.CodeInvalid, "%s %s breaks rule %s", what, key, pgErr.ConstraintName)
		}
	}
	return fmt.Errorf("%s %s: %w", what, key, err)
}

// inTx runs f in a transaction.
func (s *Store) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("masterdata: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("masterdata: commit: %w", err)
	}
	return nil
}

func putOne[T any](ctx context.Context, s *Store, k kind[T], v T, validate func(*T) FieldErrors, opt PutOptions) (Result[T], error) {
	var res Result[T]
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = put(ctx, tx, k, v, validate, opt)
		return err
	})
	return res, err
}

func one[T any](row pgx.Row, scan func(pgx.Row, *T) error, what, key string) (T, error) {
	var v T
	err := scan(row, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, domain.Errorf(domain.CodeNotFound, "%s %s is not in the master data", what, key)
	}
	if err != nil {
		return v, fmt.Errorf("read %s %s: %w", what, key, err)
	}
	return v, nil
}

func many[T any](rows pgx.Rows, err error, scan func(pgx.Row, *T) error, what string) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var v T
		return v, scan(r, &v)
	})
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", what, err)
	}
	return out, nil
}

// Page bounds a list: records with keys after After, at most Limit (default 100, max 1000).
type Page struct {
	After string
	Limit int
}

func (p Page) limit() int {
	if p.Limit <= 0 {
		return 100
	}
	return min(p.Limit, 1000)
}

// Version is one recorded version of a record.
type Version struct {
	Version   int             `json:"version"`
	Data      json.RawMessage `json:"data"`
	ChangedBy string          `json:"changed_by"`
	ChangedAt time.Time       `json:"changed_at"`
}

// Versions lists every recorded version of a record, oldest first. Lines are keyed
// "site/line".
func (s *Store) Versions(ctx context.Context, kind, key string) ([]Version, error) {
	rows, err := s.pool.Query(ctx, q.Get("Versions"), kind, key)
	return many(rows, err, func(r pgx.Row, v *Version) error {
		return r.Scan(&v.Version, &v.Data, &v.ChangedBy, &v.ChangedAt)
	}, kind+" version")
}

// --- markets

func scanMarket(r pgx.Row, m *Market) error {
	return r.Scan(&m.Code, &m.Name, &m.Regulation, &m.SerialFormat.Alphabet, &m.SerialFormat.Length,
		&m.Version, &m.UpdatedAt, &m.UpdatedBy)
}

var marketKind = kind[Market]{
	name: KindMarket,
	key:  func(m *Market) string { return m.Code },
	meta: func(m *Market) *Meta { return &m.Meta },
	lock: func(ctx context.Context, tx pgx.Tx, key string) (Market, error) {
		return one(tx.QueryRow(ctx, q.Get("LockMarket"), key), scanMarket, KindMarket, key)
	},
	write: func(ctx context.Context, tx pgx.Tx, m *Market) error {
		return tx.QueryRow(ctx, q.Get("PutMarket"), m.Code, m.Name, m.Regulation, m.SerialFormat.Alphabet,
			m.SerialFormat.Length, m.Version, m.UpdatedBy).Scan(&m.UpdatedAt)
	},
}

// PutMarket creates or updates a market.
func (s *Store) PutMarket(ctx context.Context, m Market, opt PutOptions) (Result[Market], error) {
	return putOne(ctx, s, marketKind, m, (*Market).Validate, opt)
}

// Market reads a market.
func (s *Store) Market(ctx context.Context, code string) (Market, error) {
	return one(s.pool.QueryRow(ctx, q.Get("GetMarket"), code), scanMarket, KindMarket, code)
}

// Markets lists markets by code.
func (s *Store) Markets(ctx context.Context, p Page) ([]Market, error) {
	rows, err := s.pool.Query(ctx, q.Get("ListMarkets"), p.After, p.limit())
	return many(rows, err, scanMarket, KindMarket)
}

// --- products

func scanProduct(r pgx.Row, p *Product) error {
	return r.Scan(&p.GTIN, &p.Kind, &p.CompanyPrefixLength, &p.Name, &p.CommonName, &p.DosageForm, &p.Strength,
		&p.NetContent, &p.Manufacturer, &p.PackSize, &p.NationalCodes, &p.Markets, &p.Sites, &p.Version, &p.UpdatedAt, &p.UpdatedBy)
}

var productKind = kind[Product]{
	name: KindProduct,
	key:  func(p *Product) string { return p.GTIN },
	meta: func(p *Product) *Meta { return &p.Meta },
	lock: func(ctx context.Context, tx pgx.Tx, key string) (Product, error) {
		return one(tx.QueryRow(ctx, q.Get("LockProduct"), key), scanProduct, KindProduct, key)
	},
	check: func(ctx context.Context, tx pgx.Tx, p *Product) FieldErrors {
		var fe FieldErrors
		codes := make([]string, len(p.Markets))
		for i, m := range p.Markets {
			codes[i] = m.Market
		}
		rows, err := tx.Query(ctx, q.Get("MarketsIn"), codes)
		markets, err := many(rows, err, scanMarket, KindMarket)
		if err != nil {
			fe.add("markets", "cannot read markets: %v", err)
			return fe
		}
		for _, c := range codes {
			if !slices.ContainsFunc(markets, func(m Market) bool { return m.Code == c }) {
				fe.add("markets", "market %s is not in the master data", c)
			}
		}
		if len(fe) == 0 {
			if _, err := p.SerialFormat(markets); err != nil {
				fe.add("serial_formats", "%v", err)
			}
		}
		rows, err = tx.Query(ctx, q.Get("SitesIn"), p.Sites)
		if err == nil {
			var have []string
			if have, err = pgx.CollectRows(rows, pgx.RowTo[string]); err == nil {
				for _, s := range p.Sites {
					if !slices.Contains(have, s) {
						fe.add("sites", "site %s is not in the master data", s)
					}
				}
			}
		}
		if err != nil {
			fe.add("sites", "cannot read sites: %v", err)
		}
		return fe
	},
	write: func(ctx context.Context, tx pgx.Tx, p *Product) error {
		return tx.QueryRow(ctx, q.Get("PutProduct"), p.GTIN, p.Kind, p.CompanyPrefixLength, p.Name, p.CommonName,
			p.DosageForm, p.Strength, p.NetContent, p.Manufacturer, p.PackSize, p.NationalCodes, p.Markets, p.Sites, p.Version, p.UpdatedBy).
			Scan(&p.UpdatedAt)
	},
}

// SerialFormat is the format serials of the product must have: the strictest of its markets'
// formats (the product's own per-market format where given, else the market's). markets
// must hold every market the product names. A product without markets gets the default.
func (p Product) SerialFormat(markets []Market) (SerialFormat, error) {
	var fs []SerialFormat
	for _, pm := range p.Markets {
		if pm.SerialFormat != nil {
			fs = append(fs, *pm.SerialFormat)
			continue
		}
		i := slices.IndexFunc(markets, func(m Market) bool { return m.Code == pm.Market })
		if i < 0 {
			return SerialFormat{}, fmt.Errorf("market %s is not in the master data", pm.Market)
		}
		fs = append(fs, markets[i].SerialFormat)
	}
	return Strictest(fs)
}

// PutProduct creates or updates a product.
func (s *Store) PutProduct(ctx context.Context, p Product, opt PutOptions) (Result[Product], error) {
	return putOne(ctx, s, productKind, p, (*Product).Validate, opt)
}

// Product reads a product by GTIN (any GTIN form; NotFound if unknown, Invalid if malformed).
func (s *Store) Product(ctx context.Context, gtin string) (Product, error) {
	g, err := gs1.ParseGTIN(gtin)
	if err != nil {
		return Product{}, domain.Errorf(domain.CodeInvalid, "GTIN %q: %s", gtin, gs1Reason(err))
	}
	return one(s.pool.QueryRow(ctx, q.Get("GetProduct"), string(g)), scanProduct, "GTIN", string(g))
}

// ProductsByGTIN reads many products at once (14-digit GTINs); unknown ones are absent
// from the map. For intake, which checks every GTIN of a document.
func (s *Store) ProductsByGTIN(ctx context.Context, gtins []string) (map[string]Product, error) {
	rows, err := s.pool.Query(ctx, q.Get("ProductsIn"), gtins)
	ps, err := many(rows, err, scanProduct, KindProduct)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Product, len(ps))
	for _, p := range ps {
		out[p.GTIN] = p
	}
	return out, nil
}

// Products lists products by GTIN.
func (s *Store) Products(ctx context.Context, p Page) ([]Product, error) {
	rows, err := s.pool.Query(ctx, q.Get("ListProducts"), p.After, p.limit())
	return many(rows, err, scanProduct, KindProduct)
}

// ProductSerialFormat returns the serial format of a product's pool (see Product.SerialFormat).
func (s *Store) ProductSerialFormat(ctx context.Context, p Product) (SerialFormat, error) {
	codes := make([]string, len(p.Markets))
	for i, m := range p.Markets {
		codes[i] = m.Market
	}
	rows, err := s.pool.Query(ctx, q.Get("MarketsIn"), codes)
	markets, err := many(rows, err, scanMarket, KindMarket)
	if err != nil {
		return SerialFormat{}, err
	}
	f, err := p.SerialFormat(markets)
	if err != nil {
		return f, domain.Errorf(domain.CodeInvalid, "GTIN %s: %v", p.GTIN, err)
	}
	return f, nil
}

// --- sites

func scanSite(r pgx.Row, s *Site) error {
	return r.Scan(&s.ID, &s.Name, &s.GLN, &s.SGLN, &s.Country, &s.Address, &s.CreatedAt, &s.Version, &s.UpdatedAt, &s.UpdatedBy)
}

var siteKind = kind[Site]{
	name: KindSite,
	key:  func(s *Site) string { return s.ID },
	meta: func(s *Site) *Meta { return &s.Meta },
	lock: func(ctx context.Context, tx pgx.Tx, key string) (Site, error) {
		return one(tx.QueryRow(ctx, q.Get("LockSite"), key), scanSite, KindSite, key)
	},
	write: func(ctx context.Context, tx pgx.Tx, s *Site) error {
		if err := tx.QueryRow(ctx, q.Get("PutSite"), s.ID, s.Name, s.GLN, s.SGLN, s.Country, s.Address, s.Version, s.UpdatedBy).
			Scan(&s.UpdatedAt); err != nil {
			return err
		}
		if s.CreatedAt.IsZero() {
			s.CreatedAt = s.UpdatedAt
		}
		return nil
	},
}

// PutSite creates or updates a site.
func (s *Store) PutSite(ctx context.Context, site Site, opt PutOptions) (Result[Site], error) {
	return putOne(ctx, s, siteKind, site, (*Site).Validate, opt)
}

// Site reads a site.
func (s *Store) Site(ctx context.Context, id string) (Site, error) {
	return one(s.pool.QueryRow(ctx, q.Get("GetSite"), id), scanSite, KindSite, id)
}

// Sites lists sites by id.
func (s *Store) Sites(ctx context.Context, p Page) ([]Site, error) {
	rows, err := s.pool.Query(ctx, q.Get("ListSites"), p.After, p.limit())
	return many(rows, err, scanSite, KindSite)
}

// --- lines

func scanLine(r pgx.Row, l *Line) error {
	return r.Scan(&l.SiteID, &l.ID, &l.Name, &l.Vendor, &l.Model, &l.IdealRate, &l.Version, &l.UpdatedAt, &l.UpdatedBy)
}

// LineKey is how a line is named in the history and in messages: site/line.
func LineKey(site, line string) string { return site + "/" + line }

var lineKind = kind[Line]{
	name: KindLine,
	key:  func(l *Line) string { return LineKey(l.SiteID, l.ID) },
	meta: func(l *Line) *Meta { return &l.Meta },
	lock: func(ctx context.Context, tx pgx.Tx, key string) (Line, error) {
		site, line, _ := cutKey(key)
		return one(tx.QueryRow(ctx, q.Get("LockLine"), site, line), scanLine, KindLine, key)
	},
	check: func(ctx context.Context, tx pgx.Tx, l *Line) FieldErrors {
		var fe FieldErrors
		var site Site
		err := scanSite(tx.QueryRow(ctx, q.Get("GetSite"), l.SiteID), &site)
		if errors.Is(err, pgx.ErrNoRows) {
			fe.add("site", "site %s is not in the master data", l.SiteID)
		} else if err != nil {
			fe.add("site", "cannot read site: %v", err)
		}
		return fe
	},
	write: func(ctx context.Context, tx pgx.Tx, l *Line) error {
		return tx.QueryRow(ctx, q.Get("PutLine"), l.SiteID, l.ID, l.Name, l.Vendor, l.Model, l.IdealRate, l.Version,
			l.UpdatedBy).Scan(&l.UpdatedAt)
	},
}

func cutKey(key string) (string, string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

// PutLine creates or updates a packaging line.
func (s *Store) PutLine(ctx context.Context, l Line, opt PutOptions) (Result[Line], error) {
	return putOne(ctx, s, lineKind, l, (*Line).Validate, opt)
}

// Line reads a site's packaging line (NotFound if the site has no such line).
func (s *Store) Line(ctx context.Context, site, line string) (Line, error) {
	return one(s.pool.QueryRow(ctx, q.Get("GetLine"), site, line), scanLine, KindLine, LineKey(site, line))
}

// Lines lists a site's lines by id.
func (s *Store) Lines(ctx context.Context, site string, p Page) ([]Line, error) {
	rows, err := s.pool.Query(ctx, q.Get("ListLines"), site, p.After, p.limit())
	return many(rows, err, scanLine, KindLine)
}

// --- partners

func scanPartner(r pgx.Row, p *Partner) error {
	return r.Scan(&p.GLN, &p.Name, &p.Country, &p.SGLNs, &p.Licences, &p.Address, &p.Gateway, &p.Transport,
		&p.Endpoint, &p.CredentialsRef, &p.Disabled, &p.AS2ID, &p.AS2OurID, &p.AS2Cert, &p.VRSEndpoint,
		&p.VRSCredentialsRef, &p.TransportSettings, &p.SecretKeys, &p.Version, &p.UpdatedAt, &p.UpdatedBy)
}

var partnerKind = kind[Partner]{
	name: KindPartner,
	key:  func(p *Partner) string { return p.GLN },
	meta: func(p *Partner) *Meta { return &p.Meta },
	lock: func(ctx context.Context, tx pgx.Tx, key string) (Partner, error) {
		return one(tx.QueryRow(ctx, q.Get("LockPartner"), key), scanPartner, KindPartner, key)
	},
	write: func(ctx context.Context, tx pgx.Tx, p *Partner) error {
		locs := []string{p.GLN}
		for _, s := range p.SGLNs {
			if g, err := locationGLN(s); err == nil && !slices.Contains(locs, g) {
				locs = append(locs, g)
			}
		}
		var secrets any // nil keeps the stored secrets
		if p.TransportSecrets != nil {
			secrets = p.TransportSecrets
		}
		err := tx.QueryRow(ctx, q.Get("PutPartner"), p.GLN, p.Name, p.Country, p.SGLNs, locs, p.Licences, p.Address,
			p.Gateway, p.Transport, p.Endpoint, p.CredentialsRef, p.Disabled, p.AS2ID, p.AS2OurID, p.AS2Cert,
			p.VRSEndpoint, p.VRSCredentialsRef, p.TransportSettings, secrets, p.Version, p.UpdatedBy).
			Scan(&p.UpdatedAt, &p.SecretKeys)
		p.TransportSecrets = nil
		return err
	},
}

// PutPartner creates or updates a trading partner. Nil TransportSecrets keeps the stored
// ones; the result never carries secrets.
func (s *Store) PutPartner(ctx context.Context, p Partner, opt PutOptions) (Result[Partner], error) {
	p.SecretKeys = nil
	if p.TransportSecrets != nil {
		p.SecretKeys = secretKeys(p.TransportSecrets)
	}
	res, err := putOne(ctx, s, partnerKind, p, (*Partner).Validate, opt)
	res.Record.TransportSecrets = nil
	return res, err
}

// Partner returns the trading partner a GLN or SGLN URI belongs to: the partner's own GLN or
// one of its locations. Use Partner.LicensedOn to check its licences on a ship date.
func (s *Store) Partner(ctx context.Context, glnOrSGLN string) (Partner, error) {
	g, err := locationGLN(glnOrSGLN)
	if err != nil {
		return Partner{}, domain.Errorf(domain.CodeInvalid, "partner location %q: %v", glnOrSGLN, err)
	}
	return one(s.pool.QueryRow(ctx, q.Get("PartnerAt"), g), scanPartner, KindPartner, glnOrSGLN)
}

// Partners lists trading partners by GLN.
func (s *Store) Partners(ctx context.Context, p Page) ([]Partner, error) {
	rows, err := s.pool.Query(ctx, q.Get("ListPartners"), p.After, p.limit())
	return many(rows, err, scanPartner, KindPartner)
}

// TransportSecrets returns a partner's transport secrets, for the gateway that delivers to
// it. Never expose the result through the API or a log.
func (s *Store) TransportSecrets(ctx context.Context, gln string) (map[string]string, error) {
	var m map[string]string
	err := s.pool.QueryRow(ctx, q.Get("PartnerSecrets"), gln).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.CodeNotFound, "partner %s is not in the master data", gln)
	}
	if err != nil {
		return nil, fmt.Errorf("read partner %s secrets: %w", gln, err)
	}
	return m, nil
}

// Delivery returns the delivery settings of the partner a GLN or SGLN URI belongs to (its own
// GLN or one of its locations'): what the gateways, the submission hook, AS2 and VRS read.
// NotFound when no partner has the location; a partner without a gateway has Gateway "".
func (s *Store) Delivery(ctx context.Context, glnOrSGLN string) (domain.Delivery, error) {
	p, err := s.Partner(ctx, glnOrSGLN)
	if err != nil {
		return domain.Delivery{}, err
	}
	return p.DeliveryOf(), nil
}
