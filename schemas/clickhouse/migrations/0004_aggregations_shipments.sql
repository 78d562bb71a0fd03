-- 0004: genealogy down (what a case or pallet holds, with time) and shipments by partner.
-- Both are projections of epc_facts kept by materialized views.
CREATE TABLE IF NOT EXISTS aggregations (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
    site_id       String,
    action        String,
    parent_epc    String,
    child_epc     String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (parent_epc, child_epc, event_time, event_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS aggregations_mv TO aggregations AS
SELECT event_date, event_time, event_id, site_id, action, parent_epc, epc AS child_epc, inserted_at
FROM epc_facts
WHERE event_type = 'AggregationEvent' AND role = 'child' AND parent_epc != '';

-- A shipping event per shipped identifier (usually the pallet's SSCC), ordered for
-- "what went to partner P, when".
CREATE TABLE IF NOT EXISTS shipments (
    event_date    Date,
    event_time    DateTime,
    event_id      String,
    site_id       String,
    epc           String,
    partner       String,
    country       String,
    destination   String,
    inserted_at   DateTime
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(event_date)
ORDER BY (partner, event_time, epc, event_id)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS shipments_mv TO shipments AS
SELECT event_date, event_time, event_id, site_id, epc, partner, country, destination, inserted_at
FROM epc_facts
WHERE biz_step IN ('shipping', 'urn:epcglobal:cbv:bizstep:shipping', 'https://ref.gs1.org/cbv/BizStep-shipping')
