package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/sites/masterdata"
)

// TestMasterdataImportAndSerials: the example CSV files import through the CLI; a site key
// reads its own site, lines and the products but not another site's, requests serials for
// itself only, and a repeated request id returns the same serials; partner secrets are never
// returned.
func TestMasterdataImportAndSerials(t *testing.T) {
	getenv, cfg := testHub(t)
	ctx := context.Background()
	var out bytes.Buffer
	files := []string{"markets.csv", "sites.csv", "lines.csv", "products.csv", "partners.csv"}
	args := []string{"masterdata", "import"}
	for _, f := range files {
		args = append(args, filepath.Join("..", "..", "sites", "masterdata", "testdata", f))
	}
	if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "products.csv: products: 3 rows: 3 created") {
		t.Fatalf("import output:\n%s", out.String())
	}
	out.Reset()
	bad := filepath.Join("..", "..", "sites", "masterdata", "testdata", "products-bad.csv")
	err := run(ctx, []string{"masterdata", "import", bad}, getenv, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "row 3, column gtin: check digit 4 should be 3") ||
		!strings.Contains(out.String(), "nothing imported (all-or-nothing)") {
		t.Fatalf("bad import: %v\n%s", err, out.String())
	}

	admin := newClient(cfg)
	var key struct{ Token string }
	if err := admin.postJSON(ctx, "/v1/sites/plant-de/keys", nil, &key); err != nil {
		t.Fatal(err)
	}
	de := admin.withToken(key.Token)
	checks := []struct {
		method, path string
		body         any
		code         domain.Code // "" = success
	}{
		{http.MethodGet, "/v1/sites/plant-de", nil, ""},
		{http.MethodGet, "/v1/sites/plant-de/lines", nil, ""},
		{http.MethodGet, "/v1/sites/plant-fr", nil, domain.CodeNotFound},
		{http.MethodGet, "/v1/sites/plant-fr/lines", nil, domain.CodeNotFound},
		{http.MethodGet, "/v1/sites/plant-fr/lines/L1", nil, domain.CodeNotFound},
		{http.MethodGet, "/v1/products/09501101530003", nil, ""},
		{http.MethodGet, "/v1/partners", nil, domain.CodeForbidden},
		{http.MethodPut, "/v1/sites/plant-de/lines/L1", masterdata.Line{Name: "mine now"}, domain.CodeForbidden},
		{http.MethodPost, "/v1/sites/plant-fr/serials", map[string]any{"line": "L1", "gtin": "09501101530003", "count": 5}, domain.CodeForbidden},
		{http.MethodPost, "/v1/sites/plant-de/serials", map[string]any{"line": "L1", "gtin": "09501101530027", "count": 5}, ""},
		{http.MethodGet, "/v1/serial-alerts", nil, domain.CodeForbidden},
	}
	for _, c := range checks {
		var body io.Reader
		if c.body != nil {
			body = jsonBody(c.body)
		}
		_, err := de.do(ctx, c.method, c.path, "application/json", body, nil)
		if domain.ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("site key %s %s: err = %v, want %q", c.method, c.path, err, c.code)
		}
	}

	// The CLI with the site's key: serials to a file, the same request id twice.
	siteEnv := func(k string) string {
		if k == "SERIALHUB_TOKEN" {
			return key.Token
		}
		return getenv(k)
	}
	dir := t.TempDir()
	var lists []string
	for i := range 2 {
		file := filepath.Join(dir, "serials"+string(rune('0'+i)))
		out.Reset()
		err := run(ctx, []string{"serials", "request", "--site", "plant-de", "--line", "L1", "--gtin", "9501101530003",
			"--count", "1000", "--lot", "LOT-7", "--request-id", "wo-42", "--out", file}, siteEnv, &out, io.Discard)
		if err != nil {
			t.Fatalf("serials request: %v\n%s", err, out.String())
		}
		b, err := os.ReadFile(file)
		if err != nil || strings.Count(string(b), "\n") != 1000 {
			t.Fatalf("serial file: %d lines, %v", strings.Count(string(b), "\n"), err)
		}
		lists = append(lists, string(b))
	}
	if lists[0] != lists[1] || !strings.Contains(out.String(), "repeated request") {
		t.Fatalf("a repeated request id gave other serials; output:\n%s", out.String())
	}

	// Partner secrets are write-only.
	p := masterdata.Partner{Name: "Great Wholesale GmbH", TransportSecrets: map[string]string{"password": "s3cret-value"}}
	if _, err := admin.do(ctx, http.MethodPut, "/v1/partners/4098765432101", "application/json", jsonBody(p), nil); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"masterdata", "show", "partners", "4098765432101"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cret-value") || !strings.Contains(out.String(), `"password"`) {
		t.Fatalf("partner as shown:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"masterdata", "history", "partner", "4098765432101"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "s3cret-value") || strings.Count(out.String(), `"version"`) < 4 {
		t.Fatalf("partner history:\n%s", out.String())
	}
}
