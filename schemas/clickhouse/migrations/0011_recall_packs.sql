-- 0011: one row per pack for recall, kept from epc_facts by a materialized view. A lot recall
-- of 45,000 packs read their 92,000 event rows of epc_facts (15 columns each) and put each
-- pack's timeline together in Go; here a pack's own events are already reduced to what recall
-- needs, as aggregate states that fold together when parts merge.
--
-- Every state is a max or min of a string that starts with the event's key, "tttttttttt id"
-- (event time as 10-digit Unix seconds, a space, the event id): the max is the newest event,
-- as recall orders a timeline (time, then event id), and the rest of the string is what recall
-- needs of it, tab-separated:
--   pack_expiry     the expiry (the greatest, i.e. any non-empty one),
--   first_site      "0|1" key TAB site: its first commissioning event's site, else its first
--                   event's (min; "0" marks commissioning),
--   last_event      key TAB type TAB action TAB biz step TAB disposition TAB parent: its newest
--                   event (max),
--   last_shipping   key TAB partner TAB country: its newest shipping event (max; "" if none),
--   dispensed, decommissioned  whether an own event dispensed / decommissioned or destroyed it,
--   packing         key TAB action TAB parent of each of its own aggregation events: the
--                   history recall needs to know which case and pallet held it when.
-- Business steps and dispositions are compared by their bare name (analytics.BizStepName: the
-- part after the last ':', '-' or '/' of a URN or web URI). A re-sent event changes nothing
-- (max, min and groupUniqArray ignore a second copy), so rows need no deduplication.
--
-- Filling: epc_facts -> recall_pack_events (a view on a Null table: it stores nothing, the
-- view on it sees every block) -> recall_packs, grouped per pack within each block. The backfill below sends
-- what epc_facts already holds through the same path, a block at a time, so it needs little
-- memory however big the table is (18.16's arrayReduce makes states without GROUP BY, but
-- its max/min states of long strings crash the server once stored).
--
-- Reading: a pack may have several rows until ClickHouse merges them; recall reads the rows
-- with finalizeAggregation (no GROUP BY or FINAL, which 18.16 does slowly for these states:
-- 0.4-0.6 s for 45,000 packs) and folds a pack's rows itself (max, min, or, union).
-- Not partitioned: a pack's events span months, and states only merge within a partition.
CREATE TABLE IF NOT EXISTS recall_packs (
    gtin            String,
    lot             String,
    serial          String,
    epc             String,
    pack_expiry     AggregateFunction(max, String),
    first_site      AggregateFunction(min, String),
    last_event      AggregateFunction(max, String),
    last_shipping   AggregateFunction(max, String),
    dispensed       AggregateFunction(max, UInt8),
    decommissioned  AggregateFunction(max, UInt8),
    packing         AggregateFunction(groupUniqArrayIf, String, UInt8)
) ENGINE = AggregatingMergeTree()
ORDER BY (gtin, lot, serial, epc)
SETTINGS index_granularity = 1024;

-- A pack's event rows, only as they pass through: a view of epc_facts on a Null table.
CREATE MATERIALIZED VIEW IF NOT EXISTS recall_pack_events ENGINE = Null AS
SELECT event_time, event_id, site_id, event_type, action, biz_step, disposition, epc, gtin, serial,
    lot, expiry, parent_epc, partner, country
FROM epc_facts
WHERE gtin != '';

-- Each block is grouped per pack once (a lot's commissioning and packing usually come in the
-- same INSERT).
CREATE MATERIALIZED VIEW IF NOT EXISTS recall_packs_mv TO recall_packs AS
WITH
    concat(substring(toString(toUInt64(event_time) + 10000000000), 2), ' ', event_id) AS event_key,
    if(startsWith(biz_step, 'urn:') OR startsWith(biz_step, 'http'), replaceRegexpOne(biz_step, '^.*[-:/]', ''), biz_step) AS step,
    if(startsWith(disposition, 'urn:') OR startsWith(disposition, 'http'), replaceRegexpOne(disposition, '^.*[-:/]', ''), disposition) AS disp
SELECT gtin, lot, serial, epc,
    maxState(expiry) AS pack_expiry,
    minState(concat(if(step = 'commissioning', '0', '1'), event_key, '\t', site_id)) AS first_site,
    maxState(concat(event_key, '\t', event_type, '\t', action, '\t', biz_step, '\t', disposition, '\t', parent_epc)) AS last_event,
    maxState(if(step = 'shipping', concat(event_key, '\t', partner, '\t', country), '')) AS last_shipping,
    maxState(toUInt8(step = 'dispensing' OR disp = 'dispensed')) AS dispensed,
    maxState(toUInt8(step IN ('decommissioning', 'destroying'))) AS decommissioned,
    groupUniqArrayIfState(concat(event_key, '\t', action, '\t', parent_epc),
        toUInt8(event_type = 'AggregationEvent' AND parent_epc != '')) AS packing
FROM recall_pack_events
GROUP BY gtin, lot, serial, epc;

-- What epc_facts already holds (rows the view also sees while this runs are merged once).
INSERT INTO recall_pack_events (event_time, event_id, site_id, event_type, action, biz_step,
    disposition, epc, gtin, serial, lot, expiry, parent_epc, partner, country)
SELECT event_time, event_id, site_id, event_type, action, biz_step, disposition, epc, gtin, serial,
    lot, expiry, parent_epc, partner, country
FROM epc_facts
WHERE gtin != ''
