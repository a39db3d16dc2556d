-- +goose Up
-- A mail kam gives up on is 死信 (dead), no longer 'failed': kam status, the page and /metrics
-- list it, an alert reports it to recipients.admin, `kam deliver --retry-dead` queues it again
-- (SPEC §6.1). Mails given up before this are dead letters too, not yet reported.
-- Both statements give the same result when run again; both are MySQL 8.0 as well as MariaDB.
UPDATE outbox SET status = 'dead' WHERE status = 'failed';

-- The dead letters an alert to recipients.admin has reported. The alert and its rows here are
-- written in one transaction: each dead letter is reported once, in one mail per batch.
CREATE TABLE IF NOT EXISTS outbox_dead_reported (
    outbox_id   BIGINT      NOT NULL PRIMARY KEY,
    reported_at DATETIME(6) NOT NULL,
    CONSTRAINT outbox_dead_reported_outbox FOREIGN KEY (outbox_id) REFERENCES outbox (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS outbox_dead_reported;
UPDATE outbox SET status = 'failed' WHERE status = 'dead';
