-- 0005: EU Hub reporting (docs/gateways/euhub.md). What was asked of the EU Hub, one row per
-- obligation (the obligations of 0004 carry delivery and acknowledgement), the packs of every
-- released batch with the chunk that carries them, and the alerts the hub sends back with
-- their investigation.

-- One message to the EU Hub: product master data, a chunk of packs, a recall, a withdrawal,
-- a decommissioning or its undo. body holds the master data of a product upload; serials the
-- packs of a status change or of an upload chunk (each also has a row in euhub_packs).
CREATE TABLE euhub_requests (
    obligation_id  text PRIMARY KEY REFERENCES obligations (id),
    kind           text NOT NULL CHECK (kind IN
                   ('product', 'packs', 'recall', 'withdrawal', 'decommission', 'undo')),
    gtin           text NOT NULL,
    lot            text NOT NULL DEFAULT '',
    expiry         text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT '',   -- decommissioning status (exported, sample ...)
    reason         text NOT NULL DEFAULT '',
    chunk          integer NOT NULL DEFAULT 0, -- 1-based, packs only
    chunks         integer NOT NULL DEFAULT 0,
    body           jsonb NOT NULL DEFAULT '{}',
    serials        text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX euhub_requests_batch ON euhub_requests (gtin, lot, kind);

-- A batch released for EU markets: made once (the release of a batch is idempotent).
CREATE TABLE euhub_releases (
    gtin        text NOT NULL,
    lot         text NOT NULL,
    expiry      text NOT NULL,
    packs       integer NOT NULL,
    chunks      integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gtin, lot)
);

-- Every pack uploaded (or being uploaded) to the EU Hub, with the chunk obligation carrying it.
-- A serial is unique per product code, as on the hub.
CREATE TABLE euhub_packs (
    gtin           text NOT NULL,
    serial         text NOT NULL,
    lot            text NOT NULL,
    obligation_id  text NOT NULL,
    PRIMARY KEY (gtin, serial)
);
CREATE INDEX euhub_packs_obligation ON euhub_packs (obligation_id);

-- Alerts the EU Hub raised (pharmacy scans, refused operations), keyed by the hub's alert id,
-- and what the investigation found. Closed by the compliance team with a reason.
CREATE TABLE euhub_alerts (
    id             text PRIMARY KEY,
    code           text NOT NULL,
    raised_at      timestamptz NOT NULL,
    market         text NOT NULL DEFAULT '',
    gtin           text NOT NULL DEFAULT '',
    lot            text NOT NULL DEFAULT '',
    expiry         text NOT NULL DEFAULT '',
    serial         text NOT NULL DEFAULT '',
    text           text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'investigated', 'closed')),
    cause          text NOT NULL DEFAULT '',
    action         text NOT NULL DEFAULT '',
    facts          jsonb NOT NULL DEFAULT '{}',
    closed_reason  text NOT NULL DEFAULT '',
    closed_by      text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now(),
    investigated_at timestamptz,
    closed_at      timestamptz
);
CREATE INDEX euhub_alerts_status ON euhub_alerts (status, received_at);
CREATE INDEX euhub_alerts_code ON euhub_alerts (code, received_at);
