package codec_test

import (
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis/codec"
)

// FuzzDetect: any bytes and content type give a format or an error, never a panic.
func FuzzDetect(f *testing.F) {
	f.Add("", []byte(`<?xml version="1.0"?><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">`))
	f.Add("application/xml", []byte(`<EPCISDocument xmlns="urn:epcglobal:epcis:xsd:1">`))
	f.Add("application/ld+json", []byte(`{"@context":[]}`))
	f.Add("", []byte(`<ObjectEvent schemaVersion="1.2">`))
	f.Add("text/plain", []byte("\xef\xbb\xbf<!-- x --><a:b xmlns:a='urn:epcglobal:epcis-query:xsd:2'/>"))
	f.Fuzz(func(t *testing.T, ct string, peek []byte) {
		format, err := codec.Detect(ct, peek)
		if err == nil && format == codec.Unknown {
			t.Errorf("Detect(%q, %q): no error but no format", ct, peek)
		}
	})
}
