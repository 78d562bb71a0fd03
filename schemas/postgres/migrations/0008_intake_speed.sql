-- Intake speed: every accepted identifier of every event is a row of event_epcs (2M rows for a
-- document of 1M packs in cases). The foreign key to epcis_events cost a trigger and an index
-- probe per row; the rows are written only by the intake, in the same transaction as their
-- event and with the event's key drawn just before, so the key always exists. The primary key
-- (event_pk, epc) and event_epcs_epc stay: the lifecycle, shipment and recall queries use them.
ALTER TABLE event_epcs DROP CONSTRAINT IF EXISTS event_epcs_event_pk_fkey;

-- Likewise serials → sites: a trigger and a probe per serial (1M for such a document). Serial
-- rows are written only by the intake (sites/apply.go), always with the site of the document
-- being processed, whose own foreign key (documents.site_id → sites) holds the reference.
ALTER TABLE serials DROP CONSTRAINT IF EXISTS serials_site_id_fkey;
