-- 0001: the walking skeleton's system of record: sites, API keys, uploaded documents,
-- the events they carried, and the current state of every serial.

CREATE TABLE sites (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    gln         text NOT NULL DEFAULT '',
    country     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as SHA-256 of the token: a leaked table does not leak credentials.
CREATE TABLE api_keys (
    id          bigserial PRIMARY KEY,
    key_hash    bytea NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('admin', 'site', 'partner')),
    site_id     text REFERENCES sites (id),
    partner_id  text,
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (role <> 'site' OR site_id IS NOT NULL)
);

-- Every uploaded document, stored before it is acknowledged. The body is kept for
-- correction and reprocessing; nothing a site sends disappears.
CREATE TABLE documents (
    receipt_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id       text NOT NULL REFERENCES sites (id),
    content_type  text NOT NULL,
    format        text NOT NULL,
    sha256        bytea NOT NULL,
    document_id   text NOT NULL DEFAULT '',
    size          bigint NOT NULL,
    body          bytea NOT NULL,
    status        text NOT NULL DEFAULT 'received',
    errors        jsonb NOT NULL DEFAULT '[]',
    events        integer NOT NULL DEFAULT 0,
    serials       integer NOT NULL DEFAULT 0,
    received_at   timestamptz NOT NULL DEFAULT now(),
    applied_at    timestamptz, -- events and serial states recorded
    processed_at  timestamptz, -- and published to analytics: the receipt says processed
    UNIQUE (site_id, sha256)
);
CREATE INDEX documents_status ON documents (status, received_at) WHERE status IN ('received', 'processing');

-- One row per accepted event. (receipt_id, idx) makes re-applying a document idempotent.
CREATE TABLE epcis_events (
    id            bigserial PRIMARY KEY,
    receipt_id    uuid NOT NULL REFERENCES documents (receipt_id),
    idx           integer NOT NULL,
    event_id      text NOT NULL,
    event_type    text NOT NULL,
    action        text NOT NULL DEFAULT '',
    biz_step      text NOT NULL DEFAULT '',
    disposition   text NOT NULL DEFAULT '',
    event_time    timestamptz NOT NULL,
    tz_offset     text NOT NULL DEFAULT '',
    read_point    text NOT NULL DEFAULT '',
    biz_location  text NOT NULL DEFAULT '',
    parent_epc    text NOT NULL DEFAULT '',
    lot           text NOT NULL DEFAULT '',
    expiry        text NOT NULL DEFAULT '',
    UNIQUE (receipt_id, idx)
);

-- The identifiers each event names. role: 'epc' (epcList), 'child' (childEPCs).
CREATE TABLE event_epcs (
    event_pk  bigint NOT NULL REFERENCES epcis_events (id),
    epc       text NOT NULL,
    role      text NOT NULL,
    PRIMARY KEY (event_pk, epc)
);
CREATE INDEX event_epcs_epc ON event_epcs (epc);

-- The current state of every serialised item (packs by SGTIN, cases and pallets by SSCC).
CREATE TABLE serials (
    epc              text PRIMARY KEY,
    gtin             text NOT NULL DEFAULT '',
    serial           text NOT NULL DEFAULT '',
    lot              text NOT NULL DEFAULT '',
    expiry           text NOT NULL DEFAULT '',
    site_id          text NOT NULL REFERENCES sites (id),
    state            text NOT NULL,
    parent_epc       text NOT NULL DEFAULT '',
    commissioned_at  timestamptz,
    last_event_time  timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX serials_gtin_lot ON serials (gtin, lot);
CREATE INDEX serials_parent ON serials (parent_epc) WHERE parent_epc <> '';
