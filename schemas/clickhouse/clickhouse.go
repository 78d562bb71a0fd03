// Package clickhouse owns the hub's ClickHouse schema (embedded, numbered DDL migrations) and
// the connection settings. ClickHouse holds append-only facts for recall and analytics; it is
// never the only copy of anything (PostgreSQL is the system of record). Every statement here
// runs on Debian's ClickHouse 18.16 and on current releases, over the native protocol (18.16
// does not understand the HTTP client's protocol handshake).
package clickhouse

import (
	"context"
	"embed"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the embedded DDL migrations, ordered.
func Migrations() []migrate.Migration {
	ms, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		panic(err) // embedded at build time; a bad name is caught by the tests
	}
	return ms
}

// Config is how to reach ClickHouse.
type Config struct {
	Addr     string // host:port of the native protocol
	Database string
	User     string
	Password string
}

// Open connects to cfg.Database and checks the server answers. With create set, the
// database is created first (migrate, tests).
func Open(ctx context.Context, cfg Config, create bool) (driver.Conn, error) {
	if create {
		c, err := dial(ctx, cfg, "default")
		if err != nil {
			return nil, err
		}
		err = c.Exec(ctx, fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s", quoteIdent(cfg.Database)))
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("clickhouse: create database %s: %w", cfg.Database, err)
		}
	}
	return dial(ctx, cfg, cfg.Database)
}

func dial(ctx context.Context, cfg Config, db string) (driver.Conn, error) {
	conn, err := ch.Open(&ch.Options{
		Addr:     []string{cfg.Addr},
		Protocol: ch.Native,
		Auth:     ch.Auth{Database: db, Username: cfg.User, Password: cfg.Password},
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %s: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse: ping %s: %w", cfg.Addr, err)
	}
	return conn, nil
}

const createMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version UInt32, name String, applied_at DateTime
) ENGINE = MergeTree() ORDER BY version`

// Migrate applies every migration newer than the database's version. ClickHouse has no
// transactions: each migration is written with IF NOT EXISTS so a half-applied one can be run
// again.
func Migrate(ctx context.Context, conn driver.Conn) ([]int, error) {
	if err := conn.Exec(ctx, createMigrations); err != nil {
		return nil, fmt.Errorf("clickhouse migrate: create schema_migrations: %w", err)
	}
	have, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migrate.Missing(Migrations(), have) {
		for _, stmt := range migrate.Statements(m.SQL) {
			if err := conn.Exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("clickhouse migrate %s: %w", m.Name, err)
			}
		}
		if err := record(ctx, conn, m.Version, m.Name); err != nil {
			return applied, fmt.Errorf("clickhouse migrate %s: record: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// record notes an applied migration. It is written as a batch: 18.16 does not answer an
// INSERT ... VALUES with bound parameters sent as a plain query.
func record(ctx context.Context, conn driver.Conn, v int, name string) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, applied_at)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(v), name, time.Now().UTC()); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

func appliedVersions(ctx context.Context, conn driver.Conn) (map[int]bool, error) {
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read schema versions: %w", err)
	}
	defer rows.Close()
	have := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("clickhouse: read schema versions: %w", err)
		}
		have[int(v)] = true
	}
	return have, rows.Err()
}

// CheckCurrent returns an error unless the database has every migration this binary knows.
func CheckCurrent(ctx context.Context, conn driver.Conn) error {
	have, err := appliedVersions(ctx, conn)
	if err != nil {
		have = map[int]bool{}
	}
	if missing := migrate.Missing(Migrations(), have); len(missing) > 0 {
		return domain.Errorf(domain.CodeUnavailable,
			"ClickHouse schema lacks migration %s (and %d more): run `serialhub migrate`", missing[0].Name, len(missing)-1)
	}
	return nil
}

// quoteIdent quotes a database name for DDL.
func quoteIdent(s string) string { return "`" + s + "`" }
