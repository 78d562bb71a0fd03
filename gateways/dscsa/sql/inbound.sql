-- name: SaveInbound
WITH ins AS (
    INSERT INTO partner_documents (partner_gln, key_id, transport, content_type, format, sha256, size, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (partner_gln, sha256) DO NOTHING
    RETURNING receipt_id, status, received_at, false AS duplicate
)
SELECT receipt_id, status, received_at, duplicate FROM ins
UNION ALL
SELECT receipt_id, status, received_at, true FROM partner_documents
WHERE partner_gln = $1 AND sha256 = $6 AND NOT EXISTS (SELECT 1 FROM ins);

-- name: Inbound
SELECT receipt_id, partner_gln, transport, content_type, format, encode(sha256, 'hex'), size, status, errors, received_at
FROM partner_documents WHERE receipt_id = $1;

-- name: ListInbound
SELECT receipt_id, partner_gln, transport, content_type, format, encode(sha256, 'hex'), size, status, errors, received_at
FROM partner_documents
WHERE ($1 = '' OR partner_gln = $1)
ORDER BY received_at DESC
LIMIT $2;
