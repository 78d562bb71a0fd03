package as2

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

func init() {
	// The library's default content cipher is DES-CBC; AS2 partners expect AES. Set once,
	// before any use: the library reads it as a package variable.
	pkcs7.ContentEncryptionAlgorithm = pkcs7.EncryptionAlgorithmAES256CBC
}

// Identity is a party's certificate and private key (the hub's, or a simulated partner's).
type Identity struct {
	Cert *x509.Certificate
	Key  crypto.PrivateKey
}

// ParseIdentity reads a PEM certificate and its PEM (PKCS #1 or #8) key.
func ParseIdentity(certPEM, keyPEM []byte) (Identity, error) {
	cert, err := ParseCert(certPEM)
	if err != nil {
		return Identity{}, err
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return Identity{}, errors.New("as2: no PEM key")
	}
	var key any
	if key, err = x509.ParsePKCS1PrivateKey(kb.Bytes); err != nil {
		if key, err = x509.ParsePKCS8PrivateKey(kb.Bytes); err != nil {
			return Identity{}, fmt.Errorf("as2: key: %w", err)
		}
	}
	return Identity{Cert: cert, Key: key}, nil
}

// ParseCert reads a PEM certificate.
func ParseCert(certPEM []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return nil, errors.New("as2: no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("as2: certificate: %w", err)
	}
	return c, nil
}

// Message is one business document to send.
type Message struct {
	// MessageID is stable for a document (built from its business key), without <>: a
	// receiver that sees it again knows it holds the document already.
	MessageID   string
	From, To    string // AS2 identifiers
	Subject     string
	Filename    string
	ContentType string
	Body        []byte
	// ReceiptTo is the Disposition-Notification-To value (who asks for the MDN).
	ReceiptTo string
}

// MessageID turns a business key into an RFC 5322 message id (without <>).
func MessageID(key, domain string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r):
			return r
		}
		return '_'
	}, key)
	return clean + "@" + domain
}

// MIC is the Message Integrity Check of a signed entity, as an MDN reports it.
func MIC(signedEntity []byte) string {
	sum := sha256.Sum256(signedEntity)
	return base64.StdEncoding.EncodeToString(sum[:]) + ", sha-256"
}

// Pack signs m with self's key and encrypts it to the receiver's certificate. It returns the
// HTTP headers and body to POST and the MIC the receiver's MDN must report.
func Pack(m Message, self Identity, receiver *x509.Certificate) (http.Header, []byte, string, error) {
	name := m.Filename
	if name == "" {
		name = "document"
	}
	payload := entity([][2]string{
		{"Content-Type", m.ContentType},
		{"Content-Transfer-Encoding", "binary"},
		{"Content-Disposition", fmt.Sprintf("attachment; filename=%q", name)},
	}, m.Body)
	signed, err := signMultipart(payload, self)
	if err != nil {
		return nil, nil, "", err
	}
	enc, err := pkcs7.Encrypt(signed, []*x509.Certificate{receiver})
	if err != nil {
		return nil, nil, "", fmt.Errorf("as2: encrypt: %w", err)
	}
	h := http.Header{}
	h.Set("AS2-Version", "1.2")
	h.Set("AS2-From", quoteAS2(m.From))
	h.Set("AS2-To", quoteAS2(m.To))
	h.Set("Message-ID", "<"+m.MessageID+">")
	h.Set("Subject", m.Subject)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("MIME-Version", "1.0")
	h.Set("Content-Type", `application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"`)
	h.Set("Content-Disposition", `attachment; filename="smime.p7m"`)
	h.Set("Content-Transfer-Encoding", "binary")
	h.Set("Disposition-Notification-To", m.ReceiptTo)
	h.Set("Disposition-Notification-Options", "signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, sha-256")
	return h, enc, MIC(payload), nil
}

// quoteAS2 quotes an AS2 identifier with spaces (RFC 4130 section 6.2).
func quoteAS2(id string) string {
	if strings.ContainsAny(id, " \t\"") {
		return `"` + strings.ReplaceAll(id, `"`, `\"`) + `"`
	}
	return id
}

func unquoteAS2(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
	}
	return v
}

// signMultipart returns the multipart/signed entity (its Content-Type header included) of
// content with a detached CMS signature by self.
func signMultipart(content []byte, self Identity) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("as2: sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(self.Cert, self.Key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("as2: sign: %w", err)
	}
	sd.Detach()
	sig, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("as2: sign: %w", err)
	}
	b := boundary()
	var body bytes.Buffer
	body.WriteString("--" + b + "\r\n")
	body.Write(content)
	body.WriteString("\r\n--" + b + "\r\n")
	body.Write(entity([][2]string{
		{"Content-Type", `application/pkcs7-signature; name="smime.p7s"`},
		{"Content-Transfer-Encoding", "base64"},
		{"Content-Disposition", `attachment; filename="smime.p7s"`},
	}, wrap76(sig)))
	body.WriteString("--" + b + "--\r\n")
	return entity([][2]string{
		{"Content-Type", fmt.Sprintf(`multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="%s"`, b)},
		{"MIME-Version", "1.0"},
	}, body.Bytes()), nil
}

// verifySigned checks a multipart/signed entity's detached signature against the expected
// signer's certificate (pinned, as AS2 partners exchange certificates), and returns the
// signed content (the exact bytes signed).
func verifySigned(e []byte, signer *x509.Certificate) ([]byte, error) {
	h, body, err := splitEntity(e)
	if err != nil {
		return nil, err
	}
	mt, params, err := mediaType(h.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if mt != "multipart/signed" {
		return nil, &Error{Modifier: "insufficient-message-security", Detail: "not signed: " + mt}
	}
	ps, err := parts(body, params["boundary"])
	if err != nil {
		return nil, err
	}
	if len(ps) != 2 {
		return nil, fmt.Errorf("multipart/signed with %d parts", len(ps))
	}
	sh, sb, err := splitEntity(ps[1])
	if err != nil {
		return nil, err
	}
	der, err := decodeBody(sh, sb)
	if err != nil {
		return nil, err
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, &Error{Modifier: "authentication-failed", Detail: "signature: " + err.Error()}
	}
	p7.Content = ps[0]
	if err := p7.Verify(); err != nil {
		return nil, &Error{Modifier: "authentication-failed", Detail: "signature: " + err.Error()}
	}
	if got := p7.GetOnlySigner(); got == nil || !got.Equal(signer) {
		return nil, &Error{Modifier: "authentication-failed", Detail: "signed by another certificate than the partner's"}
	}
	return ps[0], nil
}

// Error is a failure of an incoming message, with the RFC 4130/3798 disposition modifier
// an MDN reports (decryption-failed, authentication-failed, ...).
type Error struct {
	Modifier string
	Detail   string
}

func (e *Error) Error() string { return "as2: " + e.Modifier + ": " + e.Detail }

// Received is a message opened by a receiver.
type Received struct {
	MessageID   string // without <>
	From, To    string
	Filename    string
	ContentType string
	Body        []byte
	MIC         string // of the signed content, for the MDN
}

// Open decrypts a received message with self's key, verifies its signature by the sender's
// certificate, and returns the document. A failure is an *Error to report in the MDN.
func Open(h http.Header, body []byte, self Identity, sender *x509.Certificate) (Received, error) {
	r := Received{MessageID: strings.Trim(strings.TrimSpace(h.Get("Message-ID")), "<>"),
		From: unquoteAS2(h.Get("AS2-From")), To: unquoteAS2(h.Get("AS2-To"))}
	mt, _, err := mediaType(h.Get("Content-Type"))
	if err != nil {
		return r, &Error{Modifier: "unexpected-processing-error", Detail: err.Error()}
	}
	if mt != "application/pkcs7-mime" && mt != "application/x-pkcs7-mime" {
		return r, &Error{Modifier: "insufficient-message-security", Detail: "not encrypted: " + mt}
	}
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") {
		if body, err = decodeBody(textproto.MIMEHeader(h), body); err != nil {
			return r, &Error{Modifier: "decryption-failed", Detail: err.Error()}
		}
	}
	p7, err := pkcs7.Parse(body)
	if err != nil {
		return r, &Error{Modifier: "decryption-failed", Detail: err.Error()}
	}
	plain, err := p7.Decrypt(self.Cert, self.Key)
	if err != nil {
		return r, &Error{Modifier: "decryption-failed", Detail: err.Error()}
	}
	content, err := verifySigned(plain, sender)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return r, err
		}
		return r, &Error{Modifier: "unexpected-processing-error", Detail: err.Error()}
	}
	r.MIC = MIC(content)
	ch, cb, err := splitEntity(content)
	if err != nil {
		return r, &Error{Modifier: "unexpected-processing-error", Detail: err.Error()}
	}
	if r.Body, err = decodeBody(ch, cb); err != nil {
		return r, &Error{Modifier: "unexpected-processing-error", Detail: err.Error()}
	}
	r.ContentType = ch.Get("Content-Type")
	if _, params, err := mediaType(ch.Get("Content-Disposition")); err == nil {
		r.Filename = params["filename"]
	}
	return r, nil
}
