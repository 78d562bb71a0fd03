// Package pgtest gives each test its own migrated PostgreSQL database on the real server of
// the local stack (or SERIALHUB_PG_ADMIN_DSN). A template database is migrated once per
// schema version and cloned per test, which takes milliseconds.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/deploy/local/localenv"
	"github.com/serialhub/serialhub/schemas/postgres"
)

// AdminDSN returns the DSN of a role that may create databases, or fails the test.
func AdminDSN(t testing.TB) string {
	t.Helper()
	dsn := localenv.Getenv()("SERIALHUB_PG_ADMIN_DSN")
	if dsn == "" {
		t.Fatal("SERIALHUB_PG_ADMIN_DSN is not set and deploy/local/data/env is missing: run `make up` (or `make test`)")
	}
	return dsn
}

// NewDB creates a fresh migrated database for this test, drops it when the test ends, and
// returns a pool on it and its DSN.
func NewDB(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := AdminDSN(t)
	tmpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: template: %v", err)
	}
	name := "t_" + randHex(8)
	aconn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect admin: %v", err)
	}
	defer aconn.Close(ctx)
	if _, err := aconn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dsn := replaceDB(admin, name)
	pool, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return pool, dsn
}

// ensureTemplate creates (once, under an advisory lock shared by parallel test binaries) a
// template database migrated to the current schema, named after the migrations' hash.
func ensureTemplate(ctx context.Context, admin string) (string, error) {
	h := sha256.New()
	for _, m := range postgres.Migrations() {
		h.Write([]byte(m.SQL))
	}
	name := "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(77001)`); err != nil {
		return "", err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(77001)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := name + "_build"
	_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, build))
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, build)); err != nil {
		return "", err
	}
	pool, err := postgres.Open(ctx, replaceDB(admin, build))
	if err != nil {
		return "", err
	}
	_, err = postgres.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return "", err
	}
	// Renaming at the end means a half-built template is never used.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, build, name)); err != nil {
		return "", err
	}
	return name, nil
}

// replaceDB swaps the database name in a postgres:// URL DSN.
func replaceDB(dsn, db string) string {
	base, query, _ := strings.Cut(dsn, "?")
	i := strings.LastIndex(base, "/")
	out := base[:i+1] + db
	if query != "" {
		out += "?" + query
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
