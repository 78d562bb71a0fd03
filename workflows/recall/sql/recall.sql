-- name: InsertRecall
-- A repeated decision finds the first (the caller compares them).
INSERT INTO recalls (id, gtin, lots, reason, class, decided_by, decided_key)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO NOTHING;

-- name: Recall
SELECT id, gtin, lots, reason, class, decided_by, decided_key, status, source, packs, shipped, summary,
       discrepancies, created_at, prepared_at, dispatched_at, closed_at, closed_by, close_reason
FROM recalls WHERE id = $1;

-- name: ListRecalls
-- Newest first; $1 status ('' = any), $2 limit.
SELECT id, gtin, lots, reason, class, decided_by, decided_key, status, source, packs, shipped, summary,
       discrepancies, created_at, prepared_at, dispatched_at, closed_at, closed_by, close_reason
FROM recalls WHERE ($1 = '' OR status = $1)
ORDER BY created_at DESC, id LIMIT $2;

-- name: SetStatus
-- Final statuses stay final.
UPDATE recalls SET status = $2, updated_at = now()
WHERE id = $1 AND status NOT IN ('acknowledged', 'closed');

-- name: Finish
-- acknowledged (every target accepted) or closed (by the compliance team); the first wins.
UPDATE recalls SET status = $2, closed_by = $3, close_reason = $4, closed_at = now(), updated_at = now()
WHERE id = $1 AND status NOT IN ('acknowledged', 'closed');

-- name: RecordedRecalls
-- Decisions whose workflow may not have started (the API died between the insert and the
-- start): the sweep starts them again, harmlessly.
SELECT id FROM recalls
WHERE status = 'recorded' AND created_at < now() - make_interval(secs => $1)
ORDER BY created_at LIMIT 1000;

-- name: AffectedPacks
-- The recalled packs from the system of record, by another route than ClickHouse's: the
-- packs of the lots in serials, their current containers up to 6 levels, and the newest
-- shipping event of the pack or any of them, with the partner and country intake resolved.
WITH RECURSIVE packs AS (
    SELECT epc, gtin, serial, lot, expiry, state, site_id, parent_epc
    FROM serials WHERE gtin = $1 AND lot = ANY($2) AND serial <> ''
), chain AS (
    SELECT p.epc AS pack, p.epc AS epc, p.parent_epc AS parent, 0 AS depth FROM packs p
    UNION ALL
    SELECT c.pack, s.epc, s.parent_epc, c.depth + 1
    FROM chain c JOIN serials s ON s.epc = c.parent
    WHERE c.parent <> '' AND c.depth < 6
), ships AS (
    SELECT DISTINCT ON (c.pack) c.pack, e.event_time, e.partner, e.country
    FROM chain c
    JOIN event_epcs x ON x.epc = c.epc
    JOIN epcis_events e ON e.id = x.event_pk
    WHERE e.biz_step LIKE '%shipping' AND e.biz_step NOT LIKE '%void_shipping'
    ORDER BY c.pack, e.event_time DESC, e.id DESC
)
SELECT p.epc, p.gtin, p.serial, p.lot, p.expiry, p.state, p.site_id,
       coalesce(s.partner, ''), coalesce(s.country, ''), s.event_time
FROM packs p LEFT JOIN ships s ON s.pack = p.epc
ORDER BY p.epc;

-- name: SiteGLN
SELECT gln FROM sites WHERE id = $1;

-- name: PreparedNotices
SELECT partner_gln, country, packs FROM recall_notices WHERE recall_id = $1 ORDER BY partner_gln;

-- name: InsertNotice
INSERT INTO recall_notices (recall_id, partner_gln, country, packs, csv, epcis)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (recall_id, partner_gln) DO NOTHING;

-- name: SetPrepared
UPDATE recalls SET source = $2, packs = $3, shipped = $4, summary = $5, discrepancies = $6,
    prepared_at = now(), updated_at = now()
WHERE id = $1 AND prepared_at IS NULL;

-- name: NoticeCSV
SELECT csv FROM recall_notices WHERE recall_id = $1 AND partner_gln = $2;

-- name: NoticeEPCIS
SELECT epcis FROM recall_notices WHERE recall_id = $1 AND partner_gln = $2;

-- name: SetNoticeObligation
UPDATE recall_notices SET obligation_id = $3 WHERE recall_id = $1 AND partner_gln = $2;

-- name: InsertEUHub
INSERT INTO recall_euhub (recall_id, lot, obligation_id) VALUES ($1, $2, $3)
ON CONFLICT (recall_id, lot) DO NOTHING;

-- name: SetDispatched
UPDATE recalls SET dispatched_at = coalesce(dispatched_at, now()), updated_at = now(),
    status = CASE WHEN status IN ('recorded', 'preparing') THEN 'notifying' ELSE status END
WHERE id = $1;

-- name: Targets
-- Every receiver of a recall with its submission's status: partners' notices, then the EU Hub.
SELECT 'notice', n.partner_gln, n.country, '', n.packs, coalesce(n.obligation_id, ''),
       coalesce(o.status, 'not sent'), coalesce(o.attempts, 0), coalesce(o.last_error, ''),
       coalesce(o.reasons, '[]'), o.completed_at
FROM recall_notices n LEFT JOIN obligations o ON o.id = n.obligation_id
WHERE n.recall_id = $1
UNION ALL
SELECT 'euhub', o.partner_gln, '', r.lot, 0, r.obligation_id, o.status, o.attempts, o.last_error,
       o.reasons, o.completed_at
FROM recall_euhub r JOIN obligations o ON o.id = r.obligation_id
WHERE r.recall_id = $1
ORDER BY 1 DESC, 2, 4;
