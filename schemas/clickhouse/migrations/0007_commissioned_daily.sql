-- 0007: serials commissioned per site, line, GTIN and day, for the serialization KPIs next to
-- OEE without scanning the facts. uniq (not a sum) so a re-sent event never counts twice;
-- uniq is approximate (within about 1%), which a KPI tolerates.
CREATE TABLE IF NOT EXISTS commissioned_daily (
    day       Date,
    site_id   String,
    line_id   String,
    gtin      String,
    packs     AggregateFunction(uniq, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, line_id, gtin);

CREATE MATERIALIZED VIEW IF NOT EXISTS commissioned_daily_mv TO commissioned_daily AS
SELECT event_date AS day, site_id, line_id, gtin, uniqState(epc) AS packs
FROM epc_facts
WHERE gtin != '' AND biz_step IN ('commissioning', 'urn:epcglobal:cbv:bizstep:commissioning', 'https://ref.gs1.org/cbv/BizStep-commissioning')
GROUP BY event_date, site_id, line_id, gtin
