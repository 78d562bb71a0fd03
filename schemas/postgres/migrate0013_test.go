package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/postgres"
)

// TestMigration0013CountsEarlierReturns returns serials of two allocations in a database at
// 0012, applies 0013 and checks that serial_returns holds one row per allocation and return
// time with the allocation's site, line and count.
func TestMigration0013CountsEarlierReturns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := emptyDB(t, ctx)
	for _, m := range postgres.Migrations() {
		if m.Version > 13 {
			break
		}
		if m.Version == 13 {
			if _, err := pool.Exec(ctx, `
				INSERT INTO sites (id, name) VALUES ('plant', 'Plant');
				INSERT INTO lines (site_id, id, updated_by) VALUES ('plant', 'L1', 't'), ('plant', 'L2', 't');
				INSERT INTO products (gtin, company_prefix_length, name, pack_size, updated_by) VALUES ('04012345000016', 7, 'P', 1, 't');
				INSERT INTO serial_pools (gtin, alphabet, length) VALUES ('04012345000016', '0123456789', 12);
				INSERT INTO serial_allocations (id, site_id, line_id, request_id, gtin, count) VALUES
				    (1, 'plant', 'L1', 'r1', '04012345000016', 3), (2, 'plant', 'L2', 'r2', '04012345000016', 2);
				INSERT INTO issued_serials (gtin, serial, allocation_id, returned_at) VALUES
				    ('04012345000016', 'a', 1, '2026-03-02T10:00:00Z'), ('04012345000016', 'b', 1, '2026-03-02T10:00:00Z'),
				    ('04012345000016', 'c', 1, NULL), ('04012345000016', 'd', 2, '2026-03-03T09:00:00Z'),
				    ('04012345000016', 'e', 2, NULL)`); err != nil {
				t.Fatal(err)
			}
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, m.SQL)
			return err
		}); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	rows, err := pool.Query(ctx, `SELECT allocation_id, site_id || '/' || line_id, count, returned_at FROM serial_returns ORDER BY allocation_id`)
	if err != nil {
		t.Fatal(err)
	}
	type ret struct {
		Alloc    int64
		Line     string
		N        int
		Returned time.Time
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ret])
	if err != nil {
		t.Fatal(err)
	}
	want := []ret{{1, "plant/L1", 2, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, {2, "plant/L2", 1, time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}}
	if len(got) != len(want) {
		t.Fatalf("serial_returns = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Alloc != want[i].Alloc || got[i].Line != want[i].Line || got[i].N != want[i].N || !got[i].Returned.Equal(want[i].Returned) {
			t.Errorf("serial_returns[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}
