-- Keeping less (SQLite's schema version 3): personal data only delivery needs is kept apart from
-- the receipt's payload and dropped when the record is final; each distinct file of a record is
-- stored once, as bytea (not base64 inside the payload), so a retry never rewrites it.
ALTER TABLE outbox ADD COLUMN private jsonb;
ALTER TABLE outbox ADD COLUMN payload_dropped_at timestamptz;

CREATE TABLE outbox_file (
    record_id uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    sha256 text NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (record_id, sha256)
);
-- Attachments are already compressed (PDF, JPEG, PNG): do not try again, keep them out of line.
ALTER TABLE outbox_file ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE INDEX outbox_final ON outbox (updated_at) WHERE status IN ('DELIVERED', 'REJECTED');

-- Records of version 2: an application's fødselsnummer moves to private, its base64 file data
-- to outbox_file (final records: dropped instead), the payload keeps each file's sha256 and size.
INSERT INTO outbox_file (record_id, sha256, data)
SELECT DISTINCT ON (o.id, digest.sha256) o.id, digest.sha256, digest.data
FROM outbox AS o
CROSS JOIN LATERAL jsonb_array_elements(o.payload -> 'files') AS f(entry)
CROSS JOIN LATERAL (
    SELECT decode(f.entry ->> 'data_base64', 'base64') AS data
) AS raw
CROSS JOIN LATERAL (
    SELECT encode(sha256(raw.data), 'hex') AS sha256, raw.data
) AS digest
WHERE o.kind = 'application' AND jsonb_typeof(o.payload -> 'files') = 'array'
    AND f.entry ? 'data_base64' AND o.status NOT IN ('DELIVERED', 'REJECTED');

UPDATE outbox SET
    private = CASE WHEN status IN ('DELIVERED', 'REJECTED') THEN NULL
        ELSE jsonb_build_object('applicant_pid', payload -> 'applicant_pid') END,
    payload_dropped_at = CASE WHEN status IN ('DELIVERED', 'REJECTED') THEN updated_at END,
    payload = (payload - 'applicant_pid') || CASE WHEN jsonb_typeof(payload -> 'files') = 'array'
        THEN jsonb_build_object('files', (
            SELECT COALESCE(jsonb_agg(
                CASE WHEN f.entry ? 'data_base64' THEN (f.entry - 'data_base64') || jsonb_build_object(
                    'sha256', encode(sha256(decode(f.entry ->> 'data_base64', 'base64')), 'hex'),
                    'size', length(decode(f.entry ->> 'data_base64', 'base64')))
                ELSE f.entry END ORDER BY f.position), '[]'::jsonb)
            FROM jsonb_array_elements(payload -> 'files') WITH ORDINALITY AS f(entry, position)))
        ELSE '{}'::jsonb END
WHERE kind = 'application' AND payload ? 'applicant_pid';
