-- 0003: intake. Large documents stored in parts (streamed, never held whole in memory),
-- duplicates by SBDH document id, the capture error behaviour (rollback or proceed), chunked
-- and resumable processing, the full serial lifecycle, lots, and the exception queue.

-- How an upload is processed and how far it got. attempt counts reprocessing runs;
-- checked_attempt is the attempt whose rule check is recorded (its rejected events are the
-- open exceptions of that attempt); chunks_done counts the chunks of that attempt applied,
-- each committed together with its effects; applied_before is the largest event key the
-- document had when that check was recorded (the events above it are that attempt's).
-- parts > 0: the body is in document_parts.
ALTER TABLE documents
    ADD COLUMN error_mode       text NOT NULL DEFAULT 'rollback' CHECK (error_mode IN ('rollback', 'proceed')),
    ADD COLUMN attempt          integer NOT NULL DEFAULT 1,
    ADD COLUMN checked_attempt  integer NOT NULL DEFAULT 0,
    ADD COLUMN chunks_done      integer NOT NULL DEFAULT 0,
    ADD COLUMN applied_before   bigint NOT NULL DEFAULT 0,
    ADD COLUMN rejected_events  integer NOT NULL DEFAULT 0,
    ADD COLUMN parts            integer NOT NULL DEFAULT 0;
-- The same SBDH InstanceIdentifier from the same site is the same document.
CREATE UNIQUE INDEX documents_site_document_id ON documents (site_id, document_id) WHERE document_id <> '';

-- Bodies in parts of a few MiB, written with COPY while the upload streams in. lz4 keeps
-- XML small on disk at little CPU cost. The foreign key is checked at commit, because the
-- document row (which needs the body's SHA-256) is written after its parts.
CREATE TABLE document_parts (
    receipt_id  uuid NOT NULL REFERENCES documents (receipt_id) DEFERRABLE INITIALLY DEFERRED,
    part        integer NOT NULL,
    data        bytea COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (receipt_id, part)
);

-- A site's default capture error behaviour; an upload may override it.
CREATE TABLE intake_settings (
    site_id     text PRIMARY KEY REFERENCES sites (id),
    error_mode  text NOT NULL DEFAULT 'rollback' CHECK (error_mode IN ('rollback', 'proceed')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- What the hub needs of an event beyond 0001: the packaging line (read point SGLN extension),
-- the first source and destination as written, and the partner shipped to.
ALTER TABLE epcis_events
    ADD COLUMN line_id      text NOT NULL DEFAULT '',
    ADD COLUMN source       text NOT NULL DEFAULT '',
    ADD COLUMN destination  text NOT NULL DEFAULT '',
    ADD COLUMN partner      text NOT NULL DEFAULT '',
    ADD COLUMN country      text NOT NULL DEFAULT '';
-- Event hash IDs: the same event sent again in another document is recognised.
CREATE INDEX epcis_events_event_id ON epcis_events (event_id);

-- The lifecycle: states beyond 0001's, when a pack was put into its container, its line.
ALTER TABLE serials
    ADD COLUMN line_id    text NOT NULL DEFAULT '',
    ADD COLUMN packed_at  timestamptz;

-- Every lot seen, with the expiry it was first commissioned with: later events contradicting
-- it are refused.
CREATE TABLE lots (
    gtin        text NOT NULL,
    lot         text NOT NULL,
    expiry      text NOT NULL DEFAULT '',
    site_id     text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (gtin, lot)
);

-- The exception queue: every rejected event (event_idx) or document (event_idx NULL) of every
-- processing attempt, with its errors ([{code, event, line, field, message}]). Rows are never
-- deleted: open → superseded (a later attempt re-checked it), resolved (a later attempt
-- accepted it) or dismissed (with a reason and who).
CREATE TABLE exceptions (
    id            bigserial PRIMARY KEY,
    receipt_id    uuid NOT NULL REFERENCES documents (receipt_id),
    site_id       text NOT NULL,
    attempt       integer NOT NULL,
    event_idx     integer,
    line          integer NOT NULL DEFAULT 0,
    event_id      text NOT NULL DEFAULT '',
    errors        jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'superseded', 'resolved', 'dismissed')),
    reason        text NOT NULL DEFAULT '',
    closed_by     text NOT NULL DEFAULT '',
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exceptions_receipt ON exceptions (receipt_id, attempt);
CREATE INDEX exceptions_open ON exceptions (site_id, created_at) WHERE status = 'open';
