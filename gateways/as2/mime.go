package as2

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"strings"
)

// entity renders a MIME entity: header lines, a blank line, the body, all with CRLF.
func entity(headers [][2]string, body []byte) []byte {
	var b bytes.Buffer
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// splitEntity parses an entity's headers and returns them with its body.
func splitEntity(e []byte) (textproto.MIMEHeader, []byte, error) {
	i := bytes.Index(e, []byte("\r\n\r\n"))
	sep := 4
	if i < 0 {
		if i = bytes.Index(e, []byte("\n\n")); i < 0 {
			return nil, nil, errors.New("MIME entity without a header end")
		}
		sep = 2
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(e[:i:i], "\r\n\r\n"...)))).ReadMIMEHeader()
	if err != nil {
		return nil, nil, fmt.Errorf("MIME headers: %w", err)
	}
	return h, e[i+sep:], nil
}

// parts splits a multipart body into its parts' raw bytes (headers and body, exactly as
// sent: a signature covers them byte for byte). The CRLF before a delimiter belongs to it.
func parts(body []byte, boundary string) ([][]byte, error) {
	delim := []byte("--" + boundary)
	var out [][]byte
	pos := 0
	if !bytes.HasPrefix(body, delim) {
		i := bytes.Index(body, append([]byte("\r\n"), delim...))
		if i < 0 {
			return nil, fmt.Errorf("multipart: no boundary %q", boundary)
		}
		pos = i + 2
	}
	for {
		pos += len(delim)
		if bytes.HasPrefix(body[pos:], []byte("--")) {
			return out, nil
		}
		nl := bytes.Index(body[pos:], []byte("\r\n"))
		if nl < 0 {
			return nil, errors.New("multipart: truncated")
		}
		start := pos + nl + 2
		end := bytes.Index(body[start:], append([]byte("\r\n"), delim...))
		if end < 0 {
			return nil, errors.New("multipart: no closing boundary")
		}
		out = append(out, body[start:start+end])
		pos = start + end + 2
	}
}

func boundary() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "----=_serialhub_" + hex.EncodeToString(b)
}

// mediaType parses a Content-Type value.
func mediaType(v string) (string, map[string]string, error) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, fmt.Errorf("content type %q: %w", v, err)
	}
	return strings.ToLower(mt), params, nil
}

// decodeBody undoes a Content-Transfer-Encoding (base64 or none).
func decodeBody(h textproto.MIMEHeader, body []byte) ([]byte, error) {
	if strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			return nil, fmt.Errorf("base64 body: %w", err)
		}
		return out[:n], nil
	}
	return body, nil
}

// wrap76 base64-encodes b in lines of 76 characters.
func wrap76(b []byte) []byte {
	s := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.Bytes()
}
