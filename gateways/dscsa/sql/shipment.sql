-- name: ShipEvent
SELECT e.event_id, e.event_time, e.tz_offset, e.read_point, e.biz_location, e.biz_step
FROM epcis_events e WHERE e.id = $1;

-- name: EventEPCs
SELECT epc FROM event_epcs WHERE event_pk = $1 AND role = 'epc' ORDER BY epc;

-- name: EventParties
SELECT kind, type, value FROM event_parties WHERE event_pk = $1 ORDER BY kind, type, value;

-- name: Tree
-- Every item under the shipped identifiers (the whole hierarchy, by the serials' current
-- parents), with the event that commissioned it and the event that packed it into its parent.
WITH RECURSIVE tree AS (
    SELECT s.epc, s.gtin, s.lot, s.expiry, s.parent_epc, s.commissioned_at, 0 AS depth
    FROM serials s WHERE s.epc = ANY($1::text[])
    UNION ALL
    SELECT s.epc, s.gtin, s.lot, s.expiry, s.parent_epc, s.commissioned_at, t.depth + 1
    FROM serials s JOIN tree t ON s.parent_epc = t.epc
    WHERE s.parent_epc <> '' AND t.depth < 10
)
SELECT t.epc, t.gtin, t.lot, t.expiry, CASE WHEN t.depth = 0 THEN '' ELSE t.parent_epc END, t.depth,
       coalesce(t.commissioned_at, 'epoch'::timestamptz),
       coalesce(c.id, 0), coalesce(c.event_time, 'epoch'::timestamptz), coalesce(c.tz_offset, ''),
       coalesce(c.read_point, ''), coalesce(c.biz_location, ''),
       coalesce(p.event_time, 'epoch'::timestamptz), coalesce(p.tz_offset, ''),
       coalesce(p.read_point, ''), coalesce(p.biz_location, '')
FROM tree t
LEFT JOIN LATERAL (
    SELECT ev.id, ev.event_time, ev.tz_offset, ev.read_point, ev.biz_location
    FROM event_epcs x JOIN epcis_events ev ON ev.id = x.event_pk
    WHERE x.epc = t.epc AND x.role = 'epc' AND ev.biz_step LIKE '%commissioning'
    ORDER BY ev.event_time LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT ev.event_time, ev.tz_offset, ev.read_point, ev.biz_location
    FROM event_epcs x JOIN epcis_events ev ON ev.id = x.event_pk
    WHERE t.depth > 0 AND x.epc = t.epc AND x.role = 'child' AND ev.event_type = 'AggregationEvent'
      AND ev.parent_epc = t.parent_epc
    ORDER BY ev.event_time DESC LIMIT 1
) p ON true
ORDER BY t.depth, t.epc;

-- name: Products
-- Master data's products (sites/masterdata): the NDC is the national code of scheme NDC.
SELECT p.gtin,
       coalesce((SELECT nc->>'code' FROM jsonb_array_elements(p.national_codes) nc
                 WHERE upper(nc->>'scheme') = 'NDC' LIMIT 1), ''),
       p.name, p.dosage_form, p.strength, p.net_content, p.manufacturer
FROM products p WHERE p.gtin = ANY($1::text[]) ORDER BY p.gtin;

-- name: Locations
-- Name and address of each party or place ($1, with its GLN in $2): our site with that SGLN or
-- GLN, else the trading partner it is a location of (master data's sites and partners).
SELECT i.id, coalesce(s.name, p.name), coalesce(s.address, p.address), coalesce(nullif(s.country, ''), p.country, '')
FROM unnest($1::text[], $2::text[]) AS i (id, gln)
LEFT JOIN LATERAL (
    SELECT name, address, country FROM sites
    WHERE sgln = i.id OR (gln <> '' AND gln = i.gln)
    ORDER BY sgln = i.id DESC, id LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    SELECT name, address, country FROM partners
    WHERE location_glns @> ARRAY[i.gln] ORDER BY gln LIMIT 1
) p ON s.name IS NULL
WHERE s.name IS NOT NULL OR p.name IS NOT NULL
ORDER BY i.id;
