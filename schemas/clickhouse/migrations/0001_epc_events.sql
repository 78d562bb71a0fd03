-- 0001: events flattened per identifier, one row per EPC per event. Append-only facts:
-- a re-sent event collapses on (epc, event_id) when parts merge, and queries read with
-- FINAL or aggregate per epc, so it never counts twice. ORDER BY is led by the recall keys.
-- Runs on ClickHouse 18.16 (Debian) and current releases: no LowCardinality, no DateTime64.
CREATE TABLE IF NOT EXISTS epc_events (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
    receipt_id    String,
    site_id       String,
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
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (gtin, lot, serial, epc, event_id)
