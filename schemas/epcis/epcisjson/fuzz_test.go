package epcisjson_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisjson"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// FuzzDecode: the decoder never panics and fails only with *epcis.DecodeError; whatever it
// accepts, the encoder writes and the decoder reads back to the same events.
func FuzzDecode(f *testing.F) {
	for _, p := range validJSONFiles(f) {
		addSeed(f, p)
	}
	invalid, _ := filepath.Glob(testvectors.Path(f, "epcis-2.0", "examples-openepcis", "JSON", "*", "Invalid", "*.json"))
	for _, p := range invalid {
		addSeed(f, p)
	}
	f.Add(generateDocument(3))
	lim := epcis.Limits{MaxDepth: 32, MaxEventBytes: 1 << 16, MaxTotalBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, evs, err := decodeAll(bytes.NewReader(in), lim)
		if err != nil {
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a DecodeError", err, err)
			}
			return
		}
		var out bytes.Buffer
		enc := epcisjson.NewEncoder(&out)
		if err := enc.WriteHeader(doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if err := enc.WriteEvent(e); err != nil {
				t.Fatalf("encoding an accepted event: %v", err)
			}
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		_, evs2, err := decodeAll(bytes.NewReader(out.Bytes()), epcis.Limits{})
		if err != nil {
			t.Fatalf("re-decoding what we wrote: %v\n%s", err, out.Bytes())
		}
		if len(evs2) != len(evs) {
			t.Fatalf("%d events became %d", len(evs), len(evs2))
		}
		for i := range evs {
			if a, b := canonical(evs[i]), canonical(evs2[i]); a != b {
				t.Fatalf("event %d changed:\n%s\n---\n%s", i, a, b)
			}
		}
	})
}

func addSeed(f *testing.F, path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
}
