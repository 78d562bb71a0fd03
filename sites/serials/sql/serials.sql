-- name: EnsurePool
INSERT INTO serial_pools (gtin, alphabet, length) VALUES ($1, $2, $3)
ON CONFLICT (gtin) DO NOTHING;

-- name: InsertAllocation
-- A repeated (site, request id) returns nothing, after waiting for a concurrent first request
-- to finish: the caller then replays the stored answer.
INSERT INTO serial_allocations (site_id, line_id, request_id, gtin, lot, work_order, count, requested_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (site_id, request_id) DO NOTHING
RETURNING id, created_at;

-- name: AllocationByRequest
SELECT id, request_id, site_id, line_id, gtin, lot, work_order, count, created_at
FROM serial_allocations WHERE site_id = $1 AND request_id = $2;

-- name: AllocationSerials
SELECT serial FROM issued_serials WHERE allocation_id = $1 ORDER BY serial;

-- name: Pool
SELECT gtin, alphabet, length, issued, returned, alert_below FROM serial_pools WHERE gtin = $1;

-- name: IssueSerials
-- The primary key (gtin, serial) decides: a serial issued before, or by a concurrent request,
-- is skipped and replaced by the caller.
INSERT INTO issued_serials (gtin, serial, allocation_id)
SELECT $1, s, $2 FROM unnest($3::text[]) AS s
ON CONFLICT DO NOTHING;

-- name: TakenByOthers
SELECT serial FROM issued_serials
WHERE gtin = $1 AND serial = ANY($2::text[]) AND allocation_id <> $3;

-- name: CountIssued
-- $4: the limit of the guess-probability rule. No row: the rule refuses.
UPDATE serial_pools SET issued = issued + $2, alphabet = $3, length = $5, updated_at = now()
WHERE gtin = $1 AND issued + $2 <= $4
RETURNING issued, alert_below;

-- name: InsertAlert
INSERT INTO serial_pool_alerts (gtin, kind, message, remaining) VALUES ($1, $2, $3, $4);

-- name: Alerts
SELECT id, gtin, kind, message, remaining, created_at FROM serial_pool_alerts
WHERE ($1 = '' OR gtin = $1) ORDER BY created_at DESC, id DESC LIMIT $2;

-- name: SetAlertBelow
UPDATE serial_pools SET alert_below = $2, updated_at = now() WHERE gtin = $1;

-- name: ReturnSerials
-- Only serials issued to the site and not returned yet.
UPDATE issued_serials i SET returned_at = now()
FROM serial_allocations a
WHERE i.gtin = $1 AND i.serial = ANY($2::text[]) AND i.returned_at IS NULL
  AND a.id = i.allocation_id AND a.site_id = $3
RETURNING i.serial, i.allocation_id;

-- name: InsertReturns
-- How many serials of each allocation ($1, $2 parallel) a return gave back, for the
-- serialization KPIs of line analytics.
INSERT INTO serial_returns (allocation_id, site_id, line_id, gtin, count)
SELECT a.id, a.site_id, a.line_id, a.gtin, u.n
FROM unnest($1::bigint[], $2::int[]) AS u (id, n)
JOIN serial_allocations a ON a.id = u.id;

-- name: CountReturned
UPDATE serial_pools SET returned = returned + $2, updated_at = now() WHERE gtin = $1;

-- name: Allocated
SELECT i.serial, i.allocation_id, i.returned_at IS NOT NULL
FROM issued_serials i
WHERE i.gtin = $1 AND i.serial = ANY($2::text[]);

-- name: AllocationsByID
SELECT id, request_id, site_id, line_id, gtin, lot, work_order, count, created_at
FROM serial_allocations WHERE id = ANY($1::bigint[]);
