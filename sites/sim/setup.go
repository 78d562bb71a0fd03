package sim

import (
	"context"
	"fmt"
	"net/http"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// world is the master data of a run.
type world struct {
	sites    []*site
	partners []partner
}

type site struct {
	id, name, country string
	prefix            string // GS1 company prefix (7 digits)
	gln               gs1.GLN
	sgln              string // the site's location, urn:epc:id:sgln:PREFIX.00000.0
	gtin              gs1.GTIN
	api               *client // with the site's key
	lines             []lineInfo
}

type lineInfo struct {
	id   string
	rate float64
}

type partner struct {
	gln     gs1.GLN
	sgln    string
	country string
}

var countries = []string{"DE", "FR", "IT", "AT", "BE", "NL"}

// prefixes: site i has company prefix 40991ii, partner j 40992jj (fictitious, of GS1 Germany's
// range).
func companyPrefix(kind, i int) string { return fmt.Sprintf("4099%d%02d", kind, i) }

func glnOf(prefix string) (gs1.GLN, error) {
	body := prefix + "00000"
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		return "", err
	}
	return gs1.ParseGLN(body + string(cd))
}

// setUp registers (create or replace, so a second run changes nothing) the sites, their lines
// and products and the partners, and makes the site keys that are not given.
func setUp(ctx context.Context, cfg Config, admin *client) (*world, error) {
	w := &world{}
	for j := 1; j <= cfg.Partners; j++ {
		prefix := companyPrefix(2, j)
		gln, err := glnOf(prefix)
		if err != nil {
			return nil, err
		}
		sgln, err := gs1.SGLNURI(gln, "0", len(prefix))
		if err != nil {
			return nil, err
		}
		p := partner{gln: gln, sgln: sgln, country: countries[(j-1)%len(countries)]}
		body := map[string]any{"gln": string(gln), "name": fmt.Sprintf("Simulated Wholesale %d", j), "country": p.country,
			"sglns":    []string{sgln},
			"licences": []map[string]string{{"number": fmt.Sprintf("WDA-%s-%04d", p.country, j), "type": "wholesale", "valid_from": "2020-01-01", "valid_to": "2099-12-31"}}}
		if _, err := admin.do(ctx, http.MethodPut, "/v1/partners/"+string(gln), "", body, nil); err != nil {
			return nil, fmt.Errorf("register partner: %w", err)
		}
		w.partners = append(w.partners, p)
	}
	for i := 1; i <= cfg.Sites; i++ {
		s := &site{id: fmt.Sprintf("%s-%d", cfg.SitePrefix, i), name: fmt.Sprintf("Simulated Packaging Site %d", i),
			country: countries[(i-1)%len(countries)], prefix: companyPrefix(1, i)}
		var err error
		if s.gln, err = glnOf(s.prefix); err != nil {
			return nil, err
		}
		if s.sgln, err = gs1.SGLNURI(s.gln, "0", len(s.prefix)); err != nil {
			return nil, err
		}
		body := map[string]any{"id": s.id, "name": s.name, "gln": string(s.gln), "sgln": s.sgln, "country": s.country}
		if _, err := admin.do(ctx, http.MethodPut, "/v1/sites/"+esc(s.id), "", body, nil); err != nil {
			return nil, fmt.Errorf("register site: %w", err)
		}
		digits := "0" + s.prefix + "00001"
		cd, err := gs1.CheckDigit(digits)
		if err != nil {
			return nil, err
		}
		if s.gtin, err = gs1.ParseGTIN(digits + string(cd)); err != nil {
			return nil, err
		}
		var markets []map[string]string
		for _, p := range w.partners {
			markets = appendMarket(markets, p.country)
		}
		prod := map[string]any{"gtin": string(s.gtin), "company_prefix_length": len(s.prefix),
			"name": fmt.Sprintf("Simulol %d0 mg 30 tablets", i), "common_name": "simulol", "dosage_form": "tablet",
			"strength": fmt.Sprintf("%d0 mg", i), "pack_size": 30, "markets": markets, "sites": []string{s.id}}
		if _, err := admin.do(ctx, http.MethodPut, "/v1/products/"+string(s.gtin), "", prod, nil); err != nil {
			return nil, fmt.Errorf("register product: %w", err)
		}
		for l := 1; l <= cfg.Lines; l++ {
			li := lineInfo{id: fmt.Sprintf("L%02d", l), rate: cfg.IdealRate}
			path := "/v1/sites/" + esc(s.id) + "/lines/" + li.id
			if li.rate <= 0 {
				var cur struct {
					IdealRate float64 `json:"ideal_rate"`
				}
				_, err := admin.do(ctx, http.MethodGet, path, "", nil, &cur)
				switch {
				case err == nil && cur.IdealRate > 0:
					li.rate = cur.IdealRate
					s.lines = append(s.lines, li)
					continue
				case err != nil && domain.ErrorCode(err) != domain.CodeNotFound:
					return nil, fmt.Errorf("read line: %w", err)
				}
				li.rate = 120
			}
			body := map[string]any{"site": s.id, "id": li.id, "name": fmt.Sprintf("Line %d", l), "vendor": "Simulated",
				"model": "SIM-" + strconvRate(li.rate), "ideal_rate": li.rate}
			if _, err := admin.do(ctx, http.MethodPut, path, "", body, nil); err != nil {
				return nil, fmt.Errorf("register line: %w", err)
			}
			s.lines = append(s.lines, li)
		}
		token := cfg.Keys[s.id]
		if token == "" {
			var key struct {
				Token string `json:"token"`
			}
			if _, err := admin.do(ctx, http.MethodPost, "/v1/sites/"+esc(s.id)+"/keys", "", nil, &key); err != nil {
				return nil, fmt.Errorf("create site key: %w", err)
			}
			token = key.Token
		}
		s.api = admin.with(token)
		w.sites = append(w.sites, s)
	}
	return w, nil
}

func appendMarket(ms []map[string]string, c string) []map[string]string {
	for _, m := range ms {
		if m["market"] == c {
			return ms
		}
	}
	return append(ms, map[string]string{"market": c})
}

func strconvRate(r float64) string { return fmt.Sprintf("%.0f", r) }
