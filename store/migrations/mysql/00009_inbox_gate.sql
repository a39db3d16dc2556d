-- +goose Up
-- What the inbox holds that kam will not read (reported once, listed by kam status),
-- where a file came from (a unit's folder, 确认替换/), and each revenue file's impact
-- per (month, line). New tables only, so each statement can run again.
CREATE TABLE IF NOT EXISTS unread_files (
    path_key   VARCHAR(64)   NOT NULL PRIMARY KEY, -- sha256 of the path
    path       VARCHAR(1024) NOT NULL,
    reason     VARCHAR(500)  NOT NULL,
    first_seen DATETIME(6)   NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS file_origins (
    file_id   BIGINT      NOT NULL PRIMARY KEY,
    unit_code VARCHAR(64) NOT NULL DEFAULT '',
    confirmed BOOLEAN     NOT NULL DEFAULT FALSE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS revenue_impacts (
    file_id       BIGINT      NOT NULL,
    month         INT         NOT NULL,
    business_line VARCHAR(64) NOT NULL,
    rows_before   BIGINT      NOT NULL,
    amount_before BIGINT      NOT NULL,
    abs_before    BIGINT      NOT NULL,
    rows_after    BIGINT      NOT NULL,
    amount_after  BIGINT      NOT NULL,
    abs_after     BIGINT      NOT NULL,
    PRIMARY KEY (file_id, month, business_line)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE IF EXISTS revenue_impacts;
DROP TABLE IF EXISTS file_origins;
DROP TABLE IF EXISTS unread_files;
