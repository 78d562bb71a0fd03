package postgres_test

import (
	"context"
	"testing"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	pool, _ := pgtest.NewDB(t) // already migrated from the template
	ctx := context.Background()
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, err %v; want nothing", applied, err)
	}
	if err := postgres.CheckCurrent(ctx, pool); err != nil {
		t.Fatalf("CheckCurrent: %v", err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckCurrent(ctx, pool); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("old schema: CheckCurrent = %v, want unavailable", err)
	}
}
