-- PostgreSQL queries of analytics: the line-data intake (system of record) and the streams
-- `analytics rebuild` reads.

-- name: UpsertLineStates
-- $3..$5 are parallel arrays; a state sent again for the same instant replaces the first.
INSERT INTO line_states (site_id, line_id, at, state, reason)
SELECT $1, $2, u.at, u.state, u.reason
FROM unnest($3::timestamptz[], $4::text[], $5::text[]) AS u (at, state, reason)
ON CONFLICT (site_id, line_id, at) DO UPDATE
SET state = excluded.state, reason = excluded.reason, received_at = now();

-- name: UpsertLineCounts
INSERT INTO line_counts (site_id, line_id, start_at, end_at, gtin, lot, good, rejected, ideal_rate,
    serials_used, aggregation_errors, reject_reasons)
SELECT $1, $2, u.s, u.e, u.gtin, u.lot, u.good, u.rejected, u.rate, u.used, u.aggerr, u.reasons::jsonb
FROM unnest($3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::int[], $8::int[],
    $9::float8[], $10::int[], $11::int[], $12::text[])
    AS u (s, e, gtin, lot, good, rejected, rate, used, aggerr, reasons)
ON CONFLICT (site_id, line_id, start_at) DO UPDATE
SET end_at = excluded.end_at, gtin = excluded.gtin, lot = excluded.lot, good = excluded.good,
    rejected = excluded.rejected, ideal_rate = excluded.ideal_rate, serials_used = excluded.serials_used,
    aggregation_errors = excluded.aggregation_errors, reject_reasons = excluded.reject_reasons,
    received_at = now();

-- name: EventPKRange
SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM epcis_events;

-- name: FactsByPK
-- The same rows the ingest's Publish writes (sites FlatEvents), for a range of event keys,
-- so that a rebuild equals what live ingest wrote.
SELECT e.event_time, e.event_id, e.receipt_id::text, coalesce(d.site_id, ''), e.event_type, e.action,
       e.biz_step, e.disposition, e.read_point, e.biz_location, x.epc, x.role,
       coalesce(s.gtin, ''), coalesce(s.serial, ''), coalesce(s.lot, ''), coalesce(s.expiry, ''),
       e.parent_epc, e.line_id, e.partner, e.country, e.source, e.destination
FROM epcis_events e
JOIN documents d ON d.receipt_id = e.receipt_id
JOIN event_epcs x ON x.event_pk = e.id
LEFT JOIN serials s ON s.epc = x.epc
WHERE e.id >= $1 AND e.id < $2;

-- name: AllLineStates
SELECT site_id, line_id, at, state, reason FROM line_states;

-- name: AllLineCounts
SELECT site_id, line_id, start_at, end_at, gtin, lot, good, rejected, ideal_rate, serials_used,
       aggregation_errors, reject_reasons::text
FROM line_counts;

-- name: SerialsRequestedReturned
-- Serials requested from the pools and returned unused in [$1, $2), per site, line and hour
-- (unix seconds), for the serialization KPIs of OEE; $3 and $4 restrict to a site and a line
-- when not empty. Both tables are read by their time index (0013).
SELECT 'requested', site_id, line_id, floor(extract(epoch FROM created_at) / 3600)::bigint * 3600, sum(count)::bigint
FROM serial_allocations
WHERE created_at >= $1 AND created_at < $2 AND ($3 = '' OR site_id = $3) AND ($4 = '' OR line_id = $4)
GROUP BY 2, 3, 4
UNION ALL
SELECT 'returned', site_id, line_id, floor(extract(epoch FROM returned_at) / 3600)::bigint * 3600, sum(count)::bigint
FROM serial_returns
WHERE returned_at >= $1 AND returned_at < $2 AND ($3 = '' OR site_id = $3) AND ($4 = '' OR line_id = $4)
GROUP BY 2, 3, 4;

-- name: SensorDocuments
-- Applied EPCIS 2.0 documents whose body names a sensorElementList (the only place sensor data
-- is kept: epcis_events has none), with their site. A body in parts is searched part by part
-- and across each boundary (the last and first 32 bytes of neighbouring parts).
SELECT d.receipt_id::text, coalesce(d.site_id, '')
FROM documents d
WHERE d.applied_at IS NOT NULL AND d.format IN ('2.0-xml', '2.0-json')
  AND (position('sensorElementList'::bytea IN d.body) > 0
    OR EXISTS (SELECT 1 FROM document_parts p
               WHERE p.receipt_id = d.receipt_id AND position('sensorElementList'::bytea IN p.data) > 0)
    OR EXISTS (SELECT 1 FROM document_parts p
               JOIN document_parts n ON n.receipt_id = p.receipt_id AND n.part = p.part + 1
               WHERE p.receipt_id = d.receipt_id
                 AND position('sensorElementList'::bytea IN
                     substring(p.data FROM greatest(length(p.data) - 31, 1)) || substring(n.data FOR 32)) > 0))
ORDER BY d.received_at;

-- name: EventIDsOfReceipt
-- The recorded events of a document by their place in it.
SELECT idx, event_id FROM epcis_events WHERE receipt_id = $1::uuid;
