package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/postgres"
	"github.com/serialhub/serialhub/schemas/postgres/pgtest"
)

// TestMigration0009MovesPartnerSettings fills 0004's and 0007's partner tables in a database
// at 0008, applies 0009 and checks that every setting arrived in master data, with a version.
func TestMigration0009MovesPartnerSettings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := emptyDB(t, ctx)
	apply := func(from, to int) {
		t.Helper()
		for _, m := range postgres.Migrations() {
			if m.Version < from || m.Version > to {
				continue
			}
			if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, m.SQL)
				return err
			}); err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
		}
	}
	apply(1, 8)
	const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	if _, err := pool.Exec(ctx, `
		INSERT INTO sites (id, name, gln, sgln) VALUES ('plant', 'Plant', '0614141000005', 'urn:epc:id:sgln:0614141.00000.0');
		INSERT INTO partners (gln, name, country, location_glns, updated_by) VALUES ('4098765432101', 'Known', 'DE', '{4098765432101}', 'x');
		INSERT INTO products (gtin, company_prefix_length, name, pack_size, national_codes, updated_by)
		VALUES ('00614141000012', 7, 'Known product', 10, '[{"scheme": "PZN", "code": "12345678"}]', 'x');
		INSERT INTO gateway_partners (gln, name, country, gateway, transport, endpoint, credentials_ref, enabled) VALUES
			('4098765432101', 'Known', 'US', 'dscsa', 'https', 'https://known.example/dscsa', 'env:KNOWN', false),
			('0399999999991', 'New one', 'US', 'dscsa', 'as2', 'https://new.example/as2', '', true),
			('EUHUB', 'EU Hub', 'EU', 'euhub', 'https', 'https://euhub.example', 'file:/hub.token', true);
		INSERT INTO as2_partners (gln, as2_to, as2_from, cert_pem) VALUES ('0399999999991', 'NEW', 'HUB', '`+cert+`');
		INSERT INTO vrs_partners (gln, endpoint, credentials_ref, enabled) VALUES ('4098765432101', 'https://known.example/vrs', 'env:V', true);
		INSERT INTO gateway_products (gtin, ndc, name, dosage_form, strength, net_content, manufacturer) VALUES
			('00614141000012', '0614-1410-01', 'Known product', 'TABLET', '10mg', '10 tablets', 'Maker'),
			('00312345678906', '12345-678-90', 'New product', 'PILL', '5mg', '30 pills', 'Other maker');
		INSERT INTO gateway_locations (sgln, name, street1, city, state, postal_code, country) VALUES
			('urn:epc:id:sgln:0614141.00000.0', 'Plant', '1 Main St', 'Springfield', 'NJ', '07081', 'US'),
			('urn:epc:id:sgln:4098765.43210.0', 'Known', '2 Dock Rd', 'Hamburg', '', '20457', 'DE'),
			('urn:epc:id:sgln:0888888.00001.0', 'Stranger', '3 Way', 'Austin', 'TX', '73301', 'US')`); err != nil {
		t.Fatal(err)
	}
	apply(9, 9)

	type partner struct {
		name, country, gateway, transport, endpoint, creds, as2ID, as2Our, as2Cert, vrs, city string
		disabled                                                                              bool
		version                                                                               int
	}
	got := map[string]partner{}
	rows, err := pool.Query(ctx, `SELECT gln, name, country, gateway, transport, endpoint, credentials_ref, as2_id, as2_our_id,
		as2_cert, vrs_endpoint, coalesce(address->>'city', ''), disabled, version FROM partners`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var gln string
		var p partner
		if err := rows.Scan(&gln, &p.name, &p.country, &p.gateway, &p.transport, &p.endpoint, &p.creds, &p.as2ID, &p.as2Our,
			&p.as2Cert, &p.vrs, &p.city, &p.disabled, &p.version); err != nil {
			t.Fatal(err)
		}
		got[gln] = p
	}
	want := map[string]partner{
		"4098765432101": {name: "Known", country: "DE", gateway: "dscsa", transport: "https", endpoint: "https://known.example/dscsa",
			creds: "env:KNOWN", vrs: "https://known.example/vrs", city: "Hamburg", disabled: true, version: 2},
		"0399999999991": {name: "New one", country: "US", gateway: "dscsa", transport: "as2", endpoint: "https://new.example/as2",
			as2ID: "NEW", as2Our: "HUB", as2Cert: cert, version: 1},
		"0888888000011": {name: "Stranger", country: "US", city: "Austin", version: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("partners\n got %+v\nwant %+v", got, want)
	}
	var hub string
	if err := pool.QueryRow(ctx, `SELECT endpoint || ' ' || credentials_ref FROM euhub_connection`).Scan(&hub); err != nil ||
		hub != "https://euhub.example file:/hub.token" {
		t.Errorf("EU Hub connection %q, %v", hub, err)
	}
	var siteCity string
	var siteVersion int
	if err := pool.QueryRow(ctx, `SELECT address->>'city', version FROM sites WHERE id = 'plant'`).Scan(&siteCity, &siteVersion); err != nil ||
		siteCity != "Springfield" || siteVersion != 2 {
		t.Errorf("site address %q version %d, %v", siteCity, siteVersion, err)
	}
	var codes json.RawMessage
	var cpl, version int
	var net string
	if err := pool.QueryRow(ctx, `SELECT national_codes, net_content, version FROM products WHERE gtin = '00614141000012'`).
		Scan(&codes, &net, &version); err != nil || !strings.Contains(string(codes), `"NDC"`) || !strings.Contains(string(codes), "PZN") ||
		net != "10 tablets" || version != 2 {
		t.Errorf("known product: %s %q v%d, %v", codes, net, version, err)
	}
	if err := pool.QueryRow(ctx, `SELECT company_prefix_length, version FROM products WHERE gtin = '00312345678906'`).
		Scan(&cpl, &version); err != nil || cpl != 7 || version != 1 {
		t.Errorf("new product: prefix length %d v%d, %v", cpl, version, err)
	}
	var versions int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM masterdata_versions WHERE changed_by = 'migration 0009'`).Scan(&versions); err != nil ||
		versions != 6 { // 3 partners, 1 site, 2 products
		t.Errorf("versions written: %d, %v", versions, err)
	}
	for _, table := range []string{"gateway_partners", "gateway_products", "gateway_locations", "as2_partners", "vrs_partners"} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = $1`, table).Scan(&n); err != nil || n != 0 {
			t.Errorf("table %s still there (%d, %v)", table, n, err)
		}
	}
}

// emptyDB creates an empty database for the test and drops it afterwards.
func emptyDB(t *testing.T, ctx context.Context) *pgxpool.Pool {
	t.Helper()
	admin := pgtest.AdminDSN(t)
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t_m0009_%d", time.Now().UnixNano())
	aconn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer aconn.Close(ctx)
	if _, err := aconn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.Copy()
	cc.Database = name
	pcfg.ConnConfig = cc
	pcfg.MaxConns = 1 // temporary objects of the migration live in one session
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
