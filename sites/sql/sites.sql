-- name: UpsertSite
INSERT INTO sites (id, name, gln, country)
VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, gln = excluded.gln, country = excluded.country
RETURNING id, name, gln, country, created_at;
