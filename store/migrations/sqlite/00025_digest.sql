-- +goose Up
-- Report mails held for the delivery window (mail.digest_at, SPEC §5.1): status 'held' until the
-- window, then 'folded' into one digest mail per recipient (digest_id: that digest's outbox row).
-- title is the report's name for the digest's subject and sections.
ALTER TABLE outbox ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN digest_id INTEGER REFERENCES outbox (id);

-- +goose Down
ALTER TABLE outbox DROP COLUMN digest_id;
ALTER TABLE outbox DROP COLUMN title;
