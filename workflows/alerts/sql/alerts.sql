-- name: InsertAlert
INSERT INTO euhub_alerts (id, code, raised_at, market, gtin, lot, expiry, serial, text)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO NOTHING;

-- name: Alert
SELECT id, code, raised_at, market, gtin, lot, expiry, serial, text, status, cause, action, facts,
       closed_reason, closed_by, received_at, investigated_at, closed_at
FROM euhub_alerts WHERE id = $1;

-- name: ListAlerts
SELECT id, code, raised_at, market, gtin, lot, expiry, serial, text, status, cause, action, facts,
       closed_reason, closed_by, received_at, investigated_at, closed_at
FROM euhub_alerts
WHERE ($1 = '' OR code = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR gtin = $3)
  AND ($4 = '' OR cause = $4) AND ($5 = '' OR lot = $5)
ORDER BY received_at DESC, id LIMIT $6;

-- name: SetFinding
UPDATE euhub_alerts SET cause = $2, action = $3, facts = $4,
    status = CASE WHEN status = 'closed' THEN status ELSE 'investigated' END, investigated_at = now()
WHERE id = $1;

-- name: CloseAlert
UPDATE euhub_alerts SET status = 'closed', closed_reason = $2, closed_by = $3, closed_at = now()
WHERE id = $1 AND status <> 'closed';

-- name: SerialFacts
SELECT lot, expiry, state FROM serials WHERE gtin = $1 AND serial = $2 LIMIT 1;

-- name: UploadFacts
SELECT p.lot, r.expiry, o.status
FROM euhub_packs p JOIN euhub_requests r ON r.obligation_id = p.obligation_id
JOIN obligations o ON o.id = p.obligation_id
WHERE p.gtin = $1 AND p.serial = $2;

-- name: LotFacts
SELECT EXISTS (SELECT 1 FROM serials WHERE gtin = $1 AND lot = $2),
       EXISTS (SELECT 1 FROM euhub_releases WHERE gtin = $1 AND lot = $2),
       NOT EXISTS (SELECT 1 FROM euhub_requests r JOIN obligations o ON o.id = r.obligation_id
                   WHERE r.gtin = $1 AND r.lot = $2 AND r.kind = 'packs' AND o.status <> 'accepted'),
       EXISTS (SELECT 1 FROM euhub_requests r JOIN obligations o ON o.id = r.obligation_id
               WHERE r.gtin = $1 AND r.lot = $2 AND r.kind = 'recall' AND o.status = 'accepted');

-- name: LastStatus
-- The status we last set for the pack: the newest accepted decommissioning or undo naming it.
SELECT r.kind, r.status FROM euhub_requests r JOIN obligations o ON o.id = r.obligation_id
WHERE r.gtin = $1 AND r.kind IN ('decommission', 'undo') AND $2 = ANY (r.serials) AND o.status = 'accepted'
ORDER BY o.completed_at DESC NULLS LAST LIMIT 1;

-- name: KnownPrefixes
SELECT serial FROM euhub_packs WHERE gtin = $1 AND serial = ANY ($2::text[])
UNION
SELECT serial FROM serials WHERE gtin = $1 AND serial = ANY ($2::text[]);
