-- name: Pack
-- The pack's own state, and whether its lot is under a recall decision of the compliance team
-- (workflows/recall records them): a recalled batch is recalled from the decision on, before
-- any site or partner reports a recalling event for the pack itself.
SELECT s.gtin, s.serial, s.lot, s.expiry, s.state,
    EXISTS (SELECT 1 FROM recalls r WHERE r.gtin = s.gtin AND s.lot = ANY (r.lots))
FROM serials s
WHERE s.gtin = $1 AND s.serial = $2
ORDER BY s.updated_at DESC
LIMIT 1;

-- name: LogRequest
INSERT INTO vrs_requests (direction, key_id, partner_gln, requestor_gln, responder_gln, corr_uuid, context,
    gtin, serial, lot, expiry, verified, failure_reason, additional_info, http_status, error,
    requested_at, duration_us)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
RETURNING id;

-- name: ListRequests
SELECT id, direction, coalesce(key_id, 0), partner_gln, requestor_gln, responder_gln, corr_uuid, context,
    gtin, serial, lot, expiry, verified, failure_reason, additional_info, http_status, error,
    requested_at, duration_us
FROM vrs_requests
WHERE ($1 = '' OR partner_gln = $1)
ORDER BY requested_at DESC, id DESC
LIMIT $2;

-- name: Partner
-- The partner's responder, from its master-data record (sites/masterdata writes it).
SELECT gln, vrs_endpoint, vrs_credentials_ref, NOT disabled FROM partners
WHERE gln = $1 AND vrs_endpoint <> '';

-- name: InsertPartnerKey
INSERT INTO api_keys (key_hash, role, partner_id, label)
VALUES ($1, 'partner', $2, $3)
RETURNING id;
