-- name: Authenticate
SELECT id, role, coalesce(site_id, ''), coalesce(partner_id, '')
FROM api_keys
WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: InsertKey
INSERT INTO api_keys (key_hash, role, site_id, partner_id, label)
VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5)
ON CONFLICT (key_hash) DO NOTHING
RETURNING id;
