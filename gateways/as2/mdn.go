package as2

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
)

// MDN is a receipt (RFC 3798 as profiled by RFC 4130).
type MDN struct {
	ReportingUA       string
	Recipient         string // the receiver's AS2 id
	OriginalMessageID string // without <>
	// Disposition is "automatic-action/MDN-sent-automatically; processed" when the document
	// was taken, with "/error: <modifier>" (or /warning: ...) when not.
	Disposition string
	MIC         string // Received-Content-MIC
	Text        string // for humans
}

// Processed reports whether the receiver took the document (a warning, such as a duplicate,
// still counts as taken; an error does not).
func (m MDN) Processed() bool {
	_, d, _ := strings.Cut(m.Disposition, ";")
	d = strings.ToLower(strings.TrimSpace(d))
	return strings.HasPrefix(d, "processed") && !strings.Contains(d, "/error") && !strings.Contains(d, "/failure")
}

// Disposition values.
const (
	DispositionProcessed = "automatic-action/MDN-sent-automatically; processed"
)

// DispositionError is the disposition of a document refused for modifier.
func DispositionError(modifier string) string {
	return "automatic-action/MDN-sent-automatically; processed/error: " + modifier
}

// BuildMDN renders m as a signed multipart/report and returns the HTTP Content-Type and body
// of the synchronous answer.
func BuildMDN(m MDN, self Identity) (string, []byte, error) {
	b := boundary()
	var report bytes.Buffer
	report.WriteString("--" + b + "\r\n")
	report.Write(entity([][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, []byte(m.Text+"\r\n")))
	report.WriteString("\r\n--" + b + "\r\n")
	fields := fmt.Sprintf("Reporting-UA: %s\r\nOriginal-Recipient: rfc822; %s\r\nFinal-Recipient: rfc822; %s\r\n"+
		"Original-Message-ID: <%s>\r\nDisposition: %s\r\n", m.ReportingUA, m.Recipient, m.Recipient, m.OriginalMessageID, m.Disposition)
	if m.MIC != "" {
		fields += "Received-Content-MIC: " + m.MIC + "\r\n"
	}
	report.Write(entity([][2]string{{"Content-Type", "message/disposition-notification"}}, []byte(fields)))
	report.WriteString("\r\n--" + b + "--\r\n")
	content := entity([][2]string{{"Content-Type", fmt.Sprintf(`multipart/report; report-type=disposition-notification; boundary="%s"`, b)}}, report.Bytes())
	signed, err := signMultipart(content, self)
	if err != nil {
		return "", nil, err
	}
	h, body, err := splitEntity(signed)
	if err != nil {
		return "", nil, err
	}
	return h.Get("Content-Type"), body, nil
}

// ParseMDN reads a synchronous MDN answer and verifies its signature by the receiver's
// certificate. An unsigned MDN is refused: the hub asks for signed receipts.
func ParseMDN(h http.Header, body []byte, receiver *x509.Certificate) (MDN, error) {
	e := entity([][2]string{{"Content-Type", h.Get("Content-Type")}}, body)
	content, err := verifySigned(e, receiver)
	if err != nil {
		return MDN{}, fmt.Errorf("MDN: %w", err)
	}
	ch, cb, err := splitEntity(content)
	if err != nil {
		return MDN{}, fmt.Errorf("MDN: %w", err)
	}
	mt, params, err := mediaType(ch.Get("Content-Type"))
	if err != nil || mt != "multipart/report" {
		return MDN{}, fmt.Errorf("MDN: want multipart/report, got %q", ch.Get("Content-Type"))
	}
	ps, err := parts(cb, params["boundary"])
	if err != nil {
		return MDN{}, fmt.Errorf("MDN: %w", err)
	}
	var m MDN
	found := false
	for _, p := range ps {
		ph, pb, err := splitEntity(p)
		if err != nil {
			return MDN{}, fmt.Errorf("MDN: %w", err)
		}
		pt, _, _ := mediaType(ph.Get("Content-Type"))
		switch pt {
		case "text/plain":
			m.Text = strings.TrimSpace(string(pb))
		case "message/disposition-notification":
			f, _, err := splitEntity(append(bytes.TrimRight(pb, "\r\n"), "\r\n\r\n"...))
			if err != nil {
				return MDN{}, fmt.Errorf("MDN fields: %w", err)
			}
			found = true
			m.ReportingUA = f.Get("Reporting-UA")
			_, m.Recipient, _ = strings.Cut(f.Get("Final-Recipient"), ";")
			m.Recipient = strings.TrimSpace(m.Recipient)
			m.OriginalMessageID = strings.Trim(strings.TrimSpace(f.Get("Original-Message-ID")), "<>")
			m.Disposition = strings.TrimSpace(f.Get("Disposition"))
			m.MIC = strings.TrimSpace(f.Get("Received-Content-MIC"))
		}
	}
	if !found {
		return MDN{}, fmt.Errorf("MDN: no disposition notification")
	}
	return m, nil
}

// SameMIC compares two MICs ("base64, sha-256"), ignoring spacing and the case of the
// algorithm name.
func SameMIC(a, b string) bool {
	norm := func(s string) string {
		v, alg, _ := strings.Cut(s, ",")
		return strings.TrimSpace(v) + "," + strings.ToLower(strings.TrimSpace(alg))
	}
	return a != "" && norm(a) == norm(b)
}
