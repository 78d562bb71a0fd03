package epcisxml

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

// FuzzDecode feeds the decoder mutations of every XML vector. Whatever the input, it must
// not panic and must fail only with a *epcis.DecodeError; what it accepts must survive
// encoding as 1.2 and 2.0 and decoding again unchanged.
func FuzzDecode(f *testing.F) {
	dir := testvectors.Dir(f)
	for _, sub := range []string{"epcis-1.2", "epcis-2.0", "epcis-event-hash", "dscsa-partner-samples"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".xml") {
				return err
			}
			b, err := os.ReadFile(p)
			if err == nil {
				f.Add(b)
			}
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	lim := epcis.Limits{MaxDepth: 32, MaxEventBytes: 256 << 10, MaxTotalBytes: 2 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsParser(t, b, lim) // the identifier fast path changes nothing
		d := NewDecoder(bytes.NewReader(b), lim)
		doc, err := d.Document()
		var evs []*epcis.Event
		for err == nil {
			var ev *epcis.Event
			ev, err = d.Next()
			if err == nil {
				evs = append(evs, ev)
			}
		}
		if !isEOF(err) {
			var de *epcis.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T, not *epcis.DecodeError: %v", err, err)
			}
			return
		}
		for _, v := range []epcis.Version{epcis.Version12, epcis.Version20} {
			var buf bytes.Buffer
			if err := encodeAll(NewEncoder(&buf, v), doc, evs); err != nil {
				t.Fatalf("encode %s: %v", v, err)
			}
			_, evs2, err := decodeAll(t, bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("decode of %s output: %v\n%s", v, err, excerpt(buf.Bytes(), err))
			}
			if len(evs2) != len(evs) {
				t.Fatalf("%s round trip: %d events, want %d", v, len(evs2), len(evs))
			}
			for i := range evs {
				if d := diff(evs[i], evs2[i]); d != "" {
					t.Fatalf("%s round trip, event %d differs: %s\n%s", v, i, d, buf.Bytes())
				}
			}
		}
	})
}

func isEOF(err error) bool { return err != nil && err.Error() == "EOF" }
