-- 0004: reporting to partners and regulators. Obligations (one report owed to one receiver),
-- the exact bytes built for each, and every exchange with the receiver. Also the facts of
-- shipping events that 0001 does not keep (sources, destinations, business transactions),
-- and, until sites/masterdata (0002) lands, the partner delivery settings and the product and
-- location master data the DSCSA files need.

-- How to reach a trading partner, keyed by its GLN. credentials_ref names a secret (resolved by
-- the binary from its environment); the secret itself is never stored here.
-- TODO(masterdata): move to the trading partners of 0002 (delivery endpoint and transport).
CREATE TABLE gateway_partners (
    gln              text PRIMARY KEY,
    name             text NOT NULL DEFAULT '',
    country          text NOT NULL DEFAULT 'US',
    gateway          text NOT NULL DEFAULT 'dscsa',
    transport        text NOT NULL CHECK (transport IN ('https', 'capture', 'as2')),
    endpoint         text NOT NULL,
    credentials_ref  text NOT NULL DEFAULT '',
    enabled          boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Product master data for regulatory files (NDC and the names DSCSA asks for), per GTIN.
-- TODO(masterdata): read from the products of 0002.
CREATE TABLE gateway_products (
    gtin          text PRIMARY KEY,
    ndc           text NOT NULL DEFAULT '',
    name          text NOT NULL DEFAULT '',
    dosage_form   text NOT NULL DEFAULT '',
    strength      text NOT NULL DEFAULT '',
    net_content   text NOT NULL DEFAULT '',
    manufacturer  text NOT NULL DEFAULT ''
);

-- Location master data (parties and places named in files), per SGLN URI.
-- TODO(masterdata): read from the locations of 0002.
CREATE TABLE gateway_locations (
    sgln         text PRIMARY KEY,
    name         text NOT NULL DEFAULT '',
    street1      text NOT NULL DEFAULT '',
    street2      text NOT NULL DEFAULT '',
    city         text NOT NULL DEFAULT '',
    state        text NOT NULL DEFAULT '',
    postal_code  text NOT NULL DEFAULT '',
    country      text NOT NULL DEFAULT ''
);

-- Sources, destinations and business transactions of recorded events (0001 keeps neither),
-- written from the stored document when obligations are derived from it.
CREATE TABLE event_parties (
    event_pk  bigint NOT NULL REFERENCES epcis_events (id),
    kind      text NOT NULL CHECK (kind IN ('source', 'destination', 'biz_transaction')),
    type      text NOT NULL DEFAULT '',
    value     text NOT NULL,
    PRIMARY KEY (event_pk, kind, type, value)
);

-- One report owed to one receiver, e.g. the DSCSA file of one shipment to one partner. The id
-- is the business key (dscsa-<shipping event id>-<partner gln>): deriving twice is harmless.
CREATE TABLE obligations (
    id            text PRIMARY KEY,
    gateway       text NOT NULL,
    kind          text NOT NULL,
    subject       text NOT NULL,        -- what it is about: the shipping event id
    event_pk      bigint REFERENCES epcis_events (id),
    receipt_id    uuid REFERENCES documents (receipt_id),
    site_id       text NOT NULL DEFAULT '',
    partner_gln   text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN
                  ('pending', 'building', 'delivering', 'awaiting_ack', 'accepted', 'rejected', 'cancelled', 'failed')),
    payload_id    bigint,
    attempts      integer NOT NULL DEFAULT 0,
    ack_ref       text NOT NULL DEFAULT '',
    reasons       jsonb NOT NULL DEFAULT '[]',
    last_error    text NOT NULL DEFAULT '',
    next_attempt  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz
);
CREATE INDEX obligations_status ON obligations (status, created_at);
CREATE INDEX obligations_partner ON obligations (partner_gln, created_at);

-- The bytes built for an obligation: stage 'built' (unsigned) and 'signed'. The workflow
-- carries only the id; `submissions show --payload` writes these bytes.
CREATE TABLE payloads (
    id             bigserial PRIMARY KEY,
    obligation_id  text NOT NULL REFERENCES obligations (id),
    stage          text NOT NULL CHECK (stage IN ('built', 'signed')),
    content_type   text NOT NULL,
    filename       text NOT NULL DEFAULT '',
    sha256         bytea NOT NULL,
    size           bigint NOT NULL,
    body           bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (obligation_id, stage)
);

-- Every exchange with a receiver: one row per request sent (delivery or poll), whatever came
-- back. Bodies of answers are kept up to a limit; requests are referenced by payload.
CREATE TABLE exchanges (
    id                bigserial PRIMARY KEY,
    obligation_id     text NOT NULL REFERENCES obligations (id),
    attempt           integer NOT NULL,
    step              text NOT NULL,              -- deliver, poll
    transport         text NOT NULL DEFAULT '',
    method            text NOT NULL DEFAULT '',
    url               text NOT NULL DEFAULT '',
    payload_id        bigint,
    idempotency_key   text NOT NULL DEFAULT '',
    request_headers   jsonb NOT NULL DEFAULT '{}',
    status_code       integer NOT NULL DEFAULT 0,
    response_headers  jsonb NOT NULL DEFAULT '{}',
    response_body     bytea NOT NULL DEFAULT '',
    outcome           text NOT NULL DEFAULT '',   -- accepted, pending, rejected, retry, error
    error             text NOT NULL DEFAULT '',
    tries             integer NOT NULL DEFAULT 1, -- HTTP tries inside this exchange
    started_at        timestamptz NOT NULL,
    duration_ms       integer NOT NULL DEFAULT 0
);
CREATE INDEX exchanges_obligation ON exchanges (obligation_id, id);
