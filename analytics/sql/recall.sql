-- ClickHouse queries of recall and trace. The words in braces are filled in by Go with
-- escaped literals (see sql.go): ClickHouse 18.16 takes no bound lists in IN.

-- name: RecallPacks
-- The selected packs of recall_packs (0011), filtered on its key columns (gtin, lot, serial),
-- one row per distinct content: the packs of a case mostly have the same states (the same
-- events, the same packing), so a row carries them once with the EPCs and serials of its packs
-- (joined by newlines): a lot of 45,000 packs is about 2,500 rows, not 45,000 copies of the same
-- strings. A pack has one row of recall_packs once ClickHouse has merged its parts, several
-- until then (so it may be in several groups): recall folds them. GROUP BY epc or FINAL did it
-- here, but took 0.4-1.4 s for 45,000 packs on 18.16. The packing events come sorted (by time,
-- then event id) and joined by newlines.
SELECT gtin, lot, expiry, site, last, ship, is_dispensed, is_decommissioned, packing_text,
    arrayStringConcat(groupArray(epc), '\n'), arrayStringConcat(groupArray(serial), '\n')
FROM (
    SELECT gtin, lot, epc, serial,
        finalizeAggregation(pack_expiry) AS expiry, finalizeAggregation(first_site) AS site,
        finalizeAggregation(last_event) AS last, finalizeAggregation(last_shipping) AS ship,
        finalizeAggregation(dispensed) AS is_dispensed,
        finalizeAggregation(decommissioned) AS is_decommissioned,
        arrayStringConcat(arraySort(finalizeAggregation(packing)), '\n') AS packing_text
    FROM recall_packs
    WHERE {where}
)
GROUP BY gtin, lot, expiry, site, last, ship, is_dispensed, is_decommissioned, packing_text;

-- name: History
-- The events of the identifiers selected in epc_history, for trace and for the containers of
-- a recall.
SELECT epc, event_time, event_id, event_type, action, biz_step, disposition,
    parent_epc, partner, country, site_id, line_id, read_point, biz_location
FROM epc_history
WHERE {where};

-- name: ParentsOf
-- The containers the identifiers of a subquery were ever put into.
SELECT parent_epc FROM epc_history
WHERE epc IN ({epcs}) AND event_type = 'AggregationEvent' AND parent_epc != '';

-- name: PackParents
-- The containers the selected packs of epc_facts were ever put into.
SELECT parent_epc FROM epc_facts
WHERE {where} AND event_type = 'AggregationEvent' AND parent_epc != '';
