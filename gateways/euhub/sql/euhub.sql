-- name: InsertObligation
INSERT INTO obligations (id, gateway, kind, subject, site_id, partner_gln)
VALUES ($1, 'euhub', $2, $3, '', $4)
ON CONFLICT (id) DO NOTHING;

-- name: InsertRequest
INSERT INTO euhub_requests (obligation_id, kind, gtin, lot, expiry, status, reason, chunk, chunks, body, serials)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (obligation_id) DO NOTHING;

-- name: Request
SELECT obligation_id, kind, gtin, lot, expiry, status, reason, chunk, chunks, body, serials
FROM euhub_requests WHERE obligation_id = $1;

-- name: InsertRelease
INSERT INTO euhub_releases (gtin, lot, expiry, packs, chunks) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (gtin, lot) DO NOTHING;

-- name: LotPacks
-- The packs of a lot as the hub holds them (the pack's own lot and expiry).
SELECT serial, lot, expiry FROM serials
WHERE gtin = $1 AND lot = $2 AND serial <> '' AND state NOT IN ('destroyed')
ORDER BY serial;

-- name: Uploaded
-- Serials of the product already carried by another batch's chunks (after a duplicate key).
SELECT serial, lot FROM euhub_packs WHERE gtin = $1 AND serial = ANY($2::text[]) AND lot <> $3 LIMIT 10;

-- name: Mismatches
-- Packs of a release whose lot or expiry in the serial store differ from the ones sent: sent
-- exactly as on the pack (the store may hold the expiry as the EPCIS date $4).
SELECT p.serial, s.lot, s.expiry FROM euhub_packs p
JOIN serials s ON s.gtin = p.gtin AND s.serial = p.serial
WHERE p.gtin = $1 AND p.lot = $2
  AND (s.lot <> $2 OR (s.expiry <> '' AND s.expiry <> $3 AND s.expiry <> $4))
LIMIT 10;

-- name: ReleaseStatus
SELECT r.obligation_id, r.chunk, r.chunks, o.status, o.attempts, o.last_error,
       cardinality(r.serials)
FROM euhub_requests r JOIN obligations o ON o.id = r.obligation_id
WHERE r.gtin = $1 AND r.lot = $2 AND r.kind = 'packs'
ORDER BY r.chunk;

-- name: Requests
SELECT r.obligation_id, r.kind, r.gtin, r.lot, r.status, o.status, o.last_error, r.created_at
FROM euhub_requests r JOIN obligations o ON o.id = r.obligation_id
WHERE ($1 = '' OR r.gtin = $1) AND ($2 = '' OR r.lot = $2) AND r.kind <> 'packs'
ORDER BY r.created_at DESC LIMIT 500;

-- name: Connection
SELECT endpoint, credentials_ref, enabled FROM euhub_connection;

-- name: SetConnection
INSERT INTO euhub_connection (endpoint, credentials_ref, enabled) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint, credentials_ref = excluded.credentials_ref,
    enabled = excluded.enabled, updated_at = now();
