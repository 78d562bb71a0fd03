-- 0002: the facts table of analytics, one row per identifier per event, replacing 0001's
-- epc_events (18.16 has no ADD COLUMN IF NOT EXISTS, so a new table keeps every migration
-- re-runnable). Besides 0001's columns it carries the line, the partner and country of a
-- shipment, and the source and destination. A re-sent event collapses on
-- (gtin, lot, serial, epc, event_id) when parts merge; queries also collapse it themselves
-- (argMax, groupUniqArray, uniqExact), so it never counts twice even before a merge.
-- ORDER BY is led by the recall keys; monthly partitions by event date. Granules of 1,024 rows
-- (not 8,192) because recall and trace read narrow key ranges, many times over.
CREATE TABLE IF NOT EXISTS epc_facts (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
    receipt_id    String,
    site_id       String,
    line_id       String,
    event_type    String,
    action        String,
    biz_step      String,
    disposition   String,
    read_point    String,
    biz_location  String,
    epc           String,
    role          String,
    gtin          String,
    serial        String,
    lot           String,
    expiry        String,
    parent_epc    String,
    partner       String,
    country       String,
    source        String,
    destination   String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (gtin, lot, serial, epc, event_id)
SETTINGS index_granularity = 1024;

-- Whatever 0001's table already holds moves over; running this twice is harmless because
-- the copies collapse like any re-sent row.
INSERT INTO epc_facts (event_date, event_time, event_id, receipt_id, site_id, event_type, action,
    biz_step, disposition, read_point, biz_location, epc, role, gtin, serial, lot, expiry,
    parent_epc, inserted_at)
SELECT event_date, event_time, event_id, receipt_id, site_id, event_type, action, biz_step,
    disposition, read_point, biz_location, epc, role, gtin, serial, lot, expiry, parent_epc,
    inserted_at
FROM epc_events
