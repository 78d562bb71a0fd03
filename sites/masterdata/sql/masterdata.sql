-- name: InsertVersion
INSERT INTO masterdata_versions (kind, key, version, data, changed_by) VALUES ($1, $2, $3, $4, $5);

-- name: Versions
SELECT version, data, changed_by, changed_at FROM masterdata_versions
WHERE kind = $1 AND key = $2 ORDER BY version;

-- name: GetMarket
SELECT code, name, regulation, serial_alphabet, serial_length, version, updated_at, updated_by
FROM markets WHERE code = $1;

-- name: LockMarket
SELECT code, name, regulation, serial_alphabet, serial_length, version, updated_at, updated_by
FROM markets WHERE code = $1 FOR UPDATE;

-- name: ListMarkets
SELECT code, name, regulation, serial_alphabet, serial_length, version, updated_at, updated_by
FROM markets WHERE code > $1 ORDER BY code LIMIT $2;

-- name: MarketsIn
SELECT code, name, regulation, serial_alphabet, serial_length, version, updated_at, updated_by
FROM markets WHERE code = ANY($1::text[]);

-- name: PutMarket
INSERT INTO markets (code, name, regulation, serial_alphabet, serial_length, version, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, now(), $7)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, regulation = excluded.regulation,
    serial_alphabet = excluded.serial_alphabet, serial_length = excluded.serial_length,
    version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING updated_at;

-- name: GetProduct
SELECT gtin, kind, company_prefix_length, name, common_name, dosage_form, strength, net_content, manufacturer, pack_size,
       national_codes, markets, site_ids, version, updated_at, updated_by
FROM products WHERE gtin = $1;

-- name: LockProduct
SELECT gtin, kind, company_prefix_length, name, common_name, dosage_form, strength, net_content, manufacturer, pack_size,
       national_codes, markets, site_ids, version, updated_at, updated_by
FROM products WHERE gtin = $1 FOR UPDATE;

-- name: ListProducts
SELECT gtin, kind, company_prefix_length, name, common_name, dosage_form, strength, net_content, manufacturer, pack_size,
       national_codes, markets, site_ids, version, updated_at, updated_by
FROM products WHERE gtin > $1 ORDER BY gtin LIMIT $2;

-- name: ProductsIn
SELECT gtin, kind, company_prefix_length, name, common_name, dosage_form, strength, net_content, manufacturer, pack_size,
       national_codes, markets, site_ids, version, updated_at, updated_by
FROM products WHERE gtin = ANY($1::text[]);

-- name: PutProduct
INSERT INTO products (gtin, kind, company_prefix_length, name, common_name, dosage_form, strength,
    net_content, manufacturer, pack_size, national_codes, markets, site_ids, version, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), $15)
ON CONFLICT (gtin) DO UPDATE SET kind = excluded.kind, company_prefix_length = excluded.company_prefix_length,
    name = excluded.name, common_name = excluded.common_name, dosage_form = excluded.dosage_form,
    strength = excluded.strength, net_content = excluded.net_content, manufacturer = excluded.manufacturer,
    pack_size = excluded.pack_size, national_codes = excluded.national_codes,
    markets = excluded.markets, site_ids = excluded.site_ids, version = excluded.version,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING updated_at;

-- name: SitesIn
SELECT id FROM sites WHERE id = ANY($1::text[]);

-- name: GetSite
SELECT id, name, gln, sgln, country, address, created_at, version, updated_at, updated_by FROM sites WHERE id = $1;

-- name: LockSite
SELECT id, name, gln, sgln, country, address, created_at, version, updated_at, updated_by FROM sites WHERE id = $1 FOR UPDATE;

-- name: ListSites
SELECT id, name, gln, sgln, country, address, created_at, version, updated_at, updated_by
FROM sites WHERE id > $1 ORDER BY id LIMIT $2;

-- name: PutSite
INSERT INTO sites (id, name, gln, sgln, country, address, version, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, gln = excluded.gln, sgln = excluded.sgln,
    country = excluded.country, address = excluded.address, version = excluded.version,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING updated_at;

-- name: GetLine
SELECT site_id, id, name, vendor, model, ideal_rate, version, updated_at, updated_by
FROM lines WHERE site_id = $1 AND id = $2;

-- name: LockLine
SELECT site_id, id, name, vendor, model, ideal_rate, version, updated_at, updated_by
FROM lines WHERE site_id = $1 AND id = $2 FOR UPDATE;

-- name: ListLines
SELECT site_id, id, name, vendor, model, ideal_rate, version, updated_at, updated_by
FROM lines WHERE site_id = $1 AND id > $2 ORDER BY id LIMIT $3;

-- name: PutLine
INSERT INTO lines (site_id, id, name, vendor, model, ideal_rate, version, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
ON CONFLICT (site_id, id) DO UPDATE SET name = excluded.name, vendor = excluded.vendor,
    model = excluded.model, ideal_rate = excluded.ideal_rate, version = excluded.version,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING updated_at;

-- name: GetPartner
-- Never selects transport_secrets: only TransportSecrets does.
SELECT gln, name, country, sglns, licences, address, gateway, transport, endpoint, credentials_ref, disabled,
       as2_id, as2_our_id, as2_cert, vrs_endpoint, vrs_credentials_ref, transport_settings,
       ARRAY(SELECT jsonb_object_keys(transport_secrets) ORDER BY 1), version, updated_at, updated_by
FROM partners WHERE gln = $1;

-- name: LockPartner
SELECT gln, name, country, sglns, licences, address, gateway, transport, endpoint, credentials_ref, disabled,
       as2_id, as2_our_id, as2_cert, vrs_endpoint, vrs_credentials_ref, transport_settings,
       ARRAY(SELECT jsonb_object_keys(transport_secrets) ORDER BY 1), version, updated_at, updated_by
FROM partners WHERE gln = $1 FOR UPDATE;

-- name: PartnerAt
-- The partner a GLN belongs to: its own or one of its locations'.
SELECT gln, name, country, sglns, licences, address, gateway, transport, endpoint, credentials_ref, disabled,
       as2_id, as2_our_id, as2_cert, vrs_endpoint, vrs_credentials_ref, transport_settings,
       ARRAY(SELECT jsonb_object_keys(transport_secrets) ORDER BY 1), version, updated_at, updated_by
FROM partners WHERE location_glns @> ARRAY[$1::text] ORDER BY gln LIMIT 1;

-- name: ListPartners
SELECT gln, name, country, sglns, licences, address, gateway, transport, endpoint, credentials_ref, disabled,
       as2_id, as2_our_id, as2_cert, vrs_endpoint, vrs_credentials_ref, transport_settings,
       ARRAY(SELECT jsonb_object_keys(transport_secrets) ORDER BY 1), version, updated_at, updated_by
FROM partners WHERE gln > $1 ORDER BY gln LIMIT $2;

-- name: PutPartner
-- $19 NULL keeps the stored secrets.
INSERT INTO partners (gln, name, country, sglns, location_glns, licences, address, gateway, transport, endpoint,
    credentials_ref, disabled, as2_id, as2_our_id, as2_cert, vrs_endpoint, vrs_credentials_ref,
    transport_settings, transport_secrets, version, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
    coalesce($19::jsonb, '{}'), $20, now(), $21)
ON CONFLICT (gln) DO UPDATE SET name = excluded.name, country = excluded.country, sglns = excluded.sglns,
    location_glns = excluded.location_glns, licences = excluded.licences, address = excluded.address,
    gateway = excluded.gateway, transport = excluded.transport, endpoint = excluded.endpoint,
    credentials_ref = excluded.credentials_ref, disabled = excluded.disabled, as2_id = excluded.as2_id,
    as2_our_id = excluded.as2_our_id, as2_cert = excluded.as2_cert, vrs_endpoint = excluded.vrs_endpoint,
    vrs_credentials_ref = excluded.vrs_credentials_ref, transport_settings = excluded.transport_settings,
    transport_secrets = coalesce($19::jsonb, partners.transport_secrets),
    version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
RETURNING updated_at, ARRAY(SELECT jsonb_object_keys(partners.transport_secrets) ORDER BY 1);

-- name: PartnerSecrets
SELECT transport_secrets FROM partners WHERE gln = $1;
