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
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e api.ErrorBody
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, &domain.Error{Code: e.Code, Message: e.Message})
		}
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
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
