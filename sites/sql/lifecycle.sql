-- name: InsertEvent
-- One round trip per event: the event row and the identifiers it names ($15 epcs, $16 roles).
WITH ev AS (
    INSERT INTO epcis_events (receipt_id, idx, event_id, event_type, action, biz_step, disposition,
        event_time, tz_offset, read_point, biz_location, parent_epc, lot, expiry)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    RETURNING id
)
INSERT INTO event_epcs (event_pk, epc, role)
SELECT ev.id, u.epc, u.role FROM ev, unnest($15::text[], $16::text[]) AS u (epc, role)
ON CONFLICT DO NOTHING;

-- name: Commission
INSERT INTO serials (epc, gtin, serial, lot, expiry, site_id, state, commissioned_at, last_event_time)
VALUES ($1, $2, $3, $4, $5, $6, 'commissioned', $7, $7)
ON CONFLICT (epc) DO NOTHING;

-- name: Pack
UPDATE serials SET parent_epc = $2, state = 'packed', last_event_time = $3, updated_at = now()
WHERE epc = $1;

-- name: Unpack
UPDATE serials SET parent_epc = '', state = 'commissioned', last_event_time = $3, updated_at = now()
WHERE epc = $1 AND parent_epc = $2;

-- name: SetState
UPDATE serials SET state = $2, last_event_time = $3, updated_at = now() WHERE epc = $1;

-- name: FlatEvents
-- Every identifier of every event of a document, with the pack's GTIN, serial, lot and expiry
-- from its serial record: the rows the analytics store receives.
SELECT e.event_time, e.event_id, e.receipt_id::text, d.site_id, e.event_type, e.action,
       e.biz_step, e.disposition, e.read_point, e.biz_location, x.epc, x.role,
       coalesce(s.gtin, ''), coalesce(s.serial, ''), coalesce(s.lot, ''), coalesce(s.expiry, ''),
       e.parent_epc
FROM epcis_events e
JOIN documents d ON d.receipt_id = e.receipt_id
JOIN event_epcs x ON x.event_pk = e.id
LEFT JOIN serials s ON s.epc = x.epc
WHERE e.receipt_id = $1
ORDER BY e.idx, x.epc;
