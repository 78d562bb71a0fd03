-- 0010: serials commissioned per site, line, GTIN and day as fixed-size HyperLogLog states
-- (uniqHLL12, 2.5 KB each) instead of 0007's uniq. OEE merges every state of its window
-- (60 lines × 30 days × GTINs); merging uniq's sets of up to 65,536 hashes each took about a
-- second at 100M event rows, HLL12 states merge in a few milliseconds. The price: an error of
-- about 1.6% instead of 1% (a KPI tolerates it; merging a state twice changes nothing, so
-- re-sent events still never count twice).
CREATE TABLE IF NOT EXISTS commissioned_hll (
    day       Date,
    site_id   String,
    line_id   String,
    gtin      String,
    packs     AggregateFunction(uniqHLL12, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, line_id, gtin);

CREATE MATERIALIZED VIEW IF NOT EXISTS commissioned_hll_mv TO commissioned_hll AS
SELECT event_date AS day, site_id, line_id, gtin, uniqHLL12State(epc) AS packs
FROM epc_facts
WHERE gtin != '' AND biz_step IN ('commissioning', 'urn:epcglobal:cbv:bizstep:commissioning', 'https://ref.gs1.org/cbv/BizStep-commissioning')
GROUP BY event_date, site_id, line_id, gtin;

-- What epc_facts already holds (rows the view also sees while this runs are merged once).
INSERT INTO commissioned_hll (day, site_id, line_id, gtin, packs)
SELECT event_date AS day, site_id, line_id, gtin, uniqHLL12State(epc) AS packs
FROM epc_facts
WHERE gtin != '' AND biz_step IN ('commissioning', 'urn:epcglobal:cbv:bizstep:commissioning', 'https://ref.gs1.org/cbv/BizStep-commissioning')
GROUP BY event_date, site_id, line_id, gtin;

-- 0007's view and table are no longer read; dropping them spares every insert a view.
DROP TABLE IF EXISTS commissioned_daily_mv;
DROP TABLE IF EXISTS commissioned_daily
