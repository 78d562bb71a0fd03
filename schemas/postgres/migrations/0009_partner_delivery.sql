-- 0009: one partner identity. The delivery settings of 0004 (gateway_partners), the product and
-- location master data of regulatory files (gateway_products, gateway_locations) and the AS2 and
-- VRS settings of 0007 (as2_partners, vrs_partners) move into master data (0002): the trading
-- partner gets its delivery columns, products their DSCSA fields, sites and partners an address.
-- Every record the move changes gets a new version in masterdata_versions (by 'migration 0009').
-- The EU Hub is no trading partner (no GLN): its connection gets a table of its own.

-- The old settings map is renamed; transport is now the delivery transport.
ALTER TABLE partners RENAME COLUMN transport TO transport_settings;
ALTER TABLE partners
    ADD COLUMN gateway              text NOT NULL DEFAULT '',
    ADD COLUMN transport            text NOT NULL DEFAULT '' CHECK (transport IN ('', 'https', 'capture', 'as2')),
    ADD COLUMN credentials_ref      text NOT NULL DEFAULT '',
    ADD COLUMN disabled             boolean NOT NULL DEFAULT false,
    ADD COLUMN as2_id               text NOT NULL DEFAULT '',
    ADD COLUMN as2_our_id           text NOT NULL DEFAULT '',
    ADD COLUMN as2_cert             text NOT NULL DEFAULT '',
    ADD COLUMN vrs_endpoint         text NOT NULL DEFAULT '',
    ADD COLUMN vrs_credentials_ref  text NOT NULL DEFAULT '',
    ADD COLUMN address              jsonb NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN address jsonb NOT NULL DEFAULT '{}';
ALTER TABLE products
    ADD COLUMN net_content   text NOT NULL DEFAULT '',
    ADD COLUMN manufacturer  text NOT NULL DEFAULT '';

-- The EU Hub's connection: one row.
CREATE TABLE euhub_connection (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    endpoint         text NOT NULL,
    credentials_ref  text NOT NULL DEFAULT '',
    enabled          boolean NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO euhub_connection (endpoint, credentials_ref, enabled, updated_at)
SELECT endpoint, credentials_ref, enabled, updated_at FROM gateway_partners
WHERE gateway = 'euhub' ORDER BY updated_at DESC LIMIT 1;

-- The GLN of a GLN or an SGLN URI (company prefix and location reference, check digit added).
CREATE FUNCTION pg_temp.gln_of(s text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    d   text;
    sum int := 0;
BEGIN
    IF s ~ '^[0-9]{13}$' THEN
        RETURN s;
    END IF;
    IF s !~ '^urn:epc:id:sgln:[0-9]+\.[0-9]*\.' THEN
        RETURN NULL;
    END IF;
    d := split_part(substr(s, 17), '.', 1) || split_part(substr(s, 17), '.', 2);
    IF length(d) <> 12 THEN
        RETURN NULL;
    END IF;
    FOR i IN 1..12 LOOP
        sum := sum + substr(d, i, 1)::int * CASE WHEN i % 2 = 0 THEN 3 ELSE 1 END;
    END LOOP;
    RETURN d || ((10 - sum % 10) % 10)::text;
END $$;

CREATE TEMP TABLE moved_partners (gln text PRIMARY KEY) ON COMMIT DROP;
CREATE TEMP TABLE moved_sites (id text PRIMARY KEY) ON COMMIT DROP;
CREATE TEMP TABLE moved_products (gtin text PRIMARY KEY) ON COMMIT DROP;

-- Partners: delivery settings, then AS2 and VRS. A GLN without a master-data record gets one
-- (version 0 here, 1 below).
INSERT INTO partners (gln, name, country, location_glns, version, updated_by)
SELECT g.gln, coalesce(nullif(g.name, ''), g.gln), g.country, ARRAY[g.gln], 0, 'migration 0009'
FROM gateway_partners g
WHERE g.gln ~ '^[0-9]{13}$' AND g.gateway <> 'euhub'
ON CONFLICT (gln) DO NOTHING;
INSERT INTO partners (gln, name, location_glns, version, updated_by)
SELECT x.gln, x.gln, ARRAY[x.gln], 0, 'migration 0009'
FROM (SELECT gln FROM as2_partners UNION SELECT gln FROM vrs_partners WHERE enabled) x
WHERE x.gln ~ '^[0-9]{13}$'
ON CONFLICT (gln) DO NOTHING;

UPDATE partners p SET gateway = g.gateway, transport = g.transport, endpoint = g.endpoint,
    credentials_ref = g.credentials_ref, disabled = NOT g.enabled,
    country = coalesce(nullif(p.country, ''), g.country)
FROM gateway_partners g WHERE g.gln = p.gln AND g.gateway <> 'euhub';
INSERT INTO moved_partners SELECT gln FROM gateway_partners WHERE gln IN (SELECT gln FROM partners)
ON CONFLICT DO NOTHING;

UPDATE partners p SET as2_id = a.as2_to, as2_our_id = a.as2_from, as2_cert = a.cert_pem
FROM as2_partners a WHERE a.gln = p.gln;
INSERT INTO moved_partners SELECT gln FROM as2_partners WHERE gln IN (SELECT gln FROM partners)
ON CONFLICT DO NOTHING;

UPDATE partners p SET vrs_endpoint = v.endpoint, vrs_credentials_ref = v.credentials_ref
FROM vrs_partners v WHERE v.gln = p.gln AND v.enabled;
INSERT INTO moved_partners SELECT gln FROM vrs_partners WHERE enabled AND gln IN (SELECT gln FROM partners)
ON CONFLICT DO NOTHING;

-- Locations: the address goes to the site or partner the location belongs to; a location of
-- nobody known becomes a partner record of its own (the party it names), so nothing is lost.
CREATE TEMP TABLE old_locations ON COMMIT DROP AS
SELECT l.*, pg_temp.gln_of(l.sgln) AS gln,
       jsonb_strip_nulls(jsonb_build_object('street1', nullif(l.street1, ''), 'street2', nullif(l.street2, ''),
           'city', nullif(l.city, ''), 'state', nullif(l.state, ''), 'postal_code', nullif(l.postal_code, ''))) AS address
FROM gateway_locations l;

WITH hit AS (
    UPDATE sites s SET address = l.address, country = coalesce(nullif(s.country, ''), l.country)
    FROM old_locations l
    WHERE (s.sgln = l.sgln OR (s.gln <> '' AND s.gln = l.gln)) AND s.address = '{}' AND l.address <> '{}'
    RETURNING s.id
)
INSERT INTO moved_sites SELECT DISTINCT id FROM hit ON CONFLICT DO NOTHING;

WITH hit AS (
    UPDATE partners p SET address = l.address, country = coalesce(nullif(p.country, ''), l.country)
    FROM old_locations l
    WHERE p.location_glns @> ARRAY[l.gln] AND p.address = '{}' AND l.address <> '{}'
    RETURNING p.gln
)
INSERT INTO moved_partners SELECT DISTINCT gln FROM hit ON CONFLICT DO NOTHING;

WITH made AS (
    INSERT INTO partners (gln, name, country, sglns, location_glns, address, version, updated_by)
    SELECT DISTINCT ON (l.gln) l.gln, coalesce(nullif(l.name, ''), l.gln),
           CASE WHEN l.country ~ '^[A-Z]{2}$' THEN l.country ELSE '' END,
           CASE WHEN l.sgln LIKE 'urn:%' THEN ARRAY[l.sgln] ELSE '{}' END, ARRAY[l.gln], l.address, 0, 'migration 0009'
    FROM old_locations l
    WHERE l.gln IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.sgln = l.sgln OR (s.gln <> '' AND s.gln = l.gln))
      AND NOT EXISTS (SELECT 1 FROM partners p WHERE p.location_glns @> ARRAY[l.gln])
    ORDER BY l.gln, l.sgln
    ON CONFLICT (gln) DO NOTHING
    RETURNING gln
)
INSERT INTO moved_partners SELECT gln FROM made ON CONFLICT DO NOTHING;

-- Products: NDC among the national codes, the DSCSA fields. A GTIN without a master-data
-- record gets one sold in the US, its company prefix length taken from the NDC's labeler code.
INSERT INTO products (gtin, company_prefix_length, name, pack_size, markets, version, updated_by)
SELECT g.gtin,
       CASE WHEN g.ndc ~ '^[0-9]{4,5}-' THEN length(split_part(g.ndc, '-', 1)) + 2 ELSE 7 END,
       coalesce(nullif(g.name, ''), g.gtin), 1, '[{"market": "US"}]', 0, 'migration 0009'
FROM gateway_products g
WHERE g.gtin ~ '^[0-9]{14}$'
ON CONFLICT (gtin) DO NOTHING;

WITH hit AS (
    UPDATE products p SET
        national_codes = CASE
            WHEN g.ndc = '' OR EXISTS (SELECT 1 FROM jsonb_array_elements(p.national_codes) nc WHERE upper(nc->>'scheme') = 'NDC')
            THEN p.national_codes
            ELSE p.national_codes || jsonb_build_array(jsonb_build_object('scheme', 'NDC', 'code', g.ndc)) END,
        dosage_form = coalesce(nullif(p.dosage_form, ''), g.dosage_form),
        strength = coalesce(nullif(p.strength, ''), g.strength),
        net_content = g.net_content, manufacturer = g.manufacturer
    FROM gateway_products g WHERE g.gtin = p.gtin
    RETURNING p.gtin
)
INSERT INTO moved_products SELECT gtin FROM hit ON CONFLICT DO NOTHING;

-- A new version of every record the move touched, with its content as the API shows it.
UPDATE partners SET version = version + 1, updated_at = now(), updated_by = 'migration 0009'
WHERE gln IN (SELECT gln FROM moved_partners);
INSERT INTO masterdata_versions (kind, key, version, data, changed_by)
SELECT 'partner', p.gln, p.version, jsonb_build_object(
    'gln', p.gln, 'name', p.name, 'country', p.country, 'sglns', to_jsonb(p.sglns), 'licences', p.licences,
    'address', p.address, 'endpoint', p.endpoint, 'gateway', p.gateway, 'transport', p.transport,
    'credentials_ref', p.credentials_ref, 'disabled', p.disabled, 'as2_id', p.as2_id, 'as2_our_id', p.as2_our_id,
    'as2_cert', p.as2_cert, 'vrs_endpoint', p.vrs_endpoint, 'vrs_credentials_ref', p.vrs_credentials_ref,
    'transport_settings', p.transport_settings,
    'transport_secret_keys', to_jsonb(ARRAY(SELECT jsonb_object_keys(p.transport_secrets) ORDER BY 1)),
    'version', p.version, 'updated_at', p.updated_at, 'updated_by', p.updated_by), 'migration 0009'
FROM partners p WHERE p.gln IN (SELECT gln FROM moved_partners);

UPDATE sites SET version = version + 1, updated_at = now(), updated_by = 'migration 0009'
WHERE id IN (SELECT id FROM moved_sites);
INSERT INTO masterdata_versions (kind, key, version, data, changed_by)
SELECT 'site', s.id, s.version, jsonb_build_object(
    'id', s.id, 'name', s.name, 'gln', s.gln, 'sgln', s.sgln, 'country', s.country, 'address', s.address,
    'created_at', s.created_at, 'version', s.version, 'updated_at', s.updated_at, 'updated_by', s.updated_by),
    'migration 0009'
FROM sites s WHERE s.id IN (SELECT id FROM moved_sites);

UPDATE products SET version = version + 1, updated_at = now(), updated_by = 'migration 0009'
WHERE gtin IN (SELECT gtin FROM moved_products);
INSERT INTO masterdata_versions (kind, key, version, data, changed_by)
SELECT 'product', p.gtin, p.version, jsonb_build_object(
    'gtin', p.gtin, 'kind', p.kind, 'company_prefix_length', p.company_prefix_length, 'name', p.name,
    'common_name', p.common_name, 'dosage_form', p.dosage_form, 'strength', p.strength,
    'net_content', p.net_content, 'manufacturer', p.manufacturer, 'pack_size', p.pack_size,
    'national_codes', p.national_codes, 'markets', p.markets, 'sites', to_jsonb(p.site_ids),
    'version', p.version, 'updated_at', p.updated_at, 'updated_by', p.updated_by), 'migration 0009'
FROM products p WHERE p.gtin IN (SELECT gtin FROM moved_products);

DROP FUNCTION pg_temp.gln_of(text);
DROP TABLE gateway_partners, gateway_products, gateway_locations, as2_partners, vrs_partners;
