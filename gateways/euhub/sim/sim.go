// Package sim is an EU Hub simulator speaking the message set of docs/gateways/euhub.md on a
// real HTTP server on loopback. It keeps what it received (products, batches, packs and their
// status, every message with its acknowledgement), answers with the hub's alert semantics
// (duplicate packs, unknown batch, irreversible withdrawal ...), can be slow, down or fail
// transiently on request, and raises alerts as if pharmacies scanned packs, sending them to
// the MAH's hub like the real one does.
package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/serialhub/serialhub/gateways/euhub"
)

// Config configures a simulator.
type Config struct {
	Token string // bearer token the MAH must present; empty: none
	// Callback is the MAH hub's base URL alerts are sent to, with CallbackToken.
	Callback      string
	CallbackToken string
	UndoWindow    time.Duration // default 10 days
	Now           func() time.Time
}

// Faults are what the simulator does wrong on request.
type Faults struct {
	Down        bool `json:"down"`         // 503 with Retry-After: 1
	SlowMS      int  `json:"slow_ms"`      // wait before answering
	FailNext    int  `json:"fail_next"`    // the next N messages: 500 SOAP fault, nothing applied
	DropAnswers int  `json:"drop_answers"` // the next N messages: applied, then 503 as if the answer were lost
	// DownAfter, when > 0, goes down after that many more applied messages.
	DownAfter int `json:"down_after"`
}

type batch struct {
	expiry   string
	recalled bool
	packs    int
}

type pack struct {
	lot, expiry, status string
	changed             time.Time
}

// Sim is a running simulator.
type Sim struct {
	cfg Config
	srv *http.Server
	ln  net.Listener

	mu        sync.Mutex
	faults    Faults
	products  map[string]*euhub.ProductMasterData
	withdrawn map[string]bool
	batches   map[string]*batch // gtin|lot
	packs     map[string]*pack  // gtin|serial
	acks      map[string][]byte // message id -> the acknowledgement given
	stats     Stats
	alertSeq  int
	run       string // random per simulator: alert ids never repeat across runs
}

// Stats count what the simulator did.
type Stats struct {
	Requests     int `json:"requests"`
	Messages     int `json:"messages"`      // distinct messages applied or rejected
	Replays      int `json:"replays"`       // messages seen again (answered with the first ack)
	PacksApplied int `json:"packs_applied"` // packs inserted by upload messages, summed
	Faults       int `json:"faults"`
}

// Start runs a simulator on addr (127.0.0.1:0 picks a port).
func Start(addr string, cfg Config) (*Sim, error) {
	if cfg.UndoWindow <= 0 {
		cfg.UndoWindow = 10 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sim{cfg: cfg, products: map[string]*euhub.ProductMasterData{}, withdrawn: map[string]bool{},
		batches: map[string]*batch{}, packs: map[string]*pack{}, acks: map[string][]byte{}}
	rb := make([]byte, 4)
	_, _ = rand.Read(rb)
	s.run = hex.EncodeToString(rb)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("euhub sim: listen %s: %w", addr, err)
	}
	s.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("POST /soap", s.soap)
	mux.HandleFunc("POST /sim/faults", s.setFaults)
	mux.HandleFunc("POST /sim/scan", s.scanHTTP)
	mux.HandleFunc("GET /sim/state", s.state)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// URL is the simulator's base URL (the endpoint of the hub's delivery settings).
func (s *Sim) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the simulator.
func (s *Sim) Close() error { return s.srv.Close() }

// SetFaults replaces the faults.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// BatchPacks returns how many packs the simulator holds for a batch, counted pack by pack.
func (s *Sim) BatchPacks(gtin, lot string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, p := range s.packs {
		if p.lot == lot && strings.HasPrefix(k, gtin+"|") {
			n++
		}
	}
	return n
}

// PackStatus returns a pack's status ("active", a decommissioning status, or "" unknown).
func (s *Sim) PackStatus(gtin, serial string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.packs[gtin+"|"+serial]; p != nil {
		return p.status
	}
	return ""
}

// Recalled reports whether a batch was recalled.
func (s *Sim) Recalled(gtin, lot string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batches[gtin+"|"+lot]
	return b != nil && b.recalled
}

// Withdrawn reports whether a product was withdrawn.
func (s *Sim) Withdrawn(gtin string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.withdrawn[gtin]
}

func (s *Sim) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away
}

func fault(w http.ResponseWriter, status int, code, text string) {
	b, _ := euhub.Marshal(nil, euhub.Fault{Code: code, String: text})
	writeXML(w, status, b)
}

func (s *Sim) soap(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		fault(w, http.StatusUnauthorized, "soap:Client", "unknown credentials")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		fault(w, http.StatusBadRequest, "soap:Client", "read: "+err.Error())
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	f := s.faults
	s.mu.Unlock()
	if f.SlowMS > 0 {
		select {
		case <-time.After(time.Duration(f.SlowMS) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	if f.Down {
		s.count(func() { s.stats.Faults++ })
		w.Header().Set("Retry-After", "1")
		fault(w, http.StatusServiceUnavailable, "soap:Server", "EU Hub unavailable (maintenance)")
		return
	}
	env, err := euhub.Unmarshal(body)
	if err != nil {
		fault(w, http.StatusBadRequest, "soap:Client", err.Error())
		return
	}
	id := env.Header.MessageHeader.MessageID
	if id == "" {
		fault(w, http.StatusBadRequest, "soap:Client", "MessageId missing")
		return
	}
	s.mu.Lock()
	if s.faults.FailNext > 0 {
		s.faults.FailNext--
		s.stats.Faults++
		s.mu.Unlock()
		fault(w, http.StatusInternalServerError, "soap:Server", "transient error, try again")
		return
	}
	if prev, ok := s.acks[id]; ok {
		s.stats.Replays++
		s.mu.Unlock()
		writeXML(w, http.StatusOK, bytes.Replace(prev, []byte("<Replay>false</Replay>"), []byte("<Replay>true</Replay>"), 1))
		return
	}
	ack := s.apply(env)
	ack.MessageID = id
	out, err := euhub.Marshal(nil, ack)
	if err != nil {
		s.mu.Unlock()
		fault(w, http.StatusInternalServerError, "soap:Server", err.Error())
		return
	}
	s.acks[id] = out
	s.stats.Messages++
	drop := false
	if s.faults.DropAnswers > 0 {
		s.faults.DropAnswers--
		s.stats.Faults++
		drop = true
	}
	if s.faults.DownAfter > 0 && ack.Result == "accepted" {
		s.faults.DownAfter--
		if s.faults.DownAfter == 0 {
			s.faults.Down = true
		}
	}
	s.mu.Unlock()
	if drop {
		w.Header().Set("Retry-After", "1")
		fault(w, http.StatusServiceUnavailable, "soap:Server", "answer lost")
		return
	}
	writeXML(w, http.StatusOK, out)
}

func (s *Sim) count(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

func rejected(alerts ...euhub.Alert) *euhub.Ack {
	return &euhub.Ack{Result: "rejected", Alerts: alerts}
}

func alert(code, sn, text string) euhub.Alert { return euhub.Alert{Code: code, Serial: sn, Text: text} }

// apply applies a message all or nothing; s.mu is held.
func (s *Sim) apply(env *euhub.Envelope) *euhub.Ack {
	b := env.Body
	now := s.cfg.Now()
	switch {
	case b.Product != nil:
		if err := b.Product.Check(); err != nil {
			return rejected(alert(euhub.A16, "", err.Error()))
		}
		code := b.Product.Product.Code
		if s.withdrawn[code] {
			return rejected(alert(euhub.A24, "", "product withdrawn"))
		}
		s.products[code] = b.Product
		return &euhub.Ack{Result: "accepted", Count: 1}
	case b.Packs != nil:
		m := b.Packs
		code := m.Product.Code
		if s.products[code] == nil {
			return rejected(alert(euhub.A16, "", "product code not in master data"))
		}
		if s.withdrawn[code] {
			return rejected(alert(euhub.A24, "", "product withdrawn"))
		}
		bk := code + "|" + m.Batch
		if bt := s.batches[bk]; bt != nil && bt.expiry != m.Expiry {
			return rejected(alert(euhub.A52, "", "expiry "+m.Expiry+" differs from the batch's "+bt.expiry))
		}
		var alerts []euhub.Alert
		seen := make(map[string]bool, len(m.Serials))
		for _, sn := range m.Serials {
			if s.packs[code+"|"+sn] != nil || seen[sn] {
				if len(alerts) < 20 {
					alerts = append(alerts, alert(euhub.A9, sn, "pack already uploaded"))
				}
			}
			seen[sn] = true
		}
		if len(alerts) > 0 {
			return rejected(alerts...)
		}
		bt := s.batches[bk]
		if bt == nil {
			bt = &batch{expiry: m.Expiry}
			s.batches[bk] = bt
		}
		for _, sn := range m.Serials {
			s.packs[code+"|"+sn] = &pack{lot: m.Batch, expiry: m.Expiry, status: "active", changed: now}
		}
		bt.packs += len(m.Serials)
		s.stats.PacksApplied += len(m.Serials)
		return &euhub.Ack{Result: "accepted", Count: len(m.Serials)}
	case b.Recall != nil:
		bt := s.batches[b.Recall.Product.Code+"|"+b.Recall.Batch]
		if bt == nil {
			return rejected(alert(euhub.A2, "", "batch not found"))
		}
		if bt.recalled {
			return &euhub.Ack{Result: "accepted", Alerts: []euhub.Alert{alert(euhub.A7, "", "batch already recalled")}}
		}
		bt.recalled = true
		return &euhub.Ack{Result: "accepted", Count: bt.packs}
	case b.Withdrawal != nil:
		code := b.Withdrawal.Product.Code
		if s.products[code] == nil {
			return rejected(alert(euhub.A16, "", "product code not in master data"))
		}
		if s.withdrawn[code] {
			return &euhub.Ack{Result: "accepted", Alerts: []euhub.Alert{alert(euhub.A7, "", "product already withdrawn")}}
		}
		s.withdrawn[code] = true
		return &euhub.Ack{Result: "accepted", Count: 1}
	case b.Decommission != nil, b.Undo != nil:
		m, undo := b.Decommission, false
		if m == nil {
			m, undo = b.Undo, true
		}
		return s.status(m, undo, now)
	}
	return rejected(alert("A0", "", "unknown message"))
}

func (s *Sim) status(m *euhub.PackStatus, undo bool, now time.Time) *euhub.Ack {
	code := m.Product.Code
	if !euhub.ValidStatus(m.Status) {
		return rejected(alert(euhub.A24, "", "unknown status "+m.Status))
	}
	if s.withdrawn[code] {
		return rejected(alert(euhub.A24, "", "product withdrawn"))
	}
	if s.batches[code+"|"+m.Batch] == nil {
		return rejected(alert(euhub.A2, "", "batch not found"))
	}
	var bad, info []euhub.Alert
	for _, sn := range m.Serials {
		p := s.packs[code+"|"+sn]
		switch {
		case p == nil:
			bad = append(bad, alert(euhub.A3, sn, "pack not found"))
		case p.lot != m.Batch:
			bad = append(bad, alert(euhub.A68, sn, "batch id mismatch"))
		case p.expiry != m.Expiry:
			bad = append(bad, alert(euhub.A52, sn, "expiry mismatch"))
		case undo && p.status != m.Status:
			bad = append(bad, alert(euhub.A24, sn, "pack is "+p.status+", not "+m.Status))
		case undo && !euhub.Reversible(m.Status):
			bad = append(bad, alert(euhub.A24, sn, m.Status+" cannot be undone"))
		case undo && now.Sub(p.changed) > s.cfg.UndoWindow:
			bad = append(bad, alert(euhub.A24, sn, "undo window passed"))
		case !undo && p.status == m.Status:
			info = append(info, alert(euhub.A7, sn, "pack already "+m.Status))
		case !undo && p.status != "active":
			bad = append(bad, alert(euhub.A24, sn, "pack is "+p.status))
		}
	}
	if len(bad) > 0 {
		return rejected(bad...)
	}
	n := 0
	for _, sn := range m.Serials {
		p := s.packs[code+"|"+sn]
		switch {
		case undo:
			p.status, p.changed = "active", now
			n++
		case p.status != m.Status:
			p.status, p.changed = m.Status, now
			n++
		}
	}
	return &euhub.Ack{Result: "accepted", Count: n, Alerts: info}
}

func (s *Sim) setFaults(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var f Faults
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.SetFaults(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) state(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	out := map[string]any{"stats": s.Stats()}
	if g, l := r.URL.Query().Get("gtin"), r.URL.Query().Get("lot"); g != "" && l != "" {
		out["packs"] = s.BatchPacks(g, l)
		out["recalled"] = s.Recalled(g, l)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out) //nolint:errcheck // the client went away
}

// Scan is a pack scanned at a pharmacy (verification or dispense).
type Scan struct {
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot"`
	Expiry string `json:"expiry"`
	Serial string `json:"serial"`
	Market string `json:"market"`
}

func (s *Sim) scanHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var sc Scan
	if err := json.NewDecoder(r.Body).Decode(&sc); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a, err := s.ScanPack(r.Context(), sc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a) //nolint:errcheck // the client went away
}

// Check returns the alert a scan raises, or nil when the pack verifies.
func (s *Sim) Check(sc Scan) *euhub.AlertNotification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var code, text string
	p := s.packs[sc.GTIN+"|"+sc.Serial]
	switch {
	case p == nil && s.batches[sc.GTIN+"|"+sc.Lot] == nil:
		code, text = euhub.A2, "batch not found"
	case p == nil:
		code, text = euhub.A3, "pack not found"
	case p.lot != sc.Lot:
		code, text = euhub.A68, "batch id mismatch: uploaded "+p.lot
	case p.expiry != sc.Expiry:
		code, text = euhub.A52, "expiry mismatch: uploaded "+p.expiry
	case p.status != "active":
		code, text = euhub.A24, "pack already "+p.status
	default:
		return nil
	}
	s.alertSeq++
	return &euhub.AlertNotification{AlertID: fmt.Sprintf("SIM-%s-%06d", s.run, s.alertSeq),
		Code: code, Raised: s.cfg.Now().UTC().Truncate(time.Second), Market: sc.Market,
		Product: euhub.ProductCode{Scheme: "GTIN", Code: sc.GTIN}, Batch: sc.Lot, Expiry: sc.Expiry, Serial: sc.Serial, Text: text}
}

// ScanPack checks a scanned pack like the hub does at a pharmacy and, when it raises an
// alert, sends it to the MAH's hub (Config.Callback). It returns the alert (nil: verified).
func (s *Sim) ScanPack(ctx context.Context, sc Scan) (*euhub.AlertNotification, error) {
	a := s.Check(sc)
	if a == nil {
		return nil, nil
	}
	return a, s.Send(ctx, a)
}

// Send delivers an alert to the MAH's hub.
func (s *Sim) Send(ctx context.Context, a *euhub.AlertNotification) error {
	if s.cfg.Callback == "" {
		return errors.New("euhub sim: no callback configured for alerts")
	}
	body, err := euhub.Marshal(nil, a)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.Callback, "/")+"/v1/euhub/alerts", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("euhub sim: alert: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+s.cfg.CallbackToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("euhub sim: send alert %s: %w", a.AlertID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return fmt.Errorf("euhub sim: send alert %s: HTTP %d: %s", a.AlertID, resp.StatusCode, b)
	}
	return nil
}
