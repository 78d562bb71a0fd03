-- 0011: recalls. A recall decision (the compliance team's, keyed by its own recall id), the
-- notices built for each trading partner the recalled packs went to (CSV and EPCIS bytes,
-- sent as obligations of the gateway framework: obligations, payloads, exchanges of 0004),
-- and the EU Hub batch recalls it asked for. The recall workflow (workflows/recall) carries
-- only ids; everything it computes is here.

CREATE TABLE recalls (
    id               text PRIMARY KEY,  -- business key chosen by the compliance team, e.g. RC-2026-001
    gtin             text NOT NULL,
    lots             text[] NOT NULL,
    reason           text NOT NULL,
    class            text NOT NULL CHECK (class IN ('I', 'II', 'III')),
    decided_by       text NOT NULL,     -- the person who decided (as typed), and the key that recorded it
    decided_key      bigint NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'recorded' CHECK (status IN
                     ('recorded', 'preparing', 'notifying', 'acknowledged', 'closed')),
    source           text NOT NULL DEFAULT '',  -- which stores the affected packs came from
    packs            integer NOT NULL DEFAULT 0,
    shipped          integer NOT NULL DEFAULT 0,
    summary          jsonb NOT NULL DEFAULT '{}',
    discrepancies    jsonb NOT NULL DEFAULT '[]', -- packs the two stores disagree on (first 100)
    prepared_at      timestamptz,
    dispatched_at    timestamptz,
    closed_at        timestamptz,
    closed_by        text NOT NULL DEFAULT '',
    close_reason     text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recalls_status ON recalls (status, created_at);

-- One notice per partner: the affected packs it received, as CSV (for people) and EPCIS 1.2
-- (for systems; the bytes the submission sends, before signing).
CREATE TABLE recall_notices (
    recall_id      text NOT NULL REFERENCES recalls (id),
    partner_gln    text NOT NULL,
    country        text NOT NULL DEFAULT '',
    packs          integer NOT NULL,
    csv            bytea NOT NULL,
    epcis          bytea NOT NULL,
    obligation_id  text REFERENCES obligations (id),  -- set once dispatched
    PRIMARY KEY (recall_id, partner_gln)
);

-- The EU Hub batch recalls of a recall: one per lot released to the EU Hub. The obligation
-- (euhub-recall-<gtin>-<lot>) belongs to the EU Hub adapter and may be shared by recalls.
CREATE TABLE recall_euhub (
    recall_id      text NOT NULL REFERENCES recalls (id),
    lot            text NOT NULL,
    obligation_id  text NOT NULL REFERENCES obligations (id),
    PRIMARY KEY (recall_id, lot)
);
