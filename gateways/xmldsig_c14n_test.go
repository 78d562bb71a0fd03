package gateways

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// comment matches an XML comment: xmllint's --exc-c14n keeps comments, our form drops them
// (the signature's algorithm is the one without comments), so the oracle gets them removed.
var comment = regexp.MustCompile(`(?s)<!--.*?-->`)

// TestCanonicalizeExclusive compares the streaming canonical form with xmllint's.
func TestCanonicalizeExclusive(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed")
	}
	docs := map[string]string{
		"prolog":                             "\xef\xbb\xbf<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<!-- before -->\n<r>x</r>\n<!-- after -->\n",
		"empty elements and attribute order": `<r b="2" a="1"><e/><e  z = 'q' y="p" /></r>`,
		"text escapes":                       "<r>a &lt; b &gt; c &amp; d &quot;q&quot; &apos;s&apos; &#65;&#x42; &#13; &#x9; > ]</r>",
		"line ends":                          "<r a=\"x\r\ny\">1\r\n2\r3\n</r>",
		"cdata":                              "<r><![CDATA[<tag> & \"q\" ]] >]]>tail</r>",
		"attribute whitespace and escapes":   "<r a=\"\tt\nn\" b='&#9;&#10;&#13;' c='&lt;&amp;&gt;\"' d=\"'\"></r>",
		"non-ASCII":                          `<r ä="ü">Grüße – 日本 🙂</r>`,
		"namespaces only where used":         `<p:r xmlns:p="urn:p" xmlns:q="urn:q" xmlns:unused="urn:u"><q:a/><b q:at="1"/><p:c/></p:r>`,
		"default namespace and undeclaring":  `<r xmlns="urn:d"><a><b xmlns=""><c/></b></a><x:e xmlns:x="urn:x"/></r>`,
		"prefix rebound":                     `<x:r xmlns:x="urn:1"><x:a xmlns:x="urn:2"><x:b/></x:a><x:c xmlns:x="urn:1"/></x:r>`,
		"attributes sorted by namespace":     `<r xmlns:b="urn:a" xmlns:a="urn:b" a:z="1" b:y="2" x="3" xml:lang="en"></r>`,
		"declared on sibling only":           `<r><a xmlns:p="urn:p"><p:b/></a><c xmlns:p="urn:p"><p:d/></c></r>`,
		"xml prefix":                         `<r xml:space="preserve"><a xml:lang="de"> </a></r>`,
		"comments inside":                    "<r>a<!-- c -->b<x><!----></x></r>",
		"end tag with space":                 "<r><a></a ></r  >",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			w := bufio.NewWriter(&got)
			end, err := canonicalizeExclusive(w, []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(doc[end:], "</") {
				t.Errorf("root end at %d: %q", end, doc[end:])
			}
			f := filepath.Join(t.TempDir(), "doc.xml")
			if err := os.WriteFile(f, []byte(comment.ReplaceAllString(doc, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			want, err := exec.Command("xmllint", "--exc-c14n", f).Output()
			if err != nil {
				t.Fatalf("xmllint: %v", err)
			}
			if got.String() != string(want) {
				t.Errorf("canonical form\n got %q\nwant %q", got.String(), want)
			}
		})
	}
}

func TestCanonicalizeExclusiveRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"doctype":                 `<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`,
		"processing instruction":  `<r><?pi x?></r>`,
		"latin-1":                 `<?xml version="1.0" encoding="ISO-8859-1"?><r/>`,
		"undeclared entity":       `<r>&nbsp;</r>`,
		"undeclared prefix":       `<p:r/>`,
		"mismatched end tag":      `<r><a></b></r>`,
		"unclosed":                `<r><a></a>`,
		"two roots":               `<r></r><s></s>`,
		"empty root":              `<r/>`,
		"bad character reference": `<r>&#0;</r>`,
		"less-than in attribute":  `<r a="<"></r>`,
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := canonicalizeExclusive(bufio.NewWriter(&out), []byte(doc)); err == nil {
				t.Errorf("accepted %q", doc)
			}
		})
	}
}

// TestSignEnvelopedVerifies signs small documents of several shapes and checks them with
// goxmldsig's validator and, when installed, xmlsec1.
func TestSignEnvelopedVerifies(t *testing.T) {
	certPEM, keyPEM, err := SelfSigned("c14n test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSigner(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		"<?xml version=\"1.0\"?>\n<r xmlns=\"urn:d\" b='2' a=\"1\">\r\n  <x:a xmlns:x=\"urn:x\">t &amp; &#13;</x:a>\n  <e/>\n</r>\n",
		`<p:r xmlns:p="urn:p"><!-- c --><p:a><![CDATA[<&>]]></p:a></p:r>`,
	} {
		signed, err := s.SignEnveloped([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyEnveloped(signed, s.Certificate()); err != nil {
			t.Errorf("VerifyEnveloped: %v\n%s", err, signed)
		}
		if _, err := exec.LookPath("xmlsec1"); err == nil {
			dir := t.TempDir()
			f, c := filepath.Join(dir, "signed.xml"), filepath.Join(dir, "cert.pem")
			os.WriteFile(f, signed, 0o600)
			os.WriteFile(c, certPEM, 0o600)
			if out, err := exec.Command("xmlsec1", "--verify", "--trusted-pem", c, f).CombinedOutput(); err != nil {
				t.Errorf("xmlsec1 --verify: %v\n%s\n%s", err, out, signed)
			}
		}
		tampered := bytes.Replace(signed, []byte("<e/>"), []byte("<e></e><f/>"), 1)
		tampered = bytes.Replace(tampered, []byte("<p:a>"), []byte("<p:a>x"), 1)
		if err := VerifyEnveloped(tampered, s.Certificate()); err == nil {
			t.Errorf("tampered document verified: %s", tampered)
		}
	}
}
