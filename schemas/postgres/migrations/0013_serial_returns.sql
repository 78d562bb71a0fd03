-- 0013: serials requested and returned per line and time, for the serialization KPIs of line
-- analytics (docs/analytics.md). Requests are serial_allocations rows (one per request, with
-- its count); a return is counted in serial_returns, one row per return and allocation, so
-- that the KPIs never scan issued_serials (one row per serial ever issued). issued_serials
-- keeps returned_at per serial, as before.

CREATE INDEX serial_allocations_created ON serial_allocations (created_at);

CREATE TABLE serial_returns (
    id             bigserial PRIMARY KEY,
    allocation_id  bigint NOT NULL REFERENCES serial_allocations (id),
    site_id        text NOT NULL,
    line_id        text NOT NULL,
    gtin           text NOT NULL,
    count          integer NOT NULL CHECK (count > 0),
    returned_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX serial_returns_returned ON serial_returns (returned_at);

-- Returns made before this migration, from issued_serials (one scan, once).
INSERT INTO serial_returns (allocation_id, site_id, line_id, gtin, count, returned_at)
SELECT a.id, a.site_id, a.line_id, a.gtin, count(*), i.returned_at
FROM issued_serials i JOIN serial_allocations a ON a.id = i.allocation_id
WHERE i.returned_at IS NOT NULL
GROUP BY a.id, a.site_id, a.line_id, a.gtin, i.returned_at;
