// Package chtest gives each test its own migrated ClickHouse database on the real server of
// the local stack (or the SERIALHUB_CH_* variables), dropped when the test ends.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/schemas/clickhouse"
)

// NewDB creates and migrates a fresh database and returns a connection to it and its config.
func NewDB(t testing.TB) (driver.Conn, clickhouse.Config) {
	t.Helper()
	env := localenv.Getenv()
	cfg := clickhouse.Config{
		Addr:     env("SERIALHUB_CH_ADDR"),
		User:     env("SERIALHUB_CH_USER"),
		Password: env("SERIALHUB_CH_PASSWORD"),
	}
	if cfg.Addr == "" {
		t.Fatal("SERIALHUB_CH_ADDR is not set and deploy/local/data/env is missing: run `make up` (or `make test`)")
	}
	if cfg.User == "" {
		cfg.User = "default"
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	cfg.Database = "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := clickhouse.Open(ctx, cfg, true)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	if _, err := clickhouse.Migrate(ctx, conn); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
			t.Logf("chtest: drop %s: %v", cfg.Database, err)
		}
		conn.Close()
	})
	return conn, cfg
}
