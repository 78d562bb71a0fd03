package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/postgres"
)

// TestMigration0012MovesPartnerDocuments fills 0007's partner_documents in a database at 0011,
// applies 0012 and checks that every file is a received document of its partner (same receipt
// id), that a document has exactly one owner, and that partner_documents is gone.
func TestMigration0012MovesPartnerDocuments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := emptyDB(t, ctx)
	for _, m := range postgres.Migrations() {
		if m.Version > 12 {
			break
		}
		if m.Version == 12 {
			if _, err := pool.Exec(ctx, `
				INSERT INTO sites (id, name) VALUES ('plant', 'Plant');
				INSERT INTO partner_documents (receipt_id, partner_gln, key_id, transport, content_type, format, sha256, size, body)
				VALUES ('6f0c1f3e-1111-4b7a-9c55-000000000001', '0614141000012', 7, 'https', 'application/xml', '1.2-xml', '\x01', 3, 'abc'),
				       ('6f0c1f3e-1111-4b7a-9c55-000000000002', '0614141000012', NULL, 'as2', 'application/xml', '1.2-xml', '\x02', 3, 'def')`); err != nil {
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
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM documents WHERE partner_gln = '0614141000012' AND site_id IS NULL
		AND status = 'received' AND receipt_id::text LIKE '6f0c1f3e-1111-%' AND body <> ''
		AND ((transport = 'https' AND key_id = 7) OR (transport = 'as2' AND key_id IS NULL))`).Scan(&n); err != nil || n != 2 {
		t.Errorf("moved documents: %d, %v", n, err)
	}
	for name, stmt := range map[string]string{
		"no owner":  `INSERT INTO documents (content_type, format, sha256, size, body) VALUES ('x', 'x', '\x03', 1, 'x')`,
		"two":       `INSERT INTO documents (site_id, partner_gln, content_type, format, sha256, size, body) VALUES ('plant', '0614141000012', 'x', 'x', '\x03', 1, 'x')`,
		"duplicate": `INSERT INTO documents (partner_gln, content_type, format, sha256, size, body) VALUES ('0614141000012', 'x', 'x', '\x01', 1, 'x')`,
	} {
		if _, err := pool.Exec(ctx, stmt); err == nil {
			t.Errorf("%s: a document was stored", name)
		}
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'partner_documents'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("partner_documents still there (%d, %v)", n, err)
	}
}
