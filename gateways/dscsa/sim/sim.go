// Package sim is a simulated DSCSA trading partner: a real HTTP server (loopback only) that
// receives files by HTTPS POST and by EPCIS 2.0 REST capture, validates them (well-formed,
// optionally the EPCIS 1.2 XSD with xmllint and the enveloped signature with xmlsec1), records
// what it received, deduplicating by idempotency key, and can be told to misbehave: slow,
// 5xx (with Retry-After) for a stretch, reject, drop its answers after accepting (so the
// sender must retry and the partner sees the same key twice), or vanish. Tests and the demo
// count on its side that every submission arrived exactly once in effect.
package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures the simulator.
type Config struct {
	// Token, when set, is the bearer token senders must present.
	Token string
	// XSD, when set, is the EPCIS 1.2 schema every file must validate against (xmllint).
	XSD string
	// TrustedCertPEM, when set, is the certificate every file's signature must verify
	// against (xmlsec1 --verify); unsigned files are rejected.
	TrustedCertPEM []byte
	// JobPolls is how many polls a capture job stays running before it finishes.
	JobPolls int
	// AS2, when set, makes POST /as2 an AS2 receiver (see as2.go).
	AS2 *AS2Config
}

// Faults are the misbehaviours to show, set at any time (SetFaults or POST /sim/faults).
type Faults struct {
	Fail       int           `json:"fail"`        // the next Fail deliveries answer FailStatus
	FailStatus int           `json:"fail_status"` // default 503
	RetryAfter int           `json:"retry_after"` // seconds, sent with failures when > 0
	Down       bool          `json:"down"`        // vanish: close every connection unanswered
	Slow       time.Duration `json:"slow"`        // wait this long before answering
	Reject     []string      `json:"reject"`      // reject every new file with these reasons
	DropAnswer int           `json:"drop_answer"` // accept the next DropAnswer files, then hang up unanswered
	WrongMIC   int           `json:"wrong_mic"`   // AS2: the next WrongMIC receipts report another MIC
}

// Received is what the partner holds under one idempotency key.
type Received struct {
	Key        string    `json:"key"`
	DocumentID string    `json:"document_id"`
	Transport  string    `json:"transport"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Deliveries int       `json:"deliveries"` // how many times it was sent
	Accepted   int       `json:"accepted"`   // how many times it was taken in (must stay 1)
	Rejected   []string  `json:"rejected,omitempty"`
	FirstAt    time.Time `json:"first_at"`
	body       []byte
}

type job struct {
	key    string
	polls  int
	errors []string
}

// Sim is the simulated partner.
type Sim struct {
	cfg Config

	mu       sync.Mutex
	faults   Faults
	received map[string]*Received
	order    []string
	jobs     map[string]*job
	requests int
}

// New returns a simulator.
func New(cfg Config) *Sim {
	return &Sim{cfg: cfg, received: map[string]*Received{}, jobs: map[string]*job{}}
}

// SetFaults replaces the faults.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Received returns what the partner holds, in arrival order.
func (s *Sim) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.received[k])
	}
	return out
}

// Body returns the bytes received under a key.
func (s *Sim) Body(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.received[key]; r != nil {
		return r.body
	}
	return nil
}

// Requests is the number of requests answered or dropped so far.
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Handler is the simulator's HTTP API:
//
//	POST /dscsa              a file (HTTPS transport)
//	POST /capture            EPCIS capture; 202 with Location /capture/{id}
//	GET  /capture/{id}       the capture job
//	GET  /sim/received       what was received (JSON)
//	POST /sim/faults         set the faults (JSON Faults)
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /dscsa", s.receive("https"))
	mux.HandleFunc("POST /capture", s.receive("capture"))
	mux.HandleFunc("GET /capture/{id}", s.captureJob)
	mux.HandleFunc("POST /as2", s.receiveAS2)
	mux.HandleFunc("GET /sim/received", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"received": s.Received()})
	})
	mux.HandleFunc("POST /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{err.Error()}})
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, f)
	})
	return s.guard(mux)
}

// guard applies authentication and the connection-level faults (down, slow, 5xx).
func (s *Sim) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sim/") {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.requests++
		f := s.faults
		fail := f.Fail > 0
		if fail {
			s.faults.Fail--
		}
		s.mu.Unlock()
		if f.Down {
			hangUp(w)
			return
		}
		if f.Slow > 0 {
			select {
			case <-time.After(f.Slow):
			case <-r.Context().Done():
				return
			}
		}
		if s.cfg.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.Token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []string{"unknown sender"}})
			return
		}
		if fail {
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			st := f.FailStatus
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			writeJSON(w, st, map[string]any{"errors": []string{"simulated outage"}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hangUp closes the connection without an answer, as a crashed or vanished partner does.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Sim) receive(transport string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"Idempotency-Key header is required"}})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 512<<20))
		if err != nil {
			return
		}
		sum := sha256.Sum256(body)
		s.mu.Lock()
		if rec := s.received[key]; rec != nil && rec.Accepted > 0 {
			// Seen and taken already: say so, never take it twice.
			rec.Deliveries++
			jobID := captureID(rec.Key)
			s.mu.Unlock()
			if transport == "capture" {
				w.Header().Set("Location", "/capture/"+jobID)
				writeJSON(w, http.StatusAccepted, map[string]any{"captureID": jobID, "duplicate": true})
				return
			}
			writeJSON(w, http.StatusConflict, map[string]any{"status": "duplicate", "key": key})
			return
		}
		reasons := s.faults.Reject
		s.mu.Unlock()

		if len(reasons) == 0 {
			reasons = s.validate(body)
		}
		s.mu.Lock()
		rec := s.received[key]
		if rec == nil {
			rec = &Received{Key: key, DocumentID: r.Header.Get("X-Document-Id"), Transport: transport,
				SHA256: hex.EncodeToString(sum[:]), Size: len(body), FirstAt: time.Now()}
			s.received[key] = rec
			s.order = append(s.order, key)
		}
		rec.Deliveries++
		drop := false
		if len(reasons) > 0 {
			rec.Rejected = reasons
		} else {
			rec.Accepted++
			rec.Rejected = nil
			rec.body = body
			if s.faults.DropAnswer > 0 {
				s.faults.DropAnswer--
				drop = true
			}
		}
		if transport == "capture" {
			s.jobs[captureID(key)] = &job{key: key, errors: reasons}
		}
		s.mu.Unlock()
		if drop {
			hangUp(w)
			return
		}
		if transport == "capture" {
			// Errors surface in the job, as EPCIS 2.0 capture reports them.
			w.Header().Set("Location", "/capture/"+captureID(key))
			writeJSON(w, http.StatusAccepted, map[string]any{"captureID": captureID(key)})
			return
		}
		if len(reasons) > 0 {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"status": "rejected", "errors": reasons})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "accepted", "key": key})
	}
}

// captureID is the capture job of an idempotency key: the partner's own identifier, one path
// segment whatever the key holds (event IDs such as ni:///sha-256;...?ver=CBV2.0 carry '/'
// and '?'), and the same for a repeated delivery.
func captureID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:12])
}

func (s *Sim) captureJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	j := s.jobs[id]
	if j == nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{"no such capture job"}})
		return
	}
	j.polls++
	running := j.polls <= s.cfg.JobPolls
	errs := j.errors
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"captureID": id, "running": running, "success": !running && len(errs) == 0,
		"captureErrorBehaviour": "rollback", "errors": errs,
	})
}

// validate checks a file: well-formed XML, then the XSD and the signature when configured.
func (s *Sim) validate(body []byte) []string {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return []string{"not well-formed XML: " + err.Error()}
		}
	}
	if s.cfg.XSD == "" && s.cfg.TrustedCertPEM == nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "partnersim")
	if err != nil {
		return []string{"partner error: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "file.xml")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		return []string{"partner error: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var reasons []string
	if s.cfg.XSD != "" {
		if out, err := exec.CommandContext(ctx, "xmllint", "--noout", "--schema", s.cfg.XSD, f).CombinedOutput(); err != nil {
			reasons = append(reasons, "schema: "+lastLines(out, 3))
		}
	}
	if s.cfg.TrustedCertPEM != nil {
		c := filepath.Join(dir, "trusted.pem")
		if err := os.WriteFile(c, s.cfg.TrustedCertPEM, 0o600); err != nil {
			return []string{"partner error: " + err.Error()}
		}
		if out, err := exec.CommandContext(ctx, "xmlsec1", "--verify", "--trusted-pem", c, f).CombinedOutput(); err != nil {
			reasons = append(reasons, "signature: "+lastLines(out, 2))
		}
	}
	return reasons
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Summary is a one-line account of what the partner holds.
func (s *Sim) Summary() string {
	rs := s.Received()
	acc, dup, rej := 0, 0, 0
	for _, r := range rs {
		if r.Accepted > 0 {
			acc++
		}
		if r.Accepted > 1 {
			dup++
		}
		if len(r.Rejected) > 0 {
			rej++
		}
	}
	return fmt.Sprintf("%d files: %d accepted, %d taken twice, %d rejected", len(rs), acc, dup, rej)
}
