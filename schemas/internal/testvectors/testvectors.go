// Package testvectors locates the official GS1 test material (../shared/vectors beside the
// repository, or $SERIALHUB_VECTORS) for tests. Outside CI a missing folder skips the test;
// in CI (CI=true) it fails, so that conformance tests can never silently stop running.
package testvectors

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the vectors folder, or skips (fails in CI) the test when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("SERIALHUB_VECTORS"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/schemas/internal/testvectors/testvectors.go
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
	d := filepath.Join(repo, "..", "shared", "vectors")
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("GS1 test vectors not found at %s (set SERIALHUB_VECTORS)", d)
		}
		t.Skipf("GS1 test vectors not found at %s (set SERIALHUB_VECTORS)", d)
	}
	return d
}

// Path joins elements onto Dir.
func Path(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}
