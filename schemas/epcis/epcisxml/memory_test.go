package epcisxml

import (
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// liveHeapWhileDecoding streams a generated document of n events through the decoder (the
// document itself is never held in memory) and returns the largest live heap seen.
func liveHeapWhileDecoding(t *testing.T, n int) uint64 {
	t.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(GenerateDocument(pw, epcis.Version20, n)) }()
	d := NewDecoder(pr, epcis.Limits{})
	if _, err := d.Document(); err != nil {
		t.Fatal(err)
	}
	var peak uint64
	var ms runtime.MemStats
	every := n / 8
	for i := 0; ; i++ {
		_, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i%every == every-1 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	return peak
}

// TestDecodeMemoryFlat shows that decoding memory does not grow with the document: eight
// times the events, the same live heap (within GC noise).
func TestDecodeMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 9k events")
	}
	small := liveHeapWhileDecoding(t, 1000)
	large := liveHeapWhileDecoding(t, 8000)
	t.Logf("live heap while decoding: %d KB at 1k events, %d KB at 8k events", small>>10, large>>10)
	if large > small+small/2+(1<<20) {
		t.Errorf("live heap grew with document size: %d KB → %d KB", small>>10, large>>10)
	}
}
