-- 0006: packaging-line data (docs/analytics.md "Line data format"). State changes with their
-- reason, and good/rejected counts per interval. ORDER BY (site, line, time) for the OEE
-- queries; a re-sent record replaces the earlier one with the same key (the newest wins).
CREATE TABLE IF NOT EXISTS line_states (
    day           Date,
    site_id       String,
    line_id       String,
    at            DateTime,
    state         String,
    reason        String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, line_id, at);

CREATE TABLE IF NOT EXISTS line_counts (
    day                 Date,
    site_id             String,
    line_id             String,
    start_at            DateTime,
    end_at              DateTime,
    gtin                String,
    lot                 String,
    good                UInt32,
    rejected            UInt32,
    ideal_rate          Float64,
    serials_used        UInt32,
    aggregation_errors  UInt32,
    reject_reasons      Array(String),
    reject_counts       Array(UInt32),
    inserted_at         DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, line_id, start_at)
