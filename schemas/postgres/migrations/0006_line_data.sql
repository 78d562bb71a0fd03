-- 0006: packaging-line data as the sites send it (docs/analytics.md "Line data format"):
-- the system of record for the OEE analytics in ClickHouse, which `serialhub analytics
-- rebuild` refills from here. A record sent again replaces the earlier one with the same key.

CREATE TABLE line_states (
    site_id      text NOT NULL REFERENCES sites (id),
    line_id      text NOT NULL,
    at           timestamptz NOT NULL,
    state        text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, line_id, at)
);

CREATE TABLE line_counts (
    site_id             text NOT NULL REFERENCES sites (id),
    line_id             text NOT NULL,
    start_at            timestamptz NOT NULL,
    end_at              timestamptz NOT NULL,
    gtin                text NOT NULL DEFAULT '',
    lot                 text NOT NULL DEFAULT '',
    good                integer NOT NULL DEFAULT 0,
    rejected            integer NOT NULL DEFAULT 0,
    ideal_rate          double precision NOT NULL DEFAULT 0,
    serials_used        integer NOT NULL DEFAULT 0,
    aggregation_errors  integer NOT NULL DEFAULT 0,
    reject_reasons      jsonb NOT NULL DEFAULT '{}',
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, line_id, start_at),
    CHECK (end_at > start_at)
);
