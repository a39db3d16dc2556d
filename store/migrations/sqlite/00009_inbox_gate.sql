-- +goose Up
-- What the inbox holds that kam will not read (reported once, listed by kam status),
-- where a file came from (a unit's folder, 确认替换/), and each revenue file's impact
-- per (month, line). New tables only, so each statement can run again.
CREATE TABLE IF NOT EXISTS unread_files (
    path_key   TEXT NOT NULL PRIMARY KEY, -- sha256 of the path
    path       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS file_origins (
    file_id   INTEGER NOT NULL PRIMARY KEY,
    unit_code TEXT    NOT NULL DEFAULT '',
    confirmed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS revenue_impacts (
    file_id       INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    business_line TEXT    NOT NULL,
    rows_before   INTEGER NOT NULL,
    amount_before INTEGER NOT NULL,
    abs_before    INTEGER NOT NULL,
    rows_after    INTEGER NOT NULL,
    amount_after  INTEGER NOT NULL,
    abs_after     INTEGER NOT NULL,
    PRIMARY KEY (file_id, month, business_line)
);

-- +goose Down
DROP TABLE IF EXISTS revenue_impacts;
DROP TABLE IF EXISTS file_origins;
DROP TABLE IF EXISTS unread_files;
