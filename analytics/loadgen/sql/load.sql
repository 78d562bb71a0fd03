-- PostgreSQL statements of the load generator (bulk load) and of the recall computed in
-- PostgreSQL, which the benchmark and the correctness test compare with ClickHouse.

-- name: InsertSite
INSERT INTO sites (id, name, country) VALUES ($1, $1, 'DE') ON CONFLICT DO NOTHING;

-- name: BulkConstraints
-- Primary keys, unique keys and foreign keys of the tables $1 (and foreign keys pointing at
-- them), foreign keys first: the order they can be dropped in.
SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid), c.contype = 'f'
FROM pg_constraint c
WHERE (c.contype IN ('p', 'u', 'f') AND c.conrelid = ANY ($1::text[]::regclass[]))
   OR (c.contype = 'f' AND c.confrelid = ANY ($1::text[]::regclass[]))
ORDER BY c.contype = 'f' DESC, c.conname;

-- name: BulkIndexes
-- The other indexes of the tables $1.
SELECT quote_ident(i.relname), pg_get_indexdef(x.indexrelid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = ANY ($1::text[]::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
ORDER BY i.relname;

-- name: Recall
-- A lot recall from the system of record alone, by another route than the ClickHouse one:
-- current states and parents from serials; the events of every pack, case and pallet of the
-- lot read once (index on event_epcs.epc, then epcis_events by key); the newest shipping
-- event of the pack, its case or its pallet; dispensing and decommissioning from the pack's
-- own events. States follow the generated lifecycle (no unpacking).
WITH packs AS MATERIALIZED (
    SELECT p.epc, p.state, p.parent_epc AS case_epc, coalesce(c.parent_epc, '') AS pallet_epc
    FROM serials p LEFT JOIN serials c ON c.epc = p.parent_epc AND p.parent_epc <> ''
    WHERE p.gtin = $1 AND p.lot = $2
), events AS MATERIALIZED (
    SELECT x.epc, e.biz_step, e.event_time, e.partner, e.country
    FROM event_epcs x JOIN epcis_events e ON e.id = x.event_pk
    WHERE x.epc IN (SELECT epc FROM packs
                    UNION SELECT case_epc FROM packs WHERE case_epc <> ''
                    UNION SELECT pallet_epc FROM packs WHERE pallet_epc <> '')
), ships AS (
    SELECT DISTINCT ON (epc) epc, event_time, partner, country
    FROM events WHERE biz_step = 'shipping'
    ORDER BY epc, event_time DESC
), own AS (
    SELECT k.epc,
           bool_or(e.biz_step = 'dispensing') AS dispensed,
           bool_or(e.biz_step = 'decommissioning') AS decommissioned
    FROM packs k JOIN events e ON e.epc = k.epc
    GROUP BY k.epc
)
SELECT k.epc, k.case_epc, k.pallet_epc,
       CASE WHEN o.decommissioned THEN 'decommissioned' WHEN o.dispensed THEN 'dispensed'
            WHEN s.event_time IS NOT NULL THEN 'shipped' ELSE k.state END,
       s.event_time, coalesce(s.partner, ''), coalesce(s.country, ''),
       coalesce(o.dispensed, false), coalesce(o.decommissioned, false)
FROM packs k
LEFT JOIN own o ON o.epc = k.epc
LEFT JOIN ships sp ON sp.epc = k.epc
LEFT JOIN ships sc ON sc.epc = k.case_epc
LEFT JOIN ships sl ON sl.epc = k.pallet_epc
LEFT JOIN LATERAL (
    SELECT v.event_time, v.partner, v.country
    FROM (VALUES (sp.event_time, sp.partner, sp.country), (sc.event_time, sc.partner, sc.country),
                 (sl.event_time, sl.partner, sl.country)) AS v (event_time, partner, country)
    WHERE v.event_time IS NOT NULL
    ORDER BY v.event_time DESC LIMIT 1
) s ON true
ORDER BY k.epc;
