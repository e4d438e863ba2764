-- The outbox of accepted citizen writes (see stores/outbox.py), as SQLite's schema version 1.
-- Never edit a released migration: add the next numbered file.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    idempotency_key text NOT NULL,
    request_fingerprint text NOT NULL,
    viewer_key text NOT NULL,
    -- An application's payload holds the applicant's fødselsnummer: never index or log it.
    payload jsonb NOT NULL,
    status text NOT NULL
        CONSTRAINT outbox_status CHECK (status IN ('PENDING', 'DELIVERING', 'DELIVERED', 'REJECTED')),
    attempts integer NOT NULL DEFAULT 0,
    -- PENDING: when the next attempt is due; DELIVERING: when the lease expires.
    -- One column for both makes "due" a single range scan of one index.
    next_attempt_at timestamptz NOT NULL,
    lease_until timestamptz,
    lease_token text,
    last_error text,
    result jsonb,
    progress jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    delivered_at timestamptz,
    CONSTRAINT outbox_client_key UNIQUE (viewer_key, kind, idempotency_key)
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('PENDING', 'DELIVERING');
CREATE INDEX outbox_viewer ON outbox (viewer_key, created_at);
