// Package api is the hub's REST plumbing shared by every capability's handlers: bearer-token
// authentication, the caller in the request context, JSON responses and the one table that maps
// domain error codes to HTTP statuses. Handlers decode → validate → act → encode and hand any
// error to WriteError.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/serialhub/serialhub/schemas/domain"
)

var statusByCode = map[domain.Code]int{
	domain.CodeInvalid:      http.StatusBadRequest,
	domain.CodeUnauthorized: http.StatusUnauthorized,
	domain.CodeForbidden:    http.StatusForbidden,
	domain.CodeNotFound:     http.StatusNotFound,
	domain.CodeConflict:     http.StatusConflict,
	domain.CodeUnavailable:  http.StatusServiceUnavailable,
	domain.CodeInternal:     http.StatusInternalServerError,
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
}

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

// WriteError answers with the error's code and message. Internal errors are logged here,
// once, and answered without detail.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := domain.ErrorCode(err)
	if errors.Is(err, context.Canceled) {
		return
	}
	if code == domain.CodeInternal {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	WriteJSON(w, status, ErrorBody{Code: code, Message: domain.ErrorMessage(err)})
}

// Authenticator resolves a bearer token to a caller.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (domain.Principal, error)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p domain.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller of the request.
func PrincipalFrom(ctx context.Context) (domain.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(domain.Principal)
	return p, ok
}

// RequireAuth rejects requests without a valid bearer token and puts the caller into the
// request context. The token itself is never logged.
func RequireAuth(auth Authenticator, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			WriteError(w, r, log, domain.Errorf(domain.CodeUnauthorized, "missing bearer token"))
			return
		}
		p, err := auth.Authenticate(r.Context(), token)
		if err != nil {
			WriteError(w, r, log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Caller returns the request's principal or an unauthorized error (a handler mounted without
// RequireAuth is a wiring bug, answered safely).
func Caller(r *http.Request) (domain.Principal, error) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		return domain.Principal{}, domain.Errorf(domain.CodeUnauthorized, "not authenticated")
	}
	return p, nil
}

// RequireAdmin returns a forbidden error unless the caller is an admin.
func RequireAdmin(r *http.Request) (domain.Principal, error) {
	p, err := Caller(r)
	if err != nil {
		return p, err
	}
	if p.Role != domain.RoleAdmin {
		return p, domain.Errorf(domain.CodeForbidden, "this needs an admin key")
	}
	return p, nil
}

// ForSite returns the caller and the request's {site} path value, or a forbidden error unless
// the caller may act for that site (an admin, or that site's own key).
func ForSite(r *http.Request) (domain.Principal, string, error) {
	p, err := Caller(r)
	if err != nil {
		return p, "", err
	}
	site := r.PathValue("site")
	if !p.CanActForSite(site) {
		return p, site, domain.Errorf(domain.CodeForbidden, "this key may not act for site %q", site)
	}
	return p, site, nil
}

// ForPartner returns the caller and the request's {gln} path value (a trading partner), or an
// error unless the caller may act for that partner: an admin, or that partner's own key.
// Another partner's GLN is answered not found (as another site's receipts are), a site key
// forbidden.
func ForPartner(r *http.Request) (domain.Principal, string, error) {
	p, err := Caller(r)
	if err != nil {
		return p, "", err
	}
	gln := r.PathValue("gln")
	switch {
	case p.CanActForPartner(gln):
		return p, gln, nil
	case p.Role == domain.RolePartner:
		return p, gln, domain.Errorf(domain.CodeNotFound, "no partner %s", gln)
	}
	return p, gln, domain.Errorf(domain.CodeForbidden, "this needs the partner's key")
}
