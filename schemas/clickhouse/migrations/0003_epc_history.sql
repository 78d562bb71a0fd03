-- 0003: the same facts ordered by identifier and time, for trace (one pack's history) and
-- for the recall's walk up to cases and pallets, whose rows carry no GTIN or lot. Narrow:
-- only what history and genealogy need. Filled from epc_facts by a materialized view, so
-- the writer inserts once.
CREATE TABLE IF NOT EXISTS epc_history (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
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
    lot           String,
    parent_epc    String,
    partner       String,
    country       String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (epc, event_time, event_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS epc_history_mv TO epc_history AS
SELECT event_date, event_time, event_id, site_id, line_id, event_type, action, biz_step,
    disposition, read_point, biz_location, epc, role, gtin, lot, parent_epc, partner, country,
    inserted_at
FROM epc_facts
