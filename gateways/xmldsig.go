package gateways

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signer signs XML documents with an enveloped XML-DSig signature (RSA-SHA256 over the
// exclusive canonical form of the whole document, the certificate in KeyInfo), as partners
// verify them with xmlsec1 or any XML-DSig library.
type Signer struct {
	key  crypto.Signer
	cert *x509.Certificate
}

// NewSigner returns a signer with key and its certificate.
func NewSigner(key crypto.Signer, cert *x509.Certificate) *Signer {
	return &Signer{key: key, cert: cert}
}

// LoadSigner reads a PEM certificate and key.
func LoadSigner(certFile, keyFile string) (*Signer, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	k, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key: %T cannot sign", pair.PrivateKey)
	}
	return NewSigner(k, cert), nil
}

// Certificate is the signer's certificate (partners trust it).
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// SignEnveloped returns doc with a ds:Signature appended as the last child of its root. The
// reference URI is "" (the whole document), so no ID attribute is needed in the schema.
func (s *Signer) SignEnveloped(doc []byte) ([]byte, error) {
	d := etree.NewDocument()
	d.ReadSettings.PreserveCData = true
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("sign: parse: %w", err)
	}
	root := d.Root()
	if root == nil {
		return nil, fmt.Errorf("sign: empty document")
	}
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(root)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	d.SetRoot(signed)
	var buf bytes.Buffer
	buf.Grow(len(doc) + 4096)
	if _, err := d.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("sign: write: %w", err)
	}
	return buf.Bytes(), nil
}

// VerifyEnveloped checks the enveloped signature of doc against the trusted certificates.
func VerifyEnveloped(doc []byte, trusted ...*x509.Certificate) error {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return fmt.Errorf("verify: parse: %w", err)
	}
	if d.Root() == nil {
		return fmt.Errorf("verify: empty document")
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: trusted})
	if _, err := ctx.Validate(d.Root()); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}
