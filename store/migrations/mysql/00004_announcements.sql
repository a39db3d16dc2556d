-- +goose Up
-- Every claim listed in a tender announcement, once: the as-of date and run
-- that first listed it, so a later announcement marks only the newly overdue 新增.
CREATE TABLE IF NOT EXISTS announcements (
    claim_id VARCHAR(64) NOT NULL PRIMARY KEY,
    as_of    DATE        NOT NULL,
    run_id   BIGINT      NOT NULL,
    KEY announcements_run (run_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE announcements;
