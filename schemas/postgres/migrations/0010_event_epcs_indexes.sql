-- 0010: intake speed, the identifiers of events. event_epcs takes one row per identifier per
-- event — 2M rows for a document of 1M packs in cases — and its two B-tree indexes, the
-- primary key (event_pk, epc) and (epc) with keys of ~45 bytes in random order, cost more
-- than the rows themselves: COPYing 1M rows took 13.0 s with them, 8.4 s with the indexes
-- below (same server, same load; docs/intake.md, Speed).
--
-- Every reader looks identifiers up by equality (x.epc = ...), which a hash index answers
-- from 4-byte hash codes; and by event (x.event_pk = ...), which a plain B-tree on the event
-- key answers, its thousands of rows per event stored once per key (deduplication) and
-- always appended at the right edge. Rows stay unique per (event_pk, epc, role) without a
-- constraint: the intake writes an event's identifiers deduplicated per role, in the
-- transaction that counts the chunk done, guarded so that it commits once (sites/apply.go);
-- the analytics load generator writes synthetic rows the same way.
ALTER TABLE event_epcs DROP CONSTRAINT IF EXISTS event_epcs_pkey;
CREATE INDEX IF NOT EXISTS event_epcs_event_pk ON event_epcs (event_pk);
DROP INDEX IF EXISTS event_epcs_epc;
CREATE INDEX IF NOT EXISTS event_epcs_epc ON event_epcs USING hash (epc);
