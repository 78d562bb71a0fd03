-- name: RecallLot
-- Every pack of one lot with its current parent (the latest aggregation: an unpack clears it)
-- and its latest event. One row per identifier however often an event was re-sent.
SELECT epc,
       any(gtin), any(serial), any(lot), any(expiry),
       argMaxIf(if(action = 'DELETE', '', parent_epc), event_time, event_type = 'AggregationEvent'),
       any(site_id),
       max(event_time),
       argMax(biz_step, event_time)
FROM epc_events FINAL
WHERE gtin = ? AND lot = ?
GROUP BY epc
ORDER BY epc
