package sim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/serialhub/serialhub/gateways/as2"
)

// AS2Config is the simulated partner's AS2 side: its own identity (to decrypt and to sign
// receipts) and the sender's certificate (to verify what it receives).
type AS2Config struct {
	Self   as2.Identity
	Sender *x509.Certificate
	ID     string // its AS2 identifier (Reporting-UA and recipient of receipts)
}

// receiveAS2 takes an AS2 message: decrypts it, verifies the signature, validates the file
// like the other transports, deduplicates by idempotency key (or Message-ID), and answers a
// signed MDN: processed with the MIC of what it took, processed/warning for a duplicate, or
// processed/error with the reason (a failed MDN).
func (s *Sim) receiveAS2(w http.ResponseWriter, r *http.Request) {
	cfg := s.cfg.AS2
	if cfg == nil {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 512<<20))
	if err != nil {
		return
	}
	msg, err := as2.Open(r.Header, body, cfg.Self, cfg.Sender)
	mdn := as2.MDN{ReportingUA: "serialhub partnersim", Recipient: cfg.ID, OriginalMessageID: msg.MessageID,
		Disposition: as2.DispositionProcessed, MIC: msg.MIC}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = msg.MessageID
	}
	if err != nil {
		var ae *as2.Error
		mod := "unexpected-processing-error"
		if errors.As(err, &ae) {
			mod = ae.Modifier
		}
		mdn.Disposition, mdn.MIC, mdn.Text = as2.DispositionError(mod), "", err.Error()
		s.answerMDN(w, mdn, false)
		return
	}
	s.mu.Lock()
	if rec := s.received[key]; rec != nil && rec.Accepted > 0 {
		rec.Deliveries++
		wrong := s.wrongMIC()
		s.mu.Unlock()
		mdn.Disposition += "/warning: duplicate-document"
		mdn.Text = "already received"
		s.answerMDN(w, mdn, wrong)
		return
	}
	reasons := s.faults.Reject
	s.mu.Unlock()
	if len(reasons) == 0 {
		reasons = s.validate(msg.Body)
	}
	sum := sha256.Sum256(msg.Body)
	s.mu.Lock()
	rec := s.received[key]
	if rec == nil {
		rec = &Received{Key: key, DocumentID: msg.MessageID, Transport: "as2", SHA256: hex.EncodeToString(sum[:]),
			Size: len(msg.Body), FirstAt: time.Now()}
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
		rec.body = msg.Body
		if s.faults.DropAnswer > 0 {
			s.faults.DropAnswer--
			drop = true
		}
	}
	wrong := s.wrongMIC()
	s.mu.Unlock()
	if drop {
		hangUp(w)
		return
	}
	if len(reasons) > 0 {
		mdn.Disposition, mdn.MIC = as2.DispositionError("unexpected-processing-error"), ""
		mdn.Text = strings.Join(reasons, "; ")
	} else {
		mdn.Text = "received and accepted"
	}
	s.answerMDN(w, mdn, wrong)
}

// wrongMIC consumes one WrongMIC fault (s.mu held).
func (s *Sim) wrongMIC() bool {
	if s.faults.WrongMIC > 0 {
		s.faults.WrongMIC--
		return true
	}
	return false
}

func (s *Sim) answerMDN(w http.ResponseWriter, m as2.MDN, wrongMIC bool) {
	if wrongMIC && m.MIC != "" {
		m.MIC = as2.MIC([]byte("not what was sent"))
	}
	ct, body, err := as2.BuildMDN(m, s.cfg.AS2.Self)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": []string{err.Error()}})
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("AS2-From", s.cfg.AS2.ID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
