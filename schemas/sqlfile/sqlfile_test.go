package sqlfile

import (
	"testing"
	"testing/fstest"
)

func TestMustLoad(t *testing.T) {
	q := MustLoad(fstest.MapFS{"a.sql": {Data: []byte("-- file comment\n-- name: One\nSELECT 1;\n\n-- name: Two\nSELECT\n  2\n")}})
	if q.Get("One") != "SELECT 1;" || q.Get("Two") != "SELECT\n  2" {
		t.Fatalf("got %q", q)
	}
}

func TestMustLoadRejects(t *testing.T) {
	tests := map[string]string{
		"duplicate":   "-- name: A\nSELECT 1\n-- name: A\nSELECT 2\n",
		"unnamed SQL": "SELECT 1\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			MustLoad(fstest.MapFS{"a.sql": {Data: []byte(text)}})
		})
	}
}
