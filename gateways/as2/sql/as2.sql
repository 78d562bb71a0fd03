-- name: Settings
SELECT gln, as2_to, as2_from, cert_pem FROM as2_partners WHERE gln = $1;

-- name: UpsertSettings
INSERT INTO as2_partners (gln, as2_to, as2_from, cert_pem)
VALUES ($1, $2, $3, $4)
ON CONFLICT (gln) DO UPDATE SET as2_to = excluded.as2_to, as2_from = excluded.as2_from,
    cert_pem = excluded.cert_pem, updated_at = now();
