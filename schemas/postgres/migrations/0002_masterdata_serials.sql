-- 0002: master data (markets, products, sites, packaging lines, trading partners), the history
-- of every change to it, and serial-number pools with their allocations.

-- Every version of every master-data record, written in the same transaction as the change:
-- who changed what when. data is the record as the API shows it (secrets never included).
CREATE TABLE masterdata_versions (
    kind        text NOT NULL,
    key         text NOT NULL,
    version     integer NOT NULL,
    data        jsonb NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key, version)
);

-- Markets where products are sold, with the default serial format of their packs.
CREATE TABLE markets (
    code             text PRIMARY KEY,
    name             text NOT NULL,
    regulation       text NOT NULL DEFAULT '',
    serial_alphabet  text NOT NULL DEFAULT '0123456789',
    serial_length    integer NOT NULL DEFAULT 12 CHECK (serial_length BETWEEN 1 AND 20),
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       text NOT NULL DEFAULT 'migration 0002'
);

-- The EEA states under the EU Falsified Medicines Directive, and the US under DSCSA; more are
-- added through the API or CSV import.
INSERT INTO markets (code, name, regulation) VALUES
    ('AT', 'Austria', 'EU-FMD'), ('BE', 'Belgium', 'EU-FMD'), ('BG', 'Bulgaria', 'EU-FMD'),
    ('HR', 'Croatia', 'EU-FMD'), ('CY', 'Cyprus', 'EU-FMD'), ('CZ', 'Czechia', 'EU-FMD'),
    ('DK', 'Denmark', 'EU-FMD'), ('EE', 'Estonia', 'EU-FMD'), ('FI', 'Finland', 'EU-FMD'),
    ('FR', 'France', 'EU-FMD'), ('DE', 'Germany', 'EU-FMD'), ('GR', 'Greece', 'EU-FMD'),
    ('HU', 'Hungary', 'EU-FMD'), ('IE', 'Ireland', 'EU-FMD'), ('IT', 'Italy', 'EU-FMD'),
    ('LV', 'Latvia', 'EU-FMD'), ('LT', 'Lithuania', 'EU-FMD'), ('LU', 'Luxembourg', 'EU-FMD'),
    ('MT', 'Malta', 'EU-FMD'), ('NL', 'Netherlands', 'EU-FMD'), ('PL', 'Poland', 'EU-FMD'),
    ('PT', 'Portugal', 'EU-FMD'), ('RO', 'Romania', 'EU-FMD'), ('SK', 'Slovakia', 'EU-FMD'),
    ('SI', 'Slovenia', 'EU-FMD'), ('ES', 'Spain', 'EU-FMD'), ('SE', 'Sweden', 'EU-FMD'),
    ('IS', 'Iceland', 'EU-FMD'), ('LI', 'Liechtenstein', 'EU-FMD'), ('NO', 'Norway', 'EU-FMD'),
    ('US', 'United States', 'DSCSA');

-- Products by GTIN (or NTIN), 14 digits. Lists that are only ever read with their product
-- (national codes, markets with serial formats) are JSON; site_ids lists the sites allowed to
-- pack the product (empty: every site).
CREATE TABLE products (
    gtin                   text PRIMARY KEY CHECK (gtin ~ '^[0-9]{14}$'),
    kind                   text NOT NULL DEFAULT 'gtin' CHECK (kind IN ('gtin', 'ntin')),
    company_prefix_length  integer NOT NULL CHECK (company_prefix_length BETWEEN 6 AND 12),
    name                   text NOT NULL,
    common_name            text NOT NULL DEFAULT '',
    dosage_form            text NOT NULL DEFAULT '',
    strength               text NOT NULL DEFAULT '',
    pack_size              integer NOT NULL CHECK (pack_size > 0),
    national_codes         jsonb NOT NULL DEFAULT '[]',
    markets                jsonb NOT NULL DEFAULT '[]',
    site_ids               text[] NOT NULL DEFAULT '{}',
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    updated_by             text NOT NULL
);

ALTER TABLE sites
    ADD COLUMN sgln        text NOT NULL DEFAULT '',
    ADD COLUMN version     integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_by  text NOT NULL DEFAULT '';

-- Packaging lines; a line id is unique within its site. ideal_rate is packs per minute.
CREATE TABLE lines (
    site_id     text NOT NULL REFERENCES sites (id),
    id          text NOT NULL,
    name        text NOT NULL DEFAULT '',
    vendor      text NOT NULL DEFAULT '',
    model       text NOT NULL DEFAULT '',
    ideal_rate  double precision NOT NULL DEFAULT 0 CHECK (ideal_rate >= 0),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL,
    PRIMARY KEY (site_id, id)
);

-- Trading partners by GLN. location_glns holds the GLN of the partner and of each of its
-- SGLNs, so that a ship-to location finds its partner through one index. transport_secrets is
-- kept apart from transport so that no query the API runs ever selects it.
CREATE TABLE partners (
    gln                text PRIMARY KEY CHECK (gln ~ '^[0-9]{13}$'),
    name               text NOT NULL,
    country            text NOT NULL DEFAULT '',
    sglns              text[] NOT NULL DEFAULT '{}',
    location_glns      text[] NOT NULL DEFAULT '{}',
    licences           jsonb NOT NULL DEFAULT '[]',
    endpoint           text NOT NULL DEFAULT '',
    transport          jsonb NOT NULL DEFAULT '{}',
    transport_secrets  jsonb NOT NULL DEFAULT '{}',
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text NOT NULL
);
CREATE INDEX partners_locations ON partners USING gin (location_glns);

-- One serial pool per GTIN: the format new serials are drawn in (the strictest of the
-- product's markets) and how many were issued, for the guess-probability rule.
CREATE TABLE serial_pools (
    gtin         text PRIMARY KEY REFERENCES products (gtin),
    alphabet     text NOT NULL,
    length       integer NOT NULL CHECK (length BETWEEN 1 AND 20),
    issued       bigint NOT NULL DEFAULT 0,
    returned     bigint NOT NULL DEFAULT 0,
    alert_below  bigint, -- remaining issuable serials under which an alert is raised; NULL: 10 % of the limit
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per serial request. (site_id, request_id) makes a retried request return the
-- serials of the first.
CREATE TABLE serial_allocations (
    id            bigserial PRIMARY KEY,
    site_id       text NOT NULL,
    line_id       text NOT NULL,
    request_id    text NOT NULL,
    gtin          text NOT NULL REFERENCES serial_pools (gtin),
    lot           text NOT NULL DEFAULT '',
    work_order    text NOT NULL DEFAULT '',
    count         integer NOT NULL CHECK (count > 0),
    requested_by  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, request_id),
    FOREIGN KEY (site_id, line_id) REFERENCES lines (site_id, id)
);

-- Every serial ever issued. The primary key is what guarantees a serial is never issued twice
-- for a GTIN, whatever the code above it does; returned serials stay here for that reason.
-- allocation_id has no foreign key on purpose: its per-row trigger cost ~15 % of the time of
-- a 100k-serial allocation, and the allocation row is written in the same transaction.
CREATE TABLE issued_serials (
    gtin           text NOT NULL,
    serial         text NOT NULL,
    allocation_id  bigint NOT NULL,
    returned_at    timestamptz,
    PRIMARY KEY (gtin, serial)
);
CREATE INDEX issued_serials_allocation ON issued_serials (allocation_id);

-- Alerts about serial pools: running low, or a request refused by the guess-probability rule.
CREATE TABLE serial_pool_alerts (
    id          bigserial PRIMARY KEY,
    gtin        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('low', 'refused')),
    message     text NOT NULL,
    remaining   bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX serial_pool_alerts_time ON serial_pool_alerts (created_at DESC);
