-- 0007: the rest of DSCSA exchange: product verification (GS1 Lightweight Messaging for
-- verification of product identifiers, "VRS"), AS2 partner settings, and files that partners
-- send to the hub.

-- Verification asks for one pack by GTIN and serial.
CREATE INDEX serials_gtin_serial ON serials (gtin, serial);

-- Every verification request, answered by us (direction 'in') or asked of a partner ('out'):
-- who asked, what, the answer and how long it took. Kept for the audit trail.
CREATE TABLE vrs_requests (
    id               bigserial PRIMARY KEY,
    direction        text NOT NULL CHECK (direction IN ('in', 'out')),
    key_id           bigint,                      -- in: the caller's API key
    partner_gln      text NOT NULL DEFAULT '',    -- in: the calling partner; out: the partner asked
    requestor_gln    text NOT NULL DEFAULT '',
    responder_gln    text NOT NULL DEFAULT '',
    corr_uuid        text NOT NULL DEFAULT '',
    context          text NOT NULL DEFAULT '',
    gtin             text NOT NULL,
    serial           text NOT NULL,
    lot              text NOT NULL DEFAULT '',
    expiry           text NOT NULL DEFAULT '',
    verified         boolean,                     -- null: no answer (error)
    failure_reason   text NOT NULL DEFAULT '',
    additional_info  text NOT NULL DEFAULT '',
    http_status      integer NOT NULL DEFAULT 0,
    error            text NOT NULL DEFAULT '',
    requested_at     timestamptz NOT NULL DEFAULT now(),
    duration_us      bigint NOT NULL DEFAULT 0
);
CREATE INDEX vrs_requests_partner ON vrs_requests (partner_gln, requested_at DESC);
CREATE INDEX vrs_requests_time ON vrs_requests (requested_at DESC);

-- Where a partner answers verification requests. credentials_ref names the secret (env:NAME,
-- file:PATH); the secret itself is never stored.
-- TODO(masterdata): a column of the trading partners of 0002 once they carry delivery settings.
CREATE TABLE vrs_partners (
    gln              text PRIMARY KEY,
    endpoint         text NOT NULL,               -- base URL; the Digital Link path is appended
    credentials_ref  text NOT NULL DEFAULT '',
    enabled          boolean NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- AS2 settings of partners whose transport is 'as2' (gateway_partners.endpoint is the AS2 URL):
-- the AS2 identifiers and the partner's certificate (PEM, public: encrypt to it, verify its MDN).
CREATE TABLE as2_partners (
    gln           text PRIMARY KEY,
    as2_to        text NOT NULL,                  -- the partner's AS2 identifier
    as2_from      text NOT NULL,                  -- ours, as the partner knows us
    cert_pem      text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Files trading partners send to the hub (returns, receipts). Stored before the answer, like
-- site uploads; the same bytes from the same partner are one document.
CREATE TABLE partner_documents (
    receipt_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_gln   text NOT NULL,
    key_id        bigint,
    transport     text NOT NULL DEFAULT 'https',
    content_type  text NOT NULL,
    format        text NOT NULL DEFAULT '',
    sha256        bytea NOT NULL,
    size          bigint NOT NULL,
    body          bytea NOT NULL,
    status        text NOT NULL DEFAULT 'received',
    errors        jsonb NOT NULL DEFAULT '[]',
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner_gln, sha256)
);
