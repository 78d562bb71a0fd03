-- name: FlatEvents
-- Every identifier of every event of a document, with the pack's GTIN, serial, lot and expiry
-- from its serial record: the rows the analytics store receives.
SELECT e.event_time, e.event_id, e.receipt_id::text, coalesce(d.site_id, ''), e.event_type, e.action,
       e.biz_step, e.disposition, e.read_point, e.biz_location, x.epc, x.role,
       coalesce(s.gtin, ''), coalesce(s.serial, ''), coalesce(s.lot, ''), coalesce(s.expiry, ''),
       e.parent_epc
FROM epcis_events e
JOIN documents d ON d.receipt_id = e.receipt_id
JOIN event_epcs x ON x.event_pk = e.id
LEFT JOIN serials s ON s.epc = x.epc
WHERE e.receipt_id = $1
ORDER BY e.idx, x.epc;
