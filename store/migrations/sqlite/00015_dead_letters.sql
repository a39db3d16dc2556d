-- +goose Up
-- A mail kam gives up on is 死信 (dead), no longer 'failed': kam status, the page and /metrics
-- list it, an alert reports it to recipients.admin, `kam deliver --retry-dead` queues it again
-- (SPEC §6.1). Mails given up before this are dead letters too, not yet reported.
UPDATE outbox SET status = 'dead' WHERE status = 'failed';

-- The dead letters an alert to recipients.admin has reported. The alert and its rows here are
-- written in one transaction: each dead letter is reported once, in one mail per batch.
CREATE TABLE IF NOT EXISTS outbox_dead_reported (
    outbox_id   INTEGER NOT NULL PRIMARY KEY REFERENCES outbox (id),
    reported_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS outbox_dead_reported;
UPDATE outbox SET status = 'failed' WHERE status = 'dead';
