package clickhouse_test

import (
	"context"
	"testing"

	"github.com/serialhub/serialhub/schemas/clickhouse"
	"github.com/serialhub/serialhub/schemas/clickhouse/chtest"
	"github.com/serialhub/serialhub/schemas/domain"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	conn, _ := chtest.NewDB(t) // migrated once
	ctx := context.Background()
	applied, err := clickhouse.Migrate(ctx, conn)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, err %v; want nothing", applied, err)
	}
	if err := clickhouse.CheckCurrent(ctx, conn); err != nil {
		t.Fatalf("CheckCurrent: %v", err)
	}
	if err := conn.Exec(ctx, "DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if err := clickhouse.CheckCurrent(ctx, conn); domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Fatalf("missing schema: CheckCurrent = %v, want unavailable", err)
	}
}
