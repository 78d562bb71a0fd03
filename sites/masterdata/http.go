package masterdata

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Handler serves the master-data API. Writes need an admin key; a site key may read its own
// site and lines, the products and the markets; partners are admin-only.
type Handler struct {
	Store          *Store
	Log            *slog.Logger
	MaxImportBytes int64 // largest CSV accepted by the import (default 32 MiB)
}

// Routes mounts the API on mux; auth wraps every route.
func (h *Handler) Routes(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	route := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, auth(f)) }
	route("GET /v1/markets", h.listMarkets)
	route("GET /v1/markets/{code}", h.getMarket)
	route("POST /v1/markets", h.putMarket(true))
	route("PUT /v1/markets/{code}", h.putMarket(false))

	route("GET /v1/products", h.listProducts)
	route("GET /v1/products/{gtin}", h.getProduct)
	route("POST /v1/products", h.putProduct(true))
	route("PUT /v1/products/{gtin}", h.putProduct(false))

	route("GET /v1/sites", h.listSites)
	route("GET /v1/sites/{site}", h.getSite)
	route("PUT /v1/sites/{site}", h.putSite)

	route("GET /v1/sites/{site}/lines", h.listLines)
	route("GET /v1/sites/{site}/lines/{line}", h.getLine)
	route("POST /v1/sites/{site}/lines", h.putLine(true))
	route("PUT /v1/sites/{site}/lines/{line}", h.putLine(false))

	route("GET /v1/partners", h.listPartners)
	route("GET /v1/partners/{gln}", h.getPartner)
	route("POST /v1/partners", h.putPartner(true))
	route("PUT /v1/partners/{gln}", h.putPartner(false))

	route("GET /v1/masterdata/versions/{kind}/{key...}", h.versions)
	route("POST /v1/masterdata/import", h.importCSV)
}

// who names the caller in the history: role and key id, never the token.
func who(p domain.Principal) string { return fmt.Sprintf("%s key %d", p.Role, p.KeyID) }

// canRead allows admins and site keys: the catalogue is not for partners.
func canRead(r *http.Request) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	if p.Role != domain.RoleAdmin && p.Role != domain.RoleSite {
		return domain.Errorf(domain.CodeForbidden, "this needs an admin or site key")
	}
	return nil
}

func page(r *http.Request) Page {
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return Page{After: r.URL.Query().Get("after"), Limit: n}
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields() // a misspelt field would otherwise be silently dropped
	if err := dec.Decode(v); err != nil {
		return domain.Errorf(domain.CodeInvalid, "JSON body: %v", err)
	}
	return nil
}

// answer writes a read or an error.
func answer[T any](h *Handler, w http.ResponseWriter, r *http.Request, v T, err error) {
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, v)
}

// written answers a write: 201 when created, else 200, with the record.
func written[T any](h *Handler, w http.ResponseWriter, r *http.Request, res Result[T], err error) {
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	api.WriteJSON(w, status, res.Record)
}

// List is the JSON of a list answer; Next is the `after` of the following page.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func list[T any](h *Handler, w http.ResponseWriter, r *http.Request, items []T, err error, key func(T) string) {
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	out := List[T]{Items: items}
	if items == nil {
		out.Items = []T{}
	}
	if len(items) > 0 && len(items) == page(r).limit() {
		out.Next = key(items[len(items)-1])
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// pathKey makes the key in the path win over the body's, and refuses a contradiction.
func pathKey(field string, body *string, path string) error {
	if *body != "" && *body != path {
		return domain.Errorf(domain.CodeInvalid, "%s %q in the body differs from %q in the path", field, *body, path)
	}
	*body = path
	return nil
}

func (h *Handler) listMarkets(w http.ResponseWriter, r *http.Request) {
	if err := canRead(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ms, err := h.Store.Markets(r.Context(), page(r))
	list(h, w, r, ms, err, func(m Market) string { return m.Code })
}

func (h *Handler) getMarket(w http.ResponseWriter, r *http.Request) {
	if err := canRead(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	m, err := h.Store.Market(r.Context(), r.PathValue("code"))
	answer(h, w, r, m, err)
}

func (h *Handler) putMarket(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := api.RequireAdmin(r)
		var m Market
		if err == nil {
			err = decode(r, &m)
		}
		if err == nil && !create {
			err = pathKey("code", &m.Code, r.PathValue("code"))
		}
		if err != nil {
			api.WriteError(w, r, h.Log, err)
			return
		}
		res, err := h.Store.PutMarket(r.Context(), m, PutOptions{By: who(p), CreateOnly: create})
		written(h, w, r, res, err)
	}
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) {
	if err := canRead(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ps, err := h.Store.Products(r.Context(), page(r))
	list(h, w, r, ps, err, func(p Product) string { return p.GTIN })
}

func (h *Handler) getProduct(w http.ResponseWriter, r *http.Request) {
	if err := canRead(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	p, err := h.Store.Product(r.Context(), r.PathValue("gtin"))
	answer(h, w, r, p, err)
}

func (h *Handler) putProduct(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := api.RequireAdmin(r)
		var pr Product
		if err == nil {
			err = decode(r, &pr)
		}
		if err == nil && !create {
			err = pathKey("gtin", &pr.GTIN, r.PathValue("gtin"))
		}
		if err != nil {
			api.WriteError(w, r, h.Log, err)
			return
		}
		res, err := h.Store.PutProduct(r.Context(), pr, PutOptions{By: who(p), CreateOnly: create})
		written(h, w, r, res, err)
	}
}

// siteReader checks that the caller may read site's records; another site's are answered
// as missing, so that site ids cannot be probed.
func siteReader(r *http.Request, site string) error {
	p, err := api.Caller(r)
	if err != nil {
		return err
	}
	if !p.CanActForSite(site) {
		return domain.Errorf(domain.CodeNotFound, "site %s is not in the master data", site)
	}
	return nil
}

func (h *Handler) listSites(w http.ResponseWriter, r *http.Request) {
	p, err := api.Caller(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	switch p.Role {
	case domain.RoleAdmin:
		ss, err := h.Store.Sites(r.Context(), page(r))
		list(h, w, r, ss, err, func(s Site) string { return s.ID })
	case domain.RoleSite:
		s, err := h.Store.Site(r.Context(), p.SiteID)
		list(h, w, r, []Site{s}, err, func(s Site) string { return s.ID })
	default:
		api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeForbidden, "this needs an admin or site key"))
	}
}

func (h *Handler) getSite(w http.ResponseWriter, r *http.Request) {
	if err := siteReader(r, r.PathValue("site")); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	s, err := h.Store.Site(r.Context(), r.PathValue("site"))
	answer(h, w, r, s, err)
}

func (h *Handler) putSite(w http.ResponseWriter, r *http.Request) {
	p, err := api.RequireAdmin(r)
	var s Site
	if err == nil {
		err = decode(r, &s)
	}
	if err == nil {
		err = pathKey("id", &s.ID, r.PathValue("site"))
	}
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	res, err := h.Store.PutSite(r.Context(), s, PutOptions{By: who(p)})
	written(h, w, r, res, err)
}

func (h *Handler) listLines(w http.ResponseWriter, r *http.Request) {
	site := r.PathValue("site")
	if err := siteReader(r, site); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ls, err := h.Store.Lines(r.Context(), site, page(r))
	list(h, w, r, ls, err, func(l Line) string { return l.ID })
}

func (h *Handler) getLine(w http.ResponseWriter, r *http.Request) {
	site := r.PathValue("site")
	if err := siteReader(r, site); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	l, err := h.Store.Line(r.Context(), site, r.PathValue("line"))
	answer(h, w, r, l, err)
}

func (h *Handler) putLine(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := api.RequireAdmin(r)
		var l Line
		if err == nil {
			err = decode(r, &l)
		}
		if err == nil {
			err = pathKey("site", &l.SiteID, r.PathValue("site"))
		}
		if err == nil && !create {
			err = pathKey("id", &l.ID, r.PathValue("line"))
		}
		if err != nil {
			api.WriteError(w, r, h.Log, err)
			return
		}
		res, err := h.Store.PutLine(r.Context(), l, PutOptions{By: who(p), CreateOnly: create})
		written(h, w, r, res, err)
	}
}

func (h *Handler) listPartners(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	ps, err := h.Store.Partners(r.Context(), page(r))
	list(h, w, r, ps, err, func(p Partner) string { return p.GLN })
}

func (h *Handler) getPartner(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	p, err := h.Store.Partner(r.Context(), r.PathValue("gln"))
	answer(h, w, r, p, err)
}

func (h *Handler) putPartner(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := api.RequireAdmin(r)
		var pa Partner
		if err == nil {
			err = decode(r, &pa)
		}
		if err == nil && !create {
			err = pathKey("gln", &pa.GLN, r.PathValue("gln"))
		}
		if err != nil {
			api.WriteError(w, r, h.Log, err)
			return
		}
		res, err := h.Store.PutPartner(r.Context(), pa, PutOptions{By: who(p), CreateOnly: create})
		written(h, w, r, res, err)
	}
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request) {
	if _, err := api.RequireAdmin(r); err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	vs, err := h.Store.Versions(r.Context(), r.PathValue("kind"), r.PathValue("key"))
	if err == nil && len(vs) == 0 {
		err = domain.Errorf(domain.CodeNotFound, "no recorded versions of %s %s", r.PathValue("kind"), r.PathValue("key"))
	}
	answer(h, w, r, vs, err)
}

// ImportAnswer is the JSON of an import: the result, plus code and message when nothing
// was imported because of errors (so that it also reads as an api.ErrorBody).
type ImportAnswer struct {
	ImportResult
	Code    domain.Code `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
}

// importCSV imports a CSV body: ?kind= (else detected from the header) and
// ?all_or_nothing=false to import the valid rows. 200 when committed, 422 when nothing was.
func (h *Handler) importCSV(w http.ResponseWriter, r *http.Request) {
	p, err := api.RequireAdmin(r)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	opt := ImportOptions{Kind: r.URL.Query().Get("kind"), AllOrNothing: true, By: who(p)}
	if v := r.URL.Query().Get("all_or_nothing"); v != "" {
		if opt.AllOrNothing, err = strconv.ParseBool(v); err != nil {
			api.WriteError(w, r, h.Log, domain.Errorf(domain.CodeInvalid, "all_or_nothing=%q: want true or false", v))
			return
		}
	}
	limit := h.MaxImportBytes
	if limit <= 0 {
		limit = 32 << 20
	}
	res, err := h.Store.Import(r.Context(), http.MaxBytesReader(w, r.Body, limit), opt)
	if err != nil {
		api.WriteError(w, r, h.Log, err)
		return
	}
	h.Log.InfoContext(r.Context(), "master data imported", "kind", res.Kind, "rows", res.Rows, "created", res.Created,
		"updated", res.Updated, "rejected", res.Rejected, "committed", res.Committed)
	if !res.Committed {
		api.WriteJSON(w, http.StatusUnprocessableEntity, ImportAnswer{ImportResult: res, Code: domain.CodeInvalid,
			Message: fmt.Sprintf("%d of %d rows have errors; nothing was imported", res.Rejected, res.Rows)})
		return
	}
	api.WriteJSON(w, http.StatusOK, ImportAnswer{ImportResult: res})
}
