package gateways

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Exchange is one request to a receiver and whatever came back: the unit of the audit trail.
type Exchange struct {
	ObligationID    string        `json:"obligation_id"`
	Attempt         int           `json:"attempt"` // the activity attempt (Temporal's), 1-based
	Step            string        `json:"step"`
	Transport       string        `json:"transport"`
	Method          string        `json:"method"`
	URL             string        `json:"url"`
	PayloadID       int64         `json:"payload_id,omitempty"`
	IdempotencyKey  string        `json:"idempotency_key,omitempty"`
	RequestHeaders  http.Header   `json:"request_headers,omitempty"` // credentials redacted
	StatusCode      int           `json:"status_code"`
	ResponseHeaders http.Header   `json:"response_headers,omitempty"`
	ResponseBody    []byte        `json:"response_body,omitempty"` // capped at MaxRecordedBody
	Outcome         Outcome       `json:"outcome"`
	Err             string        `json:"error,omitempty"`
	Tries           int           `json:"tries"` // HTTP tries inside this exchange (retryablehttp)
	StartedAt       time.Time     `json:"started_at"`
	Duration        time.Duration `json:"duration_ns"`
}

// MaxRecordedBody caps the answer bodies kept in the audit trail.
const MaxRecordedBody = 64 << 10

// Recorder stores exchanges. The submission activities put one into the context.
type Recorder interface {
	RecordExchange(ctx context.Context, x Exchange) error
}

type recorderKey struct{}

type recording struct {
	rec     Recorder
	attempt int
}

// WithRecorder returns ctx whose exchanges are recorded by rec, as part of the attempt.
func WithRecorder(ctx context.Context, rec Recorder, attempt int) context.Context {
	return context.WithValue(ctx, recorderKey{}, recording{rec, attempt})
}

// Record stores x through the context's recorder, if any. A failure to record fails the step:
// an exchange that is not on record must not count as done.
func Record(ctx context.Context, x Exchange) error {
	r, ok := ctx.Value(recorderKey{}).(recording)
	if !ok || r.rec == nil {
		return nil
	}
	x.Attempt = r.attempt
	if x.RequestHeaders != nil {
		x.RequestHeaders = Redact(x.RequestHeaders)
	}
	if len(x.ResponseBody) > MaxRecordedBody {
		x.ResponseBody = x.ResponseBody[:MaxRecordedBody]
	}
	if err := r.rec.RecordExchange(ctx, x); err != nil {
		return fmt.Errorf("record exchange: %w", err)
	}
	return nil
}

// Redact returns a copy of h with credentials masked, so that the audit trail never holds
// a secret.
func Redact(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		switch strings.ToLower(k) {
		case "authorization", "proxy-authorization", "cookie", "x-api-key":
			out[k] = []string{"****"}
		}
	}
	return out
}

// HTTPConfig configures the shared HTTP client of the adapters.
type HTTPConfig struct {
	Timeout  time.Duration // per try; default 60 s
	RetryMax int           // in-activity retries of network errors and 5xx; default 2
	// WaitMin and WaitMax bound the in-activity backoff; default 200 ms and 2 s. Longer
	// waits belong to Temporal's retry policy.
	WaitMin, WaitMax time.Duration
	// CAFile trusts these roots in addition to the system's (a partner's private CA).
	CAFile string
	// CertFile and KeyFile are the client certificate for mutual TLS.
	CertFile, KeyFile string
	// RootCAs, when set, replaces the roots entirely (tests: an httptest server's).
	RootCAs *x509.CertPool
}

// HTTPClient is the retrying HTTP client every adapter uses. It keeps in-activity retries
// few and short and never sleeps on a Retry-After: that answer goes back to the workflow,
// which waits durably.
type HTTPClient struct {
	c *retryablehttp.Client
}

type triesKey struct{}

// NewHTTPClient builds a client from cfg.
func NewHTTPClient(cfg HTTPConfig) (*HTTPClient, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 2
	}
	if cfg.WaitMin == 0 {
		cfg.WaitMin = 200 * time.Millisecond
	}
	if cfg.WaitMax == 0 {
		cfg.WaitMax = 2 * time.Second
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.RootCAs != nil {
		tlsCfg.RootCAs = cfg.RootCAs
	} else if cfg.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("http client: read CA: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("http client: no certificate in %s", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("http client: client certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: tr, Timeout: cfg.Timeout}
	c.Logger = nil
	c.RetryMax = cfg.RetryMax
	c.RetryWaitMin = cfg.WaitMin
	c.RetryWaitMax = cfg.WaitMax
	c.CheckRetry = checkRetry
	// Hand the last answer back instead of an error, so that a 503 after the in-activity
	// retries is still interpreted (and recorded) like any answer.
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, _ int) {
		if n, ok := r.Context().Value(triesKey{}).(*atomic.Int32); ok {
			n.Add(1)
		}
	}
	return &HTTPClient{c: c}, nil
}

// checkRetry retries what a short wait may fix, but not an answer that says when to come
// back (Retry-After): the workflow waits for that, durably.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil && resp.Header.Get("Retry-After") != "" {
		return false, nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// Request is one exchange to send and record.
type Request struct {
	ObligationID   string
	Step           string // deliver, poll
	Transport      string // https, capture, as2
	Method         string
	URL            string
	Header         http.Header
	Body           []byte
	PayloadID      int64
	IdempotencyKey string
}

// Response is the receiver's answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends req and records the exchange (interpret sets its outcome from the answer). A
// transport error without an answer is returned as an error, after being recorded.
func (h *HTTPClient) Do(ctx context.Context, req Request, interpret func(Response) Answer) (Answer, Response, error) {
	var tries atomic.Int32
	rctx := context.WithValue(ctx, triesKey{}, &tries)
	hr, err := retryablehttp.NewRequestWithContext(rctx, req.Method, req.URL, req.Body)
	if err != nil {
		return Answer{}, Response{}, fmt.Errorf("%s %s: %w", req.Step, req.URL, err)
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if req.IdempotencyKey != "" {
		hr.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	x := Exchange{
		ObligationID: req.ObligationID, Step: req.Step, Transport: req.Transport, Method: req.Method,
		URL: req.URL, PayloadID: req.PayloadID, IdempotencyKey: req.IdempotencyKey,
		RequestHeaders: hr.Header.Clone(), StartedAt: time.Now(),
	}
	resp, err := h.c.Do(hr)
	var out Response
	var ans Answer
	if err == nil {
		out.StatusCode, out.Header = resp.StatusCode, resp.Header
		out.Body, err = io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			err = fmt.Errorf("read answer: %w", err)
		}
	}
	x.Duration = time.Since(x.StartedAt)
	x.Tries = int(tries.Load())
	x.StatusCode, x.ResponseHeaders, x.ResponseBody = out.StatusCode, out.Header, out.Body
	if err != nil {
		x.Outcome, x.Err = "error", err.Error()
	} else {
		ans = interpret(out)
		x.Outcome = ans.Outcome
		if len(ans.Reasons) > 0 {
			x.Err = strings.Join(ans.Reasons, "; ")
		}
	}
	if rerr := Record(ctx, x); rerr != nil {
		return Answer{}, out, errors.Join(err, rerr)
	}
	if err != nil {
		return Answer{}, out, fmt.Errorf("%s %s: %w", req.Step, req.URL, err)
	}
	return ans, out, nil
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or bad.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// ClassifyHTTP maps an HTTP status to an outcome by the common conventions: 2xx accepted,
// 408/425/429 and 5xx retry (with Retry-After), other 4xx rejected with the body as reason.
func ClassifyHTTP(r Response) Answer {
	switch {
	case r.StatusCode >= 200 && r.StatusCode < 300:
		return Answer{Outcome: Accepted}
	case r.StatusCode == 408 || r.StatusCode == 425 || r.StatusCode == 429 || r.StatusCode >= 500:
		return Answer{Outcome: Retry, RetryAfter: RetryAfter(r.Header, time.Now()),
			Reasons: []string{fmt.Sprintf("HTTP %d", r.StatusCode)}}
	default:
		reason := strings.TrimSpace(string(bytes.ToValidUTF8(r.Body, nil)))
		if len(reason) > 2000 {
			reason = reason[:2000]
		}
		return Answer{Outcome: Rejected, Reasons: []string{fmt.Sprintf("HTTP %d: %s", r.StatusCode, reason)}}
	}
}

// Body returns a reader of b (convenience for adapters).
func Body(b []byte) io.Reader { return bytes.NewReader(b) }
