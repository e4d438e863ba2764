-- The citizen's access log (see stores/access_log.py): who read which of a citizen's data.
-- Keyed by the viewer's pseudonym (viewer_key), never the fødselsnummer.
-- Never edit a released migration: add the next numbered file.
CREATE TABLE access_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    viewer_key text NOT NULL,
    at timestamptz NOT NULL,
    client_id text NOT NULL,
    client_name text NOT NULL,
    kind text NOT NULL
        CONSTRAINT access_log_kind CHECK (kind IN ('PROPERTY', 'CASE', 'DOCUMENT', 'INVOICE')),
    object_ids text[] NOT NULL,
    download boolean NOT NULL
);

-- A viewer's log, newest first (keyset pagination on (at, id)).
CREATE INDEX access_log_viewer ON access_log (viewer_key, at DESC, id DESC);
-- The purge job's range scan.
CREATE INDEX access_log_age ON access_log (at);
