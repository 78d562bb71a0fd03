package gateways

import (
	"bufio"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signer signs XML documents with an enveloped XML-DSig signature (RSA-SHA256 over the
// exclusive canonical form of the whole document, the certificate in KeyInfo), as partners
// verify them with xmlsec1 or any XML-DSig library. goxmldsig builds the signing context,
// canonicalises SignedInfo and signs it; the document's digest is streamed (SignEnveloped).
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
//
// The document is never parsed into a tree: its exclusive canonical form streams through
// SHA-256 (xmldsig_c14n.go), goxmldsig canonicalises and signs the small SignedInfo, and the
// Signature is spliced in before the root's end tag. Since the signature sits where the
// enveloped-signature transform removes it, the verifier's canonical form of the signed
// document is exactly the one digested here. Documents with a DOCTYPE, processing
// instructions or an encoding other than UTF-8 are refused (the hub builds none).
func (s *Signer) SignEnveloped(doc []byte) ([]byte, error) {
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	h := ctx.Hash.New()
	rootEnd, err := canonicalizeExclusive(bufio.NewWriterSize(h, 64<<10), doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig, err := signature(ctx, h.Sum(nil), s.cert.Raw)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	out := make([]byte, 0, len(doc)+len(sig))
	out = append(out, doc[:rootEnd]...)
	out = append(out, sig...)
	return append(out, doc[rootEnd:]...), nil
}

// signature returns the serialised ds:Signature of a document whose reference digest is
// digest: SignedInfo as goxmldsig builds it for an enveloped signature over URI "",
// canonicalised and signed by goxmldsig, the certificate in KeyInfo.
func signature(ctx *dsig.SigningContext, digest, cert []byte) ([]byte, error) {
	digestAlg, sigAlg := ctx.GetDigestAlgorithmIdentifier(), ctx.GetSignatureMethodIdentifier()
	if digestAlg == "" || sigAlg == "" {
		return nil, fmt.Errorf("unsupported key or hash")
	}
	c14nAlg := string(ctx.Canonicalizer.Algorithm())
	ds := func(parent *etree.Element, tag string) *etree.Element {
		el := parent.CreateElement(tag)
		el.Space = ctx.Prefix
		return el
	}
	sig := &etree.Element{Space: ctx.Prefix, Tag: dsig.SignatureTag}
	sig.CreateAttr("xmlns:"+ctx.Prefix, dsig.Namespace)
	si := ds(sig, dsig.SignedInfoTag)
	ds(si, dsig.CanonicalizationMethodTag).CreateAttr(dsig.AlgorithmAttr, c14nAlg)
	ds(si, dsig.SignatureMethodTag).CreateAttr(dsig.AlgorithmAttr, sigAlg)
	ref := ds(si, dsig.ReferenceTag)
	ref.CreateAttr(dsig.URIAttr, "")
	tr := ds(ref, dsig.TransformsTag)
	ds(tr, dsig.TransformTag).CreateAttr(dsig.AlgorithmAttr, string(dsig.EnvelopedSignatureAltorithmId))
	ds(tr, dsig.TransformTag).CreateAttr(dsig.AlgorithmAttr, c14nAlg)
	ds(ref, dsig.DigestMethodTag).CreateAttr(dsig.AlgorithmAttr, digestAlg)
	ds(ref, dsig.DigestValueTag).SetText(base64.StdEncoding.EncodeToString(digest))

	// SignedInfo on its own, with the ds binding it inherits from Signature: its exclusive
	// canonical form is the same wherever it stands (it uses no other namespace).
	detached := si.Copy()
	detached.CreateAttr("xmlns:"+ctx.Prefix, dsig.Namespace)
	canonical, err := ctx.Canonicalizer.Canonicalize(detached)
	if err != nil {
		return nil, fmt.Errorf("canonicalize SignedInfo: %w", err)
	}
	value, err := ctx.SignString(string(canonical))
	if err != nil {
		return nil, err
	}
	ds(sig, dsig.SignatureValueTag).SetText(base64.StdEncoding.EncodeToString(value))
	ds(ds(ds(sig, dsig.KeyInfoTag), dsig.X509DataTag), dsig.X509CertificateTag).SetText(base64.StdEncoding.EncodeToString(cert))

	d := etree.NewDocument()
	d.SetRoot(sig)
	out, err := d.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("write signature: %w", err)
	}
	return out, nil
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
