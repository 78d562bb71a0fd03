package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestConfigMasksSecrets(t *testing.T) {
	env := map[string]string{
		"SERIALHUB_PG_DSN":      "postgres://serialhub:s3cret-pg@127.0.0.1:1/x",
		"SERIALHUB_CH_PASSWORD": "s3cret-ch",
		"SERIALHUB_TOKEN":       "shk_s3cret",
		"SERIALHUB_DATA":        t.TempDir(),
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.print(&b)
	out := b.String()
	for _, secret := range []string{"s3cret-pg", "s3cret-ch", "shk_s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("config output shows secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "postgres://serialhub:****@127.0.0.1:1/x") {
		t.Errorf("DSN not shown masked:\n%s", out)
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr bool
	}{
		{"defaults", map[string]string{}, func(c Config) bool { return c.HTTPAddr == "127.0.0.1:18080" && c.URL == "http://127.0.0.1:18080" }, false},
		{"url follows addr", map[string]string{"SERIALHUB_HTTP_ADDR": "127.0.0.1:9"}, func(c Config) bool { return c.URL == "http://127.0.0.1:9" }, false},
		{"port from the stack", map[string]string{"SERIALHUB_HTTP_PORT": "18081"}, func(c Config) bool { return c.HTTPAddr == "127.0.0.1:18081" }, false},
		{"bad size", map[string]string{"SERIALHUB_MAX_DOCUMENT_BYTES": "lots"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["SERIALHUB_DATA"] = t.TempDir()
			c, err := loadConfig(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.check != nil && !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}
