-- 0005: EPCIS 2.0 sensor reports, one row per report (temperature excursions during
-- transport, for example), ordered by site, measurement type and time.
CREATE TABLE IF NOT EXISTS sensor_readings (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
    site_id       String,
    epcs          Array(String),
    idx           UInt32,
    device_id     String,
    reading_time  DateTime,
    type          String,
    value         Float64,
    has_value     UInt8,
    min_value     Float64,
    max_value     Float64,
    uom           String,
    exception     String,
    string_value  String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (site_id, type, event_time, event_id, idx)
