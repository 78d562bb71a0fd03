-- Intake: the rules' lookups, the record of a check, chunked application, the exception queue.

-- name: SiteInfo
SELECT s.gln, coalesce(array_agg(l.id) FILTER (WHERE l.id IS NOT NULL), '{}')
FROM sites s LEFT JOIN lines l ON l.site_id = s.id
WHERE s.id = $1 GROUP BY s.gln;

-- name: LoadItems
SELECT epc, gtin, lot, expiry, site_id, state, parent_epc, last_event_time
FROM serials WHERE epc = ANY($1::text[]);

-- name: ChildrenOf
SELECT parent_epc, epc FROM serials WHERE parent_epc = ANY($1::text[]);

-- name: LoadLots
SELECT gtin, lot, expiry FROM lots
WHERE (gtin, lot) IN (SELECT * FROM unnest($1::text[], $2::text[]));

-- name: KnownEventIDs
SELECT DISTINCT event_id FROM epcis_events WHERE event_id = ANY($1::text[]);

-- name: AppliedIdx
-- Events of the document recorded by earlier attempts ($2: the largest key before this one).
SELECT idx FROM epcis_events WHERE receipt_id = $1 AND id <= $2;

-- name: OpenBadIdx
SELECT event_idx FROM exceptions
WHERE receipt_id = $1 AND attempt = $2 AND event_idx IS NOT NULL;

-- name: TryLockSite
SELECT pg_try_advisory_lock(hashtext('serialhub-intake'), hashtext($1));

-- name: CloseEarlierExceptions
-- A new check of the document: open exceptions of earlier attempts are superseded when the
-- event is rejected again ($3: their indexes; $4: the document failed as a whole), resolved
-- otherwise.
UPDATE exceptions
SET status = CASE WHEN (event_idx IS NULL AND $4) OR event_idx = ANY($3::int[]) THEN 'superseded' ELSE 'resolved' END,
    closed_by = 'attempt ' || $2, closed_at = now()
WHERE receipt_id = $1 AND status = 'open' AND attempt < $2;

-- name: RecordCheck
UPDATE documents
SET checked_attempt = $2, chunks_done = 0, rejected_events = $3, errors = $4,
    applied_before = coalesce((SELECT max(id) FROM epcis_events WHERE receipt_id = $1), 0),
    status = CASE WHEN $5 THEN 'rejected' ELSE status END,
    processed_at = CASE WHEN $5 THEN now() ELSE processed_at END
WHERE receipt_id = $1 AND attempt = $2;

-- name: EventPKs
SELECT nextval(pg_get_serial_sequence('epcis_events', 'id')) FROM generate_series(1, $1::int);

-- name: UnpackAll
UPDATE serials SET parent_epc = '', state = 'commissioned', last_event_time = greatest(last_event_time, u.t),
    updated_at = now()
FROM unnest($1::text[], $2::timestamptz[]) AS u (parent, t)
WHERE serials.parent_epc = u.parent;

-- name: ImplicitParents
-- Containers packed without a commissioning event of their own (SSCCs often are).
INSERT INTO serials (epc, gtin, serial, site_id, state, commissioned_at, last_event_time)
SELECT u.epc, '', u.serial, $3, 'commissioned', u.t, u.t
FROM unnest($1::text[], $2::timestamptz[], $4::text[]) AS u (epc, t, serial)
ON CONFLICT (epc) DO NOTHING;

-- name: ApplyChanges
UPDATE serials s
SET state = u.state,
    parent_epc = CASE WHEN u.set_parent THEN u.parent ELSE s.parent_epc END,
    packed_at = CASE WHEN u.set_parent AND u.parent = '' THEN NULL ELSE coalesce(u.packed_at, s.packed_at) END,
    last_event_time = greatest(s.last_event_time, u.last),
    updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[], $6::timestamptz[])
    AS u (epc, state, parent, set_parent, packed_at, last)
WHERE s.epc = u.epc;

-- name: Propagate
-- The contents of shipped, received, returned, recalled or destroyed containers follow them.
WITH RECURSIVE tree (epc, state, t, depth) AS (
    SELECT s.epc, u.state, u.t, 0
    FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u (epc, state, t)
    JOIN serials s ON s.parent_epc = u.epc
  UNION ALL
    SELECT s.epc, tree.state, tree.t, tree.depth + 1
    FROM tree JOIN serials s ON s.parent_epc = tree.epc
    WHERE tree.depth < 16
)
UPDATE serials s SET state = tree.state, last_event_time = greatest(s.last_event_time, tree.t), updated_at = now()
FROM tree WHERE s.epc = tree.epc AND s.last_event_time <= tree.t; -- a later event of the chunk wins

-- name: InsertLots
INSERT INTO lots (gtin, lot, expiry, site_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (gtin, lot) DO NOTHING;

-- name: SerialInfo
SELECT epc, gtin, serial, lot, expiry FROM serials WHERE epc = ANY($1::text[]);

-- name: ChunkDone
-- The chunk's effects and its completion commit together; the guard makes a second run of
-- the same chunk fail instead of doubling it.
UPDATE documents SET chunks_done = $2 + 1, events = events + $3, serials = serials + $4
WHERE receipt_id = $1 AND attempt = $5 AND chunks_done = $2;

-- name: FinishProcessed
UPDATE documents SET status = 'processed', processed_at = now(), applied_at = coalesce(applied_at, now())
WHERE receipt_id = $1 AND attempt = $2;

-- name: Outcome
SELECT status, events, serials, rejected_events, errors FROM documents WHERE receipt_id = $1;

-- name: ListExceptions
SELECT d.receipt_id::text, coalesce(d.site_id, ''), coalesce(d.partner_gln, ''), d.status, d.attempt, count(*),
       (array_agg(x.errors ORDER BY x.event_idx NULLS FIRST))[1], d.received_at
FROM exceptions x JOIN documents d ON d.receipt_id = x.receipt_id
WHERE x.status = 'open' AND ($1 = '' OR x.site_id = $1)
GROUP BY d.receipt_id
ORDER BY d.received_at DESC
LIMIT $2;

-- name: ExceptionsOf
SELECT id, attempt, event_idx, line, errors, status, reason, closed_by, closed_at
FROM exceptions WHERE receipt_id = $1
ORDER BY attempt, event_idx NULLS FIRST, id;

-- name: Reprocess
-- The next attempt of a finished document with open exceptions.
UPDATE documents SET attempt = attempt + 1, status = 'received', processed_at = NULL
WHERE receipt_id = $1 AND status IN ('processed', 'rejected')
  AND EXISTS (SELECT 1 FROM exceptions x WHERE x.receipt_id = $1 AND x.status = 'open')
RETURNING attempt;

-- name: Dismiss
UPDATE exceptions SET status = 'dismissed', reason = $2, closed_by = $3, closed_at = now()
WHERE receipt_id = $1 AND status = 'open';
