-- Poison records: claims whose lease expired (the worker died mid-delivery) are counted, and a
-- record that lost too many is parked as FAILED instead of being claimed for ever.
ALTER TABLE outbox ADD COLUMN lost_leases integer NOT NULL DEFAULT 0;

ALTER TABLE outbox DROP CONSTRAINT outbox_status;
ALTER TABLE outbox ADD CONSTRAINT outbox_status
    CHECK (status IN ('PENDING', 'DELIVERING', 'DELIVERED', 'REJECTED', 'FAILED'));

CREATE INDEX outbox_failed ON outbox (created_at) WHERE status = 'FAILED';
