package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/serialhub/serialhub/schemas/api"
	"github.com/serialhub/serialhub/schemas/domain"
)

// client is the simulator's small client of the hub's REST API: one base URL, one token.
type client struct {
	base  string
	token string
	http  *http.Client
	// inFlight bounds the documents uploaded and not yet processed (see Config.InFlight).
	inFlight chan struct{}
}

func (c *client) with(token string) *client {
	cp := *c
	cp.token = token
	return &cp
}

// do sends a request (a JSON body unless body is an io.Reader) and decodes a JSON answer into
// out. An error answer becomes a domain.Error with the API's code and message.
func (c *client) do(ctx context.Context, method, path, contentType string, body, out any) (int, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		r = bytes.NewReader(j)
		contentType = "application/json"
	}
	return api.Send(ctx, c.http, c.base, c.token, method, path, contentType, r, out)
}

// upload posts an EPCIS document for a site and waits until the hub has processed or
// rejected it.
func (c *client) upload(ctx context.Context, site string, doc []byte, timeout time.Duration) (domain.Receipt, error) {
	var r domain.Receipt
	if c.inFlight != nil {
		select {
		case c.inFlight <- struct{}{}:
			defer func() { <-c.inFlight }()
		case <-ctx.Done():
			return r, ctx.Err()
		}
	}
	if _, err := c.do(ctx, http.MethodPost, "/v1/sites/"+url.PathEscape(site)+"/documents", "application/xml", doc, &r); err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for r.Status != domain.StatusProcessed && r.Status != domain.StatusRejected {
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("receipt %s still %s after %s", r.ID, r.Status, timeout)
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.do(ctx, http.MethodGet, "/v1/receipts/"+url.PathEscape(r.ID), "", nil, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}
