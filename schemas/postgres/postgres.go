// Package postgres owns the hub's PostgreSQL schema: the embedded, numbered migrations, the
// code that applies them, and the check that refuses to run a server on an old schema.
// Queries live beside the packages that use them (in their own .sql files).
package postgres

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the embedded migrations, ordered.
func Migrations() []migrate.Migration {
	ms, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		panic(err) // embedded at build time; a bad name is caught by the tests
	}
	return ms
}

// minPoolConns is the smallest pool Open builds unless the DSN sets pool_max_conns.
const minPoolConns = 24

// Open connects a pool and checks the server answers.
func Open(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	// pgx defaults to max(4, CPUs) connections. Activities hold a connection for a site's
	// advisory lock while their chunks need others, so a small pool would let a few
	// concurrent documents starve each other. The DSN's pool_max_conns still wins.
	if !strings.Contains(dsn, "pool_max_conns") && cfg.MaxConns < minPoolConns {
		cfg.MaxConns = minPoolConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}

// lockID serialises concurrent migrators (two `serialhub migrate` at once, parallel tests).
const lockID = 0x5e7a1_0b

// Migrate applies every migration newer than the database's version, each in its own
// transaction, and returns the versions applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return nil, fmt.Errorf("postgres migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID) //nolint:errcheck // released with the session anyway

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("postgres migrate: create schema_migrations: %w", err)
	}
	have, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migrate.Missing(Migrations(), have) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return applied, fmt.Errorf("postgres migrate %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			_ = tx.Rollback(ctx)
			return applied, fmt.Errorf("postgres migrate %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			_ = tx.Rollback(ctx)
			return applied, fmt.Errorf("postgres migrate %s: record: %w", m.Name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return applied, fmt.Errorf("postgres migrate %s: commit: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// CheckCurrent returns an error unless the database has every migration this binary knows.
func CheckCurrent(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	have, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		have = map[int]bool{} // a database never migrated has no schema_migrations table
	}
	if missing := migrate.Missing(Migrations(), have); len(missing) > 0 {
		return domain.Errorf(domain.CodeUnavailable,
			"PostgreSQL schema lacks migration %s (and %d more): run `serialhub migrate`", missing[0].Name, len(missing)-1)
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]bool, error) {
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("postgres: read schema versions: %w", err)
	}
	have := map[int]bool{}
	for _, v := range vs {
		have[int(v)] = true
	}
	return have, nil
}
