-- Master data and serial requests of the load generator, so that OEE's serialization KPIs
-- (serials requested and returned, read from PostgreSQL) have realistic data to read.

-- name: InsertProduct
INSERT INTO products (gtin, company_prefix_length, name, pack_size, updated_by)
VALUES ($1, $2, $1, 1, 'loadgen') ON CONFLICT DO NOTHING;

-- name: InsertPool
INSERT INTO serial_pools (gtin, alphabet, length) VALUES ($1, 'numeric', 12) ON CONFLICT DO NOTHING;

-- name: InsertLine
INSERT INTO lines (site_id, id, ideal_rate, updated_by) VALUES ($1, $2, $3, 'loadgen') ON CONFLICT DO NOTHING;

-- name: NextAllocationID
SELECT coalesce(max(id), 0) + 1 FROM serial_allocations;

-- name: SetAllocationSequence
SELECT setval(pg_get_serial_sequence('serial_allocations', 'id'), (SELECT max(id) FROM serial_allocations));
